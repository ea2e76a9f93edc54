//! The HTTP surface: routes, their OpenAPI declarations, and helpers they share.

mod auth;
mod common;
mod nodes;
mod power;
mod snapshots;
mod tasks;
mod vms;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub(crate) use common::*;

use crate::envelope::ApiError;
use crate::middleware::SPEC_PATH;
use crate::state::AppState;

/// State of the areas beyond compute and tasks.
#[derive(Debug, Default)]
pub(crate) struct Extra {}

impl Extra {
    pub(crate) fn seeded() -> Self {
        Extra {}
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".to_owned());
        components.add_security_scheme("bearer_auth", SecurityScheme::Http(http));
    }
}

/// PXCloud API.
///
/// Manage Proxmox VE and VMware vSphere infrastructure: virtual machines, nodes, clusters,
/// IPAM, physical servers, consoles and more. Log in at `POST /api/auth/login` and send the
/// token as `Authorization: Bearer <token>`.
#[derive(OpenApi)]
#[openapi(
    info(title = "PXCloud API", version = "2.4.0"),
    modifiers(&BearerAuth),
    security(("bearer_auth" = [])),
    tags(
        (name = "Auth", description = "Login and session"),
        (name = "Dashboard", description = "Summary of the whole estate"),
        (name = "VMs", description = "Virtual machines: lifecycle, power, migration, snapshots, backups, firewall"),
        (name = "Nodes", description = "Hypervisor hosts"),
        (name = "Clusters", description = "Proxmox VE and VMware vSphere clusters"),
        (name = "Storage", description = "Storages and their content"),
        (name = "Tasks", description = "Asynchronous operation tracking"),
    )
)]
struct ApiDoc;

/// The whole document.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(auth::Doc::openapi());
    doc.merge(vms::Doc::openapi());
    doc.merge(nodes::Doc::openapi());
    doc.merge(power::Doc::openapi());
    doc.merge(snapshots::Doc::openapi());
    doc.merge(tasks::Doc::openapi());
    doc
}

/// The document as pretty JSON.
pub(crate) fn openapi_json() -> String {
    openapi().to_pretty_json().unwrap_or_else(|e| {
        format!(r#"{{"code":"internal_error","message":"cannot serialize the document: {e}"}}"#)
    })
}

async fn spec(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        state.0.spec.clone(),
    )
}

async fn fallback() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed here",
    )
}

/// Every route, wrapped in the log/fault/auth layer.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route(SPEC_PATH, axum::routing::get(spec))
        .merge(auth::routes())
        .merge(vms::routes())
        .merge(nodes::routes())
        .merge(power::routes())
        .merge(snapshots::routes())
        .merge(tasks::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::layer,
        ))
        .with_state(state)
}

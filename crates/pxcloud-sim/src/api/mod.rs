//! The HTTP surface: routes, their OpenAPI declarations, and helpers they share.

mod access;
mod auth;
mod clusters;
mod common;
mod console;
pub(crate) mod crud;
mod dashboard;
mod infra;
mod ipam;
mod monitors;
mod nodes;
mod physical;
mod power;
mod snapshots;
mod storage;
mod tasks;
mod vmextra;
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
pub(crate) struct Extra {
    pub(crate) crud: crud::Collections,
    pub(crate) volumes: Vec<storage::StorageVolume>,
    pub(crate) console_shares: Vec<console::ConsoleShare>,
    pub(crate) share_seq: u64,
    pub(crate) ip_assignments: Vec<ipam::IpAssignment>,
    pub(crate) alerts: Vec<monitors::Alert>,
    pub(crate) settings: dashboard::SystemSettings,
}

impl Extra {
    pub(crate) fn seeded() -> Self {
        let mut extra = Extra::default();
        infra::seed(&mut extra.crud);
        physical::seed(&mut extra.crud);
        ipam::seed(&mut extra);
        access::seed(&mut extra.crud);
        monitors::seed(&mut extra);
        extra
    }
}

/// Area documents and routers, in document order.
fn areas() -> Vec<(utoipa::openapi::OpenApi, Router<AppState>)> {
    use axum::routing::get;
    vec![
        (auth::Doc::openapi(), auth::routes()),
        (dashboard::Doc::openapi(), dashboard::routes()),
        (vms::Doc::openapi(), vms::routes()),
        (power::Doc::openapi(), power::routes()),
        (snapshots::Doc::openapi(), snapshots::routes()),
        (vmextra::Doc::openapi(), vmextra::routes()),
        (nodes::Doc::openapi(), nodes::routes()),
        (tasks::Doc::openapi(), tasks::routes()),
        (clusters::Doc::openapi(), clusters::routes()),
        (storage::Doc::openapi(), storage::routes()),
        (console::Doc::openapi(), console::routes()),
        (ipam::pools::Doc::openapi(), ipam::pools::routes()),
        (ipam::subnets::Doc::openapi(), ipam::subnets::routes()),
        (ipam::Doc::openapi(), ipam::routes()),
        (access::users::Doc::openapi(), access::users::routes()),
        (access::groups::Doc::openapi(), access::groups::routes()),
        (access::roles::Doc::openapi(), access::roles::routes()),
        (access::acl::Doc::openapi(), access::acl::routes()),
        (
            monitors::sensors::Doc::openapi(),
            monitors::sensors::routes(),
        ),
        (
            monitors::business::Doc::openapi(),
            monitors::business::routes(),
        ),
        (
            monitors::notifications::Doc::openapi(),
            monitors::notifications::routes(),
        ),
        (monitors::Doc::openapi(), monitors::routes()),
        (infra::regions::Doc::openapi(), infra::regions::routes()),
        (
            infra::datacenters::Doc::openapi(),
            infra::datacenters::routes(),
        ),
        (
            InfraExtra::openapi(),
            Router::new().route(
                "/api/datacenters/{id}/tree",
                get(infra::get_datacenter_tree),
            ),
        ),
        (infra::cabinets::Doc::openapi(), infra::cabinets::routes()),
        (
            physical::servers::Doc::openapi(),
            physical::servers::routes(),
        ),
        (
            PhysicalExtra::openapi(),
            Router::new()
                .route(
                    "/api/physical-servers/{id}/hardware",
                    get(physical::get_physical_server_hardware),
                )
                .route(
                    "/api/physical-servers/{id}/power",
                    axum::routing::post(physical::physical_server_power),
                )
                .route(
                    "/api/physical-servers/{id}/sensors",
                    get(physical::get_physical_server_sensors),
                )
                .route("/bmc-proxy/{id}/{*path}", get(physical::bmc_proxy)),
        ),
    ]
}

#[derive(OpenApi)]
#[openapi(paths(infra::get_datacenter_tree))]
struct InfraExtra;

#[derive(OpenApi)]
#[openapi(paths(
    physical::get_physical_server_hardware,
    physical::physical_server_power,
    physical::get_physical_server_sensors,
    physical::bmc_proxy
))]
struct PhysicalExtra;

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
        (name = "Regions", description = "Regions group datacenters"),
        (name = "Datacenters", description = "Datacenters and their infrastructure tree"),
        (name = "Cabinets", description = "Rack cabinets"),
        (name = "IPAM", description = "IPv4 pools, subnets and address assignment"),
        (name = "Users", description = "PXCloud users"),
        (name = "Groups", description = "User groups"),
        (name = "Roles", description = "Roles and privileges"),
        (name = "ACL", description = "Who may do what where"),
        (name = "Monitors", description = "Sensors, business monitors and alerts"),
        (name = "Notifications", description = "Messages to users and channels"),
        (name = "System", description = "PXCloud administration"),
        (name = "Console", description = "VNC, terminal and share links"),
        (name = "Physical Servers", description = "Bare metal: BMC/Redfish hardware and power"),
    )
)]
struct ApiDoc;

/// The whole document.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for (area, _) in areas() {
        doc.merge(area);
    }
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
        state
            .0
            .spec
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone(),
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
    let mut router = Router::new().route(SPEC_PATH, axum::routing::get(spec));
    for (_, routes) in areas() {
        router = router.merge(routes);
    }
    router
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::layer,
        ))
        .with_state(state)
}

//! Consoles: VNC and terminal tickets, WebSocket endpoints, and console share links.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::Deleted;
use super::vms::find;
use crate::envelope::{
    ApiError, ApiResult, Envelope, ErrorBody, ValidJson, ValidQuery, Validate, ok,
};
use crate::middleware::Caller;
use crate::model::VmStatus;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(paths(
    create_vnc_ticket,
    create_terminal_ticket,
    vnc_websocket,
    terminal_websocket,
    events_websocket,
    create_console_share,
    list_console_shares,
    delete_console_share,
    get_console_share,
    proxy_console_share
))]
pub(super) struct Doc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/vms/{id}/vnc", post(create_vnc_ticket))
        .route("/api/nodes/{node}/terminal", post(create_terminal_ticket))
        .route("/vnc/{id}", get(vnc_websocket))
        .route("/terminal/{node}", get(terminal_websocket))
        .route("/ws", get(events_websocket))
        .route("/api/vms/{id}/console-share", post(create_console_share))
        .route("/api/console-shares", get(list_console_shares))
        .route("/api/console-shares/{id}", delete(delete_console_share))
        .route("/api/console-share/{token}", get(get_console_share))
        .route(
            "/api/console-share/{token}/proxy",
            post(proxy_console_share),
        )
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn pct(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A console ticket.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConsoleTicket {
    /// One-time ticket, valid for 60 seconds.
    ticket: String,
    /// VNC port on the node.
    port: u16,
    /// WebSocket URL to connect to (send the ticket as query parameter).
    websocket_url: String,
    /// Expiry, Unix seconds.
    expires_at: u64,
}

/// Open a VNC console.
///
/// Issues a one-time ticket for the VM's VNC console over WebSocket (`/vnc/{id}`). AI hint:
/// requires VM.Console privilege and a running VM; hand the URL to the user, do not open it.
#[utoipa::path(
    post, path = "/api/vms/{id}/vnc", tag = "Console",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    responses(
        (status = 200, description = "Ticket", body = Envelope<ConsoleTicket>),
        (status = 404, description = "No such VM", body = ErrorBody),
        (status = 409, description = "VM not running", body = ErrorBody),
    )
)]
pub(crate) async fn create_vnc_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ConsoleTicket> {
    let store = state.store();
    let vm = find(&store, &id)?;
    if vm.status != VmStatus::Running {
        return Err(ApiError::conflict(
            "invalid_state",
            format!("VM {id} is not running"),
        ));
    }
    let ticket = format!("PVEVNC:{}", random_token(16));
    ok(ConsoleTicket {
        websocket_url: format!(
            "{}/vnc/{}?ticket={}",
            state.0.base_url.replace("http", "ws"),
            pct(&id),
            pct(&ticket)
        ),
        ticket,
        port: 5900 + (vm.vmid % 100) as u16,
        expires_at: state.0.auth.now_ms() / 1000 + 60,
    })
}

/// Open a node shell.
///
/// Issues a one-time ticket for a terminal on the node over WebSocket (`/terminal/{node}`).
/// AI hint: a root shell; only for administrators.
#[utoipa::path(
    post, path = "/api/nodes/{node}/terminal", tag = "Console",
    params(("node" = String, Path, description = "Node name")),
    responses(
        (status = 200, description = "Ticket", body = Envelope<ConsoleTicket>),
        (status = 404, description = "No such node", body = ErrorBody),
    )
)]
pub(crate) async fn create_terminal_ticket(
    State(state): State<AppState>,
    Path(node): Path<String>,
) -> ApiResult<ConsoleTicket> {
    let store = state.store();
    super::nodes::find_node(&store, &node)?;
    let ticket = format!("PVETERM:{}", random_token(16));
    ok(ConsoleTicket {
        websocket_url: format!(
            "{}/terminal/{}?ticket={}",
            state.0.base_url.replace("http", "ws"),
            pct(&node),
            pct(&ticket)
        ),
        ticket,
        port: 5900,
        expires_at: state.0.auth.now_ms() / 1000 + 60,
    })
}

/// Ticket query of WebSocket endpoints.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TicketQuery {
    /// Ticket from the ticket endpoint.
    ticket: Option<String>,
}

impl Validate for TicketQuery {}

fn websocket_answer(headers: &HeaderMap, ticket: Option<&str>) -> ApiError {
    let upgrade = headers
        .get("upgrade")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            "this endpoint speaks WebSocket only",
        );
    }
    if ticket.is_none() {
        return ApiError::invalid("ticket", "missing ticket");
    }
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "websocket_unsupported",
        "the simulator does not stream consoles",
    )
}

/// VNC console WebSocket.
///
/// Upgrade to WebSocket with `?ticket=` from `POST /api/vms/{id}/vnc`. Plain HTTP answers 426.
#[utoipa::path(
    get, path = "/vnc/{id}", tag = "Console",
    params(("id" = String, Path, description = "VM id"), TicketQuery),
    responses(
        (status = 101, description = "Switching to WebSocket"),
        (status = 426, description = "Not a WebSocket request", body = ErrorBody),
    )
)]
pub(crate) async fn vnc_websocket(
    headers: HeaderMap,
    Path(_id): Path<String>,
    ValidQuery(q): ValidQuery<TicketQuery>,
) -> ApiError {
    websocket_answer(&headers, q.ticket.as_deref())
}

/// Node terminal WebSocket.
///
/// Upgrade to WebSocket with `?ticket=` from `POST /api/nodes/{node}/terminal`.
#[utoipa::path(
    get, path = "/terminal/{node}", tag = "Console",
    params(("node" = String, Path, description = "Node name"), TicketQuery),
    responses(
        (status = 101, description = "Switching to WebSocket"),
        (status = 426, description = "Not a WebSocket request", body = ErrorBody),
    )
)]
pub(crate) async fn terminal_websocket(
    headers: HeaderMap,
    Path(_node): Path<String>,
    ValidQuery(q): ValidQuery<TicketQuery>,
) -> ApiError {
    websocket_answer(&headers, q.ticket.as_deref())
}

/// Live event stream.
///
/// WebSocket of task, VM and alert events. Plain HTTP answers 426.
#[utoipa::path(
    get, path = "/ws", tag = "Console",
    responses(
        (status = 101, description = "Switching to WebSocket"),
        (status = 426, description = "Not a WebSocket request", body = ErrorBody),
    )
)]
pub(crate) async fn events_websocket(headers: HeaderMap) -> ApiError {
    websocket_answer(&headers, Some("bearer"))
}

/// What a share link allows.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AccessMode {
    /// Watch only.
    ViewOnly,
    /// Keyboard and mouse.
    FullControl,
}

/// A console share link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ConsoleShare {
    /// Share id (for revocation).
    pub(crate) id: String,
    /// Secret token in the URL.
    pub(crate) token: String,
    /// VM id.
    pub(crate) vm_id: String,
    /// What the link allows.
    pub(crate) access_mode: AccessMode,
    /// Expiry, Unix seconds.
    pub(crate) expires_at: u64,
    /// Link to hand out.
    pub(crate) url: String,
    /// Who created it.
    pub(crate) created_by: String,
    /// Creation time, Unix seconds.
    pub(crate) created_at: u64,
    /// Note for the recipient.
    pub(crate) note: Option<String>,
}

/// Settings of a share link.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ConsoleShareRequest {
    /// What the link allows.
    access_mode: AccessMode,
    /// Lifetime in seconds: 60–604800 (1 minute to 7 days).
    #[schema(minimum = 60, maximum = 604800, example = 3600)]
    expires_in_seconds: u32,
    /// Note for the recipient.
    #[schema(max_length = 200)]
    note: Option<String>,
}

impl Validate for ConsoleShareRequest {
    fn validate(&self) -> Result<(), ApiError> {
        super::check_range("expires_in_seconds", self.expires_in_seconds, 60, 604_800)?;
        if self.note.as_ref().is_some_and(|n| n.chars().count() > 200) {
            return Err(ApiError::invalid("note", "at most 200 characters"));
        }
        Ok(())
    }
}

/// Share a VM console.
///
/// AI hint: generates token-based URL for sharing VM console. Requires VM.Console privilege.
/// expires_in_seconds: 60–604800 (1min–7days)
#[utoipa::path(
    post, path = "/api/vms/{id}/console-share", tag = "Console",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    request_body = ConsoleShareRequest,
    responses(
        (status = 200, description = "Share created", body = Envelope<ConsoleShare>),
        (status = 404, description = "No such VM", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    )
)]
pub(crate) async fn create_console_share(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<ConsoleShareRequest>,
) -> ApiResult<ConsoleShare> {
    let mut store = state.store();
    find(&store, &id)?;
    let now = state.0.auth.now_ms() / 1000;
    store.extra.share_seq += 1;
    let token = random_token(24);
    let share = ConsoleShare {
        id: format!("cs-{}", 1000 + store.extra.share_seq),
        url: format!("{}/console/share/{token}", state.0.base_url),
        token,
        vm_id: id,
        access_mode: body.access_mode,
        expires_at: now + u64::from(body.expires_in_seconds),
        created_by: caller.user,
        created_at: now,
        note: body.note,
    };
    store.extra.console_shares.push(share.clone());
    ok(share)
}

/// Filters of the share list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ShareFilter {
    /// Only shares of this VM.
    vm_id: Option<String>,
    /// Include expired shares.
    #[serde(default)]
    include_expired: bool,
}

impl Validate for ShareFilter {}

/// List console shares.
///
/// Active share links (expired ones with `include_expired=true`). Revoked links are gone.
#[utoipa::path(
    get, path = "/api/console-shares", tag = "Console",
    params(ShareFilter),
    responses((status = 200, description = "Shares", body = Envelope<Vec<ConsoleShare>>))
)]
pub(crate) async fn list_console_shares(
    State(state): State<AppState>,
    ValidQuery(f): ValidQuery<ShareFilter>,
) -> ApiResult<Vec<ConsoleShare>> {
    let store = state.store();
    let now = state.0.auth.now_ms() / 1000;
    ok(store
        .extra
        .console_shares
        .iter()
        .filter(|s| f.vm_id.as_ref().is_none_or(|v| *v == s.vm_id))
        .filter(|s| f.include_expired || s.expires_at > now)
        .cloned()
        .collect())
}

/// Revoke a console share.
///
/// The link stops working at once.
#[utoipa::path(
    delete, path = "/api/console-shares/{id}", tag = "Console",
    params(("id" = String, Path, description = "Share id")),
    responses(
        (status = 200, description = "Revoked", body = Envelope<Deleted>),
        (status = 404, description = "No such share", body = ErrorBody),
    )
)]
pub(crate) async fn delete_console_share(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Deleted> {
    let mut store = state.store();
    let before = store.extra.console_shares.len();
    store.extra.console_shares.retain(|s| s.id != id);
    if store.extra.console_shares.len() == before {
        return Err(ApiError::not_found("console share", &id));
    }
    ok(Deleted { id, deleted: true })
}

/// What a share link grants, as its recipient sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SharedConsole {
    /// VM id.
    vm_id: String,
    /// VM name.
    vm_name: String,
    /// What the link allows.
    access_mode: AccessMode,
    /// Expiry, Unix seconds.
    expires_at: u64,
    /// Whether the VM runs (a console needs a running VM).
    vm_running: bool,
}

fn resolve_share(
    state: &AppState,
    token: &str,
) -> Result<(ConsoleShare, crate::model::Vm), ApiError> {
    let store = state.store();
    let share = store
        .extra
        .console_shares
        .iter()
        .find(|s| s.token == token)
        .cloned()
        .ok_or_else(|| ApiError::not_found("console share", "<token>"))?;
    if share.expires_at <= state.0.auth.now_ms() / 1000 {
        return Err(ApiError::new(
            StatusCode::GONE,
            "share_expired",
            "this console share has expired",
        ));
    }
    let vm = find(&store, &share.vm_id)?.clone();
    Ok((share, vm))
}

/// Open a console share link (public).
///
/// No login needed: the token is the credential. Unknown or revoked tokens answer 404,
/// expired ones 410.
#[utoipa::path(
    get, path = "/api/console-share/{token}", tag = "Console", security(()),
    params(("token" = String, Path, description = "Share token")),
    responses(
        (status = 200, description = "What the link grants", body = Envelope<SharedConsole>),
        (status = 404, description = "Unknown or revoked", body = ErrorBody),
        (status = 410, description = "Expired", body = ErrorBody),
    )
)]
pub(crate) async fn get_console_share(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<SharedConsole> {
    let (share, vm) = resolve_share(&state, &token)?;
    ok(SharedConsole {
        vm_id: share.vm_id,
        vm_name: vm.name,
        access_mode: share.access_mode,
        expires_at: share.expires_at,
        vm_running: vm.status == VmStatus::Running,
    })
}

/// Connect through a console share link (public).
///
/// Issues a VNC ticket limited to the link's access mode. The VM must be running (409).
#[utoipa::path(
    post, path = "/api/console-share/{token}/proxy", tag = "Console", security(()),
    params(("token" = String, Path, description = "Share token")),
    responses(
        (status = 200, description = "Ticket", body = Envelope<ConsoleTicket>),
        (status = 404, description = "Unknown or revoked", body = ErrorBody),
        (status = 409, description = "VM not running", body = ErrorBody),
        (status = 410, description = "Expired", body = ErrorBody),
    )
)]
pub(crate) async fn proxy_console_share(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<ConsoleTicket> {
    let (share, vm) = resolve_share(&state, &token)?;
    if vm.status != VmStatus::Running {
        return Err(ApiError::conflict(
            "invalid_state",
            format!("VM {} is not running", vm.id),
        ));
    }
    let mode = if share.access_mode == AccessMode::ViewOnly {
        "ro"
    } else {
        "rw"
    };
    let ticket = format!("PVEVNC:{mode}:{}", random_token(16));
    ok(ConsoleTicket {
        websocket_url: format!(
            "{}/vnc/{}?ticket={}",
            state.0.base_url.replace("http", "ws"),
            pct(&vm.id),
            pct(&ticket)
        ),
        ticket,
        port: 5900 + (vm.vmid % 100) as u16,
        expires_at: (state.0.auth.now_ms() / 1000 + 60).min(share.expires_at),
    })
}

//! The dashboard summary and system administration endpoints under `/system/`.

use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::monitors::AlertState;
use super::{OffsetQuery, Slice, check_range};
use crate::envelope::{
    ApiError, ApiResult, Envelope, ErrorBody, ValidJson, ValidQuery, Validate, ok,
};
use crate::middleware::Caller;
use crate::model::{NodeStatus, TaskRef, TaskStatus, VmStatus};
use crate::state::AppState;
use crate::tasks::{Effect, NewTask};

#[derive(OpenApi)]
#[openapi(paths(
    get_dashboard_summary,
    get_top_consumers,
    system_health,
    get_system_info,
    get_system_settings,
    update_system_settings,
    get_audit_log,
    create_system_backup
))]
pub(super) struct Doc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/dashboard/summary", get(get_dashboard_summary))
        .route("/api/dashboard/top-consumers", get(get_top_consumers))
        .route("/system/health", get(system_health))
        .route("/system/info", get(get_system_info))
        .route(
            "/system/settings",
            get(get_system_settings).put(update_system_settings),
        )
        .route("/system/audit-log", get(get_audit_log))
        .route("/system/backup", post(create_system_backup))
}

/// Counts by VM state.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VmCounts {
    /// Running.
    running: usize,
    /// Stopped.
    stopped: usize,
    /// Suspended.
    suspended: usize,
    /// Templates.
    templates: usize,
}

/// The whole estate at a glance.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardSummary {
    /// Clusters.
    clusters: usize,
    /// Nodes online.
    nodes_online: usize,
    /// Nodes total.
    nodes_total: usize,
    /// VMs by state.
    vms: VmCounts,
    /// Average node CPU, percent.
    cpu_percent: f64,
    /// Memory used over all nodes, percent.
    memory_percent: f64,
    /// Storage used over all storages, percent.
    storage_percent: f64,
    /// Firing alerts.
    alerts_firing: usize,
    /// Running tasks.
    tasks_running: usize,
    /// Nodes above 85 % CPU.
    hot_nodes: Vec<String>,
}

fn pct(used: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (used as f64 * 1000.0 / total as f64).round() / 10.0
    }
}

/// Dashboard summary.
///
/// Counts, usage and alerts for the whole estate. AI hint: start here to get an overview,
/// then drill down with the node and VM lists.
#[utoipa::path(
    get, path = "/api/dashboard/summary", tag = "Dashboard",
    responses((status = 200, description = "Summary", body = Envelope<DashboardSummary>))
)]
pub(crate) async fn get_dashboard_summary(
    State(state): State<AppState>,
) -> ApiResult<DashboardSummary> {
    let store = state.store();
    let count = |s: VmStatus| {
        store
            .vms
            .values()
            .filter(|v| v.status == s && !v.template)
            .count()
    };
    let n = store.nodes.len().max(1) as f64;
    ok(DashboardSummary {
        clusters: store.clusters.len(),
        nodes_online: store
            .nodes
            .iter()
            .filter(|x| x.status != NodeStatus::Offline)
            .count(),
        nodes_total: store.nodes.len(),
        vms: VmCounts {
            running: count(VmStatus::Running),
            stopped: count(VmStatus::Stopped),
            suspended: count(VmStatus::Suspended),
            templates: store.vms.values().filter(|v| v.template).count(),
        },
        cpu_percent: (store.nodes.iter().map(|x| x.usage.cpu_percent).sum::<f64>() / n * 10.0)
            .round()
            / 10.0,
        memory_percent: pct(
            store.nodes.iter().map(|x| x.usage.memory_used).sum(),
            store.nodes.iter().map(|x| x.usage.memory_total).sum(),
        ),
        storage_percent: pct(
            store.storages.iter().map(|s| s.used).sum(),
            store.storages.iter().map(|s| s.total).sum(),
        ),
        alerts_firing: store
            .extra
            .alerts
            .iter()
            .filter(|a| a.state == AlertState::Firing)
            .count(),
        tasks_running: store
            .tasks
            .all()
            .filter(|t| t.status == TaskStatus::Running)
            .count(),
        hot_nodes: store
            .nodes
            .iter()
            .filter(|x| x.usage.cpu_percent > 85.0)
            .map(|x| x.name.clone())
            .collect(),
    })
}

/// What to rank by.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Metric {
    /// CPU percent.
    #[default]
    Cpu,
    /// Memory MiB.
    Memory,
}

/// Query of the top list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TopQuery {
    /// Rank by.
    #[serde(default)]
    #[param(inline)]
    metric: Metric,
    /// How many, 1–50.
    #[param(minimum = 1, maximum = 50, default = 5)]
    limit: Option<u32>,
}

impl Validate for TopQuery {
    fn validate(&self) -> Result<(), ApiError> {
        if let Some(l) = self.limit {
            check_range("limit", l, 1, 50)?;
        }
        Ok(())
    }
}

/// A VM in the top list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Consumer {
    /// VM id.
    vm_id: String,
    /// VM name.
    name: String,
    /// Node.
    node: String,
    /// Value of the metric.
    value: f64,
}

/// Top consuming VMs.
///
/// Running VMs ranked by CPU or memory.
#[utoipa::path(
    get, path = "/api/dashboard/top-consumers", tag = "Dashboard",
    params(TopQuery),
    responses(
        (status = 200, description = "Top VMs", body = Envelope<Vec<Consumer>>),
        (status = 422, description = "Bad query parameter", body = ErrorBody),
    )
)]
pub(crate) async fn get_top_consumers(
    State(state): State<AppState>,
    ValidQuery(q): ValidQuery<TopQuery>,
) -> ApiResult<Vec<Consumer>> {
    let store = state.store();
    let mut list: Vec<Consumer> = store
        .vms
        .values()
        .filter(|v| v.status == VmStatus::Running)
        .map(|v| Consumer {
            vm_id: v.id.clone(),
            name: v.name.clone(),
            node: v.node.clone(),
            value: match q.metric {
                Metric::Cpu => v.cpu_percent,
                Metric::Memory => f64::from(v.hardware.memory_mb),
            },
        })
        .collect();
    list.sort_by(|a, b| b.value.total_cmp(&a.value));
    list.truncate(q.limit.unwrap_or(5) as usize);
    ok(list)
}

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SystemHealth {
    /// `ok`.
    status: String,
    /// PXCloud version.
    version: String,
    /// Seconds since start.
    uptime_seconds: u64,
}

/// Health check (public).
///
/// No login needed.
#[utoipa::path(
    get, path = "/system/health", tag = "System", security(()),
    responses((status = 200, description = "Healthy", body = Envelope<SystemHealth>))
)]
pub(crate) async fn system_health(State(state): State<AppState>) -> ApiResult<SystemHealth> {
    ok(SystemHealth {
        status: "ok".into(),
        version: "2.4.0".into(),
        uptime_seconds: Instant::now().duration_since(state.0.started).as_secs(),
    })
}

/// License state.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct License {
    /// Licensee.
    licensee: String,
    /// Licensed sockets.
    sockets: u32,
    /// Expiry, Unix seconds; null for perpetual.
    expires_at: Option<u64>,
}

/// System information.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SystemInfo {
    /// Version.
    version: String,
    /// Build.
    build: String,
    /// Host name.
    hostname: String,
    /// License.
    license: License,
}

/// System information.
///
/// Version, build and license.
#[utoipa::path(
    get, path = "/system/info", tag = "System",
    responses((status = 200, description = "Info", body = Envelope<SystemInfo>))
)]
pub(crate) async fn get_system_info() -> ApiResult<SystemInfo> {
    ok(SystemInfo {
        version: "2.4.0".into(),
        build: "pxcloud-sim".into(),
        hostname: "pxcloud.example.internal".into(),
        license: License {
            licensee: "Example GmbH".into(),
            sockets: 32,
            expires_at: None,
        },
    })
}

/// Outgoing mail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct SmtpSettings {
    /// Server.
    host: String,
    /// Port.
    #[schema(minimum = 1, maximum = 65535)]
    port: u16,
    /// Sender address.
    from: String,
    /// Use STARTTLS.
    starttls: bool,
}

/// System settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct SystemSettings {
    /// Minutes of inactivity before a UI session ends, 5–1440.
    #[schema(minimum = 5, maximum = 1440)]
    pub(crate) session_timeout_minutes: u32,
    /// Storage used when none is given.
    pub(crate) default_storage: String,
    /// Mail server; null disables e-mail.
    pub(crate) smtp: Option<SmtpSettings>,
    /// Banner shown to every user.
    pub(crate) maintenance_banner: Option<String>,
}

impl Default for SystemSettings {
    fn default() -> Self {
        SystemSettings {
            session_timeout_minutes: 60,
            default_storage: "local-lvm".into(),
            smtp: None,
            maintenance_banner: None,
        }
    }
}

impl Validate for SystemSettings {
    fn validate(&self) -> Result<(), ApiError> {
        check_range(
            "session_timeout_minutes",
            self.session_timeout_minutes,
            5,
            1440,
        )?;
        if let Some(s) = &self.smtp {
            if s.host.is_empty() {
                return Err(ApiError::invalid("smtp.host", "must not be empty"));
            }
            if s.port == 0 {
                return Err(ApiError::invalid(
                    "smtp.port",
                    "must be between 1 and 65535",
                ));
            }
        }
        Ok(())
    }
}

/// Get system settings.
///
/// Session, storage and mail settings.
#[utoipa::path(
    get, path = "/system/settings", tag = "System",
    responses((status = 200, description = "Settings", body = Envelope<SystemSettings>))
)]
pub(crate) async fn get_system_settings(
    State(state): State<AppState>,
) -> ApiResult<SystemSettings> {
    ok(state.store().extra.settings.clone())
}

/// Update system settings.
///
/// Replaces every setting. `default_storage` must exist on some node (422).
#[utoipa::path(
    put, path = "/system/settings", tag = "System",
    request_body = SystemSettings,
    responses(
        (status = 200, description = "Settings", body = Envelope<SystemSettings>),
        (status = 403, description = "Read-only user", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    )
)]
pub(crate) async fn update_system_settings(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<SystemSettings>,
) -> ApiResult<SystemSettings> {
    let mut store = state.store();
    if !store.storages.iter().any(|s| s.id == body.default_storage) {
        return Err(ApiError::invalid(
            "default_storage",
            format!("unknown storage '{}'", body.default_storage),
        ));
    }
    store.extra.settings = body.clone();
    ok(body)
}

/// One audit record.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditRecord {
    /// Sequence number.
    seq: u64,
    /// User.
    user: Option<String>,
    /// HTTP method.
    method: String,
    /// Path.
    path: String,
    /// Status answered.
    status: u16,
}

/// Audit query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Only this user.
    user: Option<String>,
    /// Items to skip.
    #[param(minimum = 0)]
    offset: Option<u32>,
    /// Most items to return.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

impl Validate for AuditQuery {
    fn validate(&self) -> Result<(), ApiError> {
        OffsetQuery {
            offset: self.offset,
            limit: self.limit,
        }
        .validate()
    }
}

/// Audit log.
///
/// Every change request (not GET) PXCloud received, newest first.
#[utoipa::path(
    get, path = "/system/audit-log", tag = "System",
    params(AuditQuery),
    responses((status = 200, description = "Records", body = Envelope<Slice<AuditRecord>>))
)]
pub(crate) async fn get_audit_log(
    State(state): State<AppState>,
    ValidQuery(q): ValidQuery<AuditQuery>,
) -> ApiResult<Slice<AuditRecord>> {
    let mut records: Vec<AuditRecord> = state
        .0
        .log
        .entries()
        .into_iter()
        .filter(|e| e.method != "GET" && e.method != "HEAD")
        .filter(|e| {
            q.user
                .as_ref()
                .is_none_or(|u| e.authenticated_as.as_ref() == Some(u))
        })
        .map(|e| AuditRecord {
            seq: e.seq,
            user: e.authenticated_as,
            method: e.method,
            path: e.path,
            status: e.status,
        })
        .collect();
    records.reverse();
    ok(OffsetQuery {
        offset: q.offset,
        limit: q.limit,
    }
    .apply(records))
}

/// Back up PXCloud's configuration.
///
/// A task that writes the configuration database to the backup storage.
#[utoipa::path(
    post, path = "/system/backup", tag = "System",
    responses(
        (status = 200, description = "Backup started", body = Envelope<TaskRef>),
        (status = 403, description = "Read-only user", body = ErrorBody),
    )
)]
pub(crate) async fn create_system_backup(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<TaskRef> {
    let mut store = state.store();
    let plan = NewTask {
        kind: "pxbackup",
        node: "pxcloud".into(),
        object: "config".into(),
        target: "config".into(),
        user: caller.user,
        proxmox: false,
        lines: vec![
            "dumping configuration database".into(),
            "writing archive".into(),
        ],
        outcome: Ok(()),
        effect: Effect::None,
        locks: None,
    };
    ok(store.tasks.start(plan, Instant::now()))
}

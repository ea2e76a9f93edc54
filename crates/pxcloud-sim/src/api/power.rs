//! VM power actions and the power state machine.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::vms::{check_unlocked, find, start_vm_task};
use crate::envelope::{ApiError, ApiResult, Envelope, ErrorBody, ValidJson, Validate, ok};
use crate::middleware::Caller;
use crate::model::{TaskRef, VmStatus};
use crate::state::AppState;
use crate::tasks::Effect;

#[derive(OpenApi)]
#[openapi(paths(
    get_vm_status,
    start_vm,
    stop_vm,
    shutdown_vm,
    reboot_vm,
    suspend_vm,
    resume_vm
))]
pub(super) struct Doc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/vms/{id}/status", get(get_vm_status))
        .route("/api/vms/{id}/power/start", post(start_vm))
        .route("/api/vms/{id}/power/stop", post(stop_vm))
        .route("/api/vms/{id}/power/shutdown", post(shutdown_vm))
        .route("/api/vms/{id}/power/reboot", post(reboot_vm))
        .route("/api/vms/{id}/power/suspend", post(suspend_vm))
        .route("/api/vms/{id}/power/resume", post(resume_vm))
}

/// A power action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Start,
    Stop,
    Shutdown,
    Reboot,
    Suspend,
    Resume,
}

/// The state machine: the state `action` leads to from `from`, or why it is refused.
pub(crate) fn transition(from: VmStatus, action: Action) -> Result<VmStatus, &'static str> {
    use Action::*;
    use VmStatus::*;
    match (from, action) {
        (Stopped, Start) => Ok(Running),
        (Running | Suspended, Start) => Err("VM is already running"),
        (Running | Suspended, Stop) => Ok(Stopped),
        (Stopped, Stop | Shutdown | Reboot | Suspend) => Err("VM is not running"),
        (Running, Shutdown) => Ok(Stopped),
        (Suspended, Shutdown | Reboot) => Err("VM is suspended; resume it first"),
        (Running, Reboot) => Ok(Running),
        (Running, Suspend) => Ok(Suspended),
        (Suspended, Suspend) => Err("VM is already suspended"),
        (Suspended, Resume) => Ok(Running),
        (Running | Stopped, Resume) => Err("VM is not suspended"),
    }
}

impl Action {
    fn kind(self) -> &'static str {
        match self {
            Action::Start => "qmstart",
            Action::Stop => "qmstop",
            Action::Shutdown => "qmshutdown",
            Action::Reboot => "qmreboot",
            Action::Suspend => "qmsuspend",
            Action::Resume => "qmresume",
        }
    }
}

/// Options of stop and shutdown.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct PowerOptions {
    /// Seconds to wait for the guest (shutdown only).
    #[schema(minimum = 0, maximum = 3600)]
    timeout: Option<u32>,
    /// Skip the lock check (root only in Proxmox; allowed here for admins).
    #[serde(default)]
    skiplock: bool,
}

impl Validate for PowerOptions {
    fn validate(&self) -> Result<(), ApiError> {
        if let Some(t) = self.timeout {
            super::check_range("timeout", t, 0, 3600)?;
        }
        Ok(())
    }
}

fn power(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
    options: &PowerOptions,
) -> ApiResult<TaskRef> {
    let mut store = state.store();
    let vm = find(&store, id)?;
    if !options.skiplock {
        check_unlocked(vm)?;
    }
    let to = transition(vm.status, action).map_err(|why| {
        ApiError::conflict(
            "invalid_state",
            format!("cannot {action:?} VM {id}: {why}").to_lowercase(),
        )
    })?;
    let vmid = vm.vmid;
    let node = vm.node.clone();
    let lines = match action {
        Action::Start => vec![
            format!("start VM {vmid} on node '{node}'"),
            "generating cloud-init ISO".to_owned(),
            format!("VM {vmid} started with PID 4{vmid:04}"),
        ],
        Action::Stop => vec![
            format!("stop VM {vmid}"),
            "sending SIGTERM".to_owned(),
            format!("VM {vmid} stopped"),
        ],
        Action::Shutdown => vec![
            format!("shutdown VM {vmid}: sending ACPI power button"),
            "waiting for guest".to_owned(),
            format!("VM {vmid} shut down"),
        ],
        Action::Reboot => vec![
            format!("reboot VM {vmid}"),
            "guest shutdown complete".to_owned(),
            format!("VM {vmid} started"),
        ],
        Action::Suspend => vec![format!("suspend VM {vmid}"), "VM paused".to_owned()],
        Action::Resume => vec![format!("resume VM {vmid}"), "VM resumed".to_owned()],
    };
    let task = start_vm_task(
        &mut store,
        id,
        action.kind(),
        &caller.user,
        lines,
        Ok(()),
        Effect::Power {
            vm: id.to_owned(),
            to,
        },
    )?;
    ok(task)
}

/// Current power state.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VmPowerState {
    /// VM id.
    id: String,
    /// Power state.
    status: VmStatus,
    /// Task holding the VM, if any.
    lock: Option<String>,
    /// Seconds since start.
    uptime_seconds: u64,
    /// CPU usage in percent.
    cpu_percent: f64,
}

/// Get a VM's power state.
///
/// Returns `running`, `stopped` or `suspended`, and the task holding the VM if one is running.
#[utoipa::path(
    get, path = "/api/vms/{id}/status", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    responses(
        (status = 200, description = "Power state", body = Envelope<VmPowerState>),
        (status = 404, description = "No such VM", body = ErrorBody),
    )
)]
pub(crate) async fn get_vm_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<VmPowerState> {
    let store = state.store();
    let vm = find(&store, &id)?;
    ok(VmPowerState {
        id: vm.id.clone(),
        status: vm.status,
        lock: vm.lock.clone(),
        uptime_seconds: vm.uptime_seconds,
        cpu_percent: vm.cpu_percent,
    })
}

macro_rules! power_handler {
    ($name:ident, $action:expr, $path:literal, $summary:literal, $desc:literal) => {
        #[doc = $summary]
        #[doc = ""]
        #[doc = $desc]
        #[utoipa::path(
            post, path = $path, tag = "VMs",
            params(("id" = String, Path, description = "VM id `cluster:node:vmid`, percent-encoded")),
            request_body(content = Option<PowerOptions>, description = "Optional options"),
            responses(
                (status = 200, description = "Task started", body = Envelope<TaskRef>),
                (status = 403, description = "Read-only user", body = ErrorBody),
                (status = 404, description = "No such VM", body = ErrorBody),
                (status = 409, description = "Invalid transition or VM locked", body = ErrorBody),
            )
        )]
        pub(crate) async fn $name(
            State(state): State<AppState>,
            caller: Caller,
            Path(id): Path<String>,
            ValidJson(options): ValidJson<PowerOptions>,
        ) -> ApiResult<TaskRef> {
            power(&state, &caller, &id, $action, &options)
        }
    };
}

power_handler!(
    start_vm,
    Action::Start,
    "/api/vms/{id}/power/start",
    "Start a virtual machine.",
    "Powers on a stopped VM. Returns a task id; the VM is `running` when the task ends. AI hint: poll `GET /api/tasks/{id}` until status is `ok` or `error`."
);
power_handler!(
    stop_vm,
    Action::Stop,
    "/api/vms/{id}/power/stop",
    "Stop a virtual machine (hard).",
    "Powers off immediately, like pulling the plug. Works on running and suspended VMs. AI hint: prefer shutdown for a clean stop."
);
power_handler!(
    shutdown_vm,
    Action::Shutdown,
    "/api/vms/{id}/power/shutdown",
    "Shut down a virtual machine.",
    "Asks the guest OS to shut down (ACPI). Only for running VMs."
);
power_handler!(
    reboot_vm,
    Action::Reboot,
    "/api/vms/{id}/power/reboot",
    "Reboot a virtual machine.",
    "Restarts a running VM through the guest OS."
);
power_handler!(
    suspend_vm,
    Action::Suspend,
    "/api/vms/{id}/power/suspend",
    "Suspend a virtual machine.",
    "Pauses a running VM in memory."
);
power_handler!(
    resume_vm,
    Action::Resume,
    "/api/vms/{id}/power/resume",
    "Resume a virtual machine.",
    "Continues a suspended VM."
);

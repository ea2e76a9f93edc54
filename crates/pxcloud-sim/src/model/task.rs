//! Asynchronous operations and their progress.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// State of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TaskStatus {
    /// Still working.
    Running,
    /// Finished successfully.
    Ok,
    /// Finished with an error.
    Error,
}

/// One line of a task log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct TaskLogLine {
    /// Line number, from 1.
    pub(crate) n: u32,
    /// Text.
    pub(crate) t: String,
}

/// An asynchronous operation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Task {
    /// Task id: a UPID for Proxmox (`UPID:pve1:0000A001:…`), `task-<n>` for vSphere.
    pub(crate) id: String,
    /// The UPID for Proxmox tasks.
    pub(crate) upid: Option<String>,
    /// Operation type, e.g. `qmstart`, `qmigrate`, `vzdump`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// Node the task runs on.
    pub(crate) node: String,
    /// Object the task works on (VM id, storage, …).
    pub(crate) target: String,
    /// User that started the task.
    pub(crate) user: String,
    /// State.
    pub(crate) status: TaskStatus,
    /// Progress in percent.
    #[schema(minimum = 0, maximum = 100)]
    pub(crate) progress: u8,
    /// Exit status text once finished (`OK` or the error).
    pub(crate) exitstatus: Option<String>,
    /// Start time, Unix seconds.
    pub(crate) starttime: u64,
    /// End time, Unix seconds.
    pub(crate) endtime: Option<u64>,
    /// Log lines so far.
    pub(crate) log: Vec<TaskLogLine>,
}

/// The answer of a long operation: where to follow it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct TaskRef {
    /// Task id to poll at `GET /api/tasks/{id}`.
    pub(crate) task_id: String,
    /// The UPID (same as `task_id`) for Proxmox tasks.
    pub(crate) upid: Option<String>,
}

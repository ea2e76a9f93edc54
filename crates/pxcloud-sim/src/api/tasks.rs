//! Task tracking.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::{OffsetQuery, Slice};
use crate::envelope::{ApiError, ApiResult, Envelope, ErrorBody, ValidQuery, Validate, ok};
use crate::model::{Task, TaskLogLine, TaskStatus};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(paths(list_tasks, get_task, get_task_log, stop_task))]
pub(super) struct Doc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/tasks", get(list_tasks))
        .route("/api/tasks/{id}", get(get_task).delete(stop_task))
        .route("/api/tasks/{id}/log", get(get_task_log))
}

/// Filters for the task list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TaskFilter {
    /// Only tasks in this state.
    status: Option<TaskStatus>,
    /// Only tasks on this node.
    node: Option<String>,
    /// Only tasks of this type (`qmstart`, …).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    /// Only tasks working on this object (VM id).
    target: Option<String>,
    /// Items to skip.
    #[param(minimum = 0)]
    offset: Option<u32>,
    /// Most items to return.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

impl Validate for TaskFilter {
    fn validate(&self) -> Result<(), ApiError> {
        OffsetQuery {
            offset: self.offset,
            limit: self.limit,
        }
        .validate()
    }
}

/// List tasks.
///
/// Newest first, with filters and offset/limit pagination.
#[utoipa::path(
    get, path = "/api/tasks", tag = "Tasks",
    params(TaskFilter),
    responses(
        (status = 200, description = "Tasks", body = Envelope<Slice<Task>>),
        (status = 422, description = "Bad query parameter", body = ErrorBody),
    )
)]
pub(crate) async fn list_tasks(
    State(state): State<AppState>,
    ValidQuery(f): ValidQuery<TaskFilter>,
) -> ApiResult<Slice<Task>> {
    let store = state.store();
    let mut tasks: Vec<Task> = store
        .tasks
        .all()
        .filter(|t| f.status.is_none_or(|s| s == t.status))
        .filter(|t| f.node.as_ref().is_none_or(|n| *n == t.node))
        .filter(|t| f.kind.as_ref().is_none_or(|k| *k == t.kind))
        .filter(|t| f.target.as_ref().is_none_or(|x| *x == t.target))
        .cloned()
        .collect();
    tasks.reverse();
    ok(OffsetQuery {
        offset: f.offset,
        limit: f.limit,
    }
    .apply(tasks))
}

/// Get a task.
///
/// Status (`running`, `ok`, `error`), progress and log of an asynchronous operation. Task ids
/// of Proxmox operations are UPIDs (`UPID:pve1:0000A001:…`); percent-encode them in the path.
#[utoipa::path(
    get, path = "/api/tasks/{id}", tag = "Tasks",
    params(("id" = String, Path, description = "Task id or UPID, percent-encoded")),
    responses(
        (status = 200, description = "The task", body = Envelope<Task>),
        (status = 404, description = "No such task", body = ErrorBody),
    )
)]
pub(crate) async fn get_task(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Task> {
    let store = state.store();
    ok(store
        .tasks
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("task", &id))?)
}

/// Get a task's log.
///
/// Log lines so far, with offset/limit.
#[utoipa::path(
    get, path = "/api/tasks/{id}/log", tag = "Tasks",
    params(("id" = String, Path, description = "Task id or UPID"), OffsetQuery),
    responses(
        (status = 200, description = "Log lines", body = Envelope<Slice<TaskLogLine>>),
        (status = 404, description = "No such task", body = ErrorBody),
    )
)]
pub(crate) async fn get_task_log(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidQuery(q): ValidQuery<OffsetQuery>,
) -> ApiResult<Slice<TaskLogLine>> {
    let store = state.store();
    let task = store
        .tasks
        .get(&id)
        .ok_or_else(|| ApiError::not_found("task", &id))?;
    ok(q.apply(task.log.clone()))
}

/// Stop a task.
///
/// Interrupts a running task; it ends in `error` and its effect is not applied. A finished
/// task answers 409.
#[utoipa::path(
    delete, path = "/api/tasks/{id}", tag = "Tasks",
    params(("id" = String, Path, description = "Task id or UPID")),
    responses(
        (status = 200, description = "Stopped", body = Envelope<Task>),
        (status = 404, description = "No such task", body = ErrorBody),
        (status = 409, description = "Task already finished", body = ErrorBody),
    )
)]
pub(crate) async fn stop_task(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Task> {
    let mut store = state.store();
    if store.tasks.get(&id).is_none() {
        return Err(ApiError::not_found("task", &id));
    }
    let done = store.tasks.abort(&id).ok_or_else(|| {
        ApiError::conflict("invalid_state", format!("task {id} has already finished"))
    })?;
    store.finish(done);
    ok(store
        .tasks
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("task", &id))?)
}

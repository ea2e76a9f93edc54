//! VM snapshots (create, list, rename, roll back, delete) and backups.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use super::vms::{check_unlocked, find, start_vm_task};
use super::{Deleted, check_name};
use crate::auth::now_ms;
use crate::envelope::{ApiError, ApiResult, Envelope, ErrorBody, ValidJson, Validate, ok};
use crate::middleware::Caller;
use crate::model::{Backup, BackupMode, Snapshot, TaskRef, VmStatus};
use crate::state::AppState;
use crate::tasks::Effect;

#[derive(OpenApi)]
#[openapi(paths(
    list_snapshots,
    create_snapshot,
    get_snapshot,
    rename_snapshot,
    delete_snapshot,
    rollback_snapshot,
    list_backups,
    create_backup
))]
pub(super) struct Doc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/vms/{id}/snapshots",
            get(list_snapshots).post(create_snapshot),
        )
        .route(
            "/api/vms/{id}/snapshots/{name}",
            get(get_snapshot)
                .put(rename_snapshot)
                .delete(delete_snapshot),
        )
        .route(
            "/api/vms/{id}/snapshots/{name}/rollback",
            post(rollback_snapshot),
        )
        .route(
            "/api/vms/{id}/backups",
            get(list_backups).post(create_backup),
        )
}

/// List snapshots of a VM.
///
/// Oldest first; `parent` links each snapshot to the one it was taken after.
#[utoipa::path(
    get, path = "/api/vms/{id}/snapshots", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    responses(
        (status = 200, description = "Snapshots", body = Envelope<Vec<Snapshot>>),
        (status = 404, description = "No such VM", body = ErrorBody),
    )
)]
pub(crate) async fn list_snapshots(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Vec<Snapshot>> {
    let store = state.store();
    find(&store, &id)?;
    ok(store.snapshots.get(&id).cloned().unwrap_or_default())
}

/// A new snapshot.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SnapshotCreate {
    /// Snapshot name, unique per VM.
    #[schema(min_length = 1, max_length = 40, pattern = "^[A-Za-z][A-Za-z0-9_-]*$")]
    name: String,
    /// Description.
    description: Option<String>,
    /// Include RAM (running VMs only).
    #[serde(default)]
    vmstate: bool,
}

fn check_snapshot_name(field: &str, name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 40 {
        return Err(ApiError::invalid(field, "must be 1 to 40 characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(ApiError::invalid(field, "must start with a letter"));
    }
    check_name(field, name)
}

impl Validate for SnapshotCreate {
    fn validate(&self) -> Result<(), ApiError> {
        check_snapshot_name("name", &self.name)
    }
}

/// Take a snapshot.
///
/// Snapshots are quick and synchronous here. A duplicate name answers 409.
#[utoipa::path(
    post, path = "/api/vms/{id}/snapshots", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    request_body = SnapshotCreate,
    responses(
        (status = 200, description = "Snapshot taken", body = Envelope<Snapshot>),
        (status = 404, description = "No such VM", body = ErrorBody),
        (status = 409, description = "Name taken or VM locked", body = ErrorBody),
        (status = 422, description = "Invalid name", body = ErrorBody),
    )
)]
pub(crate) async fn create_snapshot(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<SnapshotCreate>,
) -> ApiResult<Snapshot> {
    let mut store = state.store();
    let vm = find(&store, &id)?;
    check_unlocked(vm)?;
    if body.vmstate && vm.status != VmStatus::Running {
        return Err(ApiError::invalid(
            "vmstate",
            "RAM can only be saved for a running VM",
        ));
    }
    let list = store.snapshots.entry(id.clone()).or_default();
    if list.iter().any(|s| s.name == body.name) {
        return Err(ApiError::conflict(
            "already_exists",
            format!("snapshot '{}' already exists", body.name),
        ));
    }
    let snapshot = Snapshot {
        name: body.name,
        description: body.description,
        vmstate: body.vmstate,
        created_at: now_ms() / 1000,
        parent: list.last().map(|s| s.name.clone()),
    };
    list.push(snapshot.clone());
    ok(snapshot)
}

/// Get a snapshot.
///
/// One snapshot by name.
#[utoipa::path(
    get, path = "/api/vms/{id}/snapshots/{name}", tag = "VMs",
    params(
        ("id" = String, Path, description = "VM id `cluster:node:vmid`"),
        ("name" = String, Path, description = "Snapshot name"),
    ),
    responses(
        (status = 200, description = "The snapshot", body = Envelope<Snapshot>),
        (status = 404, description = "No such VM or snapshot", body = ErrorBody),
    )
)]
pub(crate) async fn get_snapshot(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Snapshot> {
    let store = state.store();
    find(&store, &id)?;
    let snap = store
        .snapshots
        .get(&id)
        .and_then(|l| l.iter().find(|s| s.name == name));
    ok(snap
        .cloned()
        .ok_or_else(|| ApiError::not_found("snapshot", &name))?)
}

/// New name and description of a snapshot.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SnapshotRename {
    /// The NEW name; the current one is the `name` path parameter.
    #[schema(min_length = 1, max_length = 40)]
    name: String,
    /// New description; unchanged when omitted.
    description: Option<String>,
}

impl Validate for SnapshotRename {
    fn validate(&self) -> Result<(), ApiError> {
        check_snapshot_name("name", &self.name)
    }
}

/// Rename a snapshot.
///
/// The path's `name` is the current name, the body's `name` the new one. AI hint: both are
/// called `name`; keep them apart.
#[utoipa::path(
    put, path = "/api/vms/{id}/snapshots/{name}", tag = "VMs",
    params(
        ("id" = String, Path, description = "VM id `cluster:node:vmid`"),
        ("name" = String, Path, description = "Current snapshot name"),
    ),
    request_body = SnapshotRename,
    responses(
        (status = 200, description = "Renamed", body = Envelope<Snapshot>),
        (status = 404, description = "No such VM or snapshot", body = ErrorBody),
        (status = 409, description = "New name taken", body = ErrorBody),
        (status = 422, description = "Invalid name", body = ErrorBody),
    )
)]
pub(crate) async fn rename_snapshot(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    ValidJson(body): ValidJson<SnapshotRename>,
) -> ApiResult<Snapshot> {
    let mut store = state.store();
    find(&store, &id)?;
    let list = store.snapshots.entry(id.clone()).or_default();
    if !list.iter().any(|s| s.name == name) {
        return Err(ApiError::not_found("snapshot", &name));
    }
    if body.name != name && list.iter().any(|s| s.name == body.name) {
        return Err(ApiError::conflict(
            "already_exists",
            format!("snapshot '{}' already exists", body.name),
        ));
    }
    for s in list.iter_mut() {
        if s.parent.as_deref() == Some(name.as_str()) {
            s.parent = Some(body.name.clone());
        }
    }
    let snap = list
        .iter_mut()
        .find(|s| s.name == name)
        .ok_or_else(|| ApiError::not_found("snapshot", &name))?;
    snap.name = body.name;
    if body.description.is_some() {
        snap.description = body.description;
    }
    ok(snap.clone())
}

/// Delete a snapshot.
///
/// Removes a snapshot; its children are re-parented.
#[utoipa::path(
    delete, path = "/api/vms/{id}/snapshots/{name}", tag = "VMs",
    params(
        ("id" = String, Path, description = "VM id `cluster:node:vmid`"),
        ("name" = String, Path, description = "Snapshot name"),
    ),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        (status = 404, description = "No such VM or snapshot", body = ErrorBody),
    )
)]
pub(crate) async fn delete_snapshot(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Deleted> {
    let mut store = state.store();
    check_unlocked(find(&store, &id)?)?;
    let list = store.snapshots.entry(id.clone()).or_default();
    let Some(pos) = list.iter().position(|s| s.name == name) else {
        return Err(ApiError::not_found("snapshot", &name));
    };
    let removed = list.remove(pos);
    for s in list.iter_mut() {
        if s.parent.as_deref() == Some(name.as_str()) {
            s.parent = removed.parent.clone();
        }
    }
    ok(Deleted {
        id: name,
        deleted: true,
    })
}

/// Roll back to a snapshot.
///
/// Restores disks (and RAM, if saved) from a snapshot; a long operation answering a task
/// id. Without saved RAM the VM is stopped afterwards. AI hint: changes since the snapshot
/// are lost; confirm first.
#[utoipa::path(
    post, path = "/api/vms/{id}/snapshots/{name}/rollback", tag = "VMs",
    params(
        ("id" = String, Path, description = "VM id `cluster:node:vmid`"),
        ("name" = String, Path, description = "Snapshot name"),
    ),
    responses(
        (status = 200, description = "Rollback started", body = Envelope<TaskRef>),
        (status = 404, description = "No such VM or snapshot", body = ErrorBody),
        (status = 409, description = "VM locked", body = ErrorBody),
    )
)]
pub(crate) async fn rollback_snapshot(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<TaskRef> {
    let mut store = state.store();
    let vm = find(&store, &id)?;
    check_unlocked(vm)?;
    let vmid = vm.vmid;
    if !store
        .snapshots
        .get(&id)
        .is_some_and(|l| l.iter().any(|s| s.name == name))
    {
        return Err(ApiError::not_found("snapshot", &name));
    }
    let lines = vec![
        format!("rolling back VM {vmid} to snapshot '{name}'"),
        "restoring disk scsi0".to_owned(),
        "rollback complete".to_owned(),
    ];
    let effect = Effect::Rollback {
        vm: id.clone(),
        snapshot: name,
    };
    ok(start_vm_task(
        &mut store,
        &id,
        "qmrollback",
        &caller.user,
        lines,
        Ok(()),
        effect,
    )?)
}

/// List backups of a VM.
///
/// Archives on every backup storage, oldest first.
#[utoipa::path(
    get, path = "/api/vms/{id}/backups", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    responses(
        (status = 200, description = "Backups", body = Envelope<Vec<Backup>>),
        (status = 404, description = "No such VM", body = ErrorBody),
    )
)]
pub(crate) async fn list_backups(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Vec<Backup>> {
    let store = state.store();
    find(&store, &id)?;
    ok(store
        .backups
        .iter()
        .filter(|b| b.vm_id == id)
        .cloned()
        .collect())
}

/// How to back a VM up.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct BackupRequest {
    /// Target storage (must accept backups).
    #[schema(example = "backup-nfs")]
    storage: String,
    /// Backup mode.
    #[serde(default = "default_mode")]
    mode: BackupMode,
    /// Compression.
    #[serde(default)]
    compress: Option<Compression>,
    /// Notes stored with the archive.
    notes: Option<String>,
}

/// Compression of a backup archive.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Compression {
    /// Zstandard.
    Zstd,
    /// LZO.
    Lzo,
    /// Gzip.
    Gzip,
}

fn default_mode() -> BackupMode {
    BackupMode::Snapshot
}

impl Validate for BackupRequest {
    fn validate(&self) -> Result<(), ApiError> {
        if self.storage.is_empty() {
            return Err(ApiError::invalid("storage", "must not be empty"));
        }
        Ok(())
    }
}

/// Back up a VM.
///
/// Writes a vzdump archive to a backup storage; a long operation answering a task id. A
/// storage that is offline (e.g. `nfs-offline`) makes the task end in error.
#[utoipa::path(
    post, path = "/api/vms/{id}/backups", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    request_body = BackupRequest,
    responses(
        (status = 200, description = "Backup started", body = Envelope<TaskRef>),
        (status = 404, description = "No such VM", body = ErrorBody),
        (status = 409, description = "VM locked", body = ErrorBody),
        (status = 422, description = "Unknown storage or no backup content", body = ErrorBody),
    )
)]
pub(crate) async fn create_backup(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<BackupRequest>,
) -> ApiResult<TaskRef> {
    let mut store = state.store();
    let vm = find(&store, &id)?.clone();
    check_unlocked(&vm)?;
    let Some(storage) = store
        .storages
        .iter()
        .find(|s| s.id == body.storage && s.node == vm.node)
    else {
        return Err(ApiError::invalid(
            "storage",
            format!("no storage '{}' on node '{}'", body.storage, vm.node),
        ));
    };
    if !storage.content.iter().any(|c| c == "backup") {
        return Err(ApiError::invalid(
            "storage",
            format!("storage '{}' does not accept backups", storage.id),
        ));
    }
    let outcome = if storage.active {
        Ok(())
    } else {
        Err(format!("storage '{}' is not online", storage.id))
    };
    let ext = match body.compress {
        Some(Compression::Lzo) => "vma.lzo",
        Some(Compression::Gzip) => "vma.gz",
        _ => "vma.zst",
    };
    let now = now_ms() / 1000;
    let backup = Backup {
        volid: format!(
            "{}:backup/vzdump-qemu-{}-{now}.{ext}",
            body.storage, vm.vmid
        ),
        vm_id: id.clone(),
        storage: body.storage.clone(),
        size: u64::from(vm.hardware.disks.first().map_or(32, |d| d.size_gb)) * 1024 * 1024 * 300,
        created_at: now,
        mode: body.mode,
        notes: body.notes,
    };
    let lines = vec![
        format!(
            "INFO: starting new backup job: vzdump {} --storage {} --mode {:?}",
            vm.vmid, body.storage, body.mode
        )
        .to_lowercase(),
        format!("INFO: creating vzdump archive '{}'", backup.volid),
        "INFO: 45% (14.4 GiB of 32.0 GiB)".to_owned(),
        "INFO: 100% (32.0 GiB of 32.0 GiB)".to_owned(),
        "INFO: backup is sparse: 20.1 GiB (62%) total zero data".to_owned(),
    ];
    let effect = Effect::Backup {
        backup: Box::new(backup),
    };
    ok(start_vm_task(
        &mut store,
        &id,
        "vzdump",
        &caller.user,
        lines,
        outcome,
        effect,
    )?)
}

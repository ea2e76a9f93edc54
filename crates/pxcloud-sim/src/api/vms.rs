//! Virtual machines: list, inspect, create, reconfigure, delete, clone, migrate.

use std::time::Instant;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{Deleted, Page, PageQuery, check_name, check_range};
use crate::envelope::{
    ApiError, ApiResult, Envelope, ErrorBody, ValidJson, ValidQuery, Validate, ok,
};
use crate::middleware::Caller;
use crate::model::{TaskRef, Vm, VmStatus};
use crate::state::{AppState, Store};
use crate::tasks::{Effect, NewTask};

#[derive(OpenApi)]
#[openapi(paths(
    list_vms, get_vm, create_vm, update_vm, delete_vm, clone_vm, migrate_vm
))]
pub(super) struct Doc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/vms", get(list_vms).post(create_vm))
        .route(
            "/api/vms/{id}",
            get(get_vm).put(update_vm).delete(delete_vm),
        )
        .route("/api/vms/{id}/clone", post(clone_vm))
        .route("/api/vms/{id}/migrate", post(migrate_vm))
}

/// Filters for the VM list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct VmFilter {
    /// Only VMs of this cluster.
    cluster: Option<String>,
    /// Only VMs on this node.
    node: Option<String>,
    /// Only VMs in this power state.
    status: Option<VmStatus>,
    /// Only VMs carrying this tag.
    tag: Option<String>,
    /// Case-insensitive substring of the name.
    search: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    page: Option<u32>,
    /// Items per page.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<u32>,
}

impl Validate for VmFilter {
    fn validate(&self) -> Result<(), ApiError> {
        self.paging().validate()
    }
}

impl VmFilter {
    fn paging(&self) -> PageQuery {
        PageQuery {
            page: self.page,
            per_page: self.per_page,
        }
    }

    fn matches(&self, vm: &Vm) -> bool {
        self.cluster.as_ref().is_none_or(|c| *c == vm.cluster)
            && self.node.as_ref().is_none_or(|n| *n == vm.node)
            && self.status.is_none_or(|s| s == vm.status)
            && self.tag.as_ref().is_none_or(|t| vm.tags.contains(t))
            && self
                .search
                .as_ref()
                .is_none_or(|s| vm.name.to_lowercase().contains(&s.to_lowercase()))
    }
}

/// Finds a VM or answers 404.
pub(crate) fn find<'a>(store: &'a Store, id: &str) -> Result<&'a Vm, ApiError> {
    store
        .vms
        .get(id)
        .ok_or_else(|| ApiError::not_found("VM", id))
}

/// Finds a VM for change or answers 404.
pub(crate) fn find_mut<'a>(store: &'a mut Store, id: &str) -> Result<&'a mut Vm, ApiError> {
    store
        .vms
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("VM", id))
}

/// 409 when a task holds the VM.
pub(crate) fn check_unlocked(vm: &Vm) -> Result<(), ApiError> {
    match &vm.lock {
        Some(task) => Err(ApiError::conflict(
            "vm_locked",
            format!("VM {} is locked by task {task}", vm.id),
        )),
        None => Ok(()),
    }
}

/// Whether the VM's cluster is Proxmox (tasks get UPIDs).
pub(crate) fn is_proxmox(vm: &Vm) -> bool {
    vm.cluster != "vc1"
}

/// Starts a task on a VM and locks it.
pub(crate) fn start_vm_task(
    store: &mut Store,
    vm_id: &str,
    kind: &'static str,
    user: &str,
    lines: Vec<String>,
    outcome: Result<(), String>,
    effect: Effect,
) -> Result<TaskRef, ApiError> {
    let vm = find_mut(store, vm_id)?;
    let plan = NewTask {
        kind,
        node: vm.node.clone(),
        object: vm.vmid.to_string(),
        target: vm.id.clone(),
        user: user.to_owned(),
        proxmox: is_proxmox(vm),
        lines,
        outcome,
        effect,
        locks: Some(vm.id.clone()),
    };
    let task = store.tasks.start(plan, Instant::now());
    if let Some(vm) = store.vms.get_mut(vm_id) {
        vm.lock = Some(task.task_id.clone());
    }
    Ok(task)
}

/// List virtual machines.
///
/// Lists VMs across all clusters with filters and pagination. AI hint: filter by `status`
/// or `node` instead of fetching everything; VM ids look like `cluster1:pve1:100`.
#[utoipa::path(
    get, path = "/api/vms", tag = "VMs",
    params(VmFilter),
    responses(
        (status = 200, description = "One page of VMs", body = Envelope<Page<Vm>>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 422, description = "Bad query parameter", body = ErrorBody),
    )
)]
pub(crate) async fn list_vms(
    State(state): State<AppState>,
    ValidQuery(filter): ValidQuery<VmFilter>,
) -> ApiResult<Page<Vm>> {
    let store = state.store();
    let vms: Vec<Vm> = store
        .vms
        .values()
        .filter(|v| filter.matches(v))
        .cloned()
        .collect();
    ok(filter.paging().apply(vms))
}

/// Get a virtual machine.
///
/// Returns configuration, power state and usage of one VM.
#[utoipa::path(
    get, path = "/api/vms/{id}", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`, percent-encoded", example = "cluster1:pve1:100")),
    responses(
        (status = 200, description = "The VM", body = Envelope<Vm>),
        (status = 404, description = "No such VM", body = ErrorBody),
    )
)]
pub(crate) async fn get_vm(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Vm> {
    let store = state.store();
    ok(find(&store, &id)?.clone())
}

/// Settings of a new VM.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct VmCreate {
    /// Cluster id.
    cluster: String,
    /// Node to place the VM on.
    node: String,
    /// VM id; the next free one when omitted.
    #[schema(minimum = 100, maximum = 999_999_999)]
    vmid: Option<u32>,
    /// Name (letters, digits, `-`, `_`, `.`).
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._-]+$")]
    name: String,
    /// CPU cores.
    #[schema(minimum = 1, maximum = 128)]
    cores: u32,
    /// Memory in MiB.
    #[schema(minimum = 64, maximum = 4194304)]
    memory_mb: u32,
    /// Size of the first disk in GiB.
    #[schema(minimum = 1, maximum = 65536)]
    disk_gb: u32,
    /// Storage of the first disk.
    storage: String,
    /// Guest OS type.
    #[serde(default)]
    os_type: Option<String>,
    /// Tags.
    #[serde(default)]
    tags: Vec<String>,
}

impl Validate for VmCreate {
    fn validate(&self) -> Result<(), ApiError> {
        check_name("name", &self.name)?;
        check_range("cores", self.cores, 1, 128)?;
        check_range("memory_mb", self.memory_mb, 64, 4_194_304)?;
        check_range("disk_gb", self.disk_gb, 1, 65_536)?;
        if let Some(vmid) = self.vmid {
            check_range("vmid", vmid, 100, 999_999_999)?;
        }
        Ok(())
    }
}

/// A VM being created, and the task that creates it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VmCreated {
    /// Id of the new VM.
    vm_id: String,
    /// Task to follow.
    task_id: String,
    /// UPID for Proxmox.
    upid: Option<String>,
}

/// Checks that a node exists in a cluster and a storage exists on that node.
pub(crate) fn check_placement(
    store: &Store,
    cluster: &str,
    node: &str,
    storage: Option<&str>,
    node_field: &str,
) -> Result<(), ApiError> {
    if !store.clusters.iter().any(|c| c.id == cluster) {
        return Err(ApiError::invalid(
            "cluster",
            format!("unknown cluster '{cluster}'"),
        ));
    }
    if !store
        .nodes
        .iter()
        .any(|n| n.cluster == cluster && n.name == node)
    {
        return Err(ApiError::invalid(
            node_field,
            format!("no node '{node}' in cluster '{cluster}'"),
        ));
    }
    if let Some(storage) = storage
        && !store
            .storages
            .iter()
            .any(|s| s.node == node && s.id == storage)
    {
        return Err(ApiError::invalid(
            "storage",
            format!("no storage '{storage}' on node '{node}'"),
        ));
    }
    Ok(())
}

/// Next free VM id in a cluster, from `from` on.
pub(crate) fn next_vmid(store: &Store, cluster: &str, from: u32) -> u32 {
    let mut id = from;
    while store
        .vms
        .values()
        .any(|v| v.cluster == cluster && v.vmid == id)
    {
        id += 1;
    }
    id
}

/// Create a virtual machine.
///
/// Creates a stopped VM; the VM stays locked until its `qmcreate` task finishes.
#[utoipa::path(
    post, path = "/api/vms", tag = "VMs",
    request_body = VmCreate,
    responses(
        (status = 200, description = "Creation started", body = Envelope<VmCreated>),
        (status = 403, description = "Read-only user", body = ErrorBody),
        (status = 409, description = "VM id taken", body = ErrorBody),
        (status = 422, description = "Invalid settings", body = ErrorBody),
    )
)]
pub(crate) async fn create_vm(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<VmCreate>,
) -> ApiResult<VmCreated> {
    let mut store = state.store();
    check_placement(
        &store,
        &body.cluster,
        &body.node,
        Some(&body.storage),
        "node",
    )?;
    let vmid = match body.vmid {
        Some(id)
            if store
                .vms
                .values()
                .any(|v| v.cluster == body.cluster && v.vmid == id) =>
        {
            return Err(ApiError::conflict(
                "vmid_taken",
                format!("VM id {id} already exists in {}", body.cluster),
            ));
        }
        Some(id) => id,
        None => next_vmid(&store, &body.cluster, 100),
    };
    let mut vm = crate::seed::vm(
        &body.cluster,
        &body.node,
        vmid,
        &body.name,
        VmStatus::Stopped,
        &body.storage,
    );
    vm.hardware.cores = body.cores;
    vm.hardware.memory_mb = body.memory_mb;
    if let Some(disk) = vm.hardware.disks.first_mut() {
        disk.size_gb = body.disk_gb;
    }
    if let Some(os) = body.os_type {
        vm.os_type = os;
    }
    vm.tags = body.tags;
    let vm_id = vm.id.clone();
    store.vms.insert(vm_id.clone(), vm);
    let lines = vec![
        format!("creating VM {vmid} on node {}", body.node),
        format!(
            "allocating {} GiB on storage '{}'",
            body.disk_gb, body.storage
        ),
        "writing configuration".to_owned(),
    ];
    let task = start_vm_task(
        &mut store,
        &vm_id,
        "qmcreate",
        &caller.user,
        lines,
        Ok(()),
        Effect::None,
    )?;
    ok(VmCreated {
        vm_id,
        task_id: task.task_id,
        upid: task.upid,
    })
}

/// Changes to a VM's configuration; omitted fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct VmUpdate {
    /// New name.
    #[schema(min_length = 1, max_length = 64)]
    name: Option<String>,
    /// CPU cores (hot-plug while running is refused).
    #[schema(minimum = 1, maximum = 128)]
    cores: Option<u32>,
    /// Memory in MiB.
    #[schema(minimum = 64, maximum = 4194304)]
    memory_mb: Option<u32>,
    /// New description; unchanged when omitted or null.
    description: Option<String>,
    /// Replaces the tags.
    tags: Option<Vec<String>>,
}

impl Validate for VmUpdate {
    fn validate(&self) -> Result<(), ApiError> {
        if let Some(name) = &self.name {
            check_name("name", name)?;
        }
        if let Some(c) = self.cores {
            check_range("cores", c, 1, 128)?;
        }
        if let Some(m) = self.memory_mb {
            check_range("memory_mb", m, 64, 4_194_304)?;
        }
        Ok(())
    }
}

/// Update a virtual machine's configuration.
///
/// Changes name, CPU, memory, description or tags. Changing CPU cores of a running VM answers
/// 409: stop it first.
#[utoipa::path(
    put, path = "/api/vms/{id}", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    request_body = VmUpdate,
    responses(
        (status = 200, description = "Updated VM", body = Envelope<Vm>),
        (status = 404, description = "No such VM", body = ErrorBody),
        (status = 409, description = "Locked, or cores changed while running", body = ErrorBody),
        (status = 422, description = "Invalid settings", body = ErrorBody),
    )
)]
pub(crate) async fn update_vm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<VmUpdate>,
) -> ApiResult<Vm> {
    let mut store = state.store();
    let vm = find_mut(&mut store, &id)?;
    check_unlocked(vm)?;
    if body.cores.is_some_and(|c| c != vm.hardware.cores) && vm.status != VmStatus::Stopped {
        return Err(ApiError::conflict(
            "invalid_state",
            "CPU cores can only change while the VM is stopped",
        ));
    }
    if let Some(name) = body.name {
        vm.name = name;
    }
    if let Some(c) = body.cores {
        vm.hardware.cores = c;
    }
    if let Some(m) = body.memory_mb {
        vm.hardware.memory_mb = m;
    }
    if body.description.is_some() {
        vm.description = body.description;
    }
    if let Some(tags) = body.tags {
        vm.tags = tags;
    }
    ok(vm.clone())
}

/// Delete a virtual machine.
///
/// Destroys a stopped VM with its disks, snapshots and firewall rules. A running VM answers
/// 409. AI hint: this is irreversible; confirm with the user first.
#[utoipa::path(
    delete, path = "/api/vms/{id}", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        (status = 404, description = "No such VM", body = ErrorBody),
        (status = 409, description = "VM is running or locked", body = ErrorBody),
    )
)]
pub(crate) async fn delete_vm(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Deleted> {
    let mut store = state.store();
    let vm = find(&store, &id)?;
    check_unlocked(vm)?;
    if vm.status != VmStatus::Stopped {
        return Err(ApiError::conflict(
            "invalid_state",
            format!("VM {id} is {:?}; stop it first", vm.status).to_lowercase(),
        ));
    }
    store.vms.remove(&id);
    store.snapshots.remove(&id);
    store.firewall.remove(&id);
    ok(Deleted { id, deleted: true })
}

/// Settings of a clone.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CloneRequest {
    /// Name of the clone.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// VM id of the clone; the next free one when omitted.
    #[schema(minimum = 100, maximum = 999_999_999)]
    new_vmid: Option<u32>,
    /// Node for the clone; the source's node when omitted.
    target_node: Option<String>,
    /// Full copy (true) or linked clone (false; templates only).
    #[serde(default = "yes")]
    full: bool,
    /// Storage for the clone's disks.
    storage: Option<String>,
}

fn yes() -> bool {
    true
}

impl Validate for CloneRequest {
    fn validate(&self) -> Result<(), ApiError> {
        check_name("name", &self.name)?;
        if let Some(id) = self.new_vmid {
            check_range("new_vmid", id, 100, 999_999_999)?;
        }
        Ok(())
    }
}

/// Clone a virtual machine.
///
/// Copies a VM or template into a new VM; a long operation answering a task id. Linked
/// clones (`full: false`) need a template as source.
#[utoipa::path(
    post, path = "/api/vms/{id}/clone", tag = "VMs",
    params(("id" = String, Path, description = "Source VM id `cluster:node:vmid`")),
    request_body = CloneRequest,
    responses(
        (status = 200, description = "Clone started", body = Envelope<TaskRef>),
        (status = 404, description = "No such VM", body = ErrorBody),
        (status = 409, description = "VM id taken or source locked", body = ErrorBody),
        (status = 422, description = "Invalid settings", body = ErrorBody),
    )
)]
pub(crate) async fn clone_vm(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<CloneRequest>,
) -> ApiResult<TaskRef> {
    let mut store = state.store();
    let src = find(&store, &id)?.clone();
    check_unlocked(&src)?;
    if !body.full && !src.template {
        return Err(ApiError::invalid(
            "full",
            "linked clones need a template as source",
        ));
    }
    let node = body.target_node.clone().unwrap_or_else(|| src.node.clone());
    check_placement(
        &store,
        &src.cluster,
        &node,
        body.storage.as_deref(),
        "target_node",
    )?;
    let vmid = match body.new_vmid {
        Some(n)
            if store
                .vms
                .values()
                .any(|v| v.cluster == src.cluster && v.vmid == n) =>
        {
            return Err(ApiError::conflict(
                "vmid_taken",
                format!("VM id {n} already exists"),
            ));
        }
        Some(n) => n,
        None => next_vmid(&store, &src.cluster, 100),
    };
    let storage = body
        .storage
        .clone()
        .or_else(|| {
            src.hardware
                .disks
                .first()
                .map(|d| d.backing.storage.clone())
        })
        .unwrap_or_else(|| "local-lvm".to_owned());
    let mut clone = crate::seed::vm(
        &src.cluster,
        &node,
        vmid,
        &body.name,
        VmStatus::Stopped,
        &storage,
    );
    clone.hardware.cores = src.hardware.cores;
    clone.hardware.memory_mb = src.hardware.memory_mb;
    clone.os_type = src.os_type.clone();
    clone.tags = src.tags.clone();
    let lines = vec![
        format!(
            "create {} clone of drive scsi0 ({}:vm-{}-disk-0)",
            if body.full { "full" } else { "linked" },
            storage,
            src.vmid
        ),
        format!(
            "transferred 8.0 GiB of {} GiB (25.00%)",
            clone.hardware.disks.first().map_or(32, |d| d.size_gb)
        ),
        "transferred 50%".to_owned(),
        "transferred 100%".to_owned(),
    ];
    let task = start_vm_task(
        &mut store,
        &id,
        "qmclone",
        &caller.user,
        lines,
        Ok(()),
        Effect::Create {
            vm: Box::new(clone),
        },
    )?;
    ok(task)
}

/// Where to migrate a VM.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct MigrateRequest {
    /// Target node in the same cluster.
    target_node: String,
    /// Target storage for local disks; keeps the current storage id when omitted.
    target_storage: Option<String>,
    /// Live migration of a running VM.
    #[serde(default)]
    online: bool,
    /// Bandwidth limit in MiB/s.
    #[schema(minimum = 1, maximum = 100000)]
    bwlimit: Option<u32>,
}

impl Validate for MigrateRequest {
    fn validate(&self) -> Result<(), ApiError> {
        if self.target_node.is_empty() {
            return Err(ApiError::invalid("target_node", "must not be empty"));
        }
        if let Some(b) = self.bwlimit {
            check_range("bwlimit", b, 1, 100_000)?;
        }
        Ok(())
    }
}

/// Migrate a virtual machine.
///
/// Moves a VM to another node (and optionally its disks to another storage); a long
/// operation answering a task id. A running VM needs `online: true`. The VM's id changes
/// with its node. Migrating to an offline storage ends the task in error.
#[utoipa::path(
    post, path = "/api/vms/{id}/migrate", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    request_body = MigrateRequest,
    responses(
        (status = 200, description = "Migration started", body = Envelope<TaskRef>),
        (status = 404, description = "No such VM", body = ErrorBody),
        (status = 409, description = "Running without online, same node, or locked", body = ErrorBody),
        (status = 422, description = "Unknown node or storage", body = ErrorBody),
    )
)]
pub(crate) async fn migrate_vm(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<MigrateRequest>,
) -> ApiResult<TaskRef> {
    let mut store = state.store();
    let vm = find(&store, &id)?.clone();
    check_unlocked(&vm)?;
    check_placement(
        &store,
        &vm.cluster,
        &body.target_node,
        body.target_storage.as_deref(),
        "target_node",
    )?;
    if body.target_node == vm.node {
        return Err(ApiError::conflict(
            "invalid_state",
            format!("VM {id} is already on {}", vm.node),
        ));
    }
    if vm.status == VmStatus::Running && !body.online {
        return Err(ApiError::conflict(
            "invalid_state",
            "VM is running; set online: true for live migration",
        ));
    }
    let offline = body.target_storage.as_deref().and_then(|s| {
        store
            .storages
            .iter()
            .find(|x| x.id == s && x.node == body.target_node && !x.active)
    });
    let outcome = match offline {
        Some(s) => Err(format!("storage '{}' is not online", s.id)),
        None => Ok(()),
    };
    let lines = vec![
        format!(
            "starting migration of VM {} to node '{}'",
            vm.vmid, body.target_node
        ),
        format!(
            "found local disk '{}'",
            vm.hardware
                .disks
                .first()
                .map_or("none".to_owned(), |d| format!(
                    "{}:{}",
                    d.backing.storage, d.backing.volume
                ))
        ),
        "copying local disk images".to_owned(),
        "migration status: active (transferred 1.2 GiB)".to_owned(),
        "migration finished successfully".to_owned(),
    ];
    let effect = Effect::Migrate {
        vm: id.clone(),
        node: body.target_node,
        storage: body.target_storage,
    };
    let task = start_vm_task(
        &mut store,
        &id,
        "qmigrate",
        &caller.user,
        lines,
        outcome,
        effect,
    )?;
    ok(task)
}

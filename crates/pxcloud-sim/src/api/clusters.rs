//! Proxmox VE and VMware vSphere clusters.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::Deleted;
use crate::envelope::{
    ApiError, ApiResult, Envelope, ErrorBody, ValidJson, ValidQuery, Validate, ok,
};
use crate::model::{Cluster, NodeStatus, Platform, VmStatus};
use crate::state::{AppState, Store};

#[derive(OpenApi)]
#[openapi(paths(
    list_clusters,
    get_cluster,
    create_cluster,
    delete_cluster,
    get_cluster_status,
    get_cluster_resources
))]
pub(super) struct Doc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/clusters", get(list_clusters).post(create_cluster))
        .route(
            "/api/clusters/{cluster}",
            get(get_cluster).delete(delete_cluster),
        )
        .route("/api/clusters/{cluster}/status", get(get_cluster_status))
        .route(
            "/api/clusters/{cluster}/resources",
            get(get_cluster_resources),
        )
}

fn find<'a>(store: &'a Store, id: &str) -> Result<&'a Cluster, ApiError> {
    store
        .clusters
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::not_found("cluster", id))
}

/// Filters for the cluster list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ClusterFilter {
    /// Only clusters of this platform.
    platform: Option<Platform>,
}

impl Validate for ClusterFilter {}

/// List clusters.
///
/// Every Proxmox VE and VMware vSphere cluster PXCloud manages.
#[utoipa::path(
    get, path = "/api/clusters", tag = "Clusters",
    params(ClusterFilter),
    responses((status = 200, description = "Clusters", body = Envelope<Vec<Cluster>>))
)]
pub(crate) async fn list_clusters(
    State(state): State<AppState>,
    ValidQuery(f): ValidQuery<ClusterFilter>,
) -> ApiResult<Vec<Cluster>> {
    let store = state.store();
    ok(store
        .clusters
        .iter()
        .filter(|c| f.platform.is_none_or(|p| p == c.platform))
        .cloned()
        .collect())
}

/// Get a cluster.
///
/// One cluster with its node names.
#[utoipa::path(
    get, path = "/api/clusters/{cluster}", tag = "Clusters",
    params(("cluster" = String, Path, description = "Cluster id", example = "cluster1")),
    responses(
        (status = 200, description = "The cluster", body = Envelope<Cluster>),
        (status = 404, description = "No such cluster", body = ErrorBody),
    )
)]
pub(crate) async fn get_cluster(
    State(state): State<AppState>,
    Path(cluster): Path<String>,
) -> ApiResult<Cluster> {
    let store = state.store();
    ok(find(&store, &cluster)?.clone())
}

/// Connection settings of a cluster to add.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ClusterCreate {
    /// Cluster id (letters, digits, `-`).
    #[schema(min_length = 1, max_length = 32, pattern = "^[a-z][a-z0-9-]*$")]
    id: String,
    /// Display name.
    name: String,
    /// Platform.
    platform: Platform,
    /// API endpoint (https URL).
    #[schema(format = "uri", example = "https://10.0.0.21:8006")]
    endpoint: String,
    /// API user, e.g. `root@pam` or `administrator@vsphere.local`.
    username: String,
    /// Password or API token secret (write-only).
    #[schema(format = Password, write_only)]
    password: String,
    /// Verify the endpoint's certificate.
    #[serde(default = "yes")]
    verify_tls: bool,
    /// Expected SHA-256 certificate fingerprint when not verifying.
    fingerprint: Option<String>,
    /// Datacenter id.
    datacenter_id: Option<String>,
}

fn yes() -> bool {
    true
}

impl std::fmt::Debug for ClusterCreate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterCreate")
            .field("id", &self.id)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Validate for ClusterCreate {
    fn validate(&self) -> Result<(), ApiError> {
        if self.id.is_empty()
            || self.id.len() > 32
            || !self.id.starts_with(|c: char| c.is_ascii_lowercase())
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ApiError::invalid(
                "id",
                "must match ^[a-z][a-z0-9-]*$ (at most 32 characters)",
            ));
        }
        if !self.endpoint.starts_with("https://") {
            return Err(ApiError::invalid("endpoint", "must be an https:// URL"));
        }
        if self.username.is_empty() {
            return Err(ApiError::invalid("username", "must not be empty"));
        }
        if self.password.is_empty() {
            return Err(ApiError::invalid("password", "must not be empty"));
        }
        if !self.verify_tls && self.fingerprint.is_none() {
            return Err(ApiError::invalid(
                "fingerprint",
                "required when verify_tls is false",
            ));
        }
        Ok(())
    }
}

/// Add a cluster.
///
/// Registers a Proxmox VE or vSphere cluster. Its nodes appear once PXCloud has synchronised
/// (here: immediately, with no nodes). A taken id answers 409.
#[utoipa::path(
    post, path = "/api/clusters", tag = "Clusters",
    request_body = ClusterCreate,
    responses(
        (status = 200, description = "Added", body = Envelope<Cluster>),
        (status = 409, description = "Id taken", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    )
)]
pub(crate) async fn create_cluster(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<ClusterCreate>,
) -> ApiResult<Cluster> {
    let mut store = state.store();
    if store.clusters.iter().any(|c| c.id == body.id) {
        return Err(ApiError::conflict(
            "already_exists",
            format!("cluster '{}' already exists", body.id),
        ));
    }
    let cluster = Cluster {
        id: body.id,
        name: body.name,
        platform: body.platform,
        endpoint: body.endpoint,
        datacenter_id: body.datacenter_id,
        healthy: true,
        nodes: Vec::new(),
    };
    store.clusters.push(cluster.clone());
    ok(cluster)
}

/// Remove a cluster.
///
/// Stops managing a cluster (nothing on the cluster itself changes). A cluster that still
/// has VMs answers 409.
#[utoipa::path(
    delete, path = "/api/clusters/{cluster}", tag = "Clusters",
    params(("cluster" = String, Path, description = "Cluster id")),
    responses(
        (status = 200, description = "Removed", body = Envelope<Deleted>),
        (status = 404, description = "No such cluster", body = ErrorBody),
        (status = 409, description = "Cluster has VMs", body = ErrorBody),
    )
)]
pub(crate) async fn delete_cluster(
    State(state): State<AppState>,
    Path(cluster): Path<String>,
) -> ApiResult<Deleted> {
    let mut store = state.store();
    find(&store, &cluster)?;
    let vms = store.vms.values().filter(|v| v.cluster == cluster).count();
    if vms > 0 {
        return Err(ApiError::conflict(
            "in_use",
            format!("cluster {cluster} still has {vms} VMs"),
        ));
    }
    store.clusters.retain(|c| c.id != cluster);
    store.nodes.retain(|n| n.cluster != cluster);
    store.storages.retain(|s| s.cluster != cluster);
    ok(Deleted {
        id: cluster,
        deleted: true,
    })
}

/// Health of a cluster.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClusterStatus {
    /// Cluster id.
    id: String,
    /// Quorate (Proxmox) / reachable (vSphere).
    quorate: bool,
    /// Nodes online.
    nodes_online: usize,
    /// Nodes total.
    nodes_total: usize,
    /// Nodes in maintenance.
    nodes_maintenance: usize,
    /// Version of the management software.
    version: String,
}

/// Get a cluster's status.
///
/// Quorum and node counts.
#[utoipa::path(
    get, path = "/api/clusters/{cluster}/status", tag = "Clusters",
    params(("cluster" = String, Path, description = "Cluster id")),
    responses(
        (status = 200, description = "Status", body = Envelope<ClusterStatus>),
        (status = 404, description = "No such cluster", body = ErrorBody),
    )
)]
pub(crate) async fn get_cluster_status(
    State(state): State<AppState>,
    Path(cluster): Path<String>,
) -> ApiResult<ClusterStatus> {
    let store = state.store();
    let c = find(&store, &cluster)?;
    let nodes: Vec<_> = store
        .nodes
        .iter()
        .filter(|n| n.cluster == cluster)
        .collect();
    let online = nodes
        .iter()
        .filter(|n| n.status != NodeStatus::Offline)
        .count();
    ok(ClusterStatus {
        id: c.id.clone(),
        quorate: nodes.is_empty() || online * 2 > nodes.len(),
        nodes_online: online,
        nodes_total: nodes.len(),
        nodes_maintenance: nodes
            .iter()
            .filter(|n| n.status == NodeStatus::Maintenance)
            .count(),
        version: nodes
            .first()
            .map_or_else(|| "unknown".to_owned(), |n| n.version.clone()),
    })
}

/// Aggregated capacity of a cluster.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClusterResources {
    /// Cluster id.
    id: String,
    /// Logical CPUs.
    cpu_total: u32,
    /// Average CPU usage, percent.
    cpu_percent: f64,
    /// Memory, bytes.
    memory_total: u64,
    /// Memory used, bytes.
    memory_used: u64,
    /// Storage, bytes (local storages of all nodes).
    storage_total: u64,
    /// Storage used, bytes.
    storage_used: u64,
    /// VMs by state.
    vms_running: usize,
    /// Stopped VMs.
    vms_stopped: usize,
    /// Suspended VMs.
    vms_suspended: usize,
}

/// Get a cluster's resources.
///
/// CPU, memory and storage totals with VM counts.
#[utoipa::path(
    get, path = "/api/clusters/{cluster}/resources", tag = "Clusters",
    params(("cluster" = String, Path, description = "Cluster id")),
    responses(
        (status = 200, description = "Resources", body = Envelope<ClusterResources>),
        (status = 404, description = "No such cluster", body = ErrorBody),
    )
)]
pub(crate) async fn get_cluster_resources(
    State(state): State<AppState>,
    Path(cluster): Path<String>,
) -> ApiResult<ClusterResources> {
    let store = state.store();
    find(&store, &cluster)?;
    let nodes: Vec<_> = store
        .nodes
        .iter()
        .filter(|n| n.cluster == cluster)
        .collect();
    let count = |s: VmStatus| {
        store
            .vms
            .values()
            .filter(|v| v.cluster == cluster && v.status == s)
            .count()
    };
    ok(ClusterResources {
        id: cluster.clone(),
        cpu_total: nodes.iter().map(|n| n.usage.cpu_count).sum(),
        cpu_percent: if nodes.is_empty() {
            0.0
        } else {
            nodes.iter().map(|n| n.usage.cpu_percent).sum::<f64>() / nodes.len() as f64
        },
        memory_total: nodes.iter().map(|n| n.usage.memory_total).sum(),
        memory_used: nodes.iter().map(|n| n.usage.memory_used).sum(),
        storage_total: nodes.iter().map(|n| n.usage.storage_total).sum(),
        storage_used: nodes.iter().map(|n| n.usage.storage_used).sum(),
        vms_running: count(VmStatus::Running),
        vms_stopped: count(VmStatus::Stopped),
        vms_suspended: count(VmStatus::Suspended),
    })
}

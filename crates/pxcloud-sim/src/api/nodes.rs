//! Hypervisor nodes: status with usage, VMs on a node, storage, network, hardware, IPMI.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{Page, PageQuery};
use crate::envelope::{
    ApiError, ApiResult, Envelope, ErrorBody, ValidJson, ValidQuery, Validate, ok,
};
use crate::model::{Node, NodeStatus, NodeUsage, Storage, Vm, VmStatus};
use crate::state::{AppState, Store};

#[derive(OpenApi)]
#[openapi(paths(
    list_nodes,
    get_node,
    get_node_status,
    list_vms,
    list_node_storage,
    get_node_network,
    get_node_hardware,
    get_node_ipmi,
    node_ipmi_power,
    set_node_maintenance
))]
pub(super) struct Doc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/nodes", get(list_nodes))
        .route("/api/nodes/{node}", get(get_node))
        .route("/api/nodes/{node}/status", get(get_node_status))
        .route("/api/nodes/{node}/vms", get(list_vms))
        .route("/api/nodes/{node}/storage", get(list_node_storage))
        .route("/api/nodes/{node}/network", get(get_node_network))
        .route("/api/nodes/{node}/hardware", get(get_node_hardware))
        .route("/api/nodes/{node}/ipmi", get(get_node_ipmi))
        .route("/api/nodes/{node}/ipmi/power", post(node_ipmi_power))
        .route("/api/nodes/{node}/maintenance", post(set_node_maintenance))
}

pub(crate) fn find_node<'a>(store: &'a Store, name: &str) -> Result<&'a Node, ApiError> {
    store
        .nodes
        .iter()
        .find(|n| n.name == name)
        .ok_or_else(|| ApiError::not_found("node", name))
}

/// Filters for the node list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct NodeFilter {
    /// Only nodes of this cluster.
    cluster: Option<String>,
    /// Only nodes in this state.
    status: Option<NodeStatus>,
    /// Only nodes whose CPU usage is at least this many percent.
    #[param(minimum = 0.0, maximum = 100.0)]
    min_cpu_percent: Option<f64>,
    /// Page number, from 1.
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page.
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<u32>,
}

impl Validate for NodeFilter {
    fn validate(&self) -> Result<(), ApiError> {
        if let Some(c) = self.min_cpu_percent {
            super::check_range("min_cpu_percent", c, 0.0, 100.0)?;
        }
        PageQuery {
            page: self.page,
            per_page: self.per_page,
        }
        .validate()
    }
}

/// List nodes.
///
/// Nodes of every cluster with their status and CPU/memory/storage usage. AI hint: use
/// `min_cpu_percent=85` to find overloaded hosts.
#[utoipa::path(
    get, path = "/api/nodes", tag = "Nodes",
    params(NodeFilter),
    responses(
        (status = 200, description = "Nodes", body = Envelope<Page<Node>>),
        (status = 422, description = "Bad query parameter", body = ErrorBody),
    )
)]
pub(crate) async fn list_nodes(
    State(state): State<AppState>,
    ValidQuery(f): ValidQuery<NodeFilter>,
) -> ApiResult<Page<Node>> {
    let store = state.store();
    let nodes: Vec<Node> = store
        .nodes
        .iter()
        .filter(|n| f.cluster.as_ref().is_none_or(|c| *c == n.cluster))
        .filter(|n| f.status.is_none_or(|s| s == n.status))
        .filter(|n| f.min_cpu_percent.is_none_or(|c| n.usage.cpu_percent >= c))
        .cloned()
        .collect();
    ok(PageQuery {
        page: f.page,
        per_page: f.per_page,
    }
    .apply(nodes))
}

/// Get a node.
///
/// One node with status and usage.
#[utoipa::path(
    get, path = "/api/nodes/{node}", tag = "Nodes",
    params(("node" = String, Path, description = "Node name", example = "pve1")),
    responses(
        (status = 200, description = "The node", body = Envelope<Node>),
        (status = 404, description = "No such node", body = ErrorBody),
    )
)]
pub(crate) async fn get_node(
    State(state): State<AppState>,
    Path(node): Path<String>,
) -> ApiResult<Node> {
    let store = state.store();
    ok(find_node(&store, &node)?.clone())
}

/// Live status of a node.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NodeStatusReport {
    /// Node name.
    node: String,
    /// Online state.
    status: NodeStatus,
    /// Usage.
    usage: NodeUsage,
    /// VMs on the node by power state.
    vms_running: usize,
    /// Stopped VMs on the node.
    vms_stopped: usize,
    /// Memory committed to VMs, MiB.
    memory_committed_mb: u64,
    /// Warnings such as high CPU.
    warnings: Vec<String>,
}

/// Get a node's status.
///
/// CPU, memory and storage usage, VM counts and warnings (CPU above 85 % is flagged).
#[utoipa::path(
    get, path = "/api/nodes/{node}/status", tag = "Nodes",
    params(("node" = String, Path, description = "Node name")),
    responses(
        (status = 200, description = "Status", body = Envelope<NodeStatusReport>),
        (status = 404, description = "No such node", body = ErrorBody),
    )
)]
pub(crate) async fn get_node_status(
    State(state): State<AppState>,
    Path(node): Path<String>,
) -> ApiResult<NodeStatusReport> {
    let store = state.store();
    let n = find_node(&store, &node)?;
    let vms: Vec<&Vm> = store.vms.values().filter(|v| v.node == node).collect();
    let mut warnings = Vec::new();
    if n.usage.cpu_percent > 85.0 {
        warnings.push(format!(
            "CPU usage {:.1}% is above 85%",
            n.usage.cpu_percent
        ));
    }
    if n.usage.memory_used * 10 > n.usage.memory_total * 9 {
        warnings.push("memory usage is above 90%".to_owned());
    }
    ok(NodeStatusReport {
        node: n.name.clone(),
        status: n.status,
        usage: n.usage.clone(),
        vms_running: vms.iter().filter(|v| v.status == VmStatus::Running).count(),
        vms_stopped: vms.iter().filter(|v| v.status == VmStatus::Stopped).count(),
        memory_committed_mb: vms.iter().map(|v| u64::from(v.hardware.memory_mb)).sum(),
        warnings,
    })
}

/// List the VMs on one node.
///
/// Same items as `GET /api/vms?node=…`, in PXCloud's node-scoped form. (This handler shares
/// its operationId `list_vms` with the global list, as in PXCloud.)
#[utoipa::path(
    get, path = "/api/nodes/{node}/vms", tag = "Nodes",
    params(("node" = String, Path, description = "Node name"), PageQuery),
    responses(
        (status = 200, description = "VMs on the node", body = Envelope<Page<Vm>>),
        (status = 404, description = "No such node", body = ErrorBody),
    )
)]
pub(crate) async fn list_vms(
    State(state): State<AppState>,
    Path(node): Path<String>,
    ValidQuery(q): ValidQuery<PageQuery>,
) -> ApiResult<Page<Vm>> {
    let store = state.store();
    find_node(&store, &node)?;
    ok(q.apply(
        store
            .vms
            .values()
            .filter(|v| v.node == node)
            .cloned()
            .collect(),
    ))
}

/// List storages of a node.
///
/// Every storage the node sees with usage and whether it is online.
#[utoipa::path(
    get, path = "/api/nodes/{node}/storage", tag = "Nodes",
    params(("node" = String, Path, description = "Node name")),
    responses(
        (status = 200, description = "Storages", body = Envelope<Vec<Storage>>),
        (status = 404, description = "No such node", body = ErrorBody),
    )
)]
pub(crate) async fn list_node_storage(
    State(state): State<AppState>,
    Path(node): Path<String>,
) -> ApiResult<Vec<Storage>> {
    let store = state.store();
    find_node(&store, &node)?;
    ok(store
        .storages
        .iter()
        .filter(|s| s.node == node)
        .cloned()
        .collect())
}

/// A network interface of a node.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NetworkInterface {
    /// Interface name.
    iface: String,
    /// bridge, bond, eth, vlan.
    kind: String,
    /// CIDR address.
    cidr: Option<String>,
    /// Gateway.
    gateway: Option<String>,
    /// Ports of a bridge or slaves of a bond.
    members: Vec<String>,
    /// Link up.
    active: bool,
}

/// Get a node's network configuration.
///
/// Bridges, bonds and physical ports.
#[utoipa::path(
    get, path = "/api/nodes/{node}/network", tag = "Nodes",
    params(("node" = String, Path, description = "Node name")),
    responses(
        (status = 200, description = "Interfaces", body = Envelope<Vec<NetworkInterface>>),
        (status = 404, description = "No such node", body = ErrorBody),
    )
)]
pub(crate) async fn get_node_network(
    State(state): State<AppState>,
    Path(node): Path<String>,
) -> ApiResult<Vec<NetworkInterface>> {
    let store = state.store();
    let n = find_node(&store, &node)?;
    let octet = store
        .nodes
        .iter()
        .position(|x| x.name == n.name)
        .unwrap_or(0)
        + 11;
    ok(vec![
        NetworkInterface {
            iface: "eno1".into(),
            kind: "eth".into(),
            cidr: None,
            gateway: None,
            members: vec![],
            active: true,
        },
        NetworkInterface {
            iface: "eno2".into(),
            kind: "eth".into(),
            cidr: None,
            gateway: None,
            members: vec![],
            active: true,
        },
        NetworkInterface {
            iface: "bond0".into(),
            kind: "bond".into(),
            cidr: None,
            gateway: None,
            members: vec!["eno1".into(), "eno2".into()],
            active: true,
        },
        NetworkInterface {
            iface: "vmbr0".into(),
            kind: "bridge".into(),
            cidr: Some(format!("10.0.0.{octet}/24")),
            gateway: Some("10.0.0.1".into()),
            members: vec!["bond0".into()],
            active: true,
        },
    ])
}

/// Hardware inventory of a node.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NodeHardware {
    /// CPU model.
    cpu_model: String,
    /// Sockets.
    sockets: u32,
    /// Logical CPUs.
    cpus: u32,
    /// Memory, bytes.
    memory_total: u64,
    /// Vendor and model.
    system: String,
    /// Serial number.
    serial: String,
    /// PCI devices.
    pci_devices: Vec<String>,
}

/// Get a node's hardware.
///
/// CPU, memory, system and PCI devices.
#[utoipa::path(
    get, path = "/api/nodes/{node}/hardware", tag = "Nodes",
    params(("node" = String, Path, description = "Node name")),
    responses(
        (status = 200, description = "Hardware", body = Envelope<NodeHardware>),
        (status = 404, description = "No such node", body = ErrorBody),
    )
)]
pub(crate) async fn get_node_hardware(
    State(state): State<AppState>,
    Path(node): Path<String>,
) -> ApiResult<NodeHardware> {
    let store = state.store();
    let n = find_node(&store, &node)?;
    ok(NodeHardware {
        cpu_model: "AMD EPYC 7443P 24-Core Processor".into(),
        sockets: 1,
        cpus: n.usage.cpu_count,
        memory_total: n.usage.memory_total,
        system: "Supermicro AS-1114S-WN10RT".into(),
        serial: format!("S{}X{:04}", n.name.to_uppercase(), n.usage.cpu_count * 7),
        pci_devices: vec![
            "0000:41:00.0 Mellanox ConnectX-5".into(),
            "0000:c1:00.0 Samsung NVMe PM9A3".into(),
        ],
    })
}

/// IPMI state of a node.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IpmiInfo {
    /// BMC address.
    address: String,
    /// Chassis power.
    power: PowerState,
    /// BMC firmware.
    firmware: String,
    /// Sensor readings (name → value).
    sensors: std::collections::BTreeMap<String, f64>,
}

/// Chassis power state.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PowerState {
    /// Powered on.
    On,
    /// Powered off.
    Off,
}

/// Get a node's IPMI status.
///
/// Chassis power and sensors read from the node's BMC. vSphere hosts without IPMI answer 404.
#[utoipa::path(
    get, path = "/api/nodes/{node}/ipmi", tag = "Nodes",
    params(("node" = String, Path, description = "Node name")),
    responses(
        (status = 200, description = "IPMI status", body = Envelope<IpmiInfo>),
        (status = 404, description = "No such node or no IPMI", body = ErrorBody),
    )
)]
pub(crate) async fn get_node_ipmi(
    State(state): State<AppState>,
    Path(node): Path<String>,
) -> ApiResult<IpmiInfo> {
    let store = state.store();
    let n = find_node(&store, &node)?;
    let address = n
        .ipmi_address
        .clone()
        .ok_or_else(|| ApiError::not_found("IPMI interface of node", &node))?;
    let mut sensors = std::collections::BTreeMap::new();
    sensors.insert("CPU Temp".to_owned(), 38.0 + n.usage.cpu_percent / 3.0);
    sensors.insert(
        "System Fan 1".to_owned(),
        4200.0 + n.usage.cpu_percent * 30.0,
    );
    sensors.insert(
        "PSU1 Input Power".to_owned(),
        180.0 + n.usage.cpu_percent * 2.5,
    );
    let power = if n.status == NodeStatus::Offline {
        PowerState::Off
    } else {
        PowerState::On
    };
    ok(IpmiInfo {
        address,
        power,
        firmware: "BMC 3.10.45".into(),
        sensors,
    })
}

/// An IPMI chassis power command.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct IpmiPowerRequest {
    /// Command.
    action: IpmiAction,
}

/// IPMI chassis commands.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum IpmiAction {
    /// Power on.
    On,
    /// Hard power off.
    Off,
    /// ACPI soft off.
    Soft,
    /// Power cycle.
    Cycle,
    /// Hard reset.
    Reset,
}

impl Validate for IpmiPowerRequest {}

/// Result of a chassis command.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IpmiPowerResult {
    /// Node.
    node: String,
    /// Power state afterwards.
    power: PowerState,
    /// Node status afterwards.
    status: NodeStatus,
}

/// Control a node's power over IPMI.
///
/// AI hint: powering off a node stops every VM on it; migrate them first. Powering off a node
/// that has running VMs answers 409.
#[utoipa::path(
    post, path = "/api/nodes/{node}/ipmi/power", tag = "Nodes",
    params(("node" = String, Path, description = "Node name")),
    request_body = IpmiPowerRequest,
    responses(
        (status = 200, description = "Done", body = Envelope<IpmiPowerResult>),
        (status = 404, description = "No such node or no IPMI", body = ErrorBody),
        (status = 409, description = "Running VMs on the node", body = ErrorBody),
    )
)]
pub(crate) async fn node_ipmi_power(
    State(state): State<AppState>,
    Path(node): Path<String>,
    ValidJson(body): ValidJson<IpmiPowerRequest>,
) -> ApiResult<IpmiPowerResult> {
    let mut store = state.store();
    let n = find_node(&store, &node)?;
    if n.ipmi_address.is_none() {
        return Err(ApiError::not_found("IPMI interface of node", &node));
    }
    let running = store
        .vms
        .values()
        .filter(|v| v.node == node && v.status != VmStatus::Stopped)
        .count();
    let going_down = matches!(
        body.action,
        IpmiAction::Off | IpmiAction::Soft | IpmiAction::Cycle | IpmiAction::Reset
    );
    if going_down && running > 0 {
        return Err(ApiError::conflict(
            "invalid_state",
            format!("node {node} has {running} running VMs"),
        ));
    }
    let n = store
        .nodes
        .iter_mut()
        .find(|n| n.name == node)
        .ok_or_else(|| ApiError::not_found("node", &node))?;
    let power = match body.action {
        IpmiAction::Off | IpmiAction::Soft => {
            n.status = NodeStatus::Offline;
            PowerState::Off
        }
        _ => {
            if n.status == NodeStatus::Offline {
                n.status = NodeStatus::Online;
            }
            PowerState::On
        }
    };
    ok(IpmiPowerResult {
        node,
        power,
        status: n.status,
    })
}

/// Maintenance mode switch.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct MaintenanceRequest {
    /// Enter (true) or leave (false) maintenance.
    enabled: bool,
    /// Reason shown to other admins.
    reason: Option<String>,
}

impl Validate for MaintenanceRequest {}

/// Enter or leave maintenance mode.
///
/// A node in maintenance accepts no new VMs. An offline node answers 409.
#[utoipa::path(
    post, path = "/api/nodes/{node}/maintenance", tag = "Nodes",
    params(("node" = String, Path, description = "Node name")),
    request_body = MaintenanceRequest,
    responses(
        (status = 200, description = "The node", body = Envelope<Node>),
        (status = 404, description = "No such node", body = ErrorBody),
        (status = 409, description = "Node offline", body = ErrorBody),
    )
)]
pub(crate) async fn set_node_maintenance(
    State(state): State<AppState>,
    Path(node): Path<String>,
    ValidJson(body): ValidJson<MaintenanceRequest>,
) -> ApiResult<Node> {
    let mut store = state.store();
    let n = store
        .nodes
        .iter_mut()
        .find(|n| n.name == node)
        .ok_or_else(|| ApiError::not_found("node", &node))?;
    if n.status == NodeStatus::Offline {
        return Err(ApiError::conflict(
            "invalid_state",
            format!("node {node} is offline"),
        ));
    }
    let _ = body.reason;
    n.status = if body.enabled {
        NodeStatus::Maintenance
    } else {
        NodeStatus::Online
    };
    ok(n.clone())
}

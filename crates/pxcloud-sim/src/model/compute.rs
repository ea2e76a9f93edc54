//! Clusters, nodes, storages and virtual machines.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Hypervisor platform of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Platform {
    /// Proxmox VE.
    Proxmox,
    /// VMware vSphere.
    Vmware,
}

/// A Proxmox VE or VMware vSphere cluster.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Cluster {
    /// Cluster id, e.g. `cluster1`.
    pub(crate) id: String,
    /// Display name.
    pub(crate) name: String,
    /// Hypervisor platform.
    pub(crate) platform: Platform,
    /// Management endpoint of the cluster.
    pub(crate) endpoint: String,
    /// Datacenter the cluster lives in, if assigned.
    pub(crate) datacenter_id: Option<String>,
    /// Whether the cluster has quorum / is reachable.
    pub(crate) healthy: bool,
    /// Node names.
    pub(crate) nodes: Vec<String>,
}

/// Online state of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NodeStatus {
    /// Reachable and serving.
    Online,
    /// Unreachable.
    Offline,
    /// In maintenance mode: no new VMs.
    Maintenance,
}

/// Resource usage of a node.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct NodeUsage {
    /// CPU usage in percent.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub(crate) cpu_percent: f64,
    /// Number of logical CPUs.
    pub(crate) cpu_count: u32,
    /// Memory in use, bytes.
    pub(crate) memory_used: u64,
    /// Memory installed, bytes.
    pub(crate) memory_total: u64,
    /// Root storage in use, bytes.
    pub(crate) storage_used: u64,
    /// Root storage size, bytes.
    pub(crate) storage_total: u64,
    /// Load averages (1, 5, 15 minutes).
    pub(crate) load_average: Vec<f64>,
}

/// A hypervisor host.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Node {
    /// Node name, unique in its cluster, e.g. `pve1`.
    pub(crate) name: String,
    /// Cluster id.
    pub(crate) cluster: String,
    /// Online state.
    pub(crate) status: NodeStatus,
    /// Resource usage.
    pub(crate) usage: NodeUsage,
    /// Hypervisor version string.
    pub(crate) version: String,
    /// Seconds since boot.
    pub(crate) uptime_seconds: u64,
    /// IPMI / BMC address, if the node has one.
    #[schema(value_type = Option<String>)]
    pub(crate) ipmi_address: Option<String>,
}

/// Kind of a storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StorageKind {
    /// LVM thin pool.
    Lvmthin,
    /// Directory.
    Dir,
    /// NFS share.
    Nfs,
    /// ZFS pool.
    Zfspool,
    /// Ceph RBD.
    Rbd,
    /// VMware datastore.
    Vmfs,
}

/// A storage on a node.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Storage {
    /// Storage id, e.g. `local-lvm`.
    pub(crate) id: String,
    /// Node the storage belongs to.
    pub(crate) node: String,
    /// Cluster id.
    pub(crate) cluster: String,
    /// Kind of storage.
    pub(crate) kind: StorageKind,
    /// Content types accepted (images, iso, backup, rootdir).
    pub(crate) content: Vec<String>,
    /// Bytes used.
    pub(crate) used: u64,
    /// Bytes total.
    pub(crate) total: u64,
    /// Shared between nodes.
    pub(crate) shared: bool,
    /// Whether the storage is reachable.
    pub(crate) active: bool,
}

/// Power state of a VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum VmStatus {
    /// Powered on.
    Running,
    /// Powered off.
    Stopped,
    /// Paused / suspended to memory.
    Suspended,
}

/// Bus of a virtual disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DiskBus {
    /// VirtIO SCSI.
    Scsi,
    /// VirtIO block.
    Virtio,
    /// SATA.
    Sata,
    /// IDE.
    Ide,
}

/// Where a disk's bytes live.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct DiskBacking {
    /// Storage id.
    pub(crate) storage: String,
    /// Volume name on that storage.
    pub(crate) volume: String,
    /// Image format (raw, qcow2, vmdk).
    pub(crate) format: String,
}

/// A virtual disk.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct VmDisk {
    /// Slot, e.g. `scsi0`.
    pub(crate) slot: String,
    /// Bus.
    pub(crate) bus: DiskBus,
    /// Size in GiB.
    #[schema(minimum = 1, maximum = 65536)]
    pub(crate) size_gb: u32,
    /// Backing volume.
    pub(crate) backing: DiskBacking,
}

/// A virtual network card.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct VmNic {
    /// Slot, e.g. `net0`.
    pub(crate) slot: String,
    /// Model (virtio, e1000, vmxnet3).
    pub(crate) model: String,
    /// Bridge or port group.
    pub(crate) bridge: String,
    /// MAC address.
    pub(crate) mac: String,
    /// VLAN tag, if any.
    #[schema(minimum = 1, maximum = 4094)]
    pub(crate) vlan: Option<u16>,
}

/// Virtual hardware of a VM.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct VmHardware {
    /// Virtual CPU cores.
    #[schema(minimum = 1, maximum = 128)]
    pub(crate) cores: u32,
    /// Memory in MiB.
    #[schema(minimum = 64, maximum = 4194304)]
    pub(crate) memory_mb: u32,
    /// Disks.
    pub(crate) disks: Vec<VmDisk>,
    /// Network cards.
    pub(crate) nics: Vec<VmNic>,
}

/// High-availability group a VM belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct HaGroupRef {
    /// Group name.
    pub(crate) group: String,
    /// Restart priority.
    #[schema(minimum = 0, maximum = 1000)]
    pub(crate) priority: u32,
}

/// A virtual machine.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Vm {
    /// Global id `cluster:node:vmid`, e.g. `cluster1:pve1:100`; percent-encode it in paths.
    #[schema(example = "cluster1:pve1:100")]
    pub(crate) id: String,
    /// Cluster id.
    pub(crate) cluster: String,
    /// Node name.
    pub(crate) node: String,
    /// Numeric VM id within the cluster.
    pub(crate) vmid: u32,
    /// Display name.
    pub(crate) name: String,
    /// Power state.
    pub(crate) status: VmStatus,
    /// Guest OS type, e.g. `l26`, `win11`.
    pub(crate) os_type: String,
    /// Virtual hardware.
    pub(crate) hardware: VmHardware,
    /// CPU usage in percent while running.
    pub(crate) cpu_percent: f64,
    /// Primary IPv4 address reported by the guest agent.
    pub(crate) ip_address: Option<String>,
    /// Free-form description.
    pub(crate) description: Option<String>,
    /// Tags.
    pub(crate) tags: Vec<String>,
    /// HA group membership.
    pub(crate) ha: Option<HaGroupRef>,
    /// Id of the task that holds the VM's lock, if one is running.
    pub(crate) lock: Option<String>,
    /// Seconds since the VM was started (0 when stopped).
    pub(crate) uptime_seconds: u64,
    /// Whether this is a template.
    pub(crate) template: bool,
}

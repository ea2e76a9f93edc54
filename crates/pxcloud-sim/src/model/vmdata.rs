//! Data that hangs off a VM: snapshots, backups, firewall rules.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A VM snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Snapshot {
    /// Snapshot name, unique per VM.
    pub(crate) name: String,
    /// Description.
    pub(crate) description: Option<String>,
    /// Whether RAM was included.
    pub(crate) vmstate: bool,
    /// Creation time, Unix seconds.
    pub(crate) created_at: u64,
    /// Name of the parent snapshot.
    pub(crate) parent: Option<String>,
}

/// A backup archive of a VM.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Backup {
    /// Volume id, e.g. `backup-nfs:backup/vzdump-qemu-100-….vma.zst`.
    pub(crate) volid: String,
    /// VM id.
    pub(crate) vm_id: String,
    /// Storage holding the archive.
    pub(crate) storage: String,
    /// Size in bytes.
    pub(crate) size: u64,
    /// Creation time, Unix seconds.
    pub(crate) created_at: u64,
    /// Backup mode.
    pub(crate) mode: BackupMode,
    /// Notes.
    pub(crate) notes: Option<String>,
}

/// How a backup is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BackupMode {
    /// Live, using a snapshot.
    Snapshot,
    /// Suspend during backup.
    Suspend,
    /// Stop during backup.
    Stop,
}

/// Direction of a firewall rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Direction {
    /// Incoming.
    In,
    /// Outgoing.
    Out,
}

/// Action of a firewall rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum FirewallAction {
    /// Let through.
    Accept,
    /// Drop silently.
    Drop,
    /// Reject with an answer.
    Reject,
}

/// A VM firewall rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct FirewallRule {
    /// Position in the rule list, from 0.
    pub(crate) pos: u32,
    /// Direction.
    pub(crate) direction: Direction,
    /// Action.
    pub(crate) action: FirewallAction,
    /// Protocol (tcp, udp, icmp) or none for any.
    pub(crate) proto: Option<String>,
    /// Destination port or range.
    pub(crate) dport: Option<String>,
    /// Source CIDR.
    pub(crate) source: Option<String>,
    /// Enabled.
    pub(crate) enable: bool,
    /// Comment.
    pub(crate) comment: Option<String>,
}

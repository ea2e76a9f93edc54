//! The deterministic state every simulator starts with.

use crate::model::*;
use crate::state::Store;

const GIB: u64 = 1024 * 1024 * 1024;

fn node(name: &str, cluster: &str, cpu: f64, cpus: u32, mem_used_gb: u64, mem_gb: u64) -> Node {
    Node {
        name: name.to_owned(),
        cluster: cluster.to_owned(),
        status: NodeStatus::Online,
        usage: NodeUsage {
            cpu_percent: cpu,
            cpu_count: cpus,
            memory_used: mem_used_gb * GIB,
            memory_total: mem_gb * GIB,
            storage_used: (mem_used_gb + 40) * GIB,
            storage_total: 900 * GIB,
            load_average: vec![cpu / 25.0, cpu / 27.0, cpu / 30.0],
        },
        version: if cluster == "vc1" {
            "VMware ESXi 8.0.3".to_owned()
        } else {
            "pve-manager/8.2.4".to_owned()
        },
        uptime_seconds: 1_209_600 + u64::from(cpus) * 1000,
        ipmi_address: (cluster != "vc1").then(|| format!("10.0.99.{}", 10 + cpus / 8)),
    }
}

fn storage(
    id: &str,
    node: &str,
    cluster: &str,
    kind: StorageKind,
    used_gb: u64,
    total_gb: u64,
) -> Storage {
    let shared = matches!(
        kind,
        StorageKind::Nfs | StorageKind::Rbd | StorageKind::Vmfs
    );
    Storage {
        id: id.to_owned(),
        node: node.to_owned(),
        cluster: cluster.to_owned(),
        kind,
        content: match kind {
            StorageKind::Nfs => vec!["backup".to_owned(), "iso".to_owned()],
            StorageKind::Dir => vec!["iso".to_owned(), "vztmpl".to_owned(), "backup".to_owned()],
            _ => vec!["images".to_owned(), "rootdir".to_owned()],
        },
        used: used_gb * GIB,
        total: total_gb * GIB,
        shared,
        active: id != "nfs-offline",
    }
}

/// A VM with sensible hardware.
pub(crate) fn vm(
    cluster: &str,
    node: &str,
    vmid: u32,
    name: &str,
    status: VmStatus,
    storage: &str,
) -> Vm {
    let running = status == VmStatus::Running;
    Vm {
        id: format!("{cluster}:{node}:{vmid}"),
        cluster: cluster.to_owned(),
        node: node.to_owned(),
        vmid,
        name: name.to_owned(),
        status,
        os_type: if name.starts_with("win") {
            "win11".to_owned()
        } else {
            "l26".to_owned()
        },
        hardware: VmHardware {
            cores: 2 + vmid % 3 * 2,
            memory_mb: 2048 * (1 + vmid % 4),
            disks: vec![VmDisk {
                slot: "scsi0".to_owned(),
                bus: DiskBus::Scsi,
                size_gb: 32 + vmid % 5 * 16,
                backing: DiskBacking {
                    storage: storage.to_owned(),
                    volume: format!("vm-{vmid}-disk-0"),
                    format: if cluster == "vc1" {
                        "vmdk".to_owned()
                    } else {
                        "raw".to_owned()
                    },
                },
            }],
            nics: vec![VmNic {
                slot: "net0".to_owned(),
                model: if cluster == "vc1" {
                    "vmxnet3".to_owned()
                } else {
                    "virtio".to_owned()
                },
                bridge: "vmbr0".to_owned(),
                mac: format!(
                    "BC:24:11:{:02X}:{:02X}:{:02X}",
                    vmid >> 16 & 0xff,
                    vmid >> 8 & 0xff,
                    vmid & 0xff
                ),
                vlan: vmid.is_multiple_of(2).then_some(100),
            }],
        },
        cpu_percent: if running {
            4.0 + f64::from(vmid % 37)
        } else {
            0.0
        },
        ip_address: running.then(|| format!("10.0.10.{}", vmid % 250)),
        description: None,
        tags: Vec::new(),
        ha: None,
        lock: None,
        uptime_seconds: if running {
            86_400 + u64::from(vmid) * 60
        } else {
            0
        },
        template: false,
    }
}

/// The seeded store.
pub(crate) fn store() -> Store {
    let mut store = Store {
        clusters: vec![
            Cluster {
                id: "cluster1".to_owned(),
                name: "Proxmox Production".to_owned(),
                platform: Platform::Proxmox,
                endpoint: "https://10.0.0.11:8006".to_owned(),
                datacenter_id: Some("dc-fra1".to_owned()),
                healthy: true,
                nodes: vec!["pve1".to_owned(), "pve2".to_owned(), "pve3".to_owned()],
            },
            Cluster {
                id: "vc1".to_owned(),
                name: "vSphere Legacy".to_owned(),
                platform: Platform::Vmware,
                endpoint: "https://vcenter.example.internal".to_owned(),
                datacenter_id: Some("dc-fra1".to_owned()),
                healthy: true,
                nodes: vec!["esxi1".to_owned(), "esxi2".to_owned()],
            },
        ],
        nodes: vec![
            node("pve1", "cluster1", 42.5, 32, 96, 256),
            node("pve2", "cluster1", 91.5, 32, 210, 256),
            node("pve3", "cluster1", 12.0, 16, 40, 128),
            node("esxi1", "vc1", 55.0, 24, 120, 192),
            node("esxi2", "vc1", 8.0, 24, 30, 192),
        ],
        ..Store::default()
    };
    for n in ["pve1", "pve2", "pve3"] {
        store
            .storages
            .push(storage("local", n, "cluster1", StorageKind::Dir, 40, 100));
        store.storages.push(storage(
            "local-lvm",
            n,
            "cluster1",
            StorageKind::Lvmthin,
            310,
            800,
        ));
        store.storages.push(storage(
            "local-ssd",
            n,
            "cluster1",
            StorageKind::Zfspool,
            120,
            1800,
        ));
        store.storages.push(storage(
            "backup-nfs",
            n,
            "cluster1",
            StorageKind::Nfs,
            2100,
            8000,
        ));
        store.storages.push(storage(
            "nfs-offline",
            n,
            "cluster1",
            StorageKind::Nfs,
            0,
            4000,
        ));
    }
    for n in ["esxi1", "esxi2"] {
        store.storages.push(storage(
            "datastore1",
            n,
            "vc1",
            StorageKind::Vmfs,
            900,
            4000,
        ));
    }
    let mut web = vm(
        "cluster1",
        "pve1",
        100,
        "web-01",
        VmStatus::Running,
        "local-lvm",
    );
    web.tags = vec!["prod".to_owned(), "web".to_owned()];
    web.description = Some("Public web front end".to_owned());
    web.ha = Some(HaGroupRef {
        group: "ha-web".to_owned(),
        priority: 100,
    });
    let mut template = vm(
        "cluster1",
        "pve3",
        9000,
        "tpl-ubuntu-24.04",
        VmStatus::Stopped,
        "local-lvm",
    );
    template.template = true;
    let vms = [
        web,
        vm(
            "cluster1",
            "pve1",
            101,
            "db-01",
            VmStatus::Stopped,
            "local-ssd",
        ),
        vm(
            "cluster1",
            "pve1",
            102,
            "cache-01",
            VmStatus::Suspended,
            "local-lvm",
        ),
        vm(
            "cluster1",
            "pve2",
            200,
            "app-01",
            VmStatus::Running,
            "local-lvm",
        ),
        vm(
            "cluster1",
            "pve2",
            201,
            "worker-01",
            VmStatus::Running,
            "local-ssd",
        ),
        vm(
            "cluster1",
            "pve3",
            300,
            "backup-01",
            VmStatus::Stopped,
            "local-lvm",
        ),
        template,
        vm(
            "vc1",
            "esxi1",
            1001,
            "win-ad-01",
            VmStatus::Running,
            "datastore1",
        ),
        vm(
            "vc1",
            "esxi2",
            1002,
            "legacy-erp",
            VmStatus::Stopped,
            "datastore1",
        ),
    ];
    for v in vms {
        store.vms.insert(v.id.clone(), v);
    }
    store.snapshots.insert(
        "cluster1:pve1:100".to_owned(),
        vec![
            Snapshot {
                name: "before-upgrade".to_owned(),
                description: Some("Before the kernel upgrade".to_owned()),
                vmstate: false,
                created_at: 1_760_000_000,
                parent: None,
            },
            Snapshot {
                name: "with-ram".to_owned(),
                description: None,
                vmstate: true,
                created_at: 1_760_500_000,
                parent: Some("before-upgrade".to_owned()),
            },
        ],
    );
    store.firewall.insert(
        "cluster1:pve1:100".to_owned(),
        vec![FirewallRule {
            pos: 0,
            direction: Direction::In,
            action: FirewallAction::Accept,
            proto: Some("tcp".to_owned()),
            dport: Some("443".to_owned()),
            source: None,
            enable: true,
            comment: Some("HTTPS".to_owned()),
        }],
    );
    store.extra = crate::api::Extra::seeded();
    store
}

//! Shared state of one simulator: the store of resources and the handles around it.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::auth::AuthState;
use crate::model::{Backup, Cluster, FirewallRule, Node, Snapshot, Storage, Vm, VmStatus};
use crate::tasks::{Effect, Finished, TaskBook};
use crate::{FaultControls, RequestLog};

/// Everything the simulator knows, behind one lock.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) clusters: Vec<Cluster>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) storages: Vec<Storage>,
    /// Keyed by VM id.
    pub(crate) vms: BTreeMap<String, Vm>,
    pub(crate) snapshots: BTreeMap<String, Vec<Snapshot>>,
    pub(crate) backups: Vec<Backup>,
    pub(crate) firewall: BTreeMap<String, Vec<FirewallRule>>,
    pub(crate) tasks: TaskBook,
    pub(crate) extra: crate::api::Extra,
}

impl Store {
    fn apply(&mut self, done: Finished) {
        if let Some(vm) = &done.unlock
            && let Some(vm) = self.vms.get_mut(vm)
        {
            vm.lock = None;
        }
        if !done.ok {
            return;
        }
        match done.effect {
            Effect::None => {}
            Effect::Power { vm, to } => {
                if let Some(vm) = self.vms.get_mut(&vm) {
                    vm.status = to;
                    match to {
                        VmStatus::Stopped => {
                            vm.cpu_percent = 0.0;
                            vm.uptime_seconds = 0;
                        }
                        VmStatus::Running => vm.cpu_percent = vm.cpu_percent.max(3.5),
                        VmStatus::Suspended => vm.cpu_percent = 0.0,
                    }
                }
            }
            Effect::Migrate { vm, node, storage } => self.migrate(&vm, &node, storage.as_deref()),
            Effect::Create { vm } => {
                self.vms.insert(vm.id.clone(), *vm);
            }
            Effect::Backup { backup } => self.backups.push(*backup),
            Effect::Rollback { vm, snapshot } => {
                if let Some(vm) = self.vms.get_mut(&vm) {
                    // Rolling back to a snapshot without RAM leaves the VM stopped.
                    let with_ram = self
                        .snapshots
                        .get(&vm.id)
                        .and_then(|s| s.iter().find(|s| s.name == snapshot))
                        .is_some_and(|s| s.vmstate);
                    if !with_ram {
                        vm.status = VmStatus::Stopped;
                        vm.cpu_percent = 0.0;
                    }
                }
            }
        }
    }

    /// Moves a VM; its id changes with its node, and everything keyed by the id follows.
    fn migrate(&mut self, id: &str, node: &str, storage: Option<&str>) {
        let Some(mut vm) = self.vms.remove(id) else {
            return;
        };
        vm.node = node.to_owned();
        vm.id = format!("{}:{}:{}", vm.cluster, node, vm.vmid);
        if let Some(storage) = storage {
            for disk in &mut vm.hardware.disks {
                disk.backing.storage = storage.to_owned();
            }
        }
        if let Some(s) = self.snapshots.remove(id) {
            self.snapshots.insert(vm.id.clone(), s);
        }
        if let Some(f) = self.firewall.remove(id) {
            self.firewall.insert(vm.id.clone(), f);
        }
        self.vms.insert(vm.id.clone(), vm);
    }

    /// Advances tasks to `now` and applies what finished.
    pub(crate) fn advance(&mut self, now: Instant, step: Duration, steps: u32) {
        for done in self.tasks.advance(now, step, steps) {
            self.apply(done);
        }
    }

    /// Applies the consequences of an aborted task.
    pub(crate) fn finish(&mut self, done: Finished) {
        self.apply(done);
    }
}

/// Shared by every handler of one simulator.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) auth: Arc<AuthState>,
    pub(crate) faults: FaultControls,
    pub(crate) log: RequestLog,
    pub(crate) seq: AtomicU64,
    pub(crate) task_step: Duration,
    pub(crate) task_steps: u32,
    /// The OpenAPI document served at `/api-docs/openapi.json` (replaceable: an upgrade).
    pub(crate) spec: Mutex<bytes::Bytes>,
    /// `http(s)://host:port` of this simulator, for URLs in answers.
    pub(crate) base_url: String,
    /// When the simulator started.
    pub(crate) started: Instant,
}

/// Cheap handle to [`Shared`], the axum state.
#[derive(Debug, Clone)]
pub(crate) struct AppState(pub(crate) Arc<Shared>);

impl AppState {
    /// Locks the store after advancing every task to now.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        let mut store = self.0.store.lock().unwrap_or_else(|e| e.into_inner());
        store.advance(Instant::now(), self.0.task_step, self.0.task_steps);
        store
    }
}

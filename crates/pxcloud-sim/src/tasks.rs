//! The task engine: long operations advance one step per `task_step` and apply their effect
//! on the store when they finish. Advancing is lazy (done whenever the store is locked), so
//! no background work runs and results are deterministic for a given clock.

use std::time::{Duration, Instant};

use crate::auth::now_ms;
use crate::model::{Task, TaskLogLine, TaskRef, TaskStatus, Vm, VmStatus};

/// What happens to the store when a task finishes successfully.
#[derive(Debug, Clone)]
pub(crate) enum Effect {
    /// Nothing beyond the log.
    None,
    /// Set a VM's power state.
    Power { vm: String, to: VmStatus },
    /// Move a VM to another node (and its disks to a storage).
    Migrate {
        vm: String,
        node: String,
        storage: Option<String>,
    },
    /// Add a new VM (a clone).
    Create { vm: Box<Vm> },
    /// Record a backup.
    Backup { backup: Box<crate::model::Backup> },
    /// Roll a VM back to a snapshot.
    Rollback { vm: String, snapshot: String },
}

/// The plan of a new task.
#[derive(Debug, Clone)]
pub(crate) struct NewTask {
    /// Short type (`qmstart`, `qmigrate`, …).
    pub(crate) kind: &'static str,
    pub(crate) node: String,
    /// Numeric or named object id for the UPID (`100`).
    pub(crate) object: String,
    /// Full target shown in the task (`cluster1:pve1:100`).
    pub(crate) target: String,
    pub(crate) user: String,
    /// Proxmox tasks get UPIDs, vSphere ones `task-<n>`.
    pub(crate) proxmox: bool,
    /// Log lines revealed one per step.
    pub(crate) lines: Vec<String>,
    /// `Err(message)` makes the task end in error (the effect is not applied).
    pub(crate) outcome: Result<(), String>,
    pub(crate) effect: Effect,
    /// VM whose lock the task holds.
    pub(crate) locks: Option<String>,
}

#[derive(Debug)]
struct Entry {
    task: Task,
    started: Instant,
    plan: NewTask,
}

/// Every task ever started, oldest first.
#[derive(Debug, Default)]
pub(crate) struct TaskBook {
    entries: Vec<Entry>,
    next_pid: u32,
}

/// A finished task's consequences for the store.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) effect: Effect,
    pub(crate) ok: bool,
    pub(crate) unlock: Option<String>,
}

impl TaskBook {
    /// Starts a task and returns where to follow it.
    pub(crate) fn start(&mut self, plan: NewTask, now: Instant) -> TaskRef {
        self.next_pid += 1;
        let pid = 0xA000 + self.next_pid;
        let starttime = now_ms() / 1000;
        let (id, upid) = if plan.proxmox {
            let upid = format!(
                "UPID:{}:{:08X}:{:08X}:{:08X}:{}:{}:{}@pam:",
                plan.node,
                pid,
                0x0010_0000 + self.next_pid * 37,
                starttime,
                plan.kind,
                plan.object,
                plan.user
            );
            (upid.clone(), Some(upid))
        } else {
            (format!("task-{}", 1000 + self.next_pid), None)
        };
        let task = Task {
            id: id.clone(),
            upid: upid.clone(),
            kind: plan.kind.to_owned(),
            node: plan.node.clone(),
            target: plan.target.clone(),
            user: plan.user.clone(),
            status: TaskStatus::Running,
            progress: 0,
            exitstatus: None,
            starttime,
            endtime: None,
            log: Vec::new(),
        };
        self.entries.push(Entry {
            task,
            started: now,
            plan,
        });
        TaskRef { task_id: id, upid }
    }

    /// Advances every running task to `now`; returns the ones that finished.
    pub(crate) fn advance(&mut self, now: Instant, step: Duration, steps: u32) -> Vec<Finished> {
        let mut finished = Vec::new();
        let steps = steps.max(1);
        for entry in self
            .entries
            .iter_mut()
            .filter(|e| e.task.status == TaskStatus::Running)
        {
            let elapsed = now.saturating_duration_since(entry.started);
            let done = if step.is_zero() {
                steps
            } else {
                let n = elapsed.as_nanos() / step.as_nanos().max(1);
                u32::try_from(n).unwrap_or(u32::MAX).min(steps)
            };
            // One planned line at start, one more per step.
            let shown = (done as usize + 1).min(entry.plan.lines.len());
            let mut log: Vec<TaskLogLine> = entry
                .plan
                .lines
                .iter()
                .take(shown)
                .enumerate()
                .map(|(i, t)| TaskLogLine {
                    n: i as u32 + 1,
                    t: t.clone(),
                })
                .collect();
            if done >= steps {
                let ok = entry.plan.outcome.is_ok();
                let exit = match &entry.plan.outcome {
                    Ok(()) => "OK".to_owned(),
                    Err(message) => message.clone(),
                };
                let last = if ok {
                    "TASK OK".to_owned()
                } else {
                    format!("TASK ERROR: {exit}")
                };
                log.push(TaskLogLine {
                    n: log.len() as u32 + 1,
                    t: last,
                });
                entry.task.status = if ok {
                    TaskStatus::Ok
                } else {
                    TaskStatus::Error
                };
                entry.task.progress = 100;
                entry.task.exitstatus = Some(exit);
                entry.task.endtime = Some(now_ms() / 1000);
                finished.push(Finished {
                    effect: std::mem::replace(&mut entry.plan.effect, Effect::None),
                    ok,
                    unlock: entry.plan.locks.clone(),
                });
            } else {
                entry.task.progress = u8::try_from(done * 100 / steps).unwrap_or(99).min(99);
            }
            entry.task.log = log;
        }
        finished
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Task> {
        self.entries.iter().map(|e| &e.task).find(|t| t.id == id)
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &Task> {
        self.entries.iter().map(|e| &e.task)
    }

    /// Marks a running task as stopped by the user.
    pub(crate) fn abort(&mut self, id: &str) -> Option<Finished> {
        let entry = self.entries.iter_mut().find(|e| e.task.id == id)?;
        if entry.task.status != TaskStatus::Running {
            return None;
        }
        entry.task.status = TaskStatus::Error;
        entry.task.exitstatus = Some("interrupted by signal".to_owned());
        entry.task.endtime = Some(now_ms() / 1000);
        let n = entry.task.log.len() as u32 + 1;
        entry.task.log.push(TaskLogLine {
            n,
            t: "TASK ERROR: interrupted by signal".to_owned(),
        });
        Some(Finished {
            effect: Effect::None,
            ok: false,
            unlock: entry.plan.locks.clone(),
        })
    }
}

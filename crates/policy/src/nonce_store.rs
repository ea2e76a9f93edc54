//! The record of consumed handle nonces that makes handles single use.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::fmt;
use std::sync::Mutex;
use std::time::SystemTime;

/// A nonce was already consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlreadyUsed;

/// Where consumed nonces are remembered until their handle expires.
///
/// One process: [`MemoryNonceStore`]. Several replicas behind a load balancer either share a
/// store (implement this trait over Redis, a database, …: `consume` must be an atomic
/// insert-if-absent) or accept that a handle may be replayed once per other replica within its
/// lifetime (bounded by the handle TTL, five minutes by default).
pub trait NonceStore: Send + Sync + fmt::Debug {
    /// Records `nonce` as used until `expires_at`; `Err(AlreadyUsed)` when it already was.
    /// `now` lets the store forget nonces whose handles can no longer verify.
    fn consume(
        &self,
        nonce: &str,
        expires_at: SystemTime,
        now: SystemTime,
    ) -> Result<(), AlreadyUsed>;
}

/// An in-process [`NonceStore`]; forgets nonces once their handles expired, so memory stays
/// bounded by the number of handles used within one TTL. Each call costs O(log n).
#[derive(Debug, Default)]
pub struct MemoryNonceStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    used: HashSet<String>,
    /// The same nonces, soonest expiry first, so expired ones are dropped without a scan.
    by_expiry: BinaryHeap<Reverse<(SystemTime, String)>>,
}

impl MemoryNonceStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many nonces are remembered.
    pub fn len(&self) -> usize {
        self.lock().used.len()
    }

    /// Whether no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means another thread panicked while holding it; the sets are
        // updated together below, so they are still consistent enough to keep refusing reuse.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl NonceStore for MemoryNonceStore {
    fn consume(
        &self,
        nonce: &str,
        expires_at: SystemTime,
        now: SystemTime,
    ) -> Result<(), AlreadyUsed> {
        let mut inner = self.lock();
        while let Some(Reverse((exp, _))) = inner.by_expiry.peek() {
            if *exp > now {
                break;
            }
            if let Some(Reverse((_, old))) = inner.by_expiry.pop() {
                inner.used.remove(&old);
            }
        }
        if !inner.used.insert(nonce.to_owned()) {
            return Err(AlreadyUsed);
        }
        inner
            .by_expiry
            .push(Reverse((expires_at, nonce.to_owned())));
        Ok(())
    }
}

//! The record of consumed handle nonces that makes handles single use.

use std::collections::HashMap;
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

/// An in-process [`NonceStore`]; forgets expired nonces as it goes, so memory stays bounded by
/// the number of handles used within one TTL.
#[derive(Debug, Default)]
pub struct MemoryNonceStore {
    used: Mutex<HashMap<String, SystemTime>>,
}

impl MemoryNonceStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many nonces are remembered.
    pub fn len(&self) -> usize {
        self.used
            .lock()
            .map(|m| m.len())
            .unwrap_or_else(|p| p.into_inner().len())
    }

    /// Whether no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl NonceStore for MemoryNonceStore {
    fn consume(
        &self,
        nonce: &str,
        expires_at: SystemTime,
        now: SystemTime,
    ) -> Result<(), AlreadyUsed> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        used.retain(|_, exp| *exp > now);
        if used.contains_key(nonce) {
            return Err(AlreadyUsed);
        }
        used.insert(nonce.to_owned(), expires_at);
        Ok(())
    }
}

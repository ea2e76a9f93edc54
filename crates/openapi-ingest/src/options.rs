//! Ingestion options.

/// How to ingest a document. Build it with struct-update syntax
/// (`IngestOptions { prefix: "pve_".into(), ..IngestOptions::default() }`) so new options keep
/// their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestOptions {
    /// Prepended to every tool name (default `"pxcloud_"`; may be empty).
    /// Must consist of `[A-Za-z0-9_.-]`.
    pub prefix: String,
    /// Longest tool name (default 48, at most 64). Longer names are shortened
    /// deterministically with a short hash.
    pub max_name_len: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            prefix: "pxcloud_".to_owned(),
            max_name_len: 48,
        }
    }
}

impl IngestOptions {
    /// Options with a different prefix and the other defaults.
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        IngestOptions {
            prefix: prefix.into(),
            ..IngestOptions::default()
        }
    }
}

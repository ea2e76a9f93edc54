//! Writes the policy's audit records as JSON lines to `PXCLOUD_AUDIT_LOG`.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use policy::AuditRecord;

use crate::config::Config;

/// An append-only JSON-lines file. Each record is written and flushed whole, under a lock, so
/// concurrent calls never interleave their lines.
#[derive(Debug)]
pub struct AuditSink {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditSink {
    /// Opens `config`'s audit file, if it names one.
    pub fn open_configured(config: &Config) -> anyhow::Result<Option<AuditSink>> {
        config.audit_log.as_deref().map(AuditSink::open).transpose()
    }

    /// Opens (creating) the file for appending. The error names the setting, the path, why
    /// and what to check.
    pub fn open(path: &Path) -> anyhow::Result<AuditSink> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                anyhow::anyhow!(
                    "PXCLOUD_AUDIT_LOG (--audit-log): cannot open {} for appending ({e}); check \
                     that it names a file in a directory that exists and is writable",
                    path.display()
                )
            })?;
        Ok(AuditSink {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// Appends one record. A failure is logged, never turned into a failed call.
    pub fn write(&self, record: &AuditRecord) {
        let mut line = record.to_json_line();
        line.push('\n');
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(e) = file.write_all(line.as_bytes()).and_then(|()| file.flush()) {
            tracing::error!(path = %self.path.display(), "cannot write the audit record: {e}");
        }
    }
}

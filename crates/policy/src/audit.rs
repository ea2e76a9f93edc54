//! Audit records for non-read-only calls. The library builds them; the caller writes each as
//! one JSON line (to `PXCLOUD_AUDIT_LOG` when set).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::mask::mask_map;
use crate::verdict::Verdict;

/// One audited call. Arguments are masked when the record is built, so it never holds a secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// When the call arrived, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The tool.
    pub tool: String,
    /// The HTTP method.
    pub method: &'static str,
    /// The path template.
    pub path: String,
    /// The arguments as received, secret-looking fields masked.
    pub args: Value,
    /// The verdict label (`allowed`, `approved`, `denied`, `dry_run`, …).
    pub verdict: &'static str,
    /// For denials, the reason code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The HTTP status PXCloud answered, when the call ran and got an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How long the call took, in milliseconds, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl AuditRecord {
    /// A record of a call and its verdict, before the outcome is known.
    pub fn new(
        now: SystemTime,
        tool: &openapi_ingest::Tool,
        args: &Map<String, Value>,
        verdict: &Verdict,
    ) -> AuditRecord {
        AuditRecord {
            time: rfc3339(now),
            tool: tool.name().to_owned(),
            method: tool.method().as_str(),
            path: tool.path().to_owned(),
            args: Value::Object(mask_map(args)),
            verdict: verdict.label(),
            reason: match verdict {
                Verdict::Deny(d) => Some(d.kind.code()),
                _ => None,
            },
            status: None,
            duration_ms: None,
        }
    }

    /// Adds the outcome of a call that ran: its HTTP status (none on a network error) and duration.
    pub fn with_outcome(mut self, status: Option<u16>, duration: Duration) -> AuditRecord {
        self.status = status;
        self.duration_ms = Some(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// The record as one line of JSON, without the trailing newline.
    pub fn to_json_line(&self) -> String {
        // Serializing strings, numbers and JSON values cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Formats a time as RFC 3339 UTC with milliseconds (`1970-01-01T00:00:00.000Z`); times
/// before the epoch print as the epoch.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, day) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

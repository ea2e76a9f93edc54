//! Start-up configuration of a simulator.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How a [`crate::Sim`] starts. `Default` gives plain HTTP on `127.0.0.1:0` (an ephemeral
/// port), one-hour tokens, no faults and 200 ms task steps.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Serve HTTPS with a self-signed certificate generated at start.
    pub tls: bool,
    /// Address to bind; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Lifetime of tokens issued by login or [`crate::Sim::issue_token`].
    pub token_ttl: Duration,
    /// Faults in force from the first request on.
    pub faults: FaultConfig,
    /// Time one task step takes; a task needs [`SimConfig::task_steps`] steps.
    pub task_step: Duration,
    /// Number of steps a long operation takes before it finishes.
    pub task_steps: u32,
    /// Extra DNS names for the certificate besides `localhost`, `127.0.0.1` and `::1`.
    pub cert_names: Vec<String>,
    /// Most recent requests the request log keeps (older ones are dropped).
    pub log_capacity: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            tls: false,
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            token_ttl: Duration::from_secs(3600),
            faults: FaultConfig::default(),
            task_step: Duration::from_millis(200),
            task_steps: 5,
            cert_names: Vec::new(),
            log_capacity: 100_000,
        }
    }
}

/// Initial fault settings; the same knobs as [`crate::FaultControls`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Added to every request before it is answered.
    pub latency: Duration,
    /// Fraction (0.0–1.0) of API requests answered with `error_status`.
    pub error_rate: f64,
    /// Status used by `error_rate`; 503 when `None`.
    pub error_status: Option<u16>,
    /// The next n API requests answer `fail_status`.
    pub fail_next: usize,
    /// Status used by `fail_next`; 503 when `None`.
    pub fail_status: Option<u16>,
    /// The next n API requests answer 429 with `Retry-After: retry_after_secs`.
    pub rate_limit_next: usize,
    /// `Retry-After` seconds for rate-limited answers.
    pub retry_after_secs: u64,
    /// The next n API requests are answered by closing the connection.
    pub reset_next: usize,
    /// Delay before the spec endpoint answers.
    pub spec_delay: Duration,
    /// Status the spec endpoint answers instead of the document.
    pub spec_failure: Option<u16>,
}

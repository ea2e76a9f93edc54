//! Errors of starting a simulator.

use std::io;
use std::net::SocketAddr;

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The listening socket could not be bound.
    #[error("cannot bind {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The self-signed certificate could not be generated.
    #[error("cannot generate the self-signed certificate")]
    Certificate(#[source] rcgen::Error),
    /// The TLS server configuration was rejected.
    #[error("cannot configure TLS")]
    Tls(#[source] rustls::Error),
}

//! Everything on the wire to PXCloud: login, token lifetime, TLS trust, retries,
//! timeouts, limits and typed errors. Knows nothing of MCP or OpenAPI.
//!
//! The stack, outermost first: overall deadline → retry → per-attempt timeout →
//! concurrency limit → auth → hyper (HTTP/1.1 and HTTP/2 by ALPN, keep-alive pool) over
//! rustls. See [`Client`] and the `client` module docs for what each layer does.
//!
//! ```no_run
//! use pxcloud_client::{ApiRequest, Auth, Client, ClientConfig, Secret, TlsTrust};
//!
//! # async fn demo() -> Result<(), pxcloud_client::Error> {
//! let mut config = ClientConfig::new(
//!     "https://pxcloud.example:8443",
//!     Auth::Password { username: "admin".into(), password: Secret::new("…") },
//! );
//! // Trust PXCloud's self-signed certificate by its SHA-256 fingerprint.
//! config.tls = TlsTrust::Fingerprint("AB:CD:…".into());
//! let client = Client::new(config)?;
//! for warning in client.warnings() {
//!     eprintln!("warning: {warning}");
//! }
//! client.login().await?;
//! let spec = client.fetch_spec().await?;
//! let vms = client.send(ApiRequest::get("/api/vms")).await?.error_for_status()?.json()?;
//! # let _ = (spec, vms);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod api;
mod auth;
mod client;
mod config;
mod error;
mod layers;
mod message;
mod retry;
mod secret;
mod tls;
mod token;
mod transport;

pub use client::{Client, ClientStats, SPEC_PATH};
pub use config::{Auth, ClientConfig, RetryConfig, Timeouts, TlsTrust};
pub use error::{Error, ErrorKind};
pub use message::{ApiRequest, ApiResponse};
pub use secret::Secret;
pub use tls::{fingerprint_sha256, parse_fingerprint};
pub use token::jwt_expiry;

//! Everything on the wire to PXCloud: login, token lifetime, TLS trust, retries,
//! timeouts, limits and typed errors. Knows nothing of MCP or OpenAPI.
#![deny(missing_docs)]

//! OpenAPI 3.0 / 3.1 and Swagger 2.0 documents to a catalog of MCP-ready tools.
//!
//! A pure library: no I/O, no async, no panics on any input.
#![deny(missing_docs)]

//! A hand-written JSON-RPC 2.0 codec and an MCP server core for every protocol revision,
//! over stdio and Streamable HTTP. Knows nothing of PXCloud.
#![deny(missing_docs)]

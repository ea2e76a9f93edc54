//! `pxcloud-mcp`: the MCP server for PXCloud.
fn main() {}

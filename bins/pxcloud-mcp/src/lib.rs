//! The pxcloud-mcp server as a library, so another Rust program can run it in-process.
#![deny(missing_docs)]

//! Integration tests of the pxcloud-mcp binary and library.

mod cli;
mod config;
mod envelope;
mod prompts;

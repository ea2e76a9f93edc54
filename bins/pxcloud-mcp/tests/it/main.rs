//! Integration tests of the pxcloud-mcp binary and library.

mod app;
mod cli;
mod client;
mod config;
mod docs;
mod envelope;
mod mcp;
mod prompts;
mod refresh;
mod workflow;

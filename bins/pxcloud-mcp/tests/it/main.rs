//! Integration tests of the pxcloud-mcp binary and library.

mod app;
mod blank_and_wait;
mod cli;
mod client;
mod config;
mod demo;
mod docs;
mod envelope;
mod hints;
mod mcp;
mod process;
mod prompts;
mod refresh;
mod startup;
mod tasks;
mod wire;
mod workflow;

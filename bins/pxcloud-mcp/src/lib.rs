//! The pxcloud-mcp server as a library, so another Rust program can run it in-process.
//!
//! Configuration comes in two stages: [`cli`] holds the raw flags and environment variables
//! as the user wrote them; [`config`] validates them into a [`config::Config`] whose errors
//! name the variable and the flag to fix.
#![deny(missing_docs)]

pub mod app;
pub mod check;
pub mod cli;
pub mod config;
pub mod envelope;
pub mod guides;
pub mod prompts;
pub mod run;
pub mod serve;

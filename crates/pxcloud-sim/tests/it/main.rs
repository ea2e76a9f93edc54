//! Integration tests of pxcloud-sim over real loopback sockets.

mod auth;
mod cli;
mod conformance;
mod console;
mod crud;
mod faults;
mod harness;
mod ipam;
mod misc;
mod reqlog;
mod spec;
mod state_machine;
mod tasks;
mod tls;

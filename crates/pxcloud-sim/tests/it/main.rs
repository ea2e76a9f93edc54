//! Integration tests of pxcloud-sim over real loopback sockets.

mod auth;
mod faults;
mod harness;
mod reqlog;
mod spec;
mod state_machine;
mod tasks;
mod tls;

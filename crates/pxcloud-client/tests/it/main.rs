//! Integration tests of the PXCloud client: against pxcloud-sim (each checked through its
//! request log) and, for what the simulator cannot show, a tiny scripted loopback server.

mod common;
mod local;
mod log_lines;
mod parsers;
mod sim_auth;
mod sim_retry;
mod sim_spec;
mod sim_tls;
mod stack;

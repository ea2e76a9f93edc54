//! Development tasks for pxcloud-mcp: `cargo xtask <task>` (alias in `.cargo/config.toml`).
//!
//! - `cargo xtask conformance` runs the official MCP conformance suites against the
//!   `conformance-server` fixture (or any `--url`).
//! - `cargo xtask interop` drives the fixture with the official Python and TypeScript SDK
//!   clients over stdio and Streamable HTTP.
//! - `cargo xtask e2e` walks the user stories with the official Python SDK client against
//!   the release server and pxcloud-sim, checking the simulator's request log.
//! - `cargo xtask bench` measures the release server and writes `docs/benchmarks.md`.
//! - `cargo xtask list-size` compares tools/list bytes on real documents with the naive
//!   generator's, keyword by keyword.
//! - `cargo xtask link-order` writes the release server's start-up link order
//!   (`bins/pxcloud-mcp/link/startup-order.txt`) from callgrind runs.
//! - `cargo xtask ci-deps` installs everything the two above need into `<workspace>/.cache`.
//!
//! Every tool the tasks need (Node 22, the suites, the SDKs) is installed under the
//! workspace's `.cache/` directory on first use, so a second run is fast and works offline.

mod args;
mod bench;
mod build;
mod ci_deps;
mod conformance;
mod e2e;
mod fixture;
mod interop;
mod list_size;
mod node;
mod proc;
mod python;
mod text;
mod workspace;

use std::process::ExitCode;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  conformance   run the official MCP conformance suites against the fixture server
                  --suite 0.1|0.2-2026|0.2-2025   run only this suite (default: all three)
                  --url URL                       test an already-running server instead
                  --keep-going                    run every suite even after one fails
                  --release                       build the fixture in release mode
                  --fixture-bin PATH              use this fixture executable, build nothing
                  --timeout SECS                  overall limit per suite (default 600)
  interop       official Python (mcp 2.3.x) and TypeScript (SDK 1.x) clients x stdio/HTTP
                  --client python|python-legacy|typescript   only this client (repeatable)
                  --transport stdio|http          only this transport
                  --url URL                       HTTP: test an already-running server
                  --stdio-command 'CMD ARGS'      stdio: spawn this server instead
                  --release                       build the fixture in release mode
                  --fixture-bin PATH              use this fixture executable, build nothing
                  --timeout SECS                  limit per client run (default 90)
  e2e           the release server against pxcloud-sim (HTTPS, pinned fingerprint), driven by
                the official Python SDK over stdio and HTTP in both eras through the issue's
                user stories, each checked against the simulator's request log
                  --transport stdio|http          only this transport
                  --mode auto|legacy              only this handshake (auto: server/discover)
                  --server-bin PATH               use this pxcloud-mcp, build nothing
                  --timeout SECS                  limit per client command (default 60)
  bench         measure the release server against the release pxcloud-sim on loopback and
                write docs/benchmarks.md (about two minutes)
                  --quick                         a few samples only (a smoke run)
                  --out PATH                      write the report here instead
  list-size     tools/list bytes (pxcloud-mcp tools --spec-file FILE --json) against the naive
                generator (bench/naive.rs) per document: sizes, missing descriptions, bytes per
                tool member and per input-schema keyword; fails when a description is missing
                  --spec FILE                     measure this JSON or YAML document (repeatable;
                                                  default: the four big specs/ documents,
                                                  proxmox-ve.json and pxcloud-sim's)
                  --tool NAME                     one tool (name or operationId) ours and naive
                  --out-dir DIR                   with --tool: write both JSONs there for diffing
                  --release                       build the server in release mode
                  --server-bin PATH               use this pxcloud-mcp, build nothing
  link-order    run the release server under callgrind (valgrind needed) against pxcloud-sim and
                write bins/pxcloud-mcp/link/startup-order.txt, the functions that run at
                start-up, which release builds lay out together (smaller resident memory)
                  --out PATH                      write the list here instead
  ci-deps       install Node 22, both suites, the TypeScript SDK and the Python venv
  help          print this text";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    let mut argv = std::env::args().skip(1);
    let task = argv.next().unwrap_or_else(|| "help".to_owned());
    let rest: Vec<String> = argv.collect();
    let ok = match task.as_str() {
        "conformance" => conformance::run(&rest)?,
        "interop" => interop::run(&rest)?,
        "ci-deps" => ci_deps::run(&rest)?,
        "e2e" => e2e::run(&rest)?,
        "bench" => bench::run(&rest)?,
        "link-order" => bench::link_order::run(&rest)?,
        "list-size" => list_size::run(&rest)?,
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            true
        }
        other => bail!("unknown task `{other}`\n\n{USAGE}"),
    };
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

//! `pxcloud-mcp`: the MCP server for PXCloud. Glue only; everything lives in the library.

use std::process::ExitCode;

use clap::Parser;
use pxcloud_mcp::cli::Cli;
use pxcloud_mcp::run;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match run::configure(&cli) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("pxcloud-mcp: configuration error: {error}");
            eprintln!("Run `pxcloud-mcp --help` for every setting and its default.");
            return ExitCode::from(2);
        }
    };
    run::init_logging(&config);
    // One thread runs everything: a call spends microseconds of CPU between waits on
    // PXCloud, so a second worker would only add cross-thread wake-ups (and their context
    // switches) to every call. Tokio's blocking pool still serves file and stdout I/O.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("pxcloud-mcp: error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::run(cli, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pxcloud-mcp: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

//! `pxcloud-mcp`: the MCP server for PXCloud. Glue only; everything lives in the library.

use std::process::ExitCode;

use clap::Parser;
use pxcloud_mcp::cli::{Cli, Command};
use pxcloud_mcp::config::{Config, ConfigError, Purpose};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if let Some(config) = error.downcast_ref::<ConfigError>() {
                eprintln!("pxcloud-mcp: configuration error: {config}");
                eprintln!("Run `pxcloud-mcp --help` for every setting and its default.");
                return ExitCode::from(2);
            }
            eprintln!("pxcloud-mcp: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let purpose = match &cli.command {
        Some(Command::Tools(args)) if args.spec_file.is_some() => Purpose::Offline,
        _ => Purpose::Connect,
    };
    let config = Config::from_raw(&cli.opts, purpose)?;
    anyhow::bail!(
        "the server is not assembled yet (configuration for {} is valid)",
        if config.demo {
            "the demo"
        } else {
            config.url.as_str()
        }
    )
}

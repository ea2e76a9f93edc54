//! What each subcommand does, behind a thin `main`.

use std::io::{IsTerminal as _, Write as _};

use anyhow::Context as _;
use serde_json::Value;

use crate::app::{self, App, ToolEntry};
use crate::cli::{Cli, Command, ToolsArgs};
use crate::config::{Config, Purpose};
use crate::{check, serve};

/// Validates the configuration for `cli`'s subcommand. Errors are [`crate::config::ConfigError`]s.
pub fn configure(cli: &Cli) -> Result<Config, crate::config::ConfigError> {
    let purpose = match &cli.command {
        Some(Command::Tools(ToolsArgs {
            spec_file: Some(_), ..
        })) => Purpose::Offline,
        _ => Purpose::Connect,
    };
    Config::from_raw(&cli.opts, purpose)
}

/// Sets up logging on stderr: `RUST_LOG` when set, else `--log-level`.
pub fn init_logging(config: &Config) {
    // An empty `RUST_LOG` counts as unset (it would otherwise silence everything and hide
    // `--log-level`).
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| tracing_subscriber::EnvFilter::try_new(v).ok());
    let filter = from_env.unwrap_or_else(|| {
        tracing_subscriber::EnvFilter::new(format!(
            "warn,pxcloud_mcp={0},pxcloud_client={0},mcp_protocol={0},policy={0},openapi_ingest={0}",
            config.log_level
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

/// Runs the subcommand.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command {
        None | Some(Command::Serve) => serve_command(config).await,
        Some(Command::Tools(args)) => tools_command(config, &args).await,
        Some(Command::Check) => check_command(config).await,
    }
}

async fn serve_command(config: Config) -> anyhow::Result<()> {
    // PXCLOUD_TLS_VERIFY=false is warned about by the client when it is built.
    let app = App::start(config).await?;
    if let Some(sim) = app.demo() {
        eprintln!(
            "pxcloud-mcp --demo: serving against the embedded PXCloud simulator at {} (user {}, certificate {})",
            sim.url(),
            pxcloud_sim::ADMIN_USER,
            sim.fingerprint_sha256().unwrap_or_default()
        );
    }
    serve::serve(app).await
}

async fn tools_command(config: Config, args: &ToolsArgs) -> anyhow::Result<()> {
    let entries: Vec<ToolEntry> = match &args.spec_file {
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("--spec-file: cannot read {}", path.display()))?;
            let mut spec = openapi_ingest::parse_document(&bytes)
                .map_err(|e| anyhow::anyhow!("--spec-file {}: {e}", path.display()))?;
            drop(bytes);
            app::startup::drop_responses(&mut spec);
            let catalog = openapi_ingest::Catalog::from_value(
                &spec,
                &openapi_ingest::IngestOptions::with_prefix(&config.tool_prefix),
            )
            .map_err(|e| anyhow::anyhow!("--spec-file {}: {e}", path.display()))?;
            drop(spec);
            for w in catalog.warnings() {
                tracing::debug!(pointer = %w.pointer, "{}", w.message);
            }
            app::offline_tools(&config, catalog, false)?
        }
        None => App::start(config).await?.list_tools(false),
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        // In tools/list's order (by name), so the output is exactly what a client receives.
        let mut entries = entries;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let tools: Vec<Value> = entries
            .into_iter()
            .map(|e| serde_json::to_value(serve::to_tool(e)).unwrap_or(Value::Null))
            .collect();
        serde_json::to_writer_pretty(&mut stdout, &tools)?;
        writeln!(stdout)?;
    } else {
        writeln!(
            stdout,
            "{:<48} {:<7} {:<12} PATH",
            "TOOL", "METHOD", "SAFETY"
        )?;
        for e in &entries {
            let meta = e.meta.clone().unwrap_or(Value::Null);
            let safety = if e.annotations["readOnlyHint"] == true {
                "read"
            } else if e.annotations["destructiveHint"] == false {
                "write"
            } else {
                // The protocol's default for a write: destructive.
                "destructive"
            };
            writeln!(
                stdout,
                "{:<48} {:<7} {:<12} {}",
                e.name,
                meta["method"].as_str().unwrap_or("-"),
                safety,
                meta["path"].as_str().unwrap_or("(workflow tool)")
            )?;
        }
        writeln!(stdout, "{} tools", entries.len())?;
    }
    Ok(())
}

async fn check_command(mut config: Config) -> anyhow::Result<()> {
    let _demo = if config.demo {
        Some(app::startup::start_demo(&mut config).await?)
    } else {
        None
    };
    let steps = check::run(&config).await;
    eprint!("{}", check::render(&steps));
    let failed = steps.iter().filter(|s| !s.ok).count();
    if failed > 0 {
        anyhow::bail!("{failed} check(s) failed");
    }
    eprintln!("All checks passed.");
    Ok(())
}

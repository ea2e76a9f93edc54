//! `pxcloud-sim`: run the PXCloud stand-in standalone.
//!
//! Prints the start-up banner (URL, demo credentials, certificate fingerprint) to stderr and
//! keeps stdout for `--print-spec`, so the document can be piped into a validator.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use pxcloud_sim::{FaultConfig, Sim, SimConfig};

/// A faithful in-memory PXCloud stand-in (Proxmox VE / VMware vSphere management API) for
/// tests, benchmarks and demos. Prints its URL, the demo users' credentials and, with --tls,
/// the certificate's SHA-256 fingerprint to stderr.
#[derive(Debug, Parser)]
#[command(name = "pxcloud-sim", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port (PXCloud itself uses 8443). Must be a
    /// loopback address unless --allow-non-loopback is given.
    #[arg(long, env = "PXCLOUD_SIM_BIND", default_value = "127.0.0.1:0")]
    bind: SocketAddr,
    /// Allow --bind on a non-loopback address (the simulator has well-known passwords).
    #[arg(long)]
    allow_non_loopback: bool,
    /// Serve HTTPS with a self-signed certificate generated at start.
    #[arg(long, env = "PXCLOUD_SIM_TLS")]
    tls: bool,
    /// Write the generated certificate (PEM) to this path (needs --tls).
    #[arg(long, value_name = "PATH", requires = "tls")]
    cert_out: Option<PathBuf>,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    token_ttl: u64,
    /// Duration of one task step in milliseconds (a task takes --task-steps steps).
    #[arg(long, value_name = "MS", default_value_t = 200)]
    task_step_ms: u64,
    /// Steps a long operation takes before it finishes.
    #[arg(long, value_name = "N", default_value_t = 5)]
    task_steps: u32,
    /// Latency added to every request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
    /// Fraction (0.0–1.0) of API requests answered with --error-status.
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    error_rate: f64,
    /// HTTP status used by --error-rate and --fail-next (e.g. 502, 503, 504).
    #[arg(long, value_name = "STATUS", default_value_t = 503)]
    error_status: u16,
    /// The first N API requests answer --error-status.
    #[arg(long, value_name = "N", default_value_t = 0)]
    fail_next: usize,
    /// The first N API requests answer 429 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 0)]
    rate_limit_next: usize,
    /// Seconds announced in Retry-After for rate-limited answers.
    #[arg(long, value_name = "SECS", default_value_t = 1)]
    retry_after: u64,
    /// The first N API requests are answered by closing the connection.
    #[arg(long, value_name = "N", default_value_t = 0)]
    reset_next: usize,
    /// Delay before /api-docs/openapi.json answers, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    spec_delay_ms: u64,
    /// Make /api-docs/openapi.json answer this status instead of the document.
    #[arg(long, value_name = "STATUS")]
    spec_failure: Option<u16>,
    /// Extra DNS name or IP for the certificate (repeatable).
    #[arg(long, value_name = "NAME")]
    cert_name: Vec<String>,
    /// Most recent requests kept in the in-memory request log.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    log_capacity: usize,
    /// Print the OpenAPI document to stdout and exit without serving.
    #[arg(long)]
    print_spec: bool,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pxcloud-sim: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.print_spec {
        println!("{}", pxcloud_sim::openapi_json());
        return Ok(());
    }
    if !args.bind.ip().is_loopback() && !args.allow_non_loopback {
        anyhow::bail!(
            "--bind {} is not a loopback address; the demo users have well-known passwords (add --allow-non-loopback to insist)",
            args.bind
        );
    }
    if !(0.0..=1.0).contains(&args.error_rate) {
        anyhow::bail!(
            "--error-rate must be between 0.0 and 1.0, got {}",
            args.error_rate
        );
    }
    let faults = FaultConfig {
        latency: Duration::from_millis(args.latency_ms),
        error_rate: args.error_rate,
        error_status: Some(args.error_status),
        fail_next: args.fail_next,
        fail_status: Some(args.error_status),
        rate_limit_next: args.rate_limit_next,
        retry_after_secs: args.retry_after,
        reset_next: args.reset_next,
        spec_delay: Duration::from_millis(args.spec_delay_ms),
        spec_failure: args.spec_failure,
    };
    let config = SimConfig {
        tls: args.tls,
        bind: args.bind,
        token_ttl: Duration::from_secs(args.token_ttl),
        faults,
        task_step: Duration::from_millis(args.task_step_ms),
        task_steps: args.task_steps,
        cert_names: args.cert_name.clone(),
        log_capacity: args.log_capacity,
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let sim = Sim::start(config)
            .await
            .context("cannot start the simulator")?;
        if let (Some(path), Some(pem)) = (&args.cert_out, sim.cert_pem()) {
            std::fs::write(path, pem)
                .with_context(|| format!("cannot write --cert-out {}", path.display()))?;
        }
        eprintln!("pxcloud-sim listening on {}", sim.url());
        eprintln!("  OpenAPI document: {}/api-docs/openapi.json", sim.url());
        eprintln!(
            "  admin user:  {} / {}",
            pxcloud_sim::ADMIN_USER,
            pxcloud_sim::ADMIN_PASSWORD
        );
        eprintln!(
            "  viewer user: {} / {} (read-only)",
            pxcloud_sim::VIEWER_USER,
            pxcloud_sim::VIEWER_PASSWORD
        );
        if let Some(fp) = sim.fingerprint_sha256() {
            eprintln!("  certificate SHA-256 fingerprint: {fp}");
        }
        if let Some(path) = &args.cert_out {
            eprintln!("  certificate PEM written to {}", path.display());
        }
        eprintln!("press Ctrl-C to stop");
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        sim.shutdown().await;
        Ok(())
    })
}

//! `cargo xtask e2e`: the release server against pxcloud-sim over HTTPS (trusted by its
//! certificate fingerprint), driven by the official Python SDK client over stdio and
//! Streamable HTTP, in both protocol eras, through the user stories of issue 8. Every step
//! is checked against the simulator's request log; any failure makes the task fail.

mod check;
mod driver;
mod scenario;

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use pxcloud_sim::{Sim, SimConfig};

use crate::args::Args;
use crate::proc::ChildGuard;
use crate::{python, workspace};

use driver::{Driver, Target};
use scenario::StepResult;

/// How long a freshly started HTTP server may take to print its endpoint.
const START_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Stdio,
    Http,
}

impl Transport {
    fn key(self) -> &'static str {
        match self {
            Self::Stdio => "stdio",
            Self::Http => "http",
        }
    }
}

/// `auto`: the SDK probes `server/discover` (2026-07-28); `legacy`: `initialize`.
const MODES: [&str; 2] = ["auto", "legacy"];

#[derive(Debug)]
struct Options {
    transports: Vec<Transport>,
    modes: Vec<&'static str>,
    server_bin: Option<PathBuf>,
    timeout: Duration,
}

fn parse(argv: &[String]) -> Result<Options> {
    let mut args = Args::new(argv);
    let server_bin = args.value("--server-bin")?.map(PathBuf::from);
    let timeout = args.seconds("--timeout", 60)?;
    let transports = match args.values("--transport")?.as_slice() {
        [] => vec![Transport::Stdio, Transport::Http],
        [one] if one == "stdio" => vec![Transport::Stdio],
        [one] if one == "http" => vec![Transport::Http],
        _ => bail!("--transport takes one of stdio, http"),
    };
    let modes = match args.values("--mode")?.as_slice() {
        [] => MODES.to_vec(),
        [one] => match MODES.iter().find(|m| *m == one) {
            Some(mode) => vec![*mode],
            None => bail!("--mode takes one of auto, legacy"),
        },
        _ => bail!("--mode takes one of auto, legacy"),
    };
    args.finish()?;
    Ok(Options {
        transports,
        modes,
        server_bin,
        timeout,
    })
}

/// One run's verdicts.
#[derive(Debug)]
struct RunResult {
    name: String,
    steps: Vec<StepResult>,
    setup_error: Option<String>,
    seconds: f64,
}

impl RunResult {
    fn failed(&self) -> usize {
        self.steps.iter().filter(|s| s.error.is_some()).count()
            + usize::from(self.setup_error.is_some())
    }
}

/// Runs the task; `Ok(false)` means a step failed (already reported).
pub(crate) fn run(argv: &[String]) -> Result<bool> {
    let options = parse(argv)?;
    let started = Instant::now();
    let server = match &options.server_bin {
        Some(path) if path.is_file() => path.clone(),
        Some(path) => bail!("--server-bin {} is not a file", path.display()),
        None => crate::build::release_binary("pxcloud-mcp", "pxcloud-mcp")?,
    };
    let python = python::venv_python()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start a tokio runtime for the simulator")?;

    let mut results = Vec::new();
    for transport in &options.transports {
        for mode in &options.modes {
            let name = format!("{} · python {mode}", transport.key());
            println!("\n=== {name} ===");
            let run_started = Instant::now();
            let outcome = one_run(
                &runtime,
                &server,
                &python,
                *transport,
                mode,
                options.timeout,
            );
            let (steps, setup_error) = match outcome {
                Ok(steps) => (steps, None),
                Err(error) => {
                    println!("  FAIL: {error:#}");
                    (Vec::new(), Some(format!("{error:#}")))
                }
            };
            results.push(RunResult {
                name,
                steps,
                setup_error,
                seconds: run_started.elapsed().as_secs_f64(),
            });
        }
    }
    print!("{}", summary(&results));
    println!("xtask e2e: {:.1} s in all", started.elapsed().as_secs_f64());
    Ok(results.iter().all(|r| r.failed() == 0))
}

/// A fresh simulator (the stories change its state), a server for HTTP, the driver, the stories.
fn one_run(
    runtime: &tokio::runtime::Runtime,
    server: &Path,
    python: &Path,
    transport: Transport,
    mode: &str,
    timeout: Duration,
) -> Result<Vec<StepResult>> {
    let config = SimConfig {
        tls: true,
        task_step: Duration::from_millis(50),
        ..SimConfig::default()
    };
    let sim = runtime
        .block_on(Sim::start(config))
        .context("cannot start pxcloud-sim")?;
    let fingerprint = sim
        .fingerprint_sha256()
        .context("the simulator serves HTTPS but reports no certificate fingerprint")?;
    println!(
        "  pxcloud-sim at {} (trusted by fingerprint {fingerprint})",
        sim.url()
    );
    let env = vec![
        ("PXCLOUD_URL".to_owned(), sim.url()),
        (
            "PXCLOUD_USER".to_owned(),
            pxcloud_sim::ADMIN_USER.to_owned(),
        ),
        (
            "PXCLOUD_PASS".to_owned(),
            pxcloud_sim::ADMIN_PASSWORD.to_owned(),
        ),
        ("PXCLOUD_TLS_FINGERPRINT".to_owned(), fingerprint),
        ("PXCLOUD_LOG_LEVEL".to_owned(), "warn".to_owned()),
    ];
    let logs = workspace::log_dir()?;
    let tag = format!("e2e-{}-{mode}", transport.key());
    let mut http = None;
    let target = match transport {
        Transport::Stdio => {
            let mut env = env;
            env.push(("PATH".to_owned(), std::env::var("PATH").unwrap_or_default()));
            Target::Stdio {
                command: server.to_path_buf(),
                env,
            }
        }
        Transport::Http => {
            let started = HttpServer::start(server, &env, &logs.join(format!("{tag}-server.log")))?;
            let url = started.url.clone();
            http = Some(started);
            Target::Url(url)
        }
    };
    let mut driver = Driver::start(python, &logs.join(format!("{tag}-client.log")), timeout)?;
    let steps = scenario::run(&mut driver, &sim, &target, mode);
    driver.quit();
    if let Some(mut server) = http {
        if let Ok(Some(status)) = server.process.exited() {
            bail!(
                "the HTTP server died during the run ({status}); see {}",
                server.log.display()
            );
        }
        server.process.stop();
    }
    runtime.block_on(sim.shutdown());
    Ok(steps)
}

/// `pxcloud-mcp --http 127.0.0.1:0` with its stderr copied to a log file; killed when dropped.
#[derive(Debug)]
pub(crate) struct HttpServer {
    process: ChildGuard,
    url: String,
    log: PathBuf,
}

impl HttpServer {
    /// Starts the server with exactly `env` and waits until it prints its endpoint.
    pub(crate) fn start(binary: &Path, env: &[(String, String)], log: &Path) -> Result<Self> {
        let mut file =
            File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let (stderr, child_err) = std::io::pipe().context("cannot create a pipe")?;
        let mut command = Command::new(binary);
        command
            .args(["--http", "127.0.0.1:0"])
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(child_err));
        let mut process = ChildGuard::spawn(&mut command, "pxcloud-mcp --http")?;
        // The command holds the child's end of the pipe; EOF comes only once it is gone.
        drop(command);
        let (sender, endpoint) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = writeln!(file, "{line}");
                if let Some(url) = endpoint_in(&line) {
                    let _ = sender.send(url);
                }
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(url) = endpoint.recv_timeout(Duration::from_millis(100)) {
                println!("  pxcloud-mcp (pid {}) serves {url}", process.id());
                return Ok(Self {
                    process,
                    url,
                    log: log.to_path_buf(),
                });
            }
            if let Some(status) = process.exited()? {
                bail!(
                    "pxcloud-mcp --http exited ({status}) before serving; last lines of {}:\n{}",
                    log.display(),
                    workspace::tail(log, 30)
                );
            }
            if Instant::now() >= deadline {
                bail!(
                    "pxcloud-mcp --http printed no endpoint within {} s; last lines of {}:\n{}",
                    START_TIMEOUT.as_secs(),
                    log.display(),
                    workspace::tail(log, 30)
                );
            }
        }
    }
}

impl HttpServer {
    /// `http://127.0.0.1:PORT/mcp`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Stops the server (SIGTERM, then SIGKILL).
    pub(crate) fn stop(self) {
        self.process.stop();
    }
}

/// The URL in "pxcloud-mcp: Streamable HTTP endpoint http://ADDR/mcp".
fn endpoint_in(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("Streamable HTTP endpoint ")?;
    let url = rest.split_whitespace().next()?;
    url.starts_with("http://").then(|| url.to_owned())
}

/// The recap: one line per run and step failures, then the total.
fn summary(results: &[RunResult]) -> String {
    let mut out = String::from("\n=== summary ===\n");
    for run in results {
        let passed = run.steps.iter().filter(|s| s.error.is_none()).count();
        let verdict = if run.failed() == 0 { "PASS" } else { "FAIL" };
        out.push_str(&format!(
            "{verdict}  {:<22} {passed}/{} steps  {:.1}s\n",
            run.name,
            run.steps.len(),
            run.seconds
        ));
        if let Some(error) = &run.setup_error {
            out.push_str(&format!("      setup: {}\n", crate::text::one_line(error)));
        }
        for step in &run.steps {
            if let Some(error) = &step.error {
                out.push_str(&format!(
                    "      {}: {}\n",
                    step.name,
                    crate::text::one_line(error)
                ));
            }
        }
    }
    let failed = results.iter().filter(|r| r.failed() > 0).count();
    out.push_str(&format!(
        "Total: {} run(s) passed, {failed} failed\n",
        results.len() - failed
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options() {
        let all = parse(&[]).unwrap();
        assert_eq!(all.transports, [Transport::Stdio, Transport::Http]);
        assert_eq!(all.modes, ["auto", "legacy"]);
        assert_eq!(all.timeout, Duration::from_secs(60));
        let some = parse(&argv(&[
            "--transport",
            "http",
            "--mode=legacy",
            "--timeout",
            "5",
        ]))
        .unwrap();
        assert_eq!(some.transports, [Transport::Http]);
        assert_eq!(some.modes, ["legacy"]);
        assert!(parse(&argv(&["--mode", "modern"])).is_err());
        assert!(parse(&argv(&["--transport", "ws"])).is_err());
        assert!(parse(&argv(&["--bogus"])).is_err());
    }

    #[test]
    fn endpoint_lines() {
        let cases = [
            (
                "pxcloud-mcp: Streamable HTTP endpoint http://127.0.0.1:4000/mcp",
                Some("http://127.0.0.1:4000/mcp"),
            ),
            ("2026-01-01 INFO something else", None),
            ("Streamable HTTP endpoint ftp://x", None),
        ];
        for (line, expected) in cases {
            assert_eq!(endpoint_in(line).as_deref(), expected, "{line}");
        }
    }

    #[test]
    fn summary_counts_runs_and_names_failures() {
        let step = |name: &str, error: Option<&str>| StepResult {
            name: name.to_owned(),
            error: error.map(str::to_owned),
        };
        let results = vec![
            RunResult {
                name: "stdio · python auto".to_owned(),
                steps: vec![step("a", None), step("b", None)],
                setup_error: None,
                seconds: 1.0,
            },
            RunResult {
                name: "http · python legacy".to_owned(),
                steps: vec![step("a", None), step("burst", Some("saw 2\nrequests"))],
                setup_error: None,
                seconds: 2.0,
            },
        ];
        let text = summary(&results);
        assert!(text.contains("PASS  stdio · python auto"), "{text}");
        assert!(text.contains("2/2 steps"), "{text}");
        assert!(text.contains("FAIL  http · python legacy"), "{text}");
        assert!(text.contains("      burst: saw 2 requests"), "{text}");
        assert!(
            text.ends_with("Total: 1 run(s) passed, 1 failed\n"),
            "{text}"
        );
    }
}

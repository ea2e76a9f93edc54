//! `cargo xtask interop`: the official SDK clients against the fixture.
//!
//! Clients: the Python SDK (`mcp` 2.3.x) in its default mode, which probes `server/discover`
//! and falls back to `initialize`; the same SDK forced to legacy `initialize`; the TypeScript
//! SDK 1.x (legacy `initialize` only). Transports: stdio (the client spawns the fixture) and
//! Streamable HTTP (one fixture on a free loopback port). Each client lists the tools, calls
//! `test_simple_text` and reports what it saw as one JSON line; [`judge`] decides.

mod judge;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::args::Args;
use crate::fixture::{self, HttpServer};
use crate::proc::{self, Echo};
use crate::text::{last_lines, one_line};
use crate::{node, python, workspace};

use judge::{Expectation, Verdict};

/// The conformance fixture's tool and its exact text.
const TOOL: &str = "test_simple_text";
const TEXT: &str = "This is a simple text response for testing.";

/// The client scripts and the TypeScript manifest, in this crate.
fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop")
}

/// One of the official clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientKind {
    /// Python SDK, default mode: `server/discover` probe, then `initialize`.
    Python,
    /// Python SDK forced to `initialize`.
    PythonLegacy,
    /// TypeScript SDK 1.x.
    TypeScript,
}

impl ClientKind {
    const ALL: [Self; 3] = [Self::Python, Self::PythonLegacy, Self::TypeScript];

    fn key(self) -> &'static str {
        match self {
            Self::Python => "python",
            Self::PythonLegacy => "python-legacy",
            Self::TypeScript => "typescript",
        }
    }
}

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

#[derive(Debug)]
struct Options {
    clients: Vec<ClientKind>,
    transports: Vec<Transport>,
    url: Option<String>,
    stdio_command: Option<Vec<String>>,
    fixture: fixture::Source,
    timeout: Duration,
}

fn parse(argv: &[String]) -> Result<Options> {
    let mut args = Args::new(argv);
    let fixture = fixture::Source::from_args(&mut args)?;
    let url = args.value("--url")?;
    let stdio_command = args.value("--stdio-command")?.map(|text| {
        text.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    let timeout = args.seconds("--timeout", 90)?;
    let client_keys = args.values("--client")?;
    let transport_keys = args.values("--transport")?;
    args.finish()?;
    if stdio_command.as_ref().is_some_and(Vec::is_empty) {
        bail!("--stdio-command is empty");
    }
    let mut clients = Vec::new();
    for key in &client_keys {
        match ClientKind::ALL.iter().find(|kind| kind.key() == key) {
            Some(kind) => clients.push(*kind),
            None => bail!("unknown --client `{key}` (known: python, python-legacy, typescript)"),
        }
    }
    if clients.is_empty() {
        clients = ClientKind::ALL.to_vec();
    }
    let transports = match transport_keys.as_slice() {
        [] => vec![Transport::Stdio, Transport::Http],
        [one] if one == "stdio" => vec![Transport::Stdio],
        [one] if one == "http" => vec![Transport::Http],
        _ => bail!("--transport takes one of stdio, http"),
    };
    Ok(Options {
        clients,
        transports,
        url,
        stdio_command,
        fixture,
        timeout,
    })
}

/// How to start each client, after installing what it needs.
#[derive(Debug)]
struct Launchers {
    python: Option<PathBuf>,
    node: Option<PathBuf>,
    ts_script: Option<PathBuf>,
}

/// Installs the TypeScript client: its manifest and script are copied to `.cache/interop-ts`
/// (Node resolves `node_modules` next to the script) and its pinned dependencies installed.
pub(crate) fn install_ts_client() -> Result<PathBuf> {
    let dir = workspace::cache_dir()?.join("interop-ts");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for file in ["package.json", "client.mjs"] {
        let from = script_dir().join(file);
        std::fs::copy(&from, dir.join(file))
            .with_context(|| format!("cannot copy {} to {}", from.display(), dir.display()))?;
    }
    node::ensure_manifest(&dir).context("cannot install the TypeScript SDK client")?;
    Ok(dir.join("client.mjs"))
}

impl Launchers {
    fn install(clients: &[ClientKind]) -> Result<Self> {
        let wants_python = clients
            .iter()
            .any(|c| matches!(c, ClientKind::Python | ClientKind::PythonLegacy));
        let wants_ts = clients.contains(&ClientKind::TypeScript);
        let python = if wants_python {
            Some(python::venv_python()?)
        } else {
            None
        };
        let (node, ts_script) = if wants_ts {
            (Some(node::node22()?), Some(install_ts_client()?))
        } else {
            (None, None)
        };
        Ok(Self {
            python,
            node,
            ts_script,
        })
    }

    /// The client command up to (not including) its transport arguments.
    fn command(&self, kind: ClientKind) -> Result<Command> {
        match kind {
            ClientKind::Python | ClientKind::PythonLegacy => {
                let python = self
                    .python
                    .as_ref()
                    .context("the Python client was not installed")?;
                let mut command = Command::new(python);
                let mode = if kind == ClientKind::Python {
                    "auto"
                } else {
                    "legacy"
                };
                command
                    .arg(script_dir().join("client.py"))
                    .args(["--mode", mode]);
                Ok(command)
            }
            ClientKind::TypeScript => {
                let node = self.node.as_ref().context("Node 22 was not installed")?;
                let script = self
                    .ts_script
                    .as_ref()
                    .context("the TypeScript client was not installed")?;
                let mut command = Command::new(node);
                command.arg(script);
                Ok(command)
            }
        }
    }
}

/// One line of the result table.
#[derive(Debug)]
struct Row {
    client: ClientKind,
    transport: Transport,
    verdict: Verdict,
    seconds: f64,
}

/// Runs the task; `Ok(false)` means some client run failed (already reported).
pub(crate) fn run(argv: &[String]) -> Result<bool> {
    let options = parse(argv)?;
    let launchers = Launchers::install(&options.clients)?;
    let needs_fixture = (options.transports.contains(&Transport::Stdio)
        && options.stdio_command.is_none())
        || (options.transports.contains(&Transport::Http) && options.url.is_none());
    let binary = if needs_fixture {
        Some(options.fixture.executable()?)
    } else {
        None
    };
    let expect = Expectation {
        tool: TOOL.to_owned(),
        text: TEXT.to_owned(),
    };

    let mut rows = Vec::new();
    let mut fixture_died = false;
    for transport in &options.transports {
        // One HTTP fixture serves every HTTP client in turn; stopped after them.
        let mut server = None;
        let target: Vec<String> = match transport {
            Transport::Http => {
                let url = match (&options.url, &binary) {
                    (Some(url), _) => url.clone(),
                    (None, Some(binary)) => {
                        let started = HttpServer::start(binary, "interop-server-http")?;
                        let url = started.url().to_owned();
                        server = Some(started);
                        url
                    }
                    (None, None) => bail!("no fixture and no --url for HTTP"),
                };
                vec!["--url".to_owned(), url, TOOL.to_owned()]
            }
            Transport::Stdio => {
                let mut target = vec!["--stdio".to_owned(), TOOL.to_owned(), "--".to_owned()];
                match (&options.stdio_command, &binary) {
                    (Some(command), _) => target.extend(command.iter().cloned()),
                    (None, Some(binary)) => target.push(binary.display().to_string()),
                    (None, None) => bail!("no fixture and no --stdio-command for stdio"),
                }
                target
            }
        };
        for client in &options.clients {
            let row = run_client(
                &launchers,
                *client,
                *transport,
                &target,
                &expect,
                options.timeout,
            )?;
            println!(
                "xtask: {} over {}: {} ({})",
                client.key(),
                transport.key(),
                if row.verdict.pass { "PASS" } else { "FAIL" },
                row.verdict.detail
            );
            rows.push(row);
        }
        if let Some(mut server) = server {
            match server.exited()? {
                Some(status) => {
                    fixture_died = true;
                    println!(
                        "xtask: error: {} exited during the HTTP runs ({status}); last lines of {}:\n{}",
                        fixture::PACKAGE,
                        server.log().display(),
                        workspace::tail(server.log(), 20)
                    );
                }
                None => server.stop(),
            }
        }
    }
    if fixture_died {
        println!("xtask: interop fails: the HTTP fixture died (see above)");
    }
    print!("\n{}", table(&rows));
    Ok(!fixture_died && rows.iter().all(|row| row.verdict.pass))
}

fn run_client(
    launchers: &Launchers,
    client: ClientKind,
    transport: Transport,
    target: &[String],
    expect: &Expectation,
    timeout: Duration,
) -> Result<Row> {
    let mut command = launchers.command(client)?;
    command.args(target);
    let name = format!("the {} client over {}", client.key(), transport.key());
    let done = proc::run(&mut command, &name, timeout, Echo::Quiet)?;
    let default_handshake = "initialize";
    let mut verdict = match judge::find_report(&done.stdout) {
        Some(report) => judge::judge(&report, expect, default_handshake),
        None => Verdict {
            pass: false,
            sdk_version: "?".to_owned(),
            handshake: "-".to_owned(),
            protocol_version: "-".to_owned(),
            tool_count: None,
            detail: format!(
                "no report from the client ({}) {}",
                done.outcome(timeout),
                one_line(&done.tail(8))
            )
            .trim_end()
            .to_owned(),
        },
    };
    if verdict.pass && done.status.is_none() {
        verdict.pass = false;
        verdict.detail = format!(
            "reported success but did not exit within {} s",
            timeout.as_secs()
        );
    }
    if client == ClientKind::Python && verdict.pass && verdict.handshake != "server/discover" {
        verdict
            .detail
            .push_str("; note: the server/discover probe fell back to initialize");
    }
    if !verdict.pass && !done.stderr.trim().is_empty() {
        // The client's own stderr (and a stdio fixture's, which it inherits) explains most failures.
        println!("xtask: stderr of {name}:\n{}", last_lines(&done.stderr, 25));
    }
    Ok(Row {
        client,
        transport,
        verdict,
        seconds: done.elapsed.as_secs_f64(),
    })
}

fn table(rows: &[Row]) -> String {
    let header = [
        "client",
        "sdk",
        "transport",
        "handshake",
        "version",
        "tools",
        "time",
        "result",
        "detail",
    ];
    let mut cells: Vec<[String; 9]> = vec![header.map(str::to_owned)];
    for row in rows {
        let v = &row.verdict;
        cells.push([
            row.client.key().to_owned(),
            v.sdk_version.clone(),
            row.transport.key().to_owned(),
            v.handshake.clone(),
            v.protocol_version.clone(),
            v.tool_count
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
            format!("{:.1}s", row.seconds),
            if v.pass { "PASS" } else { "FAIL" }.to_owned(),
            v.detail.clone(),
        ]);
    }
    let mut widths = [0usize; 9];
    for line in &cells {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::from("=== xtask: interop results ===\n");
    for line in &cells {
        let mut out = String::new();
        for (index, (cell, width)) in line.iter().zip(widths).enumerate() {
            if index == line.len() - 1 {
                out.push_str(cell);
            } else {
                let _ = write!(out, "{cell:<width$}  ");
            }
        }
        text.push_str(out.trim_end());
        text.push('\n');
    }
    let passed = rows.iter().filter(|row| row.verdict.pass).count();
    let _ = writeln!(
        text,
        "Total: {passed} passed, {} failed",
        rows.len() - passed
    );
    text
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
        assert_eq!(all.clients, ClientKind::ALL);
        assert_eq!(all.transports, [Transport::Stdio, Transport::Http]);

        let some = parse(&argv(&[
            "--client",
            "typescript",
            "--transport",
            "http",
            "--stdio-command",
            "python3 s.py --x",
        ]))
        .unwrap();
        assert_eq!(some.clients, [ClientKind::TypeScript]);
        assert_eq!(some.transports, [Transport::Http]);
        assert_eq!(some.stdio_command, Some(argv(&["python3", "s.py", "--x"])));

        assert!(parse(&argv(&["--client", "java"])).is_err());
        assert!(parse(&argv(&["--transport", "ws"])).is_err());
        assert!(parse(&argv(&["--stdio-command", "  "])).is_err());
    }

    #[test]
    fn table_lists_every_row_and_a_total() {
        let verdict = |pass: bool, detail: &str| Verdict {
            pass,
            sdk_version: "2.3.0".to_owned(),
            handshake: "server/discover".to_owned(),
            protocol_version: "2026-07-28".to_owned(),
            tool_count: Some(12),
            detail: detail.to_owned(),
        };
        let rows = vec![
            Row {
                client: ClientKind::Python,
                transport: Transport::Stdio,
                verdict: verdict(true, "fine"),
                seconds: 1.25,
            },
            Row {
                client: ClientKind::TypeScript,
                transport: Transport::Http,
                verdict: verdict(false, "broken"),
                seconds: 0.5,
            },
        ];
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(
            lines[1].starts_with("client") && lines[1].ends_with("detail"),
            "{text}"
        );
        assert!(
            lines[2].starts_with("python ")
                && lines[2].contains("PASS")
                && lines[2].contains("1.2s"),
            "{text}"
        );
        assert!(
            lines[3].starts_with("typescript")
                && lines[3].contains(" FAIL ")
                && lines[3].ends_with("broken"),
            "{text}"
        );
        assert_eq!(lines[4], "Total: 1 passed, 1 failed");
    }
}

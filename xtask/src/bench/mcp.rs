//! The server under measurement: spawned over stdio (read on the calling thread, so no
//! thread hand-off sits inside the timings) or over Streamable HTTP; JSON-RPC messages
//! written by hand.

use std::fs::File;
use std::io::{BufRead, BufReader, PipeReader, PipeWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::proc::ChildGuard;

/// The 2026-07-28 revision (stateless HTTP).
pub(crate) const MODERN: &str = "2026-07-28";
/// The legacy revision the stdio client initializes with.
pub(crate) const LEGACY: &str = "2025-06-18";

/// `pxcloud-mcp` serving stdio; killed when dropped.
#[derive(Debug)]
pub(crate) struct StdioServer {
    process: ChildGuard,
    stdin: PipeWriter,
    stdout: BufReader<PipeReader>,
    line: String,
    sentinel: Sentinel,
}

impl StdioServer {
    /// Spawns `binary` with exactly `env` (plus nothing else); stderr goes to `log`.
    pub(crate) fn spawn(binary: &Path, env: &[(String, String)], log: &Path) -> Result<Self> {
        Self::spawn_program(binary, &[], env, log, "pxcloud-mcp (stdio)")
    }

    /// Spawns `program args…` (any stdio MCP server) with exactly `env`; stderr goes to `log`.
    pub(crate) fn spawn_program(
        program: &Path,
        args: &[&std::ffi::OsStr],
        env: &[(String, String)],
        log: &Path,
        label: &str,
    ) -> Result<Self> {
        let err = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let (child_in, stdin) = std::io::pipe().context("cannot create a pipe")?;
        let (stdout, child_out) = std::io::pipe().context("cannot create a pipe")?;
        let mut command = Command::new(program);
        command
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::from(child_in))
            .stdout(Stdio::from(child_out))
            .stderr(err);
        let process = ChildGuard::spawn(&mut command, label)?;
        drop(command);
        let sentinel = Sentinel::start(process.id());
        Ok(Self {
            process,
            stdin,
            stdout: BufReader::new(stdout),
            line: String::new(),
            sentinel,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Sends a request and returns the response with the same id (notifications skipped).
    /// A watchdog kills the server if nothing comes within 30 s, which ends the read.
    pub(crate) fn request(&mut self, id: u64, method: &str, params: Value) -> Result<Value> {
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send(&message)?;
        let _armed = self.sentinel.arm(Duration::from_secs(30));
        loop {
            self.line.clear();
            let read = self
                .stdout
                .read_line(&mut self.line)
                .context("cannot read the server's stdout")?;
            if read == 0 {
                bail!(
                    "pxcloud-mcp closed stdout (exited or was killed after 30 s of silence) while {method} was pending"
                );
            }
            let reply: Value = serde_json::from_str(&self.line)
                .with_context(|| format!("stdout carried non-JSON: {:?}", self.line))?;
            if reply.get("id") == Some(&json!(id)) {
                if let Some(error) = reply.get("error") {
                    bail!("{method} failed: {error}");
                }
                return Ok(reply.get("result").cloned().unwrap_or(Value::Null));
            }
        }
    }

    /// Sends a notification.
    pub(crate) fn notify(&mut self, method: &str) -> Result<()> {
        self.send(&json!({"jsonrpc": "2.0", "method": method}))
    }

    fn send(&mut self, message: &Value) -> Result<()> {
        let mut text = message.to_string();
        text.push('\n');
        self.stdin
            .write_all(text.as_bytes())
            .context("cannot write to the server's stdin")
    }

    /// The legacy handshake.
    pub(crate) fn initialize(&mut self) -> Result<Value> {
        let result = self.request(
            0,
            "initialize",
            json!({"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "xtask-bench", "version": "1"}}),
        )?;
        self.notify("notifications/initialized")?;
        Ok(result)
    }

    /// Every tool, following `nextCursor`.
    pub(crate) fn list_tools(&mut self) -> Result<Vec<Value>> {
        let mut tools = Vec::new();
        let mut params = json!({});
        for id in 1..=100 {
            let page = self.request(id, "tools/list", params.clone())?;
            match page.get("tools") {
                Some(Value::Array(list)) => tools.extend(list.iter().cloned()),
                _ => bail!("tools/list answered without tools: {page}"),
            }
            match page.get("nextCursor").and_then(Value::as_str) {
                Some(cursor) => params = json!({"cursor": cursor}),
                None => return Ok(tools),
            }
        }
        bail!("tools/list still had a nextCursor after 100 pages")
    }

    /// Stops the server.
    pub(crate) fn stop(self) {
        drop(self.stdin);
        self.process.stop();
    }
}

/// One thread per stdio server that kills it once a pending request has waited longer than
/// its limit. Arming and disarming are two atomic stores, so no thread is started (and no
/// other thread woken) inside a timed request; the thread looks every 50 ms.
#[derive(Debug)]
struct Sentinel {
    /// Milliseconds since `origin` after which the server is killed; 0 when disarmed.
    deadline: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    origin: Instant,
}

impl Sentinel {
    fn start(pid: u32) -> Self {
        let deadline = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let origin = Instant::now();
        let (watched, stopped) = (Arc::clone(&deadline), Arc::clone(&stop));
        thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(50));
                let at = watched.load(Ordering::Relaxed);
                if at != 0 && millis_since(origin) > at {
                    kill(pid);
                    return;
                }
            }
        });
        Self {
            deadline,
            stop,
            origin,
        }
    }

    /// Armed until the returned guard is dropped.
    fn arm(&self, after: Duration) -> Armed<'_> {
        let at =
            millis_since(self.origin) + u64::try_from(after.as_millis()).unwrap_or(u64::MAX / 2);
        self.deadline.store(at.max(1), Ordering::Relaxed);
        Armed(self)
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A request pending under a [`Sentinel`].
struct Armed<'a>(&'a Sentinel);

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        self.0.deadline.store(0, Ordering::Relaxed);
    }
}

fn millis_since(origin: Instant) -> u64 {
    u64::try_from(origin.elapsed().as_millis()).unwrap_or(u64::MAX / 2)
}

fn kill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Kills `pid` unless dropped within `after`.
#[derive(Debug)]
pub(crate) struct Watchdog {
    disarm: mpsc::Sender<()>,
}

impl Watchdog {
    pub(crate) fn arm(pid: u32, after: Duration) -> Self {
        let (disarm, disarmed) = mpsc::channel::<()>();
        thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = disarmed.recv_timeout(after) {
                kill(pid);
            }
        });
        Self { disarm }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let _ = self.disarm.send(());
    }
}

/// A `tools/call` request body for the stateless 2026-07-28 era, with its mirror headers.
pub(crate) fn modern_call(id: u64, tool: &str, arguments: &Value) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
        "name": tool, "arguments": arguments,
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "xtask-bench", "version": "1"}
        }
    }})
    .to_string()
    .into_bytes()
}

/// A JSON-RPC result that is a successful tool result (`isError` false).
pub(crate) fn call_succeeded(reply: &[u8]) -> bool {
    serde_json::from_slice::<Value>(reply).is_ok_and(|v| {
        v.pointer("/result/isError") == Some(&Value::Bool(false))
            || (v.pointer("/result/content").is_some() && v.pointer("/result/isError").is_none())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentinel_kills_only_a_request_over_its_limit() {
        let mut child = Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let sentinel = Sentinel::start(child.id());
        {
            let _armed = sentinel.arm(Duration::from_millis(100));
        }
        thread::sleep(Duration::from_millis(300));
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "disarmed, yet killed"
        );
        let _armed = sentinel.arm(Duration::from_millis(100));
        let started = Instant::now();
        while child.try_wait().expect("try_wait").is_none() {
            assert!(started.elapsed() < Duration::from_secs(10), "not killed");
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn call_results() {
        let cases = [
            (
                r#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":false}}"#,
                true,
            ),
            (r#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#, true),
            (
                r#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":true}}"#,
                false,
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"x"}}"#,
                false,
            ),
            ("not json", false),
        ];
        for (reply, expected) in cases {
            assert_eq!(call_succeeded(reply.as_bytes()), expected, "{reply}");
        }
        let body: Value =
            serde_json::from_slice(&modern_call(7, "t", &json!({"id": "x"}))).unwrap();
        assert_eq!(
            body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
            MODERN
        );
        assert_eq!(body["params"]["arguments"]["id"], "x");
    }
}

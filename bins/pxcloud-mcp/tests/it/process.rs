//! Runs of the real binary that are expected to end by themselves (start-up failures,
//! configuration errors), and waiting for something the server says on stderr instead of for
//! a fixed time: a PXCloud that comes up only once the server has said it cannot reach it
//! (`--wait`), however slowly the server starts on a loaded machine.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pxcloud_sim::{Sim, SimConfig};
use tokio::sync::oneshot;

/// How long a server may take to say what a test waits for: generous, as the machine may be
/// busy; only a server that never says it waits this long.
pub(crate) const PATIENCE: Duration = Duration::from_secs(60);

/// A loopback port nobody listens on (bound once, then released).
pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// How a process that was expected to stop ended.
pub(crate) struct Exit {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

/// Runs `cmd` with its stdin held open (as an MCP client holds it) and waits for it to exit
/// on its own; a process still running after `limit` is killed and the test fails: a silent
/// hang is exactly what these tests rule out.
pub(crate) fn exits_within(cmd: Command, limit: Duration) -> Exit {
    exits_watching(cmd, limit, None)
}

/// [`exits_within`], telling `watch` when stderr shows its line.
pub(crate) fn exits_watching(mut cmd: Command, limit: Duration, watch: Option<Watch>) -> Exit {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn pxcloud-mcp");
    let stdin = child.stdin.take();
    let mut out = child.stdout.take().expect("stdout is piped");
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        text
    });
    let err = child.stderr.take().expect("stderr is piped");
    let stderr = std::thread::spawn(move || {
        let mut watch = watch;
        let mut text = String::new();
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            Watch::offer(&mut watch, &line);
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "still running after {limit:?}; stderr:\n{}",
                stderr.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    drop(stdin);
    Exit {
        code: status.code(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        elapsed,
    }
}

/// The one `pxcloud-mcp: error:` line of a failed start-up in `stderr`, checked to say
/// nothing twice: no run of three words appears in it more than once (the old `login to
/// PXCloud failed: transport error: login to PXCloud as "admin" failed: …` would not pass).
pub(crate) fn error_line(what: &str, stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("pxcloud-mcp: error:"))
        .collect();
    assert_eq!(lines.len(), 1, "{what}: one error line: {stderr}");
    let line = lines[0].to_owned();
    let words: Vec<String> = line
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    for (i, run) in words.windows(3).enumerate() {
        assert!(
            !words[i + 1..].windows(3).any(|later| later == run),
            "{what}: {:?} is said twice: {line}",
            run.join(" ")
        );
    }
    line
}

/// Someone waiting for the first stderr line that contains `needle`.
pub(crate) struct Watch {
    needle: &'static str,
    seen: oneshot::Sender<()>,
}

impl Watch {
    /// Hands `line` to `watch`, which fires (and is used up) if the line is the one.
    pub(crate) fn offer(watch: &mut Option<Watch>, line: &str) {
        if watch.as_ref().is_some_and(|w| line.contains(w.needle))
            && let Some(watch) = watch.take()
        {
            let _ = watch.seen.send(());
        }
    }
}

/// The waiting side of a [`Watch`].
pub(crate) struct Seen(oneshot::Receiver<()>);

impl Seen {
    /// Whether the line came within [`PATIENCE`].
    pub(crate) async fn within_patience(self) -> bool {
        matches!(tokio::time::timeout(PATIENCE, self.0).await, Ok(Ok(())))
    }
}

/// A watch for the first stderr line containing `needle`, and its waiting side.
pub(crate) fn watch(needle: &'static str) -> (Watch, Seen) {
    let (seen, rx) = oneshot::channel();
    (Watch { needle, seen }, Seen(rx))
}

/// What a server started with `--wait` against a PXCloud that is not up says first.
pub(crate) const CANNOT_CONNECT: &str = "cannot connect to PXCloud";

/// A PXCloud (simulator) that boots after the MCP server: on `port`, once the server has said
/// it cannot connect.
pub(crate) struct LateSim(tokio::task::JoinHandle<(Sim, bool)>);

/// A [`LateSim`] on `port` and the watch to give the server's stderr.
pub(crate) fn late_sim(port: u16) -> (Watch, LateSim) {
    let (watch, seen) = watch(CANNOT_CONNECT);
    let task = tokio::spawn(async move {
        let waited = seen.within_patience().await;
        let sim = Sim::start(SimConfig {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts on the promised port");
        (sim, waited)
    });
    (watch, LateSim(task))
}

impl LateSim {
    /// The simulator, once up; the test fails (showing `stderr`) if the server never said it
    /// cannot connect, that is, never waited for PXCloud.
    pub(crate) async fn up(self, stderr: impl FnOnce() -> String) -> Sim {
        let (sim, waited) = self.0.await.expect("simulator task");
        assert!(
            waited,
            "the server never said {CANNOT_CONNECT:?} (it should wait for PXCloud): {}",
            stderr()
        );
        sim
    }
}

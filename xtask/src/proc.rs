//! Child processes that never outlive the task: a kill-on-drop guard, runs with an overall
//! deadline, free loopback ports and waiting until a server accepts connections.
//!
//! Ctrl-C in a terminal reaches every process of the foreground process group, so children
//! stay in ours (no `setsid`): they get the same SIGINT the task gets. Errors, panics and
//! timeouts go through [`ChildGuard`]'s `Drop`, which terminates the child and everything
//! it started (SIGTERM, then SIGKILL after a grace period) and reaps it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::text::last_lines;

/// How often a running child is polled.
const POLL: Duration = Duration::from_millis(50);

/// A child process that is killed and reaped when the guard is dropped.
#[derive(Debug)]
pub(crate) struct ChildGuard {
    child: Child,
    name: String,
}

impl ChildGuard {
    /// Spawns `command`, naming it `name` in errors.
    pub(crate) fn spawn(command: &mut Command, name: &str) -> Result<Self> {
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name} ({})", describe(command)))?;
        Ok(Self {
            child,
            name: name.to_owned(),
        })
    }

    /// The exit status if the child has already exited.
    pub(crate) fn exited(&mut self) -> Result<Option<ExitStatus>> {
        self.child
            .try_wait()
            .with_context(|| format!("cannot poll {}", self.name))
    }

    /// The child's process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }

    fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.stderr.take()
    }

    /// Waits until the child exits or `deadline` passes; `None` means it timed out (and
    /// is still running: dropping the guard kills it).
    fn wait_until(&mut self, deadline: Instant) -> Result<Option<ExitStatus>> {
        loop {
            if let Some(status) = self.exited()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            thread::sleep(POLL);
        }
    }
}

impl ChildGuard {
    /// Stops the child and everything it started: SIGTERM to all of them, up to
    /// [`STOP_GRACE`] to exit, then SIGKILL for whatever is left. Returns the child's exit
    /// status if it exited by itself within the grace period (`Ok(None)`: it had to be killed).
    pub(crate) fn stop(mut self) -> Option<ExitStatus> {
        self.terminate()
    }

    fn terminate(&mut self) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        // The child's own children (a stdio server a client spawned, say) would outlive
        // it, reparented to init; find them while the tree is still connected.
        let family = descendants(self.child.id());
        let mut everyone = family.clone();
        everyone.push(self.child.id());
        signal("TERM", &everyone);
        let grace = Instant::now() + STOP_GRACE;
        let mut status = None;
        while Instant::now() < grace {
            if status.is_none() {
                status = self.child.try_wait().ok().flatten();
            }
            if status.is_some() && !family.iter().any(|pid| alive(*pid)) {
                break;
            }
            thread::sleep(POLL);
        }
        if status.is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        let left: Vec<u32> = family.into_iter().filter(|pid| alive(*pid)).collect();
        signal("KILL", &left);
        status
    }
}

/// How long a stopped child may take to exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(3);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Every process below `root`, from `/proc/<pid>/stat` parent links (Linux).
fn descendants(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(parent) = std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .as_deref()
                .and_then(parent_of)
            {
                parents.push((pid, parent));
            }
        }
    }
    let mut found = vec![root];
    let mut index = 0;
    while let Some(&current) = found.get(index) {
        found.extend(
            parents
                .iter()
                .filter(|(_, parent)| *parent == current)
                .map(|(pid, _)| *pid),
        );
        index += 1;
    }
    found.remove(0);
    found
}

/// The parent pid from a `/proc/<pid>/stat` line: `pid (comm) state ppid ...`; `comm` may
/// hold spaces and parentheses, so read after the last `)`.
fn parent_of(stat: &str) -> Option<u32> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// A process that exists and is not a zombie.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next().map(|s| s != "Z"))
        })
        .unwrap_or(false)
}

/// `kill -SIGNAL pids...` (std cannot signal other processes without `unsafe`).
fn signal(name: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .args(pids.iter().map(u32::to_string))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// What to do with a child's output lines while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Echo {
    /// Print every line as it arrives, except those starting with one of these prefixes;
    /// keep all.
    LiveExcept(&'static [&'static str]),
    /// Only keep it; the caller shows it when something went wrong.
    Quiet,
}

/// The result of [`run`].
#[derive(Debug)]
pub(crate) struct Finished {
    /// `None` when the run hit its deadline and was killed.
    pub(crate) status: Option<ExitStatus>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

impl Finished {
    pub(crate) fn success(&self) -> bool {
        self.status.is_some_and(|status| status.success())
    }

    /// "exit status 1", "killed after 600 s timeout", ...
    pub(crate) fn outcome(&self, timeout: Duration) -> String {
        match self.status {
            Some(status) => status.to_string(),
            None => format!("killed after the {} s timeout", timeout.as_secs()),
        }
    }

    /// The last lines of stderr and stdout, for an error message.
    pub(crate) fn tail(&self, lines: usize) -> String {
        let mut out = String::new();
        for (label, text) in [("stderr", &self.stderr), ("stdout", &self.stdout)] {
            if text.trim().is_empty() {
                continue;
            }
            out.push_str(&format!(
                "--- {label} (last {lines} lines at most):\n{}\n",
                last_lines(text, lines)
            ));
        }
        out
    }
}

/// Runs `command` to completion with stdin closed and both outputs captured, killing it
/// after `timeout`. Fails only if it cannot be started; the exit status is for the caller.
pub(crate) fn run(
    command: &mut Command,
    name: &str,
    timeout: Duration,
    echo: Echo,
) -> Result<Finished> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = ChildGuard::spawn(command, name)?;
    let (sender, lines) = mpsc::channel::<(bool, String)>();
    let readers = [
        child
            .take_stdout()
            .map(|out| pump(out, false, sender.clone())),
        child
            .take_stderr()
            .map(|err| pump(err, true, sender.clone())),
    ];
    drop(sender);

    let deadline = started + timeout;
    let mut stdout = String::new();
    let mut stderr = String::new();
    let mut status = None;
    // Drain lines while polling the child, so a chatty child never blocks on a full pipe.
    loop {
        while let Ok((is_err, line)) = lines.try_recv() {
            collect(echo, is_err, &line, &mut stdout, &mut stderr);
        }
        if let Some(exit) = child.exited()? {
            status = Some(exit);
            break;
        }
        if Instant::now() >= deadline {
            break;
        }
        match lines.recv_timeout(POLL) {
            Ok((is_err, line)) => collect(echo, is_err, &line, &mut stdout, &mut stderr),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                status = child.wait_until(deadline)?;
                break;
            }
        }
    }
    // Kill on timeout, then collect what is left; a grandchild that inherited the pipes
    // could keep them open, so stop reading a little after the child is gone.
    drop(child);
    let grace = Instant::now() + Duration::from_secs(2);
    while let Ok((is_err, line)) =
        lines.recv_timeout(grace.saturating_duration_since(Instant::now()))
    {
        collect(echo, is_err, &line, &mut stdout, &mut stderr);
    }
    for reader in readers.into_iter().flatten() {
        if reader.is_finished() {
            let _ = reader.join();
        }
    }
    Ok(Finished {
        status,
        stdout,
        stderr,
        elapsed: started.elapsed(),
    })
}

fn collect(echo: Echo, is_err: bool, line: &str, stdout: &mut String, stderr: &mut String) {
    let show = match echo {
        Echo::LiveExcept(hidden) => !hidden.iter().any(|prefix| line.starts_with(prefix)),
        Echo::Quiet => false,
    };
    if show {
        if is_err {
            eprintln!("{line}");
        } else {
            println!("{line}");
            let _ = std::io::stdout().flush();
        }
    }
    let buffer = if is_err { stderr } else { stdout };
    buffer.push_str(line);
    buffer.push('\n');
}

fn pump(
    stream: impl Read + Send + 'static,
    is_err: bool,
    sender: mpsc::Sender<(bool, String)>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut raw = Vec::new();
        loop {
            raw.clear();
            match reader.read_until(b'\n', &mut raw) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&raw);
                    let line = text.trim_end_matches(['\n', '\r']).to_owned();
                    if sender.send((is_err, line)).is_err() {
                        break;
                    }
                }
            }
        }
    })
}

/// A loopback port that was free a moment ago (the OS picks it).
pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .context("cannot bind a loopback port to find a free one")?;
    Ok(listener
        .local_addr()
        .context("cannot read the bound loopback port")?
        .port())
}

/// Waits until `port` on loopback accepts a TCP connection, failing early if `server`
/// exits first (its log's tail goes into the error).
pub(crate) fn wait_for_port(
    server: &mut ChildGuard,
    port: u16,
    timeout: Duration,
    log: &Path,
) -> Result<()> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = server.exited()? {
            bail!(
                "{} exited ({status}) before accepting connections on {address}; last lines of {}:\n{}",
                server.name,
                log.display(),
                crate::workspace::tail(log, 30)
            );
        }
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "{} did not accept connections on {address} within {} s; last lines of {}:\n{}",
                server.name,
                timeout.as_secs(),
                log.display(),
                crate::workspace::tail(log, 30)
            );
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// `program arg1 arg2` for messages.
pub(crate) fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_captures_both_streams_and_status() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo out1; echo err1 >&2; echo out2; exit 3"]);
        let done = run(&mut command, "sh", Duration::from_secs(20), Echo::Quiet).unwrap();
        assert_eq!(done.stdout, "out1\nout2\n");
        assert_eq!(done.stderr, "err1\n");
        assert_eq!(done.status.and_then(|s| s.code()), Some(3));
        assert!(!done.success());
    }

    #[test]
    fn hidden_lines_are_still_kept() {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "echo shown; echo 'Results saved to /x'; echo also shown",
        ]);
        let echo = Echo::LiveExcept(&["Results saved to "]);
        let done = run(&mut command, "sh", Duration::from_secs(20), echo).unwrap();
        assert_eq!(done.stdout, "shown\nResults saved to /x\nalso shown\n");
        assert!(done.success());
    }

    #[test]
    fn run_kills_at_the_deadline() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo started; exec sleep 30"]);
        let done = run(
            &mut command,
            "sleeper",
            Duration::from_millis(500),
            Echo::Quiet,
        )
        .unwrap();
        assert!(done.status.is_none(), "must report the timeout");
        assert!(
            done.elapsed < Duration::from_secs(10),
            "took {:?}",
            done.elapsed
        );
        assert_eq!(done.stdout, "started\n");
        assert!(done.outcome(Duration::from_millis(500)).contains("timeout"));
    }

    #[test]
    fn run_names_a_missing_program() {
        let mut command = Command::new("/nonexistent/xtask-test-program");
        let error = run(
            &mut command,
            "the widget",
            Duration::from_secs(1),
            Echo::Quiet,
        )
        .unwrap_err();
        assert!(
            format!("{error:#}").contains("cannot start the widget"),
            "{error:#}"
        );
    }

    #[test]
    fn guard_kills_on_drop() {
        let mut command = Command::new("sleep");
        command.arg("30");
        let guard = ChildGuard::spawn(&mut command, "sleep").unwrap();
        let pid = guard.id();
        drop(guard);
        // Reaped: /proc has no entry for the pid any more (or it is another process).
        let status = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        assert!(!status.contains("sleep"), "sleep {pid} still alive");
    }

    #[test]
    fn stop_reports_a_graceful_exit_and_kills_a_stubborn_child() {
        let mut polite = Command::new("sleep");
        polite.arg("30");
        let status = ChildGuard::spawn(&mut polite, "sleep").unwrap().stop();
        // sleep dies of the SIGTERM itself: an exit within the grace period, by signal.
        assert!(status.is_some_and(|s| !s.success()), "{status:?}");

        let mut stubborn = Command::new("sh");
        stubborn.args(["-c", "trap '' TERM; while :; do sleep 0.1; done"]);
        let started = Instant::now();
        let guard = ChildGuard::spawn(&mut stubborn, "stubborn").unwrap();
        thread::sleep(Duration::from_millis(300));
        assert_eq!(guard.stop(), None, "a child that ignores SIGTERM is killed");
        assert!(started.elapsed() < STOP_GRACE + Duration::from_secs(5));
    }

    #[test]
    fn guard_kills_grandchildren_too() {
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 31 & sleep 32 & wait"]);
        let guard = ChildGuard::spawn(&mut command, "sh").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut family = descendants(guard.id());
        while family.len() < 2 && Instant::now() < deadline {
            thread::sleep(POLL);
            family = descendants(guard.id());
        }
        assert_eq!(family.len(), 2, "{family:?}");
        drop(guard);
        for pid in family {
            assert!(!alive(pid), "grandchild {pid} survived");
        }
    }

    #[test]
    fn parent_pids_from_stat_lines() {
        let cases = [
            ("1234 (sleep) S 99 1234 1234 0 -1", Some(99)),
            ("77 (my (odd) name) R 5 77 77", Some(5)),
            ("garbage", None),
            ("1 (init) S", None),
        ];
        for (line, expected) in cases {
            assert_eq!(parent_of(line), expected, "{line}");
        }
    }

    #[test]
    fn wait_for_port_sees_a_listener_and_a_dead_server() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = std::env::temp_dir().join(format!("xtask-proc-test-{}.log", std::process::id()));
        std::fs::write(&log, "line one\nfatal: boom\n").unwrap();

        let mut alive = ChildGuard::spawn(Command::new("sleep").arg("30"), "sleeper").unwrap();
        wait_for_port(&mut alive, port, Duration::from_secs(5), &log).unwrap();

        let mut dead =
            ChildGuard::spawn(Command::new("true").stdout(Stdio::null()), "quitter").unwrap();
        drop(listener);
        let error = wait_for_port(
            &mut dead,
            free_port().unwrap(),
            Duration::from_secs(5),
            &log,
        )
        .unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("quitter exited") && text.contains("fatal: boom"),
            "{text}"
        );
        std::fs::remove_file(&log).unwrap();
    }
}

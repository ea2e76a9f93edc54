//! `serve_stdio` in a real child process, on the stdio a client gives it: pipes, one
//! Unix socket for both directions, a socket each, a regular file. The test binary is its
//! own child (run with `MCP_STDIO_TEST_CHILD` set it serves instead of testing), so it has
//! no harness: libtest would print to the child's stdout, which carries the protocol.
//! Unix only; the thread checks read `/proc` and run on Linux only.

#[cfg(not(unix))]
fn main() {}

#[cfg(unix)]
fn main() -> std::process::ExitCode {
    unix::main()
}

#[cfg(unix)]
mod unix {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::net::UnixStream;
    use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
    use std::sync::{Arc, mpsc};
    use std::time::{Duration, Instant};

    use async_trait::async_trait;
    use mcp_protocol::{
        CallToolResult, HandlerError, Implementation, RequestContext, Server, Tool, ToolProvider,
    };
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    use serde_json::{Map, Value};

    /// Set in the child's environment: serve instead of testing.
    const CHILD: &str = "MCP_STDIO_TEST_CHILD";
    /// The child's exit code when `serve_stdio` returns an error.
    const SERVE_FAILED: i32 = 3;
    /// How long the tests wait for the server before calling it hung (not a speed check).
    const PATIENCE: Duration = Duration::from_secs(60);

    type Test = (&'static str, fn());

    const TESTS: &[Test] = &[
        ("pipes_initialize_call_eof", pipes_initialize_call_eof),
        (
            "pipes_burst_answered_in_order",
            pipes_burst_answered_in_order,
        ),
        (
            "pipes_eof_gives_in_flight_calls_grace",
            pipes_eof_gives_in_flight_calls_grace,
        ),
        (
            "pipes_keep_their_nonblocking_mode",
            pipes_keep_their_nonblocking_mode,
        ),
        (
            "pipes_reader_gone_ends_serving",
            pipes_reader_gone_ends_serving,
        ),
        ("socket_for_both_directions", socket_for_both_directions),
        ("socket_each_way_burst", socket_each_way_burst),
        (
            "socket_reader_gone_ends_serving",
            socket_reader_gone_ends_serving,
        ),
        (
            "file_stdin_uses_the_reader_thread",
            file_stdin_uses_the_reader_thread,
        ),
        ("dev_null_stdin_ends_at_once", dev_null_stdin_ends_at_once),
        (
            "stdout_shared_with_stderr_stays_blocking",
            stdout_shared_with_stderr_stays_blocking,
        ),
    ];

    pub(crate) fn main() -> ExitCode {
        if std::env::var_os(CHILD).is_some() {
            return child();
        }
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.iter().any(|a| a == "--list") {
            for (name, _) in TESTS {
                println!("{name}: test");
            }
            return ExitCode::SUCCESS;
        }
        let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let chosen: Vec<&Test> = TESTS
            .iter()
            .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(*f)))
            .collect();
        println!("\nrunning {} tests", chosen.len());
        let mut failed = Vec::new();
        for (name, test) in chosen {
            let ok = std::panic::catch_unwind(test).is_ok();
            println!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
            if !ok {
                failed.push(*name);
            }
        }
        if failed.is_empty() {
            println!("\ntest result: ok");
            ExitCode::SUCCESS
        } else {
            println!("\nfailures: {failed:?}\ntest result: FAILED");
            ExitCode::FAILURE
        }
    }

    // ---- the child: a server with two tools on a current-thread runtime, as the binary runs.

    struct Tools;

    #[async_trait]
    impl ToolProvider for Tools {
        async fn list_tools(&self, _: &RequestContext) -> Result<Vec<Tool>, HandlerError> {
            Ok(vec![
                Tool::new("echo", "returns its arguments"),
                Tool::new("slow", "answers after 300 ms"),
            ])
        }

        async fn call_tool(
            &self,
            name: &str,
            arguments: Map<String, Value>,
            _: &RequestContext,
        ) -> Result<CallToolResult, HandlerError> {
            if name == "slow" {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Ok(CallToolResult::structured(Value::Object(arguments)))
        }

        async fn find_tool(
            &self,
            name: &str,
            _: &RequestContext,
        ) -> Result<Option<Tool>, HandlerError> {
            Ok(matches!(name, "echo" | "slow").then(|| Tool::new(name, "test tool")))
        }
    }

    fn child() -> ExitCode {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("child: runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
        let server = Server::builder(Implementation::new("stdio-test", "1"))
            .tools(Arc::new(Tools))
            .build();
        match runtime.block_on(mcp_protocol::stdio::serve_stdio(server)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!(
                    "child: serve_stdio: {e}: {:?}",
                    std::error::Error::source(&e)
                );
                ExitCode::from(SERVE_FAILED as u8)
            }
        }
    }

    // ---- the parent side.

    const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"stdio-test","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
"#;

    fn call(id: u64, tool: &str) -> String {
        format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"{tool}\",\"arguments\":{{\"n\":{id}}}}}}}\n"
        )
    }

    /// A running child and the client's ends of its stdio.
    struct Served {
        child: Child,
        input: Option<Box<dyn Write + Send>>,
        /// The client's end of the child's stdout until reading starts.
        output: Option<Box<dyn Read + Send>>,
        /// The child's stdout, line by line, from a reading thread (so that a server that
        /// stops answering fails the test instead of hanging it).
        lines: Option<mpsc::Receiver<String>>,
        /// Copies of the child's own ends, to look at their mode after it exits. Kept
        /// copies of a write end hide EOF from the reader, so they go before reading to
        /// the end.
        kept: Vec<OwnedFd>,
        /// The client's socket when one carries both directions: EOF is a half-close.
        shared: Option<UnixStream>,
    }

    impl Served {
        fn spawn(stdin: Stdio, stdout: Stdio, stderr: Stdio) -> Self {
            let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
            let child = Command::new(exe)
                .env(CHILD, "1")
                .stdin(stdin)
                .stdout(stdout)
                .stderr(stderr)
                .spawn()
                .unwrap_or_else(|e| panic!("spawn: {e}"));
            Served {
                child,
                input: None,
                output: None,
                lines: None,
                kept: Vec::new(),
                shared: None,
            }
        }

        /// The child on two pipes.
        fn pipes() -> Self {
            let (in_r, in_w) = std::io::pipe().unwrap_or_else(|e| panic!("pipe: {e}"));
            let (out_r, out_w) = std::io::pipe().unwrap_or_else(|e| panic!("pipe: {e}"));
            let kept = vec![dup(&in_r), dup(&out_w)];
            let mut served = Served::spawn(in_r.into(), out_w.into(), Stdio::piped());
            served.input = Some(Box::new(in_w));
            served.output = Some(Box::new(out_r));
            served.kept = kept;
            served
        }

        /// The child on one Unix socket for both directions.
        fn socket() -> Self {
            let (client, server) = UnixStream::pair().unwrap_or_else(|e| panic!("pair: {e}"));
            let kept = vec![dup(&server)];
            let stdin = dup(&server);
            let mut served =
                Served::spawn(stdin.into(), OwnedFd::from(server).into(), Stdio::piped());
            let clone = || client.try_clone().unwrap_or_else(|e| panic!("clone: {e}"));
            served.input = Some(Box::new(clone()));
            served.output = Some(Box::new(clone()));
            served.shared = Some(client);
            served.kept = kept;
            served
        }

        /// The child on a Unix socket each way (what libuv, hence Node.js, gives).
        fn sockets() -> Self {
            let (in_client, in_server) = UnixStream::pair().unwrap_or_else(|e| panic!("pair: {e}"));
            let (out_client, out_server) =
                UnixStream::pair().unwrap_or_else(|e| panic!("pair: {e}"));
            let kept = vec![dup(&in_server), dup(&out_server)];
            let mut served = Served::spawn(
                OwnedFd::from(in_server).into(),
                OwnedFd::from(out_server).into(),
                Stdio::piped(),
            );
            served.input = Some(Box::new(in_client));
            served.output = Some(Box::new(out_client));
            served.kept = kept;
            served
        }

        fn send(&mut self, text: &str) {
            let input = self
                .input
                .as_mut()
                .unwrap_or_else(|| panic!("stdin closed"));
            input
                .write_all(text.as_bytes())
                .unwrap_or_else(|e| panic!("write: {e}"));
            input.flush().unwrap_or_else(|e| panic!("flush: {e}"));
        }

        /// Closes the child's stdin (EOF); for a shared socket, shuts down its write half.
        fn close_input(&mut self) {
            self.input = None;
            if let Some(socket) = self.shared.take() {
                socket
                    .shutdown(std::net::Shutdown::Write)
                    .unwrap_or_else(|e| panic!("shutdown: {e}"));
            }
        }

        fn lines(&mut self) -> &mpsc::Receiver<String> {
            if self.lines.is_none() {
                let output = self
                    .output
                    .take()
                    .unwrap_or_else(|| panic!("stdout closed"));
                let (tx, rx) = mpsc::channel();
                std::thread::spawn(move || {
                    for line in BufReader::new(output).lines() {
                        let Ok(line) = line else { return };
                        if tx.send(line).is_err() {
                            return;
                        }
                    }
                });
                self.lines = Some(rx);
            }
            self.lines.as_ref().unwrap_or_else(|| unreachable!())
        }

        fn recv(&mut self) -> Value {
            let line = match self.lines().recv_timeout(PATIENCE) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("no answer from the server"),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("the server's stdout ended early")
                }
            };
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
        }

        fn initialize(&mut self) {
            self.send(INITIALIZE);
            let answer = self.recv();
            assert_eq!(answer["id"], 0, "{answer}");
            assert!(answer["result"]["serverInfo"].is_object(), "{answer}");
        }

        /// Waits for the child to exit (failing after a minute: it hangs) and returns its
        /// status and stderr.
        fn exit(&mut self) -> (ExitStatus, String) {
            let deadline = Instant::now() + PATIENCE;
            let status = loop {
                if let Some(status) = self.child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
                    break status;
                }
                if Instant::now() > deadline {
                    let _ = self.child.kill();
                    panic!("the server did not exit");
                }
                std::thread::sleep(Duration::from_millis(10));
            };
            let mut stderr = String::new();
            if let Some(mut e) = self.child.stderr.take() {
                let _ = e.read_to_string(&mut stderr);
            }
            assert!(
                !stderr.contains("panicked"),
                "the server panicked: {stderr}"
            );
            (status, stderr)
        }

        /// After the exit: the kept ends are in blocking mode again (or as they were).
        fn assert_modes(&mut self, nonblocking: bool) {
            for fd in self.kept.drain(..) {
                let flags = fcntl_getfl(&fd).unwrap_or_else(|e| panic!("fcntl: {e}"));
                assert_eq!(
                    flags.contains(OFlags::NONBLOCK),
                    nonblocking,
                    "mode after serving: {flags:?}"
                );
            }
        }

        /// Whatever the server wrote that was not read yet, up to EOF.
        fn rest(&mut self) -> Vec<String> {
            self.kept.clear();
            let mut rest = Vec::new();
            loop {
                match self.lines().recv_timeout(PATIENCE) {
                    Ok(line) => rest.push(line),
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        panic!("the server's stdout stays open")
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => return rest,
                }
            }
        }

        /// The names of the child's threads (Linux), to tell the reader and writer
        /// threads from serving on the runtime.
        fn threads(&self) -> Vec<String> {
            let dir = format!("/proc/{}/task", self.child.id());
            let Ok(tasks) = std::fs::read_dir(dir) else {
                return Vec::new();
            };
            tasks
                .flatten()
                .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
                .map(|n| n.trim().to_owned())
                .collect()
        }

        fn assert_threads(&self, stdin_thread: bool, stdout_thread: bool) {
            if !cfg!(target_os = "linux") {
                return;
            }
            let threads = self.threads();
            assert_eq!(
                threads.iter().any(|t| t == "mcp-stdin"),
                stdin_thread,
                "{threads:?}"
            );
            assert_eq!(
                threads.iter().any(|t| t == "mcp-stdout"),
                stdout_thread,
                "{threads:?}"
            );
        }
    }

    impl Drop for Served {
        fn drop(&mut self) {
            // A failed test leaves no server behind.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn dup(fd: &impl AsFd) -> OwnedFd {
        fd.as_fd()
            .try_clone_to_owned()
            .unwrap_or_else(|e| panic!("dup: {e}"))
    }

    fn assert_echo(answer: &Value, id: u64) {
        assert_eq!(answer["id"], id, "{answer}");
        assert_eq!(answer["result"]["structuredContent"]["n"], id, "{answer}");
    }

    /// initialize, one call, EOF: both answers, exit 0, nothing more, blocking again.
    fn basic_session(mut served: Served, threads: (bool, bool)) {
        served.initialize();
        served.send(&call(1, "echo"));
        assert_echo(&served.recv(), 1);
        served.assert_threads(threads.0, threads.1);
        served.close_input();
        let (status, stderr) = served.exit();
        assert!(status.success(), "{status}: {stderr}");
        served.assert_modes(false);
        assert_eq!(served.rest(), Vec::<String>::new());
    }

    fn pipes_initialize_call_eof() {
        basic_session(Served::pipes(), (false, false));
    }

    fn socket_for_both_directions() {
        basic_session(Served::socket(), (false, false));
    }

    fn socket_each_way_burst() {
        let mut served = Served::sockets();
        served.initialize();
        served.assert_threads(false, false);
        burst(served, 2000);
    }

    fn pipes_burst_answered_in_order() {
        let mut served = Served::pipes();
        served.initialize();
        burst(served, 3000);
    }

    /// `n` calls written at once by another thread (the pipe fills up both ways), answered
    /// in order; then EOF and a clean exit.
    fn burst(mut served: Served, n: u64) {
        let mut input = served.input.take().unwrap_or_else(|| panic!("no stdin"));
        let writer = std::thread::spawn(move || {
            let mut all = String::new();
            for id in 1..=n {
                all.push_str(&call(id, "echo"));
            }
            input
                .write_all(all.as_bytes())
                .unwrap_or_else(|e| panic!("write: {e}"));
            // Dropped here: EOF after the last call.
        });
        for id in 1..=n {
            assert_echo(&served.recv(), id);
        }
        let deadline = Instant::now() + PATIENCE;
        while !writer.is_finished() {
            assert!(Instant::now() < deadline, "the server stopped reading");
            std::thread::sleep(Duration::from_millis(10));
        }
        writer.join().unwrap_or_else(|_| panic!("writer thread"));
        let (status, stderr) = served.exit();
        assert!(status.success(), "{status}: {stderr}");
        served.assert_modes(false);
        assert_eq!(served.rest(), Vec::<String>::new());
    }

    fn pipes_eof_gives_in_flight_calls_grace() {
        let mut served = Served::pipes();
        served.initialize();
        served.send(&call(7, "slow"));
        served.close_input();
        assert_echo(&served.recv(), 7);
        let (status, stderr) = served.exit();
        assert!(status.success(), "{status}: {stderr}");
        served.assert_modes(false);
        assert_eq!(served.rest(), Vec::<String>::new());
    }

    fn pipes_keep_their_nonblocking_mode() {
        let mut served = {
            // Set before the child starts: the mode belongs to the open pipe, shared.
            let (in_r, in_w) = std::io::pipe().unwrap_or_else(|e| panic!("pipe: {e}"));
            let (out_r, out_w) = std::io::pipe().unwrap_or_else(|e| panic!("pipe: {e}"));
            for fd in [in_r.as_fd(), out_w.as_fd()] {
                let flags = fcntl_getfl(fd).unwrap_or_else(|e| panic!("fcntl: {e}"));
                fcntl_setfl(fd, flags | OFlags::NONBLOCK).unwrap_or_else(|e| panic!("{e}"));
            }
            let kept = vec![dup(&in_r), dup(&out_w)];
            let mut served = Served::spawn(in_r.into(), out_w.into(), Stdio::piped());
            served.input = Some(Box::new(in_w));
            served.output = Some(Box::new(out_r));
            served.kept = kept;
            served
        };
        served.initialize();
        served.send(&call(1, "echo"));
        assert_echo(&served.recv(), 1);
        served.close_input();
        let (status, stderr) = served.exit();
        assert!(status.success(), "{status}: {stderr}");
        served.assert_modes(true);
    }

    /// The client stops reading (closes its end of stdout) but keeps stdin open: the
    /// failed write ends serving, with an error and no panic.
    fn reader_gone(mut served: Served) {
        served.output = None;
        served.send(INITIALIZE);
        for id in 1..=20 {
            served.send(&call(id, "echo"));
        }
        let (status, stderr) = served.exit();
        assert_eq!(status.code(), Some(SERVE_FAILED), "{status}: {stderr}");
        assert!(stderr.contains("writing to the output stream"), "{stderr}");
        served.assert_modes(false);
    }

    fn pipes_reader_gone_ends_serving() {
        reader_gone(Served::pipes());
    }

    fn socket_reader_gone_ends_serving() {
        reader_gone(Served::sockets());
    }

    fn file_stdin_uses_the_reader_thread() {
        let path = std::env::temp_dir().join(format!("stdio-process-{}.jsonl", std::process::id()));
        let mut text = INITIALIZE.to_owned();
        for id in 1..=100 {
            text.push_str(&call(id, "echo"));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
        let _ = std::fs::remove_file(&path);
        let (out_r, out_w) = std::io::pipe().unwrap_or_else(|e| panic!("pipe: {e}"));
        let kept = vec![dup(&out_w)];
        let mut served = Served::spawn(file.into(), out_w.into(), Stdio::piped());
        served.output = Some(Box::new(out_r));
        served.kept = kept;
        assert_eq!(served.recv()["id"], 0);
        for id in 1..=100 {
            assert_echo(&served.recv(), id);
        }
        let (status, stderr) = served.exit();
        assert!(status.success(), "{status}: {stderr}");
        served.assert_modes(false);
        assert_eq!(served.rest(), Vec::<String>::new());
    }

    fn dev_null_stdin_ends_at_once() {
        let (out_r, out_w) = std::io::pipe().unwrap_or_else(|e| panic!("pipe: {e}"));
        let mut served = Served::spawn(Stdio::null(), out_w.into(), Stdio::piped());
        served.output = Some(Box::new(out_r));
        let (status, stderr) = served.exit();
        assert!(status.success(), "{status}: {stderr}");
        assert_eq!(served.rest(), Vec::<String>::new());
    }

    /// `2>&1` into one pipe: stdout stays on its thread so that stderr stays blocking;
    /// stdin is still served on the runtime.
    fn stdout_shared_with_stderr_stays_blocking() {
        let (in_r, in_w) = std::io::pipe().unwrap_or_else(|e| panic!("pipe: {e}"));
        let (out_r, out_w) = std::io::pipe().unwrap_or_else(|e| panic!("pipe: {e}"));
        let kept = vec![dup(&in_r), dup(&out_w)];
        let err_w = dup(&out_w);
        let mut served = Served::spawn(in_r.into(), out_w.into(), err_w.into());
        served.input = Some(Box::new(in_w));
        served.output = Some(Box::new(out_r));
        served.kept = kept;
        basic_session(served, (false, true));
    }
}

//! Test clients for the real `pxcloud-mcp` binary: newline-delimited JSON over the child's
//! stdin/stdout, and Streamable HTTP written by hand (HTTP/1.1, chunked bodies, SSE) so that
//! long-lived streams and server-to-client requests can be read message by message.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::{Value, json};

use crate::process::Watch;

/// The stateless protocol revision.
pub(crate) const MODERN: &str = "2026-07-28";
/// How long any single message may take to arrive.
const PATIENCE: Duration = Duration::from_secs(30);

/// `params._meta` of a 2026-07-28 request.
pub(crate) fn modern_meta(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": {"name": "it", "version": "1"}
    })
}

/// The binary with an empty environment except `PATH`, stdin/stdout/stderr piped.
pub(crate) fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pxcloud-mcp"));
    bare(&mut cmd);
    cmd
}

/// Clears the environment (keeping `PATH`) and pipes the standard streams.
pub(crate) fn bare(cmd: &mut Command) {
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
}

/// The binary configured for PXCloud at `url` as the seeded administrator.
pub(crate) fn server(url: &str, extra: &[&str]) -> Command {
    let mut cmd = binary();
    cmd.env("PXCLOUD_URL", url)
        .env("PXCLOUD_USER", pxcloud_sim::ADMIN_USER)
        .env("PXCLOUD_PASS", pxcloud_sim::ADMIN_PASSWORD)
        .env("PXCLOUD_LOG_LEVEL", "warn")
        .args(extra);
    cmd
}

/// The binary configured for PXCloud at `url` as the seeded administrator with `password`.
pub(crate) fn with_password(url: &str, password: &str) -> Command {
    let mut cmd = binary();
    cmd.env("PXCLOUD_URL", url)
        .env("PXCLOUD_USER", pxcloud_sim::ADMIN_USER)
        .env("PXCLOUD_PASS", password);
    cmd
}

/// Collects stderr in the background (so the child never blocks on a full pipe), hands the
/// Streamable HTTP endpoint, when the server prints one, to `endpoint`, and each line to
/// `watch`.
fn drain_stderr(
    child: &mut Child,
    endpoint: Option<mpsc::Sender<String>>,
    mut watch: Option<Watch>,
) -> Arc<Mutex<String>> {
    let stderr = child.stderr.take().expect("stderr piped");
    let log = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            Watch::offer(&mut watch, &line);
            if let (Some(tx), Some(rest)) = (&endpoint, line.split("endpoint http://").nth(1)) {
                let _ = tx.send(rest.trim().trim_end_matches("/mcp").to_owned());
            }
            let mut log = sink
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            log.push_str(&line);
            log.push('\n');
        }
    });
    log
}

/// Kills the child when dropped.
pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An MCP client over a child's stdin/stdout.
pub(crate) struct StdioClient {
    child: KillOnDrop,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    next_id: u64,
}

impl StdioClient {
    pub(crate) fn spawn(cmd: Command) -> Self {
        Self::spawn_watching(cmd, None)
    }

    /// [`StdioClient::spawn`], handing each stderr line to `watch`.
    pub(crate) fn spawn_watching(mut cmd: Command, watch: Option<Watch>) -> Self {
        let mut child = cmd.spawn().expect("spawn pxcloud-mcp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = drain_stderr(&mut child, None, watch);
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        StdioClient {
            child: KillOnDrop(child),
            stdin,
            lines,
            stderr,
            next_id: 1_000,
        }
    }

    /// What the server wrote to stderr so far (for failure messages).
    pub(crate) fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn send(&mut self, msg: &Value) {
        writeln!(self.stdin, "{msg}").expect("write");
        self.stdin.flush().expect("flush");
    }

    /// The next message of any kind.
    pub(crate) fn next_any(&mut self) -> Value {
        let line = match self.lines.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(e) => {
                let status = self.child.0.try_wait();
                panic!(
                    "no message within {PATIENCE:?} ({e}); child {status:?}; stderr:\n{}",
                    self.stderr()
                )
            }
        };
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carried non-JSON {line:?}: {e}"))
    }

    /// The next message that is not a notification (a response or a server request).
    pub(crate) fn next(&mut self) -> Value {
        loop {
            let msg = self.next_any();
            if msg.get("id").is_some() {
                return msg;
            }
        }
    }

    pub(crate) fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let reply = self.next();
        assert_eq!(reply["id"], id, "unexpected message {reply}");
        reply
    }

    /// Sends a request with a fresh id and returns the id, without waiting for the answer.
    pub(crate) fn start(&mut self, method: &str, params: Value) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// A request with a fresh id and its answer.
    pub(crate) fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.start(method, params);
        let reply = self.next();
        assert_eq!(reply["id"], id, "unexpected message {reply}");
        reply
    }

    /// `initialize` + `notifications/initialized` at `version` with `capabilities`.
    pub(crate) fn initialize(&mut self, version: &str, capabilities: Value) -> Value {
        let init = self.call(
            "initialize",
            json!({"protocolVersion": version, "capabilities": capabilities,
                   "clientInfo": {"name": "it", "version": "1"}}),
        );
        assert_eq!(init["result"]["protocolVersion"], version, "{init}");
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        init
    }
}

/// Every tool of a paginated `tools/list`, fetching pages with `page(cursor)`.
pub(crate) fn all_tools(mut page: impl FnMut(Option<&str>) -> Value) -> Vec<Value> {
    let mut tools = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let reply = page(cursor.as_deref());
        let result = &reply["result"];
        tools.extend(
            result["tools"]
                .as_array()
                .unwrap_or_else(|| panic!("tools/list result: {reply}"))
                .iter()
                .cloned(),
        );
        match result["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return tools,
        }
    }
}

/// A running `pxcloud-mcp --http` and its endpoint's `host:port`.
pub(crate) struct HttpServer {
    pub(crate) addr: String,
    stderr: Arc<Mutex<String>>,
    _child: KillOnDrop,
}

impl HttpServer {
    /// Spawns `cmd` (which must carry `--http`) and waits for it to print its endpoint.
    pub(crate) fn spawn(cmd: Command) -> Self {
        Self::spawn_watching(cmd, None)
    }

    /// [`HttpServer::spawn`], handing each stderr line to `watch` (also while it waits for
    /// the endpoint).
    pub(crate) fn spawn_watching(mut cmd: Command, watch: Option<Watch>) -> Self {
        let mut child = cmd.spawn().expect("spawn pxcloud-mcp --http");
        let (tx, rx) = mpsc::channel();
        let stderr = drain_stderr(&mut child, Some(tx), watch);
        let child = KillOnDrop(child);
        let addr = rx.recv_timeout(PATIENCE).unwrap_or_else(|_| {
            panic!(
                "the server printed no endpoint; stderr:\n{}",
                stderr
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            )
        });
        HttpServer {
            addr,
            stderr,
            _child: child,
        }
    }

    /// What the server wrote to stderr so far.
    pub(crate) fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A client of this server.
    pub(crate) fn client(&self) -> HttpClient {
        HttpClient::new(&self.addr)
    }
}

/// Reads one chunked transfer-coding body.
struct Chunked<R> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            self.inner.read_line(&mut line)?;
            let size = line.trim().split(';').next().unwrap_or_default();
            let size = usize::from_str_radix(size, 16).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("chunk size {line:?}: {e}"),
                )
            })?;
            if size == 0 {
                self.done = true;
                return Ok(0);
            }
            self.left = size;
        }
        let want = buf.len().min(self.left);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.left -= n;
        if self.left == 0 {
            let mut crlf = [0u8; 2];
            self.inner.read_exact(&mut crlf)?;
        }
        Ok(n)
    }
}

/// One HTTP response: a JSON body, or an SSE stream read event by event.
pub(crate) struct Response {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    body: Box<dyn BufRead + Send>,
    sse: bool,
    json_read: bool,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The next JSON-RPC message: the JSON body (once), or the next SSE event's data;
    /// `None` at the end of the body.
    pub(crate) fn next_message(&mut self) -> Option<Value> {
        if !self.sse {
            if self.json_read {
                return None;
            }
            self.json_read = true;
            let mut text = String::new();
            self.body.read_to_string(&mut text).expect("read body");
            if text.trim().is_empty() {
                return None;
            }
            return Some(
                serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("body is not JSON ({e}): {text:?}")),
            );
        }
        let mut data = String::new();
        loop {
            let mut line = String::new();
            let n = self
                .body
                .read_line(&mut line)
                .unwrap_or_else(|e| panic!("reading the SSE stream: {e}"));
            if n == 0 {
                return None;
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if !data.is_empty() {
                    return Some(
                        serde_json::from_str(&data)
                            .unwrap_or_else(|e| panic!("SSE data is not JSON ({e}): {data:?}")),
                    );
                }
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.strip_prefix(' ').unwrap_or(d));
            }
        }
    }

    /// The next message carrying an `id` (a response or a server request), skipping
    /// notifications.
    pub(crate) fn next_with_id(&mut self) -> Value {
        loop {
            match self.next_message() {
                Some(m) if m.get("id").is_some() => return m,
                Some(_) => {}
                None => panic!("the response ended without a message carrying an id"),
            }
        }
    }
}

/// One request on a fresh connection (`Connection: close`).
pub(crate) fn http(
    addr: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut req = format!(
        "{method} /mcp HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json, text/event-stream\r\nConnection: close\r\n"
    );
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    stream.write_all(req.as_bytes()).expect("write");
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).expect("status line");
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header line");
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let sse = get("content-type").is_some_and(|c| c.contains("text/event-stream"));
    let body: Box<dyn BufRead + Send> =
        if get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            Box::new(BufReader::new(Chunked {
                inner: reader,
                left: 0,
                done: false,
            }))
        } else if let Some(n) = get("content-length").and_then(|n| n.parse::<u64>().ok()) {
            Box::new(reader.take(n))
        } else {
            Box::new(reader)
        };
    Response {
        status,
        headers,
        body,
        sse,
        json_read: false,
    }
}

/// An MCP client over Streamable HTTP; legacy requests carry the session once there is one.
pub(crate) struct HttpClient {
    addr: String,
    session: Option<String>,
    version: Option<String>,
    next_id: u64,
}

impl HttpClient {
    pub(crate) fn new(addr: &str) -> Self {
        HttpClient {
            addr: addr.to_owned(),
            session: None,
            version: None,
            next_id: 2_000,
        }
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// POSTs a 2026-07-28 request with the headers mirroring it; returns the open response.
    pub(crate) fn modern_stream(&mut self, method: &str, params: Value) -> Response {
        let id = self.fresh_id();
        let name = match method {
            "tools/call" | "prompts/get" => params["name"].as_str().map(str::to_owned),
            "resources/read" => params["uri"].as_str().map(str::to_owned),
            _ => None,
        };
        let mut headers = vec![("MCP-Protocol-Version", MODERN), ("Mcp-Method", method)];
        if let Some(name) = &name {
            headers.push(("Mcp-Name", name));
        }
        http(
            &self.addr,
            "POST",
            &headers,
            Some(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})),
        )
    }

    /// A 2026-07-28 request and its answer (`params` must carry `_meta`).
    pub(crate) fn modern(&mut self, method: &str, params: Value) -> Value {
        let mut resp = self.modern_stream(method, params);
        let reply = resp.next_with_id();
        assert!(
            resp.status == 200 || reply.get("error").is_some(),
            "HTTP {}: {reply}",
            resp.status
        );
        reply
    }

    fn session_headers(&self) -> Vec<(&str, &str)> {
        let mut h = Vec::new();
        if let Some(s) = &self.session {
            h.push(("Mcp-Session-Id", s.as_str()));
        }
        if let Some(v) = &self.version {
            h.push(("MCP-Protocol-Version", v.as_str()));
        }
        h
    }

    /// `initialize` (opening a session) and `notifications/initialized`.
    pub(crate) fn initialize(&mut self, version: &str, capabilities: Value) -> Value {
        let id = self.fresh_id();
        let mut resp = http(
            &self.addr,
            "POST",
            &[],
            Some(&json!({"jsonrpc": "2.0", "id": id, "method": "initialize",
                "params": {"protocolVersion": version, "capabilities": capabilities,
                           "clientInfo": {"name": "it", "version": "1"}}})),
        );
        assert_eq!(resp.status, 200);
        self.session = resp.header("Mcp-Session-Id").map(str::to_owned);
        assert!(self.session.is_some(), "initialize opens a session");
        let init = resp.next_with_id();
        assert_eq!(init["result"]["protocolVersion"], version, "{init}");
        self.version = Some(version.to_owned());
        let resp = http(
            &self.addr,
            "POST",
            &self.session_headers(),
            Some(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})),
        );
        assert_eq!(resp.status, 202);
        init
    }

    /// POSTs a legacy request in the session; returns the open response.
    pub(crate) fn legacy_stream(&mut self, method: &str, params: Value) -> (u64, Response) {
        let id = self.fresh_id();
        let resp = http(
            &self.addr,
            "POST",
            &self.session_headers(),
            Some(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})),
        );
        (id, resp)
    }

    /// A legacy request and its answer.
    pub(crate) fn legacy(&mut self, method: &str, params: Value) -> Value {
        let (id, mut resp) = self.legacy_stream(method, params);
        let reply = resp.next_with_id();
        assert_eq!(reply["id"], id, "{reply}");
        reply
    }

    /// Sends the session's answer to a server-to-client request.
    pub(crate) fn answer(&mut self, request: &Value, result: Value) {
        let resp = http(
            &self.addr,
            "POST",
            &self.session_headers(),
            Some(&json!({"jsonrpc": "2.0", "id": request["id"], "result": result})),
        );
        assert_eq!(resp.status, 202, "the answer is accepted");
    }

    /// The session's standalone GET stream (list-changed notifications).
    pub(crate) fn get_stream(&mut self) -> Response {
        let resp = http(&self.addr, "GET", &self.session_headers(), None);
        assert_eq!(resp.status, 200, "GET stream opens");
        resp
    }
}

/// Waits until the stderr collector saw the end of the stream (it holds the only other
/// reference to the log until then); gives up after [`PATIENCE`].
fn stderr_complete(log: &Arc<Mutex<String>>) -> String {
    let deadline = std::time::Instant::now() + PATIENCE;
    while Arc::strong_count(log) > 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    log.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// What a stdio server left behind once its stdin was closed.
pub(crate) struct Finished {
    pub(crate) status: std::process::ExitStatus,
    /// The stdout lines not read by the test yet.
    pub(crate) stdout: Vec<String>,
    /// The whole of stderr.
    pub(crate) stderr: String,
}

impl StdioClient {
    /// Closes stdin (the client goes away), waits for the server to exit and returns its
    /// status, the unread stdout lines and the complete stderr.
    pub(crate) fn finish(self) -> Finished {
        let StdioClient {
            mut child,
            stdin,
            lines,
            stderr,
            ..
        } = self;
        drop(stdin);
        let deadline = std::time::Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = child.0.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not exit within {PATIENCE:?} of stdin closing; stderr:\n{}",
                stderr_complete(&stderr)
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut stdout = Vec::new();
        while let Ok(line) = lines.recv_timeout(PATIENCE) {
            stdout.push(line);
        }
        Finished {
            status,
            stdout,
            stderr: stderr_complete(&stderr),
        }
    }
}

impl HttpServer {
    /// Stops the server and returns everything it wrote to stderr.
    pub(crate) fn finish(self) -> String {
        let HttpServer {
            stderr,
            _child: child,
            ..
        } = self;
        drop(child);
        stderr_complete(&stderr)
    }
}

/// The transport and protocol era of one test run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    StdioLegacy,
    StdioModern,
    HttpLegacy,
    HttpModern,
}

impl Wire {
    pub(crate) fn legacy(self) -> bool {
        matches!(self, Wire::StdioLegacy | Wire::HttpLegacy)
    }
}

/// One spawned server and the client talking to it.
pub(crate) enum Link {
    Stdio(StdioClient),
    Http(HttpServer, HttpClient),
}

impl Link {
    /// Spawns `cmd` for `wire` (with `--http 127.0.0.1:0` for HTTP); a legacy client is
    /// initialized declaring elicitation.
    pub(crate) fn open(wire: Wire, mut cmd: Command) -> Link {
        let mut link = match wire {
            Wire::StdioLegacy | Wire::StdioModern => Link::Stdio(StdioClient::spawn(cmd)),
            Wire::HttpLegacy | Wire::HttpModern => {
                cmd.args(["--http", "127.0.0.1:0"]);
                let server = HttpServer::spawn(cmd);
                let client = server.client();
                Link::Http(server, client)
            }
        };
        if wire.legacy() {
            let caps = json!({"elicitation": {}});
            match &mut link {
                Link::Stdio(c) => {
                    c.initialize("2025-06-18", caps);
                }
                Link::Http(_, c) => {
                    c.initialize("2025-06-18", caps);
                }
            }
        }
        link
    }

    /// What the server wrote on stderr so far.
    pub(crate) fn stderr(&self) -> String {
        match self {
            Link::Stdio(c) => c.stderr(),
            Link::Http(s, _) => s.stderr(),
        }
    }
}

//! The Streamable HTTP transport over real loopback sockets, with a minimal HTTP/1.1
//! client so the test sees exactly what goes over the wire.

use std::net::SocketAddr;
use std::time::Duration;

use mcp_protocol::http::{HttpConfig, HttpServer};
use mcp_protocol::{Server, TransportError};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::support::{meta, server};

struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), TransportError>>,
}

async fn start(server: Server, config: HttpConfig) -> Running {
    let http = HttpServer::bind(
        server,
        HttpConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            ..config
        },
    )
    .await
    .unwrap();
    let addr = http.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(http.serve(async move {
        let _ = rx.await;
    }));
    Running {
        addr,
        stop: Some(tx),
        task,
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("body {:?}: {e}", self.body))
    }

    /// The `data:` payloads of an SSE body.
    fn events(&self) -> Vec<Value> {
        self.body
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }
}

async fn send(addr: SocketAddr, method: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} /mcp HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// Request headers of one test case.
type Headers<'a> = Vec<(&'a str, &'a str)>;

const JSON: (&str, &str) = ("Content-Type", "application/json");
const ACCEPT: (&str, &str) = ("Accept", "application/json, text/event-stream");

fn rpc(id: i64, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

async fn initialize(addr: SocketAddr) -> String {
    let body = rpc(
        1,
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
    );
    let r = send(addr, "POST", &[JSON, ACCEPT], &body).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["result"]["protocolVersion"], "2025-11-25");
    r.header("mcp-session-id").expect("session id").to_owned()
}

#[tokio::test]
async fn legacy_session_lifecycle() {
    let (s, _) = server();
    let run = start(s, HttpConfig::default()).await;
    let sid = initialize(run.addr).await;
    let session = ("Mcp-Session-Id", sid.as_str());
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string();
    assert_eq!(
        send(run.addr, "POST", &[JSON, ACCEPT, session], &note)
            .await
            .status,
        202
    );
    let list = send(
        run.addr,
        "POST",
        &[JSON, ACCEPT, session],
        &rpc(2, "tools/list", json!({})),
    )
    .await;
    assert_eq!(list.status, 200);
    assert!(list.json()["result"]["tools"].is_array());
    let cases: Vec<(Headers<'_>, &str, u16)> = vec![
        (vec![JSON, ACCEPT], "POST", 400),
        (vec![JSON, ACCEPT, ("Mcp-Session-Id", "nope")], "POST", 404),
        (vec![ACCEPT], "GET", 405),
        (vec![], "DELETE", 405),
        (vec![("Mcp-Session-Id", "nope")], "DELETE", 404),
        (
            vec![
                JSON,
                ACCEPT,
                session,
                ("MCP-Protocol-Version", "1999-01-01"),
            ],
            "POST",
            400,
        ),
        (
            vec![
                JSON,
                ACCEPT,
                session,
                ("MCP-Protocol-Version", "2025-11-25"),
            ],
            "POST",
            200,
        ),
    ];
    for (headers, method, status) in cases {
        let r = send(run.addr, method, &headers, &rpc(3, "tools/list", json!({}))).await;
        assert_eq!(r.status, status, "{method} {headers:?}");
    }
    assert_eq!(send(run.addr, "DELETE", &[session], "").await.status, 200);
    assert_eq!(
        send(
            run.addr,
            "POST",
            &[JSON, ACCEPT, session],
            &rpc(4, "tools/list", json!({}))
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn legacy_elicitation_travels_on_the_post_stream() {
    let (s, _) = server();
    let run = start(s, HttpConfig::default()).await;
    let body = rpc(
        1,
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {"elicitation": {}}}),
    );
    let init = send(run.addr, "POST", &[JSON, ACCEPT], &body).await;
    let sid = init.header("mcp-session-id").unwrap().to_owned();

    let call = rpc(2, "tools/call", json!({"name": "ask", "arguments": {}}));
    let mut stream = TcpStream::connect(run.addr).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Session-Id: {sid}\r\nContent-Length: {}\r\n\r\n{call}",
        run.addr,
        call.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("elicitation/create") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "stream ended before the question");
        seen.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&seen).into_owned();
    let question: Value = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str::<Value>(d).unwrap())
        .find(|v| v["method"] == "elicitation/create")
        .unwrap();
    let answer = json!({"jsonrpc": "2.0", "id": question["id"], "result": {"action": "decline"}})
        .to_string();
    let ack = send(
        run.addr,
        "POST",
        &[JSON, ACCEPT, ("Mcp-Session-Id", sid.as_str())],
        &answer,
    )
    .await;
    assert_eq!(ack.status, 202);
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut seen))
        .await
        .unwrap()
        .unwrap();
    let all = String::from_utf8_lossy(&seen).into_owned();
    let result: Value = all
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str::<Value>(d).unwrap())
        .find(|v| v["id"] == 2)
        .expect("final answer on the same stream");
    assert_eq!(result["result"]["content"][0]["text"], "declined");

    // A client that accepts only JSON cannot be asked; the tool hears so at once.
    let json_only = [
        JSON,
        ("Accept", "application/json"),
        ("Mcp-Session-Id", sid.as_str()),
    ];
    let r = send(
        run.addr,
        "POST",
        &json_only,
        &rpc(3, "tools/call", json!({"name": "ask", "arguments": {}})),
    )
    .await;
    let text = r.json()["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.starts_with("cannot ask:"), "{text}");
}

#[tokio::test]
async fn stateless_requests_checks_and_streams() {
    let (s, _) = server();
    let run = start(s, HttpConfig::default()).await;
    let call = |name: &str, extra: Value| {
        let mut p = json!({"name": name, "arguments": {}, "_meta": meta(json!({}))});
        if let Some(o) = extra.as_object() {
            for (k, v) in o {
                p["_meta"][k] = v.clone();
            }
        }
        rpc(7, "tools/call", p)
    };
    let h = |name: &'static str| {
        vec![
            JSON,
            ACCEPT,
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", name),
        ]
    };
    let ok = send(run.addr, "POST", &h("echo"), &call("echo", json!({}))).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["result"]["resultType"], "complete");
    assert!(
        ok.header("mcp-session-id").is_none(),
        "stateless: no session"
    );

    let cases: Vec<(Headers<'_>, String, u16, i64)> = vec![
        (h("other"), call("echo", json!({})), 400, -32020),
        (
            vec![
                JSON,
                ACCEPT,
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "tools/list"),
                ("Mcp-Name", "echo"),
            ],
            call("echo", json!({})),
            400,
            -32020,
        ),
        (
            vec![
                JSON,
                ACCEPT,
                ("mcp-protocol-version", " 2026-07-28 "),
                ("mcp-method", " tools/call "),
                ("mcp-name", "echo"),
            ],
            call("echo", json!({})),
            200,
            0,
        ),
        (
            vec![
                JSON,
                ACCEPT,
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "server/discover"),
            ],
            rpc(8, "server/discover", json!({})),
            400,
            -32602,
        ),
        (
            vec![
                JSON,
                ACCEPT,
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "ping"),
            ],
            rpc(9, "ping", json!({"_meta": meta(json!({}))})),
            404,
            -32601,
        ),
    ];
    for (headers, body, status, code) in cases {
        let r = send(run.addr, "POST", &headers, &body).await;
        assert_eq!(r.status, status, "{headers:?} {body}");
        if code != 0 {
            assert_eq!(r.json()["error"]["code"], code, "{headers:?} {body}");
        }
    }

    let progress = send(
        run.addr,
        "POST",
        &h("progress"),
        &call("progress", json!({"progressToken": "tok"})),
    )
    .await;
    assert_eq!(progress.status, 200);
    assert_eq!(progress.header("content-type"), Some("text/event-stream"));
    let events = progress.events();
    let methods: Vec<&str> = events
        .iter()
        .map(|e| e["method"].as_str().unwrap_or("<response>"))
        .collect();
    assert_eq!(
        methods,
        vec![
            "notifications/progress",
            "notifications/progress",
            "<response>"
        ]
    );
    assert_eq!(events[2]["result"]["resultType"], "complete");

    // A client that accepts only JSON gets the answer without the notifications.
    let mut json_only = h("progress");
    json_only[1] = ("Accept", "application/json");
    let plain = send(
        run.addr,
        "POST",
        &json_only,
        &call("progress", json!({"progressToken": "tok"})),
    )
    .await;
    assert_eq!(plain.header("content-type"), Some("application/json"));
    assert_eq!(plain.json()["result"]["content"][0]["text"], "progressed");
}

#[tokio::test]
async fn custom_param_headers_are_checked_against_arguments() {
    let (s, _) = server();
    let run = start(s, HttpConfig::default()).await;
    let body = |args: Value| {
        rpc(
            9,
            "tools/call",
            json!({"name": "headed", "arguments": args, "_meta": meta(json!({}))}),
        )
    };
    let base = [
        JSON,
        ACCEPT,
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", "headed"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut h = base.to_vec();
        h.extend_from_slice(extra);
        h
    };
    let cases: Vec<(Headers<'_>, Value, u16)> = vec![
        (
            with(&[("Mcp-Param-Region", "us-west1")]),
            json!({"region": "us-west1"}),
            200,
        ),
        (
            with(&[("mcp-param-region", "=?base64?SGVsbG8=?=")]),
            json!({"region": "Hello"}),
            200,
        ),
        (
            with(&[("Mcp-Param-Region", "=?base64?SGVsbG8?=")]),
            json!({"region": "Hello"}),
            400,
        ),
        (
            with(&[("Mcp-Param-Region", "=?base64?SGVs!!!bG8=?=")]),
            json!({"region": "Hello"}),
            400,
        ),
        (
            with(&[("Mcp-Param-Region", "=?base64?SGVsbG8=")]),
            json!({"region": "=?base64?SGVsbG8="}),
            200,
        ),
        (with(&[]), json!({"region": "us-west1"}), 400),
        (
            with(&[("Mcp-Param-Region", "eu")]),
            json!({"region": "us"}),
            400,
        ),
        (with(&[("Mcp-Param-N", "42")]), json!({"n": 42}), 200),
        (with(&[]), json!({}), 200),
    ];
    for (headers, args, status) in cases {
        let r = send(run.addr, "POST", &headers, &body(args.clone())).await;
        assert_eq!(r.status, status, "{headers:?} {args}");
        if status == 400 {
            assert_eq!(r.json()["error"]["code"], -32020);
        }
    }
}

#[tokio::test]
async fn host_origin_auth_and_body_cap() {
    let (s, _) = server();
    let run = start(
        s,
        HttpConfig {
            max_body_bytes: 2048,
            ..HttpConfig::default()
        },
    )
    .await;
    let body = rpc(
        1,
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {}}),
    );
    let cases: Vec<(Headers<'_>, u16)> = vec![
        (vec![JSON, ("Origin", "http://evil.example.com")], 403),
        (vec![JSON, ("Host", "evil.example.com")], 403),
        (
            vec![
                JSON,
                ("Host", "localhost:9"),
                ("Origin", "http://localhost:3000"),
            ],
            200,
        ),
        (
            vec![JSON, ("Host", "[::1]:9"), ("Origin", "http://127.0.0.1")],
            200,
        ),
        (vec![("Content-Type", "text/plain")], 415),
    ];
    for (headers, status) in cases {
        assert_eq!(
            send(run.addr, "POST", &headers, &body).await.status,
            status,
            "{headers:?}"
        );
    }
    let huge = rpc(1, "ping", json!({"pad": "x".repeat(5000)}));
    assert_eq!(send(run.addr, "POST", &[JSON], &huge).await.status, 413);

    let (s, _) = server();
    let secured = start(
        s,
        HttpConfig {
            bearer_token: Some("s3cret".into()),
            ..HttpConfig::default()
        },
    )
    .await;
    assert_eq!(send(secured.addr, "POST", &[JSON], &body).await.status, 401);
    assert_eq!(
        send(
            secured.addr,
            "POST",
            &[JSON, ("Authorization", "Bearer wrong")],
            &body
        )
        .await
        .status,
        401
    );
    assert_eq!(
        send(
            secured.addr,
            "POST",
            &[JSON, ("Authorization", "Bearer s3cret")],
            &body
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn idle_sessions_make_room_for_new_ones() {
    let (s, _) = server();
    let config = HttpConfig {
        max_sessions: 1,
        session_idle_timeout: Duration::from_millis(100),
        ..HttpConfig::default()
    };
    let run = start(s, config).await;
    let first = initialize(run.addr).await;
    let body = rpc(
        1,
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {}}),
    );
    assert_eq!(
        send(run.addr, "POST", &[JSON, ACCEPT], &body).await.status,
        503,
        "full while the first is fresh"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let second = initialize(run.addr).await;
    assert_ne!(first, second);
    let stale = send(
        run.addr,
        "POST",
        &[JSON, ACCEPT, ("Mcp-Session-Id", first.as_str())],
        &rpc(2, "ping", json!({})),
    )
    .await;
    assert_eq!(stale.status, 404, "the idle session was dropped");
    let live = send(
        run.addr,
        "POST",
        &[JSON, ACCEPT, ("Mcp-Session-Id", second.as_str())],
        &rpc(3, "ping", json!({})),
    )
    .await;
    assert_eq!(live.status, 200);
}

#[tokio::test]
async fn public_bind_requires_a_token_and_debug_hides_it() {
    let (s, _) = server();
    let config = HttpConfig {
        bind: "0.0.0.0:0".parse().unwrap(),
        ..HttpConfig::default()
    };
    assert!(matches!(
        HttpServer::bind(s, config).await,
        Err(TransportError::Config(_))
    ));
    let config = HttpConfig {
        bearer_token: Some("hunter2".into()),
        ..HttpConfig::default()
    };
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let (s, probe) = server();
    let mut run = start(s, HttpConfig::default()).await;
    let sid = initialize(run.addr).await;
    let addr = run.addr;
    let pending = tokio::spawn(async move {
        let headers = [JSON, ACCEPT, ("Mcp-Session-Id", sid.as_str())];
        send(
            addr,
            "POST",
            &headers,
            &rpc(
                5,
                "tools/call",
                json!({"name": "slow", "arguments": {"ms": 200}}),
            ),
        )
        .await
    });
    tokio::time::timeout(Duration::from_secs(5), probe.slow_started.notified())
        .await
        .unwrap();
    let _ = run.stop.take().unwrap().send(());
    let reply = pending.await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["result"]["content"][0]["text"], "slow done");
    let served = tokio::time::timeout(Duration::from_secs(5), &mut run.task)
        .await
        .unwrap()
        .unwrap();
    assert!(served.is_ok());
    assert!(
        TcpStream::connect(run.addr).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn closing_the_connection_cancels_a_stateless_request() {
    let (s, probe) = server();
    let run = start(s, HttpConfig::default()).await;
    let body = rpc(
        1,
        "tools/call",
        json!({"name": "slow", "arguments": {}, "_meta": meta(json!({}))}),
    );
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: slow\r\nContent-Length: {}\r\n\r\n{body}",
        run.addr,
        body.len()
    );
    let mut stream = TcpStream::connect(run.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), probe.slow_started.notified())
        .await
        .unwrap();
    drop(stream);
    for _ in 0..200 {
        if probe.slow_dropped.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        probe.slow_dropped.load(std::sync::atomic::Ordering::SeqCst),
        "handler dropped when the client went away"
    );
    assert!(
        !probe
            .slow_finished
            .load(std::sync::atomic::Ordering::SeqCst)
    );
}

#[tokio::test]
async fn a_legacy_call_cancelled_by_a_closed_connection_leaves_nothing_in_flight() {
    let (s, probe) = server();
    let config = HttpConfig {
        max_sessions: 1,
        session_idle_timeout: Duration::ZERO,
        ..HttpConfig::default()
    };
    let run = start(s, config).await;
    let session = initialize(run.addr).await;
    let body = rpc(2, "tools/call", json!({"name": "slow", "arguments": {}}));
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Session-Id: {session}\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: {}\r\n\r\n{body}",
        run.addr,
        body.len()
    );
    let mut stream = TcpStream::connect(run.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), probe.slow_started.notified())
        .await
        .unwrap();
    let init = rpc(
        3,
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {}}),
    );
    assert_eq!(
        send(run.addr, "POST", &[JSON, ACCEPT], &init).await.status,
        503,
        "the session is busy while its call runs"
    );
    drop(stream);
    for _ in 0..200 {
        if probe.slow_dropped.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(probe.slow_dropped.load(std::sync::atomic::Ordering::SeqCst));
    // Nothing left in flight: the idle session makes room for a new one.
    let second = initialize(run.addr).await;
    assert_ne!(second, session);
}

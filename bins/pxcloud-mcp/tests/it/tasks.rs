//! `pxcloud_wait_task` on the wire: progress notifications, cancellation, the final status and the log tail.
//!
//! The tasks are real simulator tasks (backups, which no confirmation guards), started through
//! the server itself so the task id is the one its result hints name. What the server polled is
//! read from the simulator's request log.

use std::process::Command;
use std::time::{Duration, Instant};

use pxcloud_sim::{Sim, SimConfig};
use serde_json::{Map, Value, json};

use crate::client::{self, HttpServer, Link, StdioClient, Wire, modern_meta};

/// Running, on `pve1`, where both `backup-nfs` and the offline `nfs-offline` live.
const VM: &str = "cluster1:pve1:100";
const PROGRESS: &str = "wait-progress";

/// A simulator whose tasks take five steps of `step`.
async fn sim(step: Duration) -> Sim {
    Sim::start(SimConfig {
        task_step: step,
        task_steps: 5,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// What one `tools/call` produced: the progress notifications for its token, in order, and
/// the final reply.
struct Outcome {
    progress: Vec<Value>,
    reply: Value,
}

/// A client of one spawned server speaking `wire`; it approves whatever the server asks.
struct Conn {
    wire: Wire,
    link: Link,
}

impl Conn {
    fn open(wire: Wire, cmd: Command) -> Conn {
        Conn {
            wire,
            link: Link::open(wire, cmd),
        }
    }

    fn stderr(&self) -> String {
        self.link.stderr()
    }

    /// `tools/call` params for this era, asking for progress under `token` when given.
    fn params(&self, name: &str, arguments: &Value, token: Option<&str>) -> Value {
        let mut meta = if self.wire.legacy() {
            json!({})
        } else {
            modern_meta(json!({"elicitation": {}}))
        };
        if let Some(token) = token {
            meta["progressToken"] = json!(token);
        }
        json!({"name": name, "arguments": arguments, "_meta": meta})
    }

    /// A `tools/call`, collecting progress for `token` until the reply; approves whatever
    /// the server asks (elicitation, or 2026-07-28 `input_required` rounds).
    fn call(&mut self, name: &str, arguments: Value, token: Option<&str>) -> Outcome {
        let accept = json!({"action": "accept", "content": {}});
        let mut params = self.params(name, &arguments, token);
        let mut progress = Vec::new();
        let mut keep = |msg: &Value| {
            if msg["method"] == "notifications/progress" {
                assert_eq!(msg["params"]["progressToken"], json!(token), "{msg}");
                progress.push(msg["params"].clone());
            }
        };
        for _round in 0..3 {
            let reply = match (self.wire, &mut self.link) {
                (Wire::StdioLegacy | Wire::StdioModern, Link::Stdio(c)) => {
                    let id = c.start("tools/call", params.clone());
                    loop {
                        let msg = c.next_any();
                        if msg["method"] == "elicitation/create" {
                            c.send(&json!({"jsonrpc": "2.0", "id": msg["id"], "result": accept}));
                        } else if msg.get("id").is_some() {
                            assert_eq!(msg["id"], id, "{msg}");
                            break msg;
                        } else {
                            keep(&msg);
                        }
                    }
                }
                (_, Link::Http(_, c)) => {
                    let (id, mut resp) = if self.wire.legacy() {
                        c.legacy_stream("tools/call", params.clone())
                    } else {
                        (0, c.modern_stream("tools/call", params.clone()))
                    };
                    assert_eq!(resp.status, 200);
                    loop {
                        let msg = resp
                            .next_message()
                            .expect("the stream carries the reply before it ends");
                        if msg["method"] == "elicitation/create" {
                            c.answer(&msg, accept.clone());
                        } else if msg.get("id").is_some() {
                            if id != 0 {
                                assert_eq!(msg["id"], id, "{msg}");
                            }
                            break msg;
                        } else {
                            keep(&msg);
                        }
                    }
                }
                _ => unreachable!("links match their wire"),
            };
            let result = &reply["result"];
            if result["resultType"] != "input_required" {
                assert!(reply.get("error").is_none(), "a tool result: {reply}");
                return Outcome { progress, reply };
            }
            let answers: Map<String, Value> = result["inputRequests"]
                .as_object()
                .expect("inputRequests")
                .keys()
                .map(|k| (k.clone(), accept.clone()))
                .collect();
            params["inputResponses"] = Value::Object(answers);
            params["requestState"] = result["requestState"].clone();
        }
        panic!("the server kept asking for input");
    }

    /// Starts a backup of [`VM`] to `storage` and returns the task id its result names.
    fn backup(&mut self, storage: &str) -> String {
        let started = self
            .call(
                "pxcloud_create_backup",
                json!({"id": VM, "storage": storage}),
                None,
            )
            .reply;
        let envelope = &started["result"]["structuredContent"];
        assert_eq!(envelope["ok"], true, "{started}");
        let task = envelope["data"]["task_id"]
            .as_str()
            .unwrap_or_else(|| panic!("a task id: {started}"))
            .to_owned();
        assert!(task.starts_with("UPID:pve1:"), "{task}");
        // The result tells the model how to follow it.
        let hints = envelope["hints"].to_string();
        assert!(
            hints.contains(&format!("pxcloud_wait_task (task_id: {task})")),
            "{hints}"
        );
        task
    }
}

/// How often the server has polled PXCloud for `task`.
fn polls(sim: &Sim, task: &str) -> usize {
    sim.log().count("GET", &format!("/api/tasks/{task}"))
}

/// Progress values strictly increase (a notification only when something moved), out of
/// 100, each with a message; the last one reports completion.
fn assert_progress(progress: &[Value]) {
    assert!(
        progress.len() >= 2,
        "progress while the task runs and at its end: {progress:?}"
    );
    let values: Vec<f64> = progress
        .iter()
        .map(|p| p["progress"].as_f64().expect("numeric progress"))
        .collect();
    assert!(
        values.windows(2).all(|w| w[0] < w[1]),
        "monotonic: {values:?}"
    );
    assert_eq!(values.last().copied(), Some(100.0), "{progress:?}");
    for p in progress {
        assert_eq!(p["total"], 100.0, "{p}");
        assert!(p["message"].is_string(), "{p}");
    }
    assert_eq!(
        progress.last().expect("a last one")["message"],
        "TASK OK",
        "the last notification carries the task's last log line"
    );
}

/// (a, b) A task followed to completion with progress.
async fn wait_reports_progress_until_the_end(wire: Wire) {
    let sim = sim(Duration::from_millis(150)).await;
    let mut c = Conn::open(wire, client::server(&sim.url(), &[]));
    let task = c.backup("backup-nfs");

    let done = c.call(
        "pxcloud_wait_task",
        json!({"task_id": task}),
        Some(PROGRESS),
    );
    assert_progress(&done.progress);
    let result = &done.reply["result"];
    assert_ne!(result["isError"], true, "{}", done.reply);
    let envelope = &result["structuredContent"];
    assert_eq!(envelope["ok"], true, "{envelope}");
    assert_eq!(envelope["data"]["status"], "ok", "{envelope}");
    assert_eq!(envelope["data"]["exitstatus"], "OK", "{envelope}");
    assert!(
        envelope["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with(&format!("Task {task} finished OK"))),
        "{envelope}"
    );
    let polled = polls(&sim, &task);
    assert!(
        polled >= done.progress.len(),
        "every notification follows a poll: {polled} polls"
    );
    // The backup's effect is visible: the task really ended in PXCloud.
    let backups = c
        .call("pxcloud_list_backups", json!({"id": VM}), None)
        .reply;
    assert!(
        backups["result"]["structuredContent"]["data"]
            .to_string()
            .contains("backup-nfs:backup/vzdump-qemu-100-"),
        "{backups}"
    );
    assert_eq!(polls(&sim, &task), polled, "no polling after the answer");
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_legacy_wait_task_reports_progress_until_the_task_ends() {
    wait_reports_progress_until_the_end(Wire::StdioLegacy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_modern_wait_task_reports_progress_until_the_task_ends() {
    wait_reports_progress_until_the_end(Wire::StdioModern).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_legacy_wait_task_reports_progress_until_the_task_ends() {
    wait_reports_progress_until_the_end(Wire::HttpLegacy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_modern_wait_task_reports_progress_on_the_reply_stream() {
    wait_reports_progress_until_the_end(Wire::HttpModern).await;
}

/// (d) A task that ends in error: `isError`, the final status and the log tail.
fn assert_failed_task(outcome: &Outcome, task: &str, exit: &str) {
    let result = &outcome.reply["result"];
    assert_eq!(result["isError"], true, "{}", outcome.reply);
    let envelope = &result["structuredContent"];
    assert_eq!(envelope["ok"], false, "{envelope}");
    assert_eq!(envelope["data"]["status"], "error", "{envelope}");
    assert_eq!(envelope["data"]["exitstatus"], exit, "{envelope}");
    assert_eq!(
        envelope["summary"],
        format!("Task {task} finished with status error: {exit}."),
        "{envelope}"
    );
    let log = envelope["data"]["log"].as_array().expect("the log tail");
    assert_eq!(
        log.last().expect("a last line")["t"],
        format!("TASK ERROR: {exit}"),
        "{envelope}"
    );
    let hints = envelope["hints"].to_string();
    assert!(hints.contains("data.log"), "{hints}");
    // The text the model reads ends with the log tail, one plain line each.
    let text = result["content"][0]["text"].as_str().expect("text");
    let tail = text
        .split_once("\nLog tail:\n")
        .unwrap_or_else(|| panic!("a log tail: {text}"))
        .1;
    assert_eq!(
        tail.lines().last(),
        Some(format!("TASK ERROR: {exit}").as_str()),
        "{text}"
    );
    assert_eq!(tail.lines().count(), log.len(), "{text}");
}

async fn failed_task_returns_status_and_log_tail(wire: Wire) {
    let sim = sim(Duration::from_millis(60)).await;
    let mut c = Conn::open(wire, client::server(&sim.url(), &[]));
    // The simulator's document: a backup to an offline storage ends the task in error.
    let task = c.backup("nfs-offline");
    let failed = c.call(
        "pxcloud_wait_task",
        json!({"task_id": task}),
        Some(PROGRESS),
    );
    assert_failed_task(&failed, &task, "storage 'nfs-offline' is not online");
    let last = failed.progress.last().expect("progress at the end");
    assert_eq!(last["progress"], 100.0, "{last}");
    assert_eq!(
        last["message"],
        "TASK ERROR: storage 'nfs-offline' is not online"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_legacy_failed_task_returns_its_status_and_log_tail() {
    failed_task_returns_status_and_log_tail(Wire::StdioLegacy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_modern_failed_task_returns_its_status_and_log_tail() {
    failed_task_returns_status_and_log_tail(Wire::StdioModern).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_legacy_failed_task_returns_its_status_and_log_tail() {
    failed_task_returns_status_and_log_tail(Wire::HttpLegacy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_modern_failed_task_returns_its_status_and_log_tail() {
    failed_task_returns_status_and_log_tail(Wire::HttpModern).await;
}

/// A task stopped through PXCloud's task stop route (approved: it is a DELETE) ends in error.
async fn stopped_task_returns_status_and_log_tail(wire: Wire) {
    let sim = sim(Duration::from_secs(2)).await;
    let mut c = Conn::open(wire, client::server(&sim.url(), &[]));
    let task = c.backup("backup-nfs");
    let stopped = c.call("pxcloud_stop_task", json!({"id": task}), None).reply;
    assert_ne!(stopped["result"]["isError"], true, "{stopped}");
    assert_eq!(sim.log().count("DELETE", &format!("/api/tasks/{task}")), 1);
    let started = Instant::now();
    let failed = c.call(
        "pxcloud_wait_task",
        json!({"task_id": task}),
        Some(PROGRESS),
    );
    assert_failed_task(&failed, &task, "interrupted by signal");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a finished task answers at the first poll"
    );
    assert_eq!(polls(&sim, &task), 1, "{}", c.stderr());
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_legacy_stopped_task_returns_its_status_and_log_tail() {
    stopped_task_returns_status_and_log_tail(Wire::StdioLegacy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_modern_stopped_task_returns_its_status_and_log_tail() {
    stopped_task_returns_status_and_log_tail(Wire::HttpModern).await;
}

/// Waits `quiet` and checks the server polled `task` no more in that time.
fn assert_polling_stopped(sim: &Sim, task: &str, quiet: Duration) {
    let polled = polls(sim, task);
    std::thread::sleep(quiet);
    assert_eq!(
        polls(sim, task),
        polled,
        "polling stopped after the cancellation"
    );
}

/// How long to watch for polls after a cancellation: without it, the server would poll at
/// least twice in this time (it polls at 0, 0.25, 0.75, 1.75 s … into the wait).
const QUIET: Duration = Duration::from_millis(1_300);

/// (c) Legacy cancellation over stdio: `notifications/cancelled` mid-wait.
#[tokio::test(flavor = "multi_thread")]
async fn stdio_legacy_cancelled_wait_stops_polling_and_answers_nothing() {
    // Ten seconds of task: the wait is cancelled long before it could end.
    let sim = sim(Duration::from_secs(2)).await;
    let mut c = StdioClient::spawn(client::server(&sim.url(), &[]));
    c.initialize("2025-06-18", json!({}));
    let started = c.call(
        "tools/call",
        json!({"name": "pxcloud_create_backup", "arguments": {"id": VM, "storage": "backup-nfs"}}),
    );
    let task = started["result"]["structuredContent"]["data"]["task_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a task id: {started}"))
        .to_owned();

    let id = c.start(
        "tools/call",
        json!({"name": "pxcloud_wait_task", "arguments": {"task_id": task},
               "_meta": {"progressToken": PROGRESS}}),
    );
    let first = c.next_any();
    assert_eq!(first["method"], "notifications/progress", "{first}");
    assert_eq!(first["params"]["progress"], 0.0, "{first}");
    c.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                   "params": {"requestId": id, "reason": "the user changed their mind"}}),
    );
    // Messages are handled in order: once the ping is answered, the cancellation was seen.
    let ping = c.call("ping", json!({}));
    assert_eq!(ping["result"], json!({}), "{ping}");
    assert_polling_stopped(&sim, &task, QUIET);

    // Nothing came for the cancelled call in the meantime: the next message is the answer
    // to a fresh request, not a result or progress of the cancelled one.
    let probe = c.start("ping", json!({}));
    let next = c.next_any();
    assert_eq!(
        next["id"], probe,
        "nothing for the cancelled request: {next}"
    );
    // The server still serves: the task can be followed by a new call.
    assert_eq!(
        c.call(
            "tools/call",
            json!({"name": "pxcloud_get_task", "arguments": {"id": task}})
        )["result"]["structuredContent"]["data"]["status"],
        "running"
    );
}

/// (c) Legacy cancellation over HTTP: the notification is POSTed in the session; the call's
/// SSE stream ends without a reply.
#[tokio::test(flavor = "multi_thread")]
async fn http_legacy_cancelled_wait_stops_polling_and_ends_the_stream() {
    let sim = sim(Duration::from_secs(2)).await;
    let server = HttpServer::spawn(client::server(&sim.url(), &["--http", "127.0.0.1:0"]));
    // The session is driven by hand: the cancellation is a notification in it.
    const VERSION: &str = "2025-06-18";
    let mut init = client::http(
        &server.addr,
        "POST",
        &[],
        Some(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": VERSION, "capabilities": {},
                       "clientInfo": {"name": "it", "version": "1"}}})),
    );
    let session = init.header("Mcp-Session-Id").expect("a session").to_owned();
    assert_eq!(init.next_with_id()["result"]["protocolVersion"], VERSION);
    let headers = [
        ("Mcp-Session-Id", session.as_str()),
        ("MCP-Protocol-Version", VERSION),
    ];
    let post = |body: Value| client::http(&server.addr, "POST", &headers, Some(&body));
    assert_eq!(
        post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).status,
        202
    );
    let started = post(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "pxcloud_create_backup",
                   "arguments": {"id": VM, "storage": "backup-nfs"}}}))
    .next_with_id();
    let task = started["result"]["structuredContent"]["data"]["task_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a task id: {started}"))
        .to_owned();

    let mut stream = post(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "pxcloud_wait_task", "arguments": {"task_id": task},
                   "_meta": {"progressToken": PROGRESS}}}));
    assert_eq!(stream.status, 200);
    let first = stream.next_message().expect("a first progress");
    assert_eq!(first["method"], "notifications/progress", "{first}");
    let cancel = post(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 3, "reason": "the user changed their mind"}}),
    );
    assert_eq!(cancel.status, 202);
    let before = Instant::now();
    let rest: Vec<Value> = std::iter::from_fn(|| stream.next_message()).collect();
    assert!(
        rest.iter().all(|m| m.get("id").is_none()),
        "no reply to a cancelled request: {rest:?}"
    );
    assert!(
        before.elapsed() < Duration::from_secs(2),
        "the stream ends at the cancellation"
    );
    assert_polling_stopped(&sim, &task, QUIET);
}

/// (c) 2026-07-28 over HTTP: closing the reply stream cancels the request.
#[tokio::test(flavor = "multi_thread")]
async fn http_modern_closing_the_stream_cancels_the_wait() {
    let sim = sim(Duration::from_secs(2)).await;
    let server = HttpServer::spawn(client::server(&sim.url(), &["--http", "127.0.0.1:0"]));
    let mut c = server.client();
    let meta = modern_meta(json!({}));
    let started = c.modern(
        "tools/call",
        json!({"name": "pxcloud_create_backup", "arguments": {"id": VM, "storage": "backup-nfs"},
               "_meta": meta}),
    );
    let task = started["result"]["structuredContent"]["data"]["task_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a task id: {started}"))
        .to_owned();
    let mut meta = meta;
    meta["progressToken"] = json!(PROGRESS);
    let mut stream = c.modern_stream(
        "tools/call",
        json!({"name": "pxcloud_wait_task", "arguments": {"task_id": task}, "_meta": meta}),
    );
    assert!(
        stream
            .header("Content-Type")
            .is_some_and(|t| t.starts_with("text/event-stream")),
        "progress needs the SSE reply stream"
    );
    let first = stream.next_message().expect("a first progress");
    assert_eq!(first["method"], "notifications/progress", "{first}");
    drop(stream);
    // The server notices the closed stream at the latest when it next writes to it.
    std::thread::sleep(Duration::from_millis(300));
    assert_polling_stopped(&sim, &task, QUIET);
}

/// What a failed wait tells the model: an unknown task, a token PXCloud no longer accepts,
/// and a wait that gives up before the task ends.
async fn wait_failures_carry_hints(wire: Wire) {
    let sim = sim(Duration::from_secs(2)).await;
    let mut cmd = client::binary();
    cmd.env("PXCLOUD_URL", sim.url())
        .env("PXCLOUD_TOKEN", sim.issue_token(pxcloud_sim::ADMIN_USER))
        .env("PXCLOUD_LOG_LEVEL", "warn");
    let mut c = Conn::open(wire, cmd);

    let unknown = c
        .call(
            "pxcloud_wait_task",
            json!({"task_id": "UPID:pve1:0000FFFF:00000000:00000000:qmstart:100:admin@pam:"}),
            Some(PROGRESS),
        )
        .reply;
    let result = &unknown["result"];
    assert_eq!(result["isError"], true, "{unknown}");
    assert_eq!(result["structuredContent"]["status"], 404, "{unknown}");
    assert!(
        result["structuredContent"]["hints"]
            .to_string()
            .contains("List the resources first"),
        "{unknown}"
    );

    // The task runs for ten seconds; a one-second wait returns while it still runs.
    let task = c.backup("backup-nfs");
    let started = Instant::now();
    let waited = c.call(
        "pxcloud_wait_task",
        json!({"task_id": task, "timeout_secs": 1}),
        Some(PROGRESS),
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up in time"
    );
    let envelope = &waited.reply["result"]["structuredContent"];
    assert_eq!(envelope["ok"], false, "{envelope}");
    assert_eq!(envelope["data"]["status"], "running", "{envelope}");
    assert!(
        envelope["summary"]
            .as_str()
            .is_some_and(|s| s.contains("is still running after")
                && s.contains("call pxcloud_wait_task again")),
        "{envelope}"
    );
    assert!(!waited.progress.is_empty(), "progress while it waited");

    // PXCloud stops accepting the token: the hint says to renew it, since no password is
    // there to log in again with.
    sim.faults().revoke_all_tokens();
    let refused = c
        .call(
            "pxcloud_wait_task",
            json!({"task_id": task}),
            Some(PROGRESS),
        )
        .reply;
    let result = &refused["result"];
    assert_eq!(result["isError"], true, "{refused}");
    assert_eq!(result["structuredContent"]["status"], 401, "{refused}");
    assert!(
        result["structuredContent"]["hints"]
            .to_string()
            .contains("The token in PXCLOUD_TOKEN expired or was revoked and cannot be renewed"),
        "{refused}"
    );
    assert_eq!(sim.log().count("POST", "/api/auth/login"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_legacy_wait_task_failures_carry_recovery_hints() {
    wait_failures_carry_hints(Wire::StdioLegacy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_modern_wait_task_failures_carry_recovery_hints() {
    wait_failures_carry_hints(Wire::HttpModern).await;
}

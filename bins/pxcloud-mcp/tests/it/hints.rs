//! Recovery hints on the wire: each failure PXCloud (the simulator) can produce reaches the client as `isError` with its hint.
//!
//! One table of failures — real ones the simulator's state machine produces (unknown VM,
//! starting a running VM, a VM locked by its backup, a field the schema cannot check) and
//! injected ones (statuses, rate limits, dropped connections, revoked tokens) — runs through
//! the real binary over stdio and Streamable HTTP in both protocol eras. Each row asserts
//! `isError: true`, `structuredContent.ok == false`, the envelope's `status`, a fragment of the
//! recovery hint (as `envelope::recovery_hints` words it) and, from the simulator's request
//! log, how many attempts reached PXCloud (so retries are proven, not assumed).

use std::process::Command;
use std::time::Duration;

use pxcloud_sim::{Sim, SimConfig};
use serde_json::{Map, Value, json};

use crate::client::{self, Link, Wire, modern_meta};

/// Running, on `pve1`.
const VM: &str = "cluster1:pve1:100";
/// Stopped, on `pve1`.
const STOPPED_VM: &str = "cluster1:pve1:101";
/// Running, on `pve2`: the row that locks a VM uses this one.
const LOCKED_VM: &str = "cluster1:pve2:200";
/// Attempts the client makes per idempotent call (`RetryConfig::default().max_attempts`).
const ATTEMPTS: usize = 4;

/// Task steps long enough that a VM stays locked while the rows after its backup run.
async fn sim() -> Sim {
    Sim::start(SimConfig {
        task_step: Duration::from_secs(2),
        task_steps: 5,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// A client of one spawned server, speaking `wire`, that approves every confirmation the
/// server asks for (the rows are about what PXCloud answers, not about the policy).
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

    /// `tools/call` of `name`, accepting any confirmation; the final `result`.
    fn call_tool(&mut self, name: &str, arguments: Value) -> Value {
        let accept = json!({"action": "accept", "content": {}});
        let reply = match (self.wire, &mut self.link) {
            (Wire::StdioLegacy, Link::Stdio(c)) => {
                let id = c.start("tools/call", json!({"name": name, "arguments": arguments}));
                loop {
                    let msg = c.next();
                    if msg["method"] == "elicitation/create" {
                        c.send(&json!({"jsonrpc": "2.0", "id": msg["id"], "result": accept}));
                    } else {
                        assert_eq!(msg["id"], id, "{msg}");
                        break msg;
                    }
                }
            }
            (Wire::HttpLegacy, Link::Http(_, c)) => {
                let (id, mut resp) =
                    c.legacy_stream("tools/call", json!({"name": name, "arguments": arguments}));
                loop {
                    let msg = resp.next_with_id();
                    if msg["method"] == "elicitation/create" {
                        c.answer(&msg, accept.clone());
                    } else {
                        assert_eq!(msg["id"], id, "{msg}");
                        break msg;
                    }
                }
            }
            (_, link) => {
                let mut params = json!({"name": name, "arguments": arguments,
                    "_meta": modern_meta(json!({"elicitation": {}}))});
                let mut rounds = 0;
                loop {
                    let reply = match &mut *link {
                        Link::Stdio(c) => c.call("tools/call", params.clone()),
                        Link::Http(_, c) => c.modern("tools/call", params.clone()),
                    };
                    if reply["result"]["resultType"] != "input_required" {
                        assert_eq!(reply["result"]["resultType"], "complete", "{reply}");
                        break reply;
                    }
                    rounds += 1;
                    assert!(rounds < 3, "the server keeps asking: {reply}");
                    let answers: Map<String, Value> = reply["result"]["inputRequests"]
                        .as_object()
                        .expect("inputRequests")
                        .keys()
                        .map(|k| (k.clone(), accept.clone()))
                        .collect();
                    params["inputResponses"] = Value::Object(answers);
                    params["requestState"] = reply["result"]["requestState"].clone();
                }
            }
        };
        assert!(
            reply.get("error").is_none(),
            "a tool result, not a protocol error: {reply}"
        );
        reply["result"].clone()
    }
}

/// Asserts a failed result: `isError`, `ok: false`, the status and a hint containing `hint`
/// (in the envelope's hints and in the text the model reads).
fn assert_failed(what: &str, result: &Value, status: u16, hint: &str) {
    assert_eq!(result["isError"], true, "{what}: {result}");
    let envelope = &result["structuredContent"];
    assert_eq!(envelope["ok"], false, "{what}: {result}");
    assert_eq!(envelope["status"], status, "{what}: {result}");
    let hints = envelope["hints"].as_array().expect("hints");
    assert!(
        hints
            .iter()
            .any(|h| h.as_str().is_some_and(|h| h.contains(hint))),
        "{what}: a hint containing {hint:?} in {hints:?}"
    );
    let text = result["content"][0]["text"].as_str().expect("text content");
    assert!(
        text.contains(hint),
        "{what}: the text carries the hint: {text}"
    );
}

/// Requests with this method whose percent-decoded path is `path`.
fn reached(sim: &Sim, method: &str, path: &str) -> usize {
    sim.log().count(method, path)
}

fn vm_path(id: &str) -> String {
    format!("/api/vms/{id}")
}

/// One row: PXCloud is made to fail (`arrange`), the tool is called, and the failure, its
/// hint and the attempts that reached PXCloud are checked.
struct Row {
    what: &'static str,
    arrange: fn(&Sim),
    tool: &'static str,
    arguments: fn() -> Value,
    status: u16,
    hint: &'static str,
    /// Method and path the attempts go to, and how many reach PXCloud.
    attempts: (&'static str, fn() -> String, usize),
}

fn rows() -> Vec<Row> {
    fn get_vm() -> Value {
        json!({"id": VM})
    }
    fn the_vm() -> String {
        vm_path(VM)
    }
    vec![
        Row {
            what: "403 injected",
            arrange: |sim| sim.faults().fail_next(1, 403),
            tool: "pxcloud_get_vm",
            arguments: get_vm,
            status: 403,
            hint: "Permission denied: the PXCloud user lacks the privilege",
            attempts: ("GET", the_vm, 1),
        },
        Row {
            what: "404 unknown VM",
            arrange: |_| {},
            tool: "pxcloud_get_vm",
            arguments: || json!({"id": "cluster1:pve1:999"}),
            status: 404,
            hint: "Resource not found. List the resources first",
            attempts: ("GET", || vm_path("cluster1:pve1:999"), 1),
        },
        Row {
            what: "409 starting a running VM (approved)",
            arrange: |_| {},
            tool: "pxcloud_start_vm",
            arguments: get_vm,
            status: 409,
            hint: "Conflict: the resource's current state does not allow this",
            attempts: ("POST", || format!("{}/power/start", vm_path(VM)), 1),
        },
        Row {
            // The simulator, like PXCloud, answers a locked VM with 409 `vm_locked`.
            what: "409 snapshot of a VM its backup task locks",
            // The backup was started through the server before the table runs.
            arrange: |_| {},
            tool: "pxcloud_create_snapshot",
            arguments: || json!({"id": LOCKED_VM, "name": "during-backup"}),
            status: 409,
            // The code says why: the lock hint, not the generic conflict one.
            hint: "The resource is locked by another operation",
            attempts: ("POST", || format!("{}/snapshots", vm_path(LOCKED_VM)), 1),
        },
        Row {
            // PXCloud itself never answers 423 (the simulator neither); a proxy in front of
            // it may, and the hint must still say what to do.
            what: "423 injected",
            arrange: |sim| sim.faults().fail_next(1, 423),
            tool: "pxcloud_get_vm",
            arguments: get_vm,
            status: 423,
            hint: "The resource is locked by another operation",
            attempts: ("GET", the_vm, 1),
        },
        Row {
            // The schema cannot know the VM is stopped: PXCloud names the field.
            what: "422 RAM snapshot of a stopped VM",
            arrange: |_| {},
            tool: "pxcloud_create_snapshot",
            arguments: || json!({"id": STOPPED_VM, "name": "with-ram", "vmstate": true}),
            status: 422,
            hint: "Validation failed: vmstate: RAM can only be saved for a running VM. Fix the named field(s)",
            attempts: ("POST", || format!("{}/snapshots", vm_path(STOPPED_VM)), 1),
        },
        Row {
            what: "422 injected",
            arrange: |sim| sim.faults().fail_next(1, 422),
            tool: "pxcloud_get_vm",
            arguments: get_vm,
            status: 422,
            hint: "Validation failed: ",
            attempts: ("GET", the_vm, 1),
        },
        Row {
            what: "429 more often than the client retries",
            arrange: |sim| sim.faults().rate_limit_next(ATTEMPTS + 2, 0),
            tool: "pxcloud_get_vm",
            arguments: get_vm,
            status: 429,
            hint: "Rate limited by PXCloud (already retried within the allowed wait). Wait a little",
            attempts: ("GET", the_vm, ATTEMPTS),
        },
        Row {
            what: "500 (not retried)",
            arrange: |sim| sim.faults().fail_next(1, 500),
            tool: "pxcloud_get_vm",
            arguments: get_vm,
            status: 500,
            hint: "PXCloud reported an internal error",
            attempts: ("GET", the_vm, 1),
        },
        Row {
            what: "502 beyond the retries",
            arrange: |sim| sim.faults().fail_next(ATTEMPTS + 2, 502),
            tool: "pxcloud_get_vm",
            arguments: get_vm,
            status: 502,
            hint: "Check node health",
            attempts: ("GET", the_vm, ATTEMPTS),
        },
        Row {
            what: "503 beyond the retries",
            arrange: |sim| sim.faults().fail_next(ATTEMPTS + 2, 503),
            tool: "pxcloud_get_vm",
            arguments: get_vm,
            status: 503,
            hint: "Check node health",
            attempts: ("GET", the_vm, ATTEMPTS),
        },
        Row {
            what: "504 beyond the retries",
            arrange: |sim| sim.faults().fail_next(ATTEMPTS + 2, 504),
            tool: "pxcloud_get_vm",
            arguments: get_vm,
            status: 504,
            hint: "Check node health",
            attempts: ("GET", the_vm, ATTEMPTS),
        },
        Row {
            what: "connection dropped beyond the retries",
            arrange: |sim| sim.faults().reset_next(ATTEMPTS + 2),
            tool: "pxcloud_get_vm",
            arguments: get_vm,
            status: 0,
            hint: "Network error: PXCloud could not be reached",
            attempts: ("GET", the_vm, ATTEMPTS),
        },
    ]
}

/// The whole table over `wire`.
async fn failures_carry_their_hint(wire: Wire) {
    let sim = sim().await;
    let mut admin = Conn::open(wire, client::server(&sim.url(), &[]));

    // A backup keeps LOCKED_VM locked for the task's ten seconds.
    let backup = admin.call_tool(
        "pxcloud_create_backup",
        json!({"id": LOCKED_VM, "storage": "backup-nfs"}),
    );
    assert_ne!(backup["isError"], true, "{backup}");

    for row in rows() {
        let (method, path, expected) = row.attempts;
        let path = path();
        let before = reached(&sim, method, &path);
        (row.arrange)(&sim);
        let result = admin.call_tool(row.tool, (row.arguments)());
        sim.faults().reset();
        assert_failed(row.what, &result, row.status, row.hint);
        assert_eq!(
            reached(&sim, method, &path) - before,
            expected,
            "{}: attempts that reached {method} {path}; stderr:\n{}",
            row.what,
            admin.stderr()
        );
    }

    // A 429 the retries absorb is no failure at all.
    let before = reached(&sim, "GET", &vm_path(VM));
    sim.faults().rate_limit_next(2, 0);
    let result = admin.call_tool("pxcloud_get_vm", json!({"id": VM}));
    assert_ne!(result["isError"], true, "{result}");
    assert_eq!(result["structuredContent"]["data"]["id"], VM, "{result}");
    assert_eq!(
        reached(&sim, "GET", &vm_path(VM)) - before,
        3,
        "two 429s, then the answer"
    );

    // PXCloud refuses the viewer's write: 403 with the privilege hint.
    let mut viewer_cmd = client::server(&sim.url(), &[]);
    viewer_cmd
        .env("PXCLOUD_USER", pxcloud_sim::VIEWER_USER)
        .env("PXCLOUD_PASS", pxcloud_sim::VIEWER_PASSWORD);
    let mut viewer = Conn::open(wire, viewer_cmd);
    let snapshots = format!("{}/snapshots", vm_path(VM));
    let result = viewer.call_tool(
        "pxcloud_create_snapshot",
        json!({"id": VM, "name": "by-viewer"}),
    );
    assert_failed("403 viewer write", &result, 403, "Permission denied");
    let refused: Vec<_> = sim
        .log()
        .entries()
        .into_iter()
        .filter(|e| e.method == "POST" && e.status == 403)
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(
        refused[0].authenticated_as.as_deref(),
        Some(pxcloud_sim::VIEWER_USER)
    );
    assert_eq!(reached(&sim, "POST", &snapshots), 1);

    // Revoked tokens: the password server logs in again by itself ("re-login done") ...
    let logins = reached(&sim, "POST", "/api/auth/login");
    let mut token_cmd = client::binary();
    token_cmd
        .env("PXCLOUD_URL", sim.url())
        .env("PXCLOUD_TOKEN", sim.issue_token(pxcloud_sim::ADMIN_USER))
        .env("PXCLOUD_LOG_LEVEL", "warn");
    let mut token = Conn::open(wire, token_cmd);
    let result = token.call_tool("pxcloud_get_vm", json!({"id": VM}));
    assert_ne!(result["isError"], true, "the issued token works: {result}");
    sim.faults().revoke_all_tokens();
    let result = admin.call_tool("pxcloud_get_vm", json!({"id": VM}));
    assert_ne!(result["isError"], true, "re-login done: {result}");
    assert_eq!(reached(&sim, "POST", "/api/auth/login") - logins, 1);

    // ... while a PXCLOUD_TOKEN cannot be renewed: 401, and the hint says so.
    let result = token.call_tool("pxcloud_get_vm", json!({"id": VM}));
    assert_failed(
        "401 revoked PXCLOUD_TOKEN",
        &result,
        401,
        "The token in PXCLOUD_TOKEN expired or was revoked and cannot be renewed: set a fresh PXCLOUD_TOKEN",
    );
    assert_eq!(
        reached(&sim, "POST", "/api/auth/login") - logins,
        1,
        "the token server never tries to log in"
    );

    // PXCloud goes away altogether: a network error, not a hang.
    sim.shutdown().await;
    let result = admin.call_tool("pxcloud_get_vm", json!({"id": VM}));
    assert_failed(
        "PXCloud gone",
        &result,
        0,
        "Network error: PXCloud could not be reached",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_legacy_failures_carry_their_recovery_hint() {
    failures_carry_their_hint(Wire::StdioLegacy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_modern_failures_carry_their_recovery_hint() {
    failures_carry_their_hint(Wire::StdioModern).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_legacy_failures_carry_their_recovery_hint() {
    failures_carry_their_hint(Wire::HttpLegacy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_modern_failures_carry_their_recovery_hint() {
    failures_carry_their_hint(Wire::HttpModern).await;
}

//! The application against pxcloud-sim, without a transport: listing, calls, the policy's
//! verdicts and what reached PXCloud (per the simulator's request log).

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use pxcloud_mcp::app::{App, CallError, Caller, Elicited, Interrupt, NoClient};
use pxcloud_mcp::cli::RawOptions;
use pxcloud_mcp::config::{Config, Purpose};
use pxcloud_sim::{Sim, SimConfig};
use serde_json::{Map, Value, json};

const VM: &str = "cluster1:pve1:100";

async fn sim() -> Sim {
    let config = SimConfig {
        task_step: Duration::from_millis(20),
        ..SimConfig::default()
    };
    Sim::start(config).await.expect("simulator starts")
}

async fn start(sim: &Sim, set: impl FnOnce(&mut RawOptions)) -> App {
    let mut raw = RawOptions {
        url: Some(sim.url()),
        user: Some(pxcloud_sim::ADMIN_USER.into()),
        pass: Some(pxcloud_sim::ADMIN_PASSWORD.into()),
        ..RawOptions::default()
    };
    set(&mut raw);
    let config = Config::from_raw(&raw, Purpose::Connect).expect("valid configuration");
    App::start(config).await.expect("app starts")
}

fn args(v: Value) -> Map<String, Value> {
    v.as_object().expect("object").clone()
}

/// How many requests whose path ends with `suffix` reached the simulator with `method`.
fn reached(sim: &Sim, method: &str, suffix: &str) -> usize {
    sim.log()
        .entries()
        .iter()
        .filter(|e| e.method == method && e.path.ends_with(suffix))
        .count()
}

/// A client that can ask its user, answering every question with `answer`.
struct Answering {
    answer: Elicited,
    asked: Mutex<Vec<String>>,
}

impl Answering {
    fn new(answer: Elicited) -> Self {
        Answering {
            answer,
            asked: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl Caller for Answering {
    fn can_elicit(&self) -> bool {
        true
    }
    async fn elicit(
        &self,
        _key: &str,
        message: &str,
        _schema: Value,
    ) -> Result<Elicited, Interrupt> {
        self.asked.lock().expect("lock").push(message.to_owned());
        Ok(self.answer.clone())
    }
    fn progress(&self, _done: f64, _total: Option<f64>, _message: Option<&str>) {}
}

#[tokio::test]
async fn lists_visible_operations_and_workflow_tools() {
    let sim = sim().await;
    let app = start(&sim, |_| {}).await;
    let tools = app.list_tools(false);
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    for name in [
        "pxcloud_list_vms",
        "pxcloud_list_vms_2",
        "pxcloud_migrate_vm",
        "pxcloud_get_task",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for name in [
        "pxcloud_confirm_change",
        "pxcloud_setup",
        "pxcloud_wait_task",
    ] {
        assert!(names.contains(&name), "workflow tool {name} missing");
    }
    assert!(
        !names.contains(&"pxcloud_bmc_proxy"),
        "/bmc-proxy/ is excluded by default"
    );
    let migrate = tools
        .iter()
        .find(|t| t.name == "pxcloud_migrate_vm")
        .expect("migrate");
    // Destructive is the protocol's default for a write: no member says it again.
    assert_eq!(migrate.annotations, json!({}));
    assert!(migrate.to_json().get("annotations").is_none());
    // PXCloud's power actions live under /power, which the earlier rules guard.
    let stop = tools
        .iter()
        .find(|t| t.name == "pxcloud_stop_vm")
        .expect("stop");
    assert!(
        stop.input_schema["required"]
            .as_array()
            .expect("required")
            .contains(&json!("confirmed"))
    );
    assert_eq!(
        migrate.meta.as_ref().expect("meta")["path"],
        "/api/vms/{id}/migrate"
    );
    assert_eq!(
        migrate.meta.as_ref().expect("meta")["operationId"],
        "migrate_vm"
    );
    let required = migrate.input_schema["required"]
        .as_array()
        .expect("required");
    assert!(
        required.contains(&json!("confirmed")),
        "two-step flow: confirmed is required"
    );
    let elicit_listing = app.list_tools(true);
    let migrate = elicit_listing
        .iter()
        .find(|t| t.name == "pxcloud_migrate_vm")
        .expect("migrate");
    assert!(
        !migrate.input_schema["required"]
            .as_array()
            .expect("required")
            .contains(&json!("confirmed")),
        "a client that can ask its user does not need `confirmed`"
    );
}

#[tokio::test]
async fn a_read_returns_the_unwrapped_payload_and_fields_project_it() {
    let sim = sim().await;
    let app = start(&sim, |_| {}).await;
    let out = app
        .call_tool("pxcloud_get_vm", args(json!({"id": VM})), &NoClient)
        .await
        .expect("known tool");
    assert!(!out.is_error, "{}", out.text);
    assert_eq!(out.structured["data"]["id"], VM);
    assert_eq!(out.structured["status"], 200);
    assert!(
        out.structured["hints"]
            .to_string()
            .contains(&format!("Primary id: {VM}"))
    );

    let out = app
        .call_tool(
            "pxcloud_get_vm",
            args(json!({"id": VM, "fields": ["id", "status"]})),
            &NoClient,
        )
        .await
        .expect("known tool");
    let data = out.structured["data"].as_object().expect("object");
    assert_eq!(data.keys().collect::<Vec<_>>(), ["id", "status"]);
}

#[tokio::test]
async fn failures_carry_recovery_hints() {
    let sim = sim().await;
    let app = start(&sim, |_| {}).await;
    let out = app
        .call_tool(
            "pxcloud_get_vm",
            args(json!({"id": "cluster1:pve1:999"})),
            &NoClient,
        )
        .await
        .expect("known tool");
    assert!(out.is_error);
    assert_eq!(out.structured["status"], 404);
    assert!(
        out.structured["hints"]
            .to_string()
            .contains("List the resources first")
    );
}

#[tokio::test]
async fn destructive_call_runs_only_with_a_handle_for_exactly_these_arguments() {
    let sim = sim().await;
    let app = start(&sim, |_| {}).await;
    let migrate =
        json!({"id": VM, "target_node": "pve2", "target_storage": "local-ssd", "online": true});

    // Without approval: confirmation_required, nothing sent.
    let out = app
        .call_tool("pxcloud_migrate_vm", args(migrate.clone()), &NoClient)
        .await
        .expect("known");
    assert!(out.is_error);
    assert!(out.text.contains("confirmation_required"), "{}", out.text);
    // `confirmed: true` alone is not enough, nor is the string "true".
    for confirmed in [json!(true), json!("true"), json!(1)] {
        let mut a = args(migrate.clone());
        a.insert("confirmed".into(), confirmed);
        let out = app
            .call_tool("pxcloud_migrate_vm", a, &NoClient)
            .await
            .expect("known");
        assert!(out.is_error, "{}", out.text);
    }
    assert_eq!(reached(&sim, "POST", "/migrate"), 0);

    // Approval for other arguments does not carry over.
    let approve = |a: Value| {
        args(
            json!({"action": "migrate", "target": VM, "impact": "moves the VM", "tool": "pxcloud_migrate_vm", "arguments": a}),
        )
    };
    let other = app
        .call_tool(
            "pxcloud_confirm_change",
            approve(json!({"id": VM, "target_node": "pve3"})),
            &NoClient,
        )
        .await
        .expect("known");
    let other_handle = other.structured["confirmation"]
        .as_str()
        .expect("handle")
        .to_owned();
    let mut a = args(migrate.clone());
    a.insert("confirmed".into(), json!(true));
    a.insert("confirmation".into(), json!(other_handle));
    let out = app
        .call_tool("pxcloud_migrate_vm", a, &NoClient)
        .await
        .expect("known");
    assert!(
        out.is_error && out.text.contains("other arguments"),
        "{}",
        out.text
    );
    assert_eq!(reached(&sim, "POST", "/migrate"), 0);

    // The right handle runs it, once.
    let ok = app
        .call_tool(
            "pxcloud_confirm_change",
            approve(migrate.clone()),
            &NoClient,
        )
        .await
        .expect("known");
    let handle = ok.structured["confirmation"]
        .as_str()
        .expect("handle")
        .to_owned();
    let mut a = args(migrate.clone());
    a.insert("confirmed".into(), json!(true));
    a.insert("confirmation".into(), json!(handle));
    let out = app
        .call_tool("pxcloud_migrate_vm", a.clone(), &NoClient)
        .await
        .expect("known");
    assert!(!out.is_error, "{}", out.text);
    assert_eq!(reached(&sim, "POST", "/migrate"), 1);
    let task_id = out.structured["data"]["task_id"]
        .as_str()
        .expect("task id")
        .to_owned();
    assert!(
        out.structured["hints"]
            .to_string()
            .contains("pxcloud_wait_task")
    );

    let again = app
        .call_tool("pxcloud_migrate_vm", a, &NoClient)
        .await
        .expect("known");
    assert!(
        again.is_error && again.text.contains("already"),
        "{}",
        again.text
    );
    assert_eq!(reached(&sim, "POST", "/migrate"), 1, "a handle works once");

    // Follow the task to completion.
    let done = app
        .call_tool(
            "pxcloud_wait_task",
            args(json!({"task_id": task_id, "timeout_secs": 30})),
            &NoClient,
        )
        .await
        .expect("known");
    assert!(!done.is_error, "{}", done.text);
    assert_eq!(done.structured["data"]["status"], "ok");
}

#[tokio::test]
async fn elicitation_asks_the_user_and_respects_the_answer() {
    let sim = sim().await;
    let app = start(&sim, |_| {}).await;
    let migrate = args(json!({"id": VM, "target_node": "pve2", "online": true}));

    let declining = Answering::new(Elicited::Declined);
    let out = app
        .call_tool("pxcloud_migrate_vm", migrate.clone(), &declining)
        .await
        .expect("known");
    assert!(
        out.is_error && out.text.contains("declined"),
        "{}",
        out.text
    );
    assert_eq!(reached(&sim, "POST", "/migrate"), 0);
    let asked = declining.asked.lock().expect("lock").clone();
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].contains("POST /api/vms/{id}/migrate") && asked[0].contains("pve2"),
        "{}",
        asked[0]
    );

    let accepting = Answering::new(Elicited::Accepted(Map::new()));
    let out = app
        .call_tool("pxcloud_migrate_vm", migrate, &accepting)
        .await
        .expect("known");
    assert!(!out.is_error, "{}", out.text);
    assert_eq!(reached(&sim, "POST", "/migrate"), 1);
}

#[tokio::test]
async fn hidden_tools_are_unknown_and_dry_run_sends_nothing() {
    let sim = sim().await;
    let app = start(&sim, |r| {
        r.tools = Some("Nodes,Tasks".into());
        r.allow_delete = Some("false".into());
    })
    .await;
    let err = app
        .call_tool("pxcloud_get_vm", args(json!({"id": VM})), &NoClient)
        .await
        .expect_err("hidden");
    assert_eq!(err, CallError::UnknownTool("pxcloud_get_vm".into()));
    assert!(
        app.list_tools(false)
            .iter()
            .all(|t| !t.name.starts_with("pxcloud_delete"))
    );

    let app = start(&sim, |_| {}).await;
    let out = app
        .call_tool(
            "pxcloud_migrate_vm",
            args(json!({"id": VM, "target_node": "pve2", "dry_run": true})),
            &NoClient,
        )
        .await
        .expect("known");
    assert!(!out.is_error, "{}", out.text);
    assert_eq!(out.structured["data"]["dry_run"], true);
    assert_eq!(
        out.structured["data"]["path_and_query"],
        "/api/vms/cluster1%3Apve1%3A100/migrate"
    );
    assert_eq!(reached(&sim, "POST", "/migrate"), 0);
}

#[tokio::test]
async fn audit_log_records_mutations_with_secrets_masked() {
    let sim = sim().await;
    let dir = std::env::temp_dir().join(format!("pxcloud-mcp-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("audit.jsonl");
    let _ = std::fs::remove_file(&path);
    let app = start(&sim, |r| r.audit_log = Some(path.clone())).await;
    let accepting = Answering::new(Elicited::Accepted(Map::new()));
    app.call_tool("pxcloud_get_vm", args(json!({"id": VM})), &accepting)
        .await
        .expect("known");
    app.call_tool(
        "pxcloud_migrate_vm",
        args(json!({"id": VM, "target_node": "pve2", "online": true})),
        &accepting,
    )
    .await
    .expect("known");
    let text = std::fs::read_to_string(&path).expect("audit log");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 1, "reads are not audited: {text}");
    assert_eq!(lines[0]["tool"], "pxcloud_migrate_vm");
    assert_eq!(lines[0]["status"], 200);
    assert!(lines[0]["duration_ms"].is_u64());
    assert!(!text.contains(pxcloud_sim::ADMIN_PASSWORD));
}

#[tokio::test]
async fn dynamic_mode_applies_the_same_policy() {
    let sim = sim().await;
    let app = start(&sim, |r| r.tool_mode = Some("dynamic".into())).await;
    let names: Vec<String> = app.list_tools(false).into_iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        [
            "pxcloud_search_tools",
            "pxcloud_describe_tool",
            "pxcloud_invoke_tool",
            "pxcloud_confirm_change",
            "pxcloud_setup",
            "pxcloud_wait_task"
        ]
    );
    let found = app
        .call_tool(
            "pxcloud_search_tools",
            args(json!({"query": "migrate"})),
            &NoClient,
        )
        .await
        .expect("known");
    assert_eq!(found.structured["tools"][0]["name"], "pxcloud_migrate_vm");
    let out = app
        .call_tool(
            "pxcloud_invoke_tool",
            args(json!({"name": "pxcloud_migrate_vm", "arguments": {"id": VM, "target_node": "pve2"}})),
            &NoClient,
        )
        .await
        .expect("known");
    assert!(
        out.is_error && out.text.contains("confirmation_required"),
        "{}",
        out.text
    );
    assert_eq!(reached(&sim, "POST", "/migrate"), 0);
    let err = app
        .call_tool("pxcloud_migrate_vm", Map::new(), &NoClient)
        .await
        .expect_err("not listed");
    assert!(matches!(err, CallError::UnknownTool(_)));
}

/// The policy issue's bypass table, end to end: each attempt is refused with a clear message
/// and nothing reaches PXCloud.
#[tokio::test]
async fn bypass_attempts_never_reach_pxcloud() {
    let sim = sim().await;
    let app = start(&sim, |_| {}).await;
    let migrate = json!({"id": VM, "target_node": "pve2", "online": true});
    let approve = |tool: &str, a: &Value| {
        args(json!({"action": "x", "target": VM, "impact": "y", "tool": tool, "arguments": a}))
    };
    let handle_for = async |tool: &str, a: &Value| -> String {
        let out = app
            .call_tool("pxcloud_confirm_change", approve(tool, a), &NoClient)
            .await
            .expect("known");
        out.structured["confirmation"]
            .as_str()
            .expect("handle")
            .to_owned()
    };
    let with = |extra: Value| {
        let mut a = args(migrate.clone());
        a.extend(args(extra));
        a
    };

    let good = handle_for("pxcloud_migrate_vm", &migrate).await;
    // Change one character in the middle of the signed payload (`pxc1.<payload>.<mac>`).
    let payload_start = good.find('.').expect("payload") + 1;
    let payload_len = good[payload_start..].find('.').expect("mac");
    let at = payload_start + payload_len / 2;
    let mut tampered = good.clone();
    let swapped = if &good[at..=at] == "A" { "B" } else { "A" };
    tampered.replace_range(at..=at, swapped);
    let other_tool = handle_for("pxcloud_delete_vm", &json!({"id": VM})).await;

    let cases: Vec<(&str, Map<String, Value>, &str)> = vec![
        (
            "confirmed as a string",
            with(json!({"confirmed": "true"})),
            "boolean",
        ),
        (
            "confirmed as a number",
            with(json!({"confirmed": 1})),
            "boolean",
        ),
        (
            "confirmed without a handle",
            with(json!({"confirmed": true})),
            "confirmation_required",
        ),
        (
            "tampered handle",
            with(json!({"confirmed": true, "confirmation": tampered})),
            "tampered",
        ),
        (
            "handle for another tool",
            with(json!({"confirmed": true, "confirmation": other_tool})),
            "another tool",
        ),
        (
            "dry run with confirmed",
            with(json!({"dry_run": true, "confirmed": true})),
            "cannot be combined",
        ),
    ];
    for (what, call_args, fragment) in cases {
        let out = app
            .call_tool("pxcloud_migrate_vm", call_args, &NoClient)
            .await
            .expect("known");
        assert!(out.is_error, "{what}: {}", out.text);
        assert!(
            out.text.to_lowercase().contains(fragment),
            "{what}: {:?} lacks {fragment:?}",
            out.text
        );
    }
    // An expired handle, from a server whose handles live one second.
    let short = start(&sim, |r| r.confirm_ttl_secs = Some("1".into())).await;
    let out = short
        .call_tool(
            "pxcloud_confirm_change",
            approve("pxcloud_migrate_vm", &migrate),
            &NoClient,
        )
        .await;
    let expiring = out.expect("known").structured["confirmation"]
        .as_str()
        .expect("handle")
        .to_owned();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let out = short
        .call_tool(
            "pxcloud_migrate_vm",
            with(json!({"confirmed": true, "confirmation": expiring})),
            &NoClient,
        )
        .await
        .expect("known");
    assert!(out.is_error && out.text.contains("expired"), "{}", out.text);

    let hidden = start(&sim, |r| r.read_only = Some("true".into())).await;
    let err = hidden
        .call_tool(
            "pxcloud_migrate_vm",
            with(json!({"confirmed": true})),
            &NoClient,
        )
        .await;
    assert_eq!(
        err.expect_err("hidden"),
        CallError::UnknownTool("pxcloud_migrate_vm".into())
    );
    assert_eq!(
        reached(&sim, "POST", "/migrate"),
        0,
        "no attempt reached PXCloud"
    );
    assert_eq!(
        sim.log()
            .entries()
            .iter()
            .filter(|e| e.method == "DELETE")
            .count(),
        0
    );
}

/// Records progress notifications.
#[derive(Default)]
struct Watching {
    progress: Mutex<Vec<(f64, Option<String>)>>,
}

#[async_trait]
impl Caller for Watching {
    fn can_elicit(&self) -> bool {
        true
    }
    async fn elicit(
        &self,
        _key: &str,
        _message: &str,
        _schema: Value,
    ) -> Result<Elicited, Interrupt> {
        Ok(Elicited::Accepted(Map::new()))
    }
    fn progress(&self, done: f64, _total: Option<f64>, message: Option<&str>) {
        self.progress
            .lock()
            .expect("lock")
            .push((done, message.map(str::to_owned)));
    }
}

#[tokio::test]
async fn wait_task_reports_progress_until_the_task_ends() {
    let sim = sim().await;
    let app = start(&sim, |_| {}).await;
    let watching = Watching::default();
    let out = app
        .call_tool(
            "pxcloud_migrate_vm",
            args(json!({"id": VM, "target_node": "pve2", "online": true})),
            &watching,
        )
        .await
        .expect("known");
    let task = out.structured["data"]["task_id"]
        .as_str()
        .expect("task id")
        .to_owned();
    let done = app
        .call_tool(
            "pxcloud_wait_task",
            args(json!({"task_id": task})),
            &watching,
        )
        .await
        .expect("known");
    assert!(!done.is_error, "{}", done.text);
    let progress = watching.progress.lock().expect("lock").clone();
    assert!(progress.len() >= 2, "progress was reported: {progress:?}");
    assert!(
        progress.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress never goes back: {progress:?}"
    );
    assert_eq!(progress.last().map(|p| p.0), Some(100.0));

    let missing = app
        .call_tool(
            "pxcloud_wait_task",
            args(json!({"task_id": "UPID:nope"})),
            &watching,
        )
        .await
        .expect("known");
    assert!(
        missing.is_error && missing.structured["status"] == 404,
        "{}",
        missing.text
    );
}

#[tokio::test]
async fn start_up_waits_for_a_failing_pxcloud_with_wait() {
    const SPEC: &str = "/api-docs/openapi.json";
    let sim = sim().await;
    sim.faults().set_spec_failure(Some(503));
    // PXCloud recovers once it has answered the server with a 503 (not after a fixed time, by
    // which a server started late on a busy machine would not have asked yet).
    let faults = sim.faults();
    let log = sim.log();
    let recover = tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while log.count("GET", SPEC) == 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        faults.set_spec_failure(None);
    });
    let app = start(&sim, |r| r.wait = true).await;
    recover.await.expect("recovered");
    assert!(app.list_tools(false).len() > 100);
    assert!(
        sim.log().count("GET", SPEC) >= 2,
        "the failing document was asked for again"
    );

    sim.faults().set_spec_failure(Some(500));
    let raw = RawOptions {
        url: Some(sim.url()),
        user: Some(pxcloud_sim::ADMIN_USER.into()),
        pass: Some(pxcloud_sim::ADMIN_PASSWORD.into()),
        ..RawOptions::default()
    };
    let config = Config::from_raw(&raw, Purpose::Connect).expect("valid");
    let error = App::start(config)
        .await
        .expect_err("without --wait a failing spec stops start-up");
    assert!(format!("{error:#}").contains("500"), "{error:#}");
}

#[tokio::test]
async fn a_refreshed_spec_that_changes_the_tools_is_reported() {
    let sim = sim().await;
    let app = start(&sim, |_| {}).await;
    assert!(
        !app.refresh().await.expect("refresh"),
        "same document: no change"
    );
    let smaller = openapi_ingest::Catalog::from_value(
        &json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/api/ping": {"get": {
            "operationId": "ping", "responses": {"200": {"description": "ok"}}}}}}),
        &openapi_ingest::IngestOptions::default(),
    )
    .expect("catalog");
    assert!(app.replace_catalog(smaller));
    let names: Vec<String> = app.list_tools(false).into_iter().map(|t| t.name).collect();
    assert_eq!(names[0], "pxcloud_ping");
    assert_eq!(
        names.len(),
        4,
        "ping and the three workflow tools: {names:?}"
    );
}

#[tokio::test]
async fn setup_wizard_drafts_a_profile_without_forms_and_asks_with_them() {
    let sim = sim().await;
    let app = start(&sim, |_| {}).await;
    let out = app
        .call_tool(
            "pxcloud_setup",
            args(json!({"profile": "read-only", "allow_destructive": false})),
            &NoClient,
        )
        .await
        .expect("known");
    assert!(!out.is_error, "{}", out.text);
    assert_eq!(out.structured["mode"], "draft");
    assert_eq!(out.structured["env"]["PXCLOUD_PROFILE"], "read_only");
    assert_eq!(out.structured["env"]["PXCLOUD_READ_ONLY"], "true");
    assert_eq!(
        out.structured["env"]["PXCLOUD_TOOLS"],
        "Dashboard,VMs,Nodes,Tasks,Monitors,Clusters,IPAM"
    );
    assert!(
        !out.text.to_lowercase().contains("password:"),
        "never asks for secrets"
    );

    let form = Answering::new(Elicited::Accepted(args(
        json!({"targetUrl": "https://px.example:8443", "profile": "admin", "scope": "", "allowDestructive": true, "confirm": true}),
    )));
    let out = app
        .call_tool("pxcloud_setup", Map::new(), &form)
        .await
        .expect("known");
    assert_eq!(out.structured["mode"], "ready", "{}", out.text);
    assert_eq!(
        out.structured["env"]["PXCLOUD_URL"],
        "https://px.example:8443"
    );
    assert_eq!(out.structured["env"]["PXCLOUD_ALLOW_DELETE"], "true");
    assert_eq!(form.asked.lock().expect("lock").len(), 2, "two steps");
}

/// `App::prompt_context` says read-only whichever setting makes the server read-only (the
/// `read_only` profile as well as PXCLOUD_READ_ONLY), as the tool list shows it.
#[tokio::test]
async fn prompt_context_is_read_only_under_the_read_only_profile() {
    let sim = sim().await;
    // (what, PXCLOUD_READ_ONLY, PXCLOUD_PROFILE, read-only?)
    let cases = [
        ("defaults", None, None, false),
        ("PXCLOUD_READ_ONLY", Some("true"), None, true),
        ("read_only profile", None, Some("read_only"), true),
        ("operator profile", None, Some("operator"), false),
    ];
    for (what, read_only_var, profile, read_only) in cases {
        let app = start(&sim, |r| {
            r.read_only = read_only_var.map(str::to_owned);
            r.profile = profile.map(str::to_owned);
        })
        .await;
        let only_reads = app
            .list_tools(false)
            .iter()
            .filter(|t| t.meta.is_some())
            .all(|t| t.annotations["readOnlyHint"] == true);
        assert_eq!(only_reads, read_only, "{what}: the listing");
        let ctx = app.prompt_context();
        assert_eq!(ctx.read_only, read_only, "{what}");
        let block = pxcloud_mcp::prompts::context_block(&ctx);
        assert_eq!(
            block.contains("Mode: read-only (no mutating tools are exposed)"),
            read_only,
            "{what}: {block}"
        );
        if read_only {
            assert!(block.contains("DELETE tools: disabled"), "{what}: {block}");
        }
    }
}

/// `App::tool` borrows: the schema it shows is the catalog's own (the same address on every
/// look-up, nothing made per call), its properties are the listed ones without the server's
/// control arguments, and `to_entry` is exactly what `find_tool` and `tools/list` give.
#[tokio::test]
async fn tool_lookup_borrows_the_listed_definition() {
    let sim = sim().await;
    for dynamic in [false, true] {
        let app = start(&sim, |r| {
            r.tool_mode = dynamic.then(|| "dynamic".to_owned());
        })
        .await;
        for can_elicit in [false, true] {
            let listing = app.list_tools(can_elicit);
            assert!(listing.len() >= 6);
            for listed in &listing {
                let what = format!("{} (dynamic {dynamic}, elicit {can_elicit})", listed.name);
                let tool = app.tool(&listed.name).expect("listed tools are found");
                assert_eq!(tool.name(), listed.name, "{what}");
                assert_eq!(&tool.to_entry(can_elicit), listed, "{what}");
                assert_eq!(
                    app.find_tool(&listed.name, can_elicit).as_ref(),
                    Some(listed),
                    "{what}"
                );
                assert!(
                    std::ptr::eq(
                        tool.arguments_schema(),
                        app.tool(&listed.name).expect("again").arguments_schema()
                    ),
                    "{what}: borrowed, not made"
                );
                assert_eq!(
                    tool.catalog_tool().is_some(),
                    listed.meta.is_some(),
                    "{what}"
                );
                let listed_props = listed.input_schema["properties"]
                    .as_object()
                    .expect("listed properties");
                let own = tool.argument_properties().expect("properties");
                for (name, schema) in own {
                    assert_eq!(listed_props.get(name), Some(schema), "{what}: {name}");
                }
                // Only the server's control arguments are added.
                for name in listed_props.keys().filter(|k| !own.contains_key(*k)) {
                    assert!(
                        ["confirmed", "confirmation", "dry_run", "fields"].contains(&name.as_str()),
                        "{what}: {name} is neither the tool's nor a control argument"
                    );
                }
            }
        }
        assert!(app.tool("pxcloud_nope").is_none());
        assert!(
            app.tool("pxcloud_bmc_proxy").is_none(),
            "hidden by the default path exclusions"
        );
        assert_eq!(
            app.tool("pxcloud_get_vm").is_some(),
            !dynamic,
            "catalog tools are listed in full mode only"
        );
    }

    // A handle keeps the catalog it was taken from across a refresh.
    let app = start(&sim, |_| {}).await;
    let held = app.tool("pxcloud_get_vm").expect("listed");
    let smaller = openapi_ingest::Catalog::from_value(
        &json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/api/ping": {"get": {
            "operationId": "ping", "responses": {"200": {"description": "ok"}}}}}}),
        &openapi_ingest::IngestOptions::default(),
    )
    .expect("catalog");
    assert!(app.replace_catalog(smaller));
    assert!(app.tool("pxcloud_get_vm").is_none());
    assert_eq!(held.name(), "pxcloud_get_vm");
    assert_eq!(held.catalog_tool().map(|t| t.path()), Some("/api/vms/{id}"));
}

//! The workflow tools through the real binary: `pxcloud_setup` (two-step wizard) and
//! `pxcloud_confirm_change`, asked through 2026-07-28 `input_required` rounds with a signed
//! `requestState`, and through legacy `elicitation/create` requests the test client answers;
//! over stdio and Streamable HTTP. What reached PXCloud is read from the simulator's log.

use std::time::Duration;

use pxcloud_sim::{Sim, SimConfig};
use serde_json::{Map, Value, json};

use crate::client::{self, HttpClient, HttpServer, StdioClient, modern_meta};

const VM: &str = "cluster1:pve1:100";

async fn sim() -> Sim {
    Sim::start(SimConfig {
        task_step: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn migrations(sim: &Sim) -> usize {
    sim.log()
        .entries()
        .iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/migrate"))
        .count()
}

/// A 2026-07-28 exchange: one request, one answer.
trait Modern {
    fn ask(&mut self, method: &str, params: Value) -> Value;
}

impl Modern for StdioClient {
    fn ask(&mut self, method: &str, params: Value) -> Value {
        self.call(method, params)
    }
}

impl Modern for HttpClient {
    fn ask(&mut self, method: &str, params: Value) -> Value {
        self.modern(method, params)
    }
}

/// A legacy `tools/call` during which the server asks the client; `answer` plays the user
/// and returns the client's result for each `elicitation/create`.
trait Legacy {
    fn call_tool(
        &mut self,
        name: &str,
        arguments: Value,
        answer: &mut dyn FnMut(&Value) -> Value,
    ) -> Value;
}

impl Legacy for StdioClient {
    fn call_tool(
        &mut self,
        name: &str,
        arguments: Value,
        answer: &mut dyn FnMut(&Value) -> Value,
    ) -> Value {
        let id = self.start("tools/call", json!({"name": name, "arguments": arguments}));
        loop {
            let msg = self.next();
            if msg.get("method").is_some() {
                assert_eq!(msg["method"], "elicitation/create", "{msg}");
                let result = answer(&msg);
                self.send(&json!({"jsonrpc": "2.0", "id": msg["id"], "result": result}));
            } else {
                assert_eq!(msg["id"], id, "{msg}");
                return msg;
            }
        }
    }
}

impl Legacy for HttpClient {
    fn call_tool(
        &mut self,
        name: &str,
        arguments: Value,
        answer: &mut dyn FnMut(&Value) -> Value,
    ) -> Value {
        let (id, mut resp) =
            self.legacy_stream("tools/call", json!({"name": name, "arguments": arguments}));
        assert_eq!(resp.status, 200);
        loop {
            let msg = resp.next_with_id();
            if msg.get("method").is_some() {
                assert_eq!(msg["method"], "elicitation/create", "{msg}");
                let result = answer(&msg);
                self.answer(&msg, result);
            } else {
                assert_eq!(msg["id"], id, "{msg}");
                return msg;
            }
        }
    }
}

/// The keys of an `input_required` result's `inputRequests`, and its `requestState`.
fn input_required(reply: &Value) -> (Map<String, Value>, String) {
    let result = &reply["result"];
    assert_eq!(result["resultType"], "input_required", "{reply}");
    let requests = result["inputRequests"]
        .as_object()
        .unwrap_or_else(|| panic!("inputRequests: {reply}"))
        .clone();
    for (key, request) in &requests {
        assert_eq!(request["method"], "elicitation/create", "{key}: {request}");
        assert_eq!(request["params"]["mode"], "form", "{key}: {request}");
    }
    let state = result["requestState"]
        .as_str()
        .unwrap_or_else(|| panic!("requestState: {reply}"))
        .to_owned();
    (requests, state)
}

/// `call` retried with `responses` and `state`.
fn retry(call: &Value, responses: Value, state: &str) -> Value {
    let mut retry = call.clone();
    retry["inputResponses"] = responses;
    retry["requestState"] = json!(state);
    retry
}

/// The form asks for nothing secret and only for flat primitive fields.
fn assert_safe_form(schema: &Value) {
    let props = schema["properties"].as_object().expect("properties");
    for (name, prop) in props {
        let lower = name.to_ascii_lowercase();
        assert!(
            !["pass", "token", "secret", "key"]
                .iter()
                .any(|s| lower.contains(s)),
            "the wizard never asks for secrets: {name}"
        );
        assert!(
            matches!(
                prop["type"].as_str(),
                Some("string" | "boolean" | "number" | "integer")
            ),
            "flat primitive field {name}: {prop}"
        );
    }
}

fn operator_tags() -> String {
    policy::parse_profile("profile", "operator")
        .expect("profile")
        .tags()
        .join(",")
}

/// The tools `pxcloud-mcp tools --json` lists when started with the wizard's variables (plus
/// credentials, which the wizard never collects): the profile really configures the server.
fn tools_under_profile(env: &Value) -> Vec<Value> {
    let mut cmd = client::binary();
    for (k, v) in env.as_object().expect("env object") {
        cmd.env(k, v.as_str().expect("string values"));
    }
    let out = cmd
        .env("PXCLOUD_USER", pxcloud_sim::ADMIN_USER)
        .env("PXCLOUD_PASS", pxcloud_sim::ADMIN_PASSWORD)
        .args(["tools", "--json"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run pxcloud-mcp tools");
    assert!(
        out.status.success(),
        "the profile is accepted: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tools: Vec<Value> = serde_json::from_slice(&out.stdout).expect("tools --json");
    tools
        .into_iter()
        .filter(|t| t["_meta"]["method"].is_string())
        .collect()
}

fn modern_setup_wizard(c: &mut dyn Modern, sim: &Sim) {
    let before = sim.log().entries().len();
    let call = json!({"name": "pxcloud_setup", "arguments": {},
                      "_meta": modern_meta(json!({"elicitation": {"form": {}}}))});

    // Round 1: the first step's form.
    let (requests, state1) = input_required(&c.ask("tools/call", call.clone()));
    assert_eq!(
        requests.keys().collect::<Vec<_>>(),
        ["setup_profile"],
        "{requests:?}"
    );
    let step1 = &requests["setup_profile"]["params"];
    assert!(
        step1["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Step 1/2"),
        "{step1}"
    );
    assert_safe_form(&step1["requestedSchema"]);

    // A retry that answers nothing is asked again, not refused.
    let (again, _) = input_required(&c.ask("tools/call", retry(&call, json!({}), &state1)));
    assert_eq!(again.keys().collect::<Vec<_>>(), ["setup_profile"]);

    // Round 2: the first answer brings the second step.
    let url = sim.url();
    let first = json!({"setup_profile": {"action": "accept", "content": {
        "targetUrl": format!("{url}/"), "profile": "operator", "scope": "", "allowDestructive": false}}});
    let (requests, state2) =
        input_required(&c.ask("tools/call", retry(&call, first.clone(), &state1)));
    assert_eq!(
        requests.keys().collect::<Vec<_>>(),
        ["setup_review"],
        "the first step is not asked again: {requests:?}"
    );
    assert_ne!(state1, state2);
    let step2 = &requests["setup_review"]["params"];
    let message = step2["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Step 2/2") && message.contains(&url) && message.contains("operator"),
        "{message}"
    );
    assert_safe_form(&step2["requestedSchema"]);

    // Round 3: only the new answer is sent; the first one travels in requestState.
    let done = c.ask(
        "tools/call",
        retry(
            &call,
            json!({"setup_review": {"action": "accept", "content": {"confirm": true}}}),
            &state2,
        ),
    );
    let result = &done["result"];
    assert_eq!(result["resultType"], "complete", "{done}");
    assert_ne!(result["isError"], true, "{done}");
    let profile = &result["structuredContent"];
    assert_eq!(profile["mode"], "ready", "{done}");
    assert_eq!(profile["profile"], "operator");
    assert_eq!(profile["targetUrl"], url);
    assert_eq!(
        profile["env"]["PXCLOUD_URL"], url,
        "without the trailing slash"
    );
    assert_eq!(profile["env"]["PXCLOUD_PROFILE"], "operator");
    assert_eq!(profile["env"]["PXCLOUD_TOOLS"], operator_tags());
    assert_eq!(profile["env"]["PXCLOUD_ALLOW_DELETE"], "false");
    assert_eq!(profile["env"]["PXCLOUD_READ_ONLY"], "false");
    assert!(
        profile["env"]
            .as_object()
            .expect("env")
            .keys()
            .all(|k| !k.contains("PASS") && !k.contains("TOKEN")),
        "{profile}"
    );

    let before_run = sim.log().entries().len();
    let tools = tools_under_profile(&profile["env"]);
    let operator = policy::parse_profile("profile", "operator")
        .expect("profile")
        .tags();
    assert!(!tools.is_empty());
    for tool in &tools {
        assert_ne!(tool["_meta"]["method"], "DELETE", "delete is off: {tool}");
        assert!(
            tool["_meta"]["tags"]
                .as_array()
                .expect("tags")
                .iter()
                .any(|t| operator.iter().any(|o| t == o)),
            "only operator tags: {tool}"
        );
    }
    let before = before + (sim.log().entries().len() - before_run);

    // A tampered state is refused: the answers it carries cannot be forged.
    let tampered = c.ask(
        "tools/call",
        retry(
            &call,
            json!({"setup_review": {"action": "accept", "content": {"confirm": true}}}),
            &format!("{state2}x"),
        ),
    );
    assert!(
        tampered.get("error").is_some() || tampered["result"]["resultType"] == "input_required",
        "{tampered}"
    );

    // Declining the first step ends the wizard without a profile.
    let declined = c.ask(
        "tools/call",
        retry(
            &call,
            json!({"setup_profile": {"action": "decline"}}),
            &state1,
        ),
    );
    assert_eq!(declined["result"]["resultType"], "complete", "{declined}");
    assert_eq!(declined["result"]["isError"], true, "{declined}");
    assert_eq!(declined["result"]["structuredContent"]["mode"], "cancelled");
    assert!(declined["result"]["structuredContent"]["env"].is_null());

    // Rejecting (or cancelling) the review leaves no accepted profile.
    for review in [
        json!({"action": "accept", "content": {"confirm": false}}),
        json!({"action": "cancel"}),
    ] {
        let rejected = c.ask(
            "tools/call",
            retry(&call, json!({"setup_review": review}), &state2),
        );
        assert_eq!(rejected["result"]["resultType"], "complete", "{rejected}");
        assert_eq!(rejected["result"]["isError"], true, "{rejected}");
        assert_eq!(
            rejected["result"]["structuredContent"]["mode"], "review_rejected",
            "{rejected}"
        );
    }

    assert_eq!(
        sim.log().entries().len(),
        before,
        "the wizard never calls PXCloud"
    );
}

fn modern_confirm_change(c: &mut dyn Modern, sim: &Sim) {
    let target = json!({"id": VM, "target_node": "pve2", "online": true});
    let call = json!({"name": "pxcloud_confirm_change", "arguments": {
            "action": "migrate VM", "target": format!("VM {VM}"), "risk": "high",
            "impact": "The VM moves to node pve2.",
            "tool": "pxcloud_migrate_vm", "arguments": target},
        "_meta": modern_meta(json!({"elicitation": {}}))});
    let (requests, state) = input_required(&c.ask("tools/call", call.clone()));
    assert_eq!(requests.keys().collect::<Vec<_>>(), ["confirm_change"]);
    let question = &requests["confirm_change"]["params"];
    let message = question["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("pve2") && message.contains("/migrate") && message.contains("high"),
        "the user sees the exact call: {message}"
    );

    // Rejected or declined: no handle, nothing runs.
    for answer in [
        json!({"action": "accept", "content": {"decision": "reject"}}),
        json!({"action": "decline"}),
    ] {
        let reply = c.ask(
            "tools/call",
            retry(&call, json!({"confirm_change": answer}), &state),
        );
        let result = &reply["result"];
        assert_eq!(result["resultType"], "complete", "{reply}");
        assert_eq!(result["isError"], true, "{reply}");
        assert_eq!(result["structuredContent"]["confirmed"], false, "{reply}");
        assert!(result["structuredContent"]["confirmation"].is_null());
    }
    assert_eq!(migrations(sim), 0);

    // Approved: a one-time handle for exactly that call.
    let reply = c.ask(
        "tools/call",
        retry(
            &call,
            json!({"confirm_change": {"action": "accept", "content": {"decision": "approve"}}}),
            &state,
        ),
    );
    let approved = &reply["result"]["structuredContent"];
    assert_eq!(reply["result"]["resultType"], "complete", "{reply}");
    assert_eq!(approved["confirmed"], true, "{reply}");
    assert_eq!(approved["askedUser"], true, "{reply}");
    let handle = approved["confirmation"]
        .as_str()
        .unwrap_or_else(|| panic!("a handle: {reply}"));
    assert_eq!(migrations(sim), 0, "approving runs nothing by itself");

    let mut with_handle = target.clone();
    with_handle["confirmed"] = json!(true);
    with_handle["confirmation"] = json!(handle);
    let migrate = json!({"name": "pxcloud_migrate_vm", "arguments": with_handle,
                         "_meta": modern_meta(json!({"elicitation": {}}))});
    let ran = c.ask("tools/call", migrate.clone());
    assert_eq!(ran["result"]["resultType"], "complete", "{ran}");
    assert_eq!(ran["result"]["structuredContent"]["ok"], true, "{ran}");
    assert_eq!(migrations(sim), 1);

    // The handle works once.
    let again = c.ask("tools/call", migrate);
    assert_eq!(again["result"]["isError"], true, "{again}");
    assert_eq!(migrations(sim), 1);
}

/// A client that cannot ask its user follows the safety guide's two steps: the call is
/// refused, `confirmed: true` alone changes nothing, `pxcloud_confirm_change` gives a handle,
/// and the call with `confirmed` and the handle runs once.
fn modern_two_step_without_elicitation(c: &mut dyn Modern, sim: &Sim) {
    let before = migrations(sim);
    let meta = modern_meta(json!({}));
    let guide = c.ask(
        "resources/read",
        json!({"uri": "pxcloud://guides/safety", "_meta": meta}),
    );
    let guide = guide["result"]["contents"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("the safety guide: {guide}"))
        .to_owned();
    assert!(
        guide.contains("`confirmed: true`") && guide.contains("`confirmation` handle"),
        "{guide}"
    );

    // Another VM than the other scenarios', which a migration task may still lock.
    let vm = "cluster1:pve1:101";
    let target = json!({"id": vm, "target_node": "pve3"});
    let call = |arguments: &Value| json!({"name": "pxcloud_migrate_vm", "arguments": arguments, "_meta": meta});
    let refused = c.ask("tools/call", call(&target));
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    let mut confirmed_only = target.clone();
    confirmed_only["confirmed"] = json!(true);
    let refused = c.ask("tools/call", call(&confirmed_only));
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    assert_eq!(
        migrations(sim),
        before,
        "confirmed: true alone runs nothing"
    );

    let approval = c.ask(
        "tools/call",
        json!({"name": "pxcloud_confirm_change", "_meta": meta, "arguments": {
            "action": "migrate VM", "target": vm, "impact": "The VM moves to node pve3.",
            "tool": "pxcloud_migrate_vm", "arguments": target}}),
    );
    let approved = &approval["result"]["structuredContent"];
    assert_eq!(approved["askedUser"], false, "{approval}");
    let mut with_handle = confirmed_only.clone();
    for (k, v) in approved["retry"]["add"].as_object().expect("retry.add") {
        with_handle[k] = v.clone();
    }
    assert!(with_handle["confirmation"].is_string(), "{approval}");
    let ran = c.ask("tools/call", call(&with_handle));
    assert_eq!(ran["result"]["structuredContent"]["ok"], true, "{ran}");
    assert_eq!(migrations(sim), before + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_modern_setup_wizard_and_confirmation_take_input_required_rounds() {
    let sim = sim().await;
    let mut c = StdioClient::spawn(client::server(&sim.url(), &[]));
    // The first answer comes once start-up (login, spec) is over.
    let discover = c.call("server/discover", json!({"_meta": modern_meta(json!({}))}));
    assert_eq!(discover["result"]["resultType"], "complete", "{discover}");
    modern_setup_wizard(&mut c, &sim);
    modern_confirm_change(&mut c, &sim);
    modern_two_step_without_elicitation(&mut c, &sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn http_modern_setup_wizard_and_confirmation_take_input_required_rounds() {
    let sim = sim().await;
    let server = HttpServer::spawn(client::server(&sim.url(), &["--http", "127.0.0.1:0"]));
    let mut c = server.client();
    modern_setup_wizard(&mut c, &sim);
    modern_confirm_change(&mut c, &sim);
    modern_two_step_without_elicitation(&mut c, &sim);
}

/// An `elicitation/create` answer accepting `content`.
fn accept(content: Value) -> Value {
    json!({"action": "accept", "content": content})
}

fn legacy_setup_wizard(c: &mut dyn Legacy, sim: &Sim) {
    let before = sim.log().entries().len();
    let url = sim.url();

    // Both steps accepted.
    let mut asked = Vec::new();
    let reply = c.call_tool("pxcloud_setup", json!({}), &mut |q| {
        asked.push(q["params"].clone());
        match asked.len() {
            1 => accept(
                json!({"targetUrl": url, "profile": "admin", "scope": "vms, Tasks", "allowDestructive": true}),
            ),
            _ => accept(json!({"confirm": true})),
        }
    });
    assert_eq!(asked.len(), 2, "two steps: {asked:?}");
    assert!(
        asked[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Step 1/2")
    );
    assert_safe_form(&asked[0]["requestedSchema"]);
    let review = asked[1]["message"].as_str().unwrap_or_default();
    assert!(
        review.contains("Step 2/2") && review.contains("VMs, Tasks") && review.contains("enabled"),
        "{review}"
    );
    let profile = &reply["result"]["structuredContent"];
    assert_ne!(reply["result"]["isError"], true, "{reply}");
    assert_eq!(profile["mode"], "ready", "{reply}");
    assert_eq!(profile["env"]["PXCLOUD_PROFILE"], "admin");
    assert_eq!(
        profile["env"]["PXCLOUD_TOOLS"], "VMs,Tasks",
        "in the spec's spelling"
    );
    assert_eq!(profile["env"]["PXCLOUD_ALLOW_DELETE"], "true");
    assert_eq!(profile["env"]["PXCLOUD_URL"], url);
    let before_run = sim.log().entries().len();
    let tools = tools_under_profile(&profile["env"]);
    assert!(
        tools.iter().any(|t| t["_meta"]["method"] == "DELETE"),
        "delete is on"
    );
    for tool in &tools {
        let tags = tool["_meta"]["tags"].as_array().expect("tags");
        assert!(
            tags.iter().any(|t| t == "VMs" || t == "Tasks"),
            "only the chosen tags: {tool}"
        );
    }
    let before = before + (sim.log().entries().len() - before_run);

    // A set-up that cannot work is refused before the review, naming what to fix.
    for (step1, expect) in [
        (
            json!({"targetUrl": "px.example:8443", "profile": "operator", "scope": "", "allowDestructive": false}),
            "https://px.example:8443",
        ),
        (
            json!({"targetUrl": url, "profile": "operator", "scope": "VMs, Nope", "allowDestructive": false}),
            "Nope",
        ),
        (
            json!({"targetUrl": url, "profile": "operator", "scope": "Users", "allowDestructive": false}),
            "operator profile hides Users",
        ),
    ] {
        let mut questions = 0;
        let reply = c.call_tool("pxcloud_setup", json!({}), &mut |_| {
            questions += 1;
            accept(step1.clone())
        });
        assert_eq!(questions, 1, "no review of a broken profile: {reply}");
        assert_eq!(reply["result"]["isError"], true, "{reply}");
        let result = &reply["result"]["structuredContent"];
        assert_eq!(result["mode"], "invalid", "{reply}");
        assert!(
            result["reason"]
                .as_str()
                .unwrap_or_default()
                .contains(expect),
            "{reply}"
        );
    }

    // Declined at the first step: one question, no profile.
    let mut questions = 0;
    let reply = c.call_tool("pxcloud_setup", json!({}), &mut |_| {
        questions += 1;
        json!({"action": "decline"})
    });
    assert_eq!(questions, 1);
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    assert_eq!(reply["result"]["structuredContent"]["mode"], "cancelled");

    // Cancelled at the review.
    let mut questions = 0;
    let reply = c.call_tool("pxcloud_setup", json!({}), &mut |_| {
        questions += 1;
        if questions == 1 {
            accept(
                json!({"targetUrl": url, "profile": "read_only", "scope": "", "allowDestructive": false}),
            )
        } else {
            json!({"action": "cancel"})
        }
    });
    assert_eq!(questions, 2);
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    assert_eq!(
        reply["result"]["structuredContent"]["mode"],
        "review_rejected"
    );

    assert_eq!(
        sim.log().entries().len(),
        before,
        "the wizard never calls PXCloud"
    );
}

fn legacy_confirm_change(c: &mut dyn Legacy, sim: &Sim) {
    let args = json!({"action": "migrate VM", "target": format!("VM {VM}"), "impact": "The VM moves to node pve2.",
                      "tool": "pxcloud_migrate_vm", "arguments": {"id": VM, "target_node": "pve2"}});
    let reply = c.call_tool("pxcloud_confirm_change", args.clone(), &mut |q| {
        let message = q["params"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("/migrate"), "{message}");
        accept(json!({"decision": "reject"}))
    });
    assert_eq!(
        reply["result"]["structuredContent"]["confirmed"], false,
        "{reply}"
    );
    let reply = c.call_tool("pxcloud_confirm_change", args, &mut |_| {
        accept(json!({"decision": "approve"}))
    });
    assert_eq!(
        reply["result"]["structuredContent"]["confirmed"], true,
        "{reply}"
    );
    assert!(reply["result"]["structuredContent"]["confirmation"].is_string());
    assert_eq!(migrations(sim), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_legacy_setup_wizard_and_confirmation_ask_through_elicitation() {
    let sim = sim().await;
    let mut c = StdioClient::spawn(client::server(&sim.url(), &[]));
    c.initialize("2025-06-18", json!({"elicitation": {}}));
    legacy_setup_wizard(&mut c, &sim);
    legacy_confirm_change(&mut c, &sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn http_legacy_setup_wizard_and_confirmation_ask_through_elicitation() {
    let sim = sim().await;
    let server = HttpServer::spawn(client::server(&sim.url(), &["--http", "127.0.0.1:0"]));
    let mut c = server.client();
    c.initialize("2025-11-25", json!({"elicitation": {"form": {}}}));
    legacy_setup_wizard(&mut c, &sim);
    legacy_confirm_change(&mut c, &sim);
}

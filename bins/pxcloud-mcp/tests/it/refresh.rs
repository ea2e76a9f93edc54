//! Spec refresh through the real binary: PXCloud's OpenAPI document changes while the server
//! runs (`--spec-refresh-secs 1`); legacy clients get `notifications/tools/list_changed`,
//! 2026-07-28 clients get it on their `subscriptions/listen` stream; the next `tools/list`
//! shows the new catalog. Over stdio and Streamable HTTP.
//!
//! The simulator replaces its document like an upgrade of PXCloud would (`Sim::set_spec`);
//! the server really re-fetches and re-ingests it.

use pxcloud_sim::{Sim, SimConfig};
use serde_json::{Value, json};

use crate::client::{self, HttpServer, StdioClient, all_tools, modern_meta};

const SPEC_PATH: &str = "/api-docs/openapi.json";
const REMOVED: &str = "/api/vms/{id}/migrate";
const ADDED: &str = "/api/vms/{id}/notes";

/// How often the server fetched the document so far.
fn fetches(sim: &Sim) -> usize {
    sim.log().count("GET", SPEC_PATH)
}

/// The simulator's document after an "upgrade": the migrate operation is gone and a new
/// read operation appeared.
fn upgraded_spec() -> Value {
    let mut doc: Value = serde_json::from_str(&pxcloud_sim::openapi_json()).expect("spec");
    let paths = doc["paths"].as_object_mut().expect("paths");
    assert!(
        paths.remove(REMOVED).is_some(),
        "the simulator has {REMOVED}"
    );
    paths.insert(
        ADDED.to_owned(),
        json!({"get": {
            "operationId": "get_vm_notes", "tags": ["VMs"], "summary": "Read a VM's notes",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The notes", "content": {"application/json": {"schema": {"type": "object"}}}}}
        }}),
    );
    doc
}

fn paths(tools: &[Value]) -> Vec<String> {
    tools
        .iter()
        .filter_map(|t| t["_meta"]["path"].as_str().map(str::to_owned))
        .collect()
}

fn assert_original(tools: &[Value]) {
    let paths = paths(tools);
    assert!(paths.iter().any(|p| p == REMOVED), "before: {paths:?}");
    assert!(!paths.iter().any(|p| p == ADDED), "before: {paths:?}");
}

fn assert_upgraded(tools: &[Value]) {
    let paths = paths(tools);
    assert!(!paths.iter().any(|p| p == REMOVED), "after: {paths:?}");
    assert!(paths.iter().any(|p| p == ADDED), "after: {paths:?}");
}

async fn sim() -> Sim {
    Sim::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

fn refreshing(sim: &Sim, extra: &[&str]) -> std::process::Command {
    let mut args = vec!["--spec-refresh-secs", "1"];
    args.extend_from_slice(extra);
    client::server(&sim.url(), &args)
}

fn listen_params() -> Value {
    json!({"notifications": {"toolsListChanged": true}, "_meta": modern_meta(json!({}))})
}

/// Checks the acknowledgement of a tools list-changed subscription; returns its id.
fn acknowledged(ack: &Value) -> String {
    assert_eq!(
        ack["method"], "notifications/subscriptions/acknowledged",
        "{ack}"
    );
    assert_eq!(
        ack["params"]["notifications"]["toolsListChanged"], true,
        "{ack}"
    );
    ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"]
        .as_str()
        .unwrap_or_else(|| panic!("a subscription id: {ack}"))
        .to_owned()
}

fn assert_tools_changed(note: &Value, subscription: Option<&str>) {
    assert_eq!(note["method"], "notifications/tools/list_changed", "{note}");
    if let Some(id) = subscription {
        assert_eq!(
            note["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], id,
            "{note}"
        );
    }
}

fn modern_list(page: Option<&str>) -> Value {
    let mut params = json!({"_meta": modern_meta(json!({}))});
    if let Some(cursor) = page {
        params["cursor"] = json!(cursor);
    }
    params
}

fn legacy_list(page: Option<&str>) -> Value {
    page.map_or_else(|| json!({}), |c| json!({"cursor": c}))
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_spec_refresh_reaches_legacy_and_subscribed_modern_clients() {
    let sim = sim().await;

    let mut legacy = StdioClient::spawn(refreshing(&sim, &[]));
    legacy.initialize("2025-06-18", json!({}));
    assert_original(&all_tools(|p| legacy.call("tools/list", legacy_list(p))));

    let mut modern = StdioClient::spawn(refreshing(&sim, &[]));
    // The listen request stays open: every later `call` would trip over its answer otherwise.
    modern.start("subscriptions/listen", listen_params());
    let subscription = acknowledged(&modern.next_any());
    assert_original(&all_tools(|p| modern.call("tools/list", modern_list(p))));

    let fetched = fetches(&sim);
    sim.set_spec(upgraded_spec().to_string());

    // Legacy: a list-changed notification on stdout, then the new list.
    let note = loop {
        let msg = legacy.next_any();
        if msg.get("id").is_none() {
            break msg;
        }
    };
    assert_tools_changed(&note, None);
    assert_upgraded(&all_tools(|p| legacy.call("tools/list", legacy_list(p))));

    // 2026-07-28: the notification arrives on the subscription, which stays open.
    let note = modern.next_any();
    assert_tools_changed(&note, Some(&subscription));
    assert_upgraded(&all_tools(|p| modern.call("tools/list", modern_list(p))));
    assert!(fetches(&sim) > fetched, "the document was fetched again");

    // The removed tool is gone; the added one is called at its new path.
    let gone = legacy.call(
        "tools/call",
        json!({"name": "pxcloud_migrate_vm", "arguments": {"id": "cluster1:pve1:100", "target_node": "pve2"}}),
    );
    assert_eq!(gone["error"]["code"], -32602, "{gone}");
    let tools = all_tools(|p| legacy.call("tools/list", legacy_list(p)));
    let added = tools
        .iter()
        .find(|t| t["_meta"]["path"] == ADDED)
        .and_then(|t| t["name"].as_str())
        .expect("the added tool");
    let reply = legacy.call(
        "tools/call",
        json!({"name": added, "arguments": {"id": "cluster1:pve1:100"}}),
    );
    assert!(reply.get("result").is_some(), "{reply}");
    assert_eq!(
        sim.log().count("GET", "/api/vms/cluster1:pve1:100/notes"),
        1,
        "the new operation reached PXCloud"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn http_spec_refresh_reaches_legacy_and_subscribed_modern_clients() {
    let sim = sim().await;
    let server = HttpServer::spawn(refreshing(&sim, &["--http", "127.0.0.1:0"]));

    // Legacy: a session with its standalone GET stream.
    let mut legacy = server.client();
    legacy.initialize("2025-06-18", json!({}));
    let mut events = legacy.get_stream();

    // 2026-07-28: a subscriptions/listen stream.
    let mut modern = server.client();
    let mut listen = modern.modern_stream("subscriptions/listen", listen_params());
    assert_eq!(listen.status, 200);
    let subscription = acknowledged(&listen.next_message().expect("acknowledgement"));

    assert_original(&all_tools(|p| legacy.legacy("tools/list", legacy_list(p))));
    assert_original(&all_tools(|p| modern.modern("tools/list", modern_list(p))));

    sim.set_spec(upgraded_spec().to_string());

    let note = events
        .next_message()
        .unwrap_or_else(|| panic!("the GET stream ended; server stderr:\n{}", server.stderr()));
    assert_tools_changed(&note, None);
    let note = listen.next_message().unwrap_or_else(|| {
        panic!(
            "the listen stream ended; server stderr:\n{}",
            server.stderr()
        )
    });
    assert_tools_changed(&note, Some(&subscription));

    assert_upgraded(&all_tools(|p| legacy.legacy("tools/list", legacy_list(p))));
    assert_upgraded(&all_tools(|p| modern.modern("tools/list", modern_list(p))));
}

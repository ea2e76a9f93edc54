//! The real binary over stdio and Streamable HTTP against pxcloud-sim, in both protocol eras.
//! What reached PXCloud is checked in the simulator's request log.

use std::time::Duration;

use pxcloud_sim::{Sim, SimConfig};
use serde_json::json;

use crate::client::{self, HttpServer, StdioClient, modern_meta};

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

#[tokio::test(flavor = "multi_thread")]
async fn stdio_legacy_era_lists_calls_and_asks_before_destroying() {
    let sim = sim().await;
    let mut c = StdioClient::spawn(client::server(&sim.url(), &[]));
    let init = c.request(
        1,
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {"elicitation": {}}, "clientInfo": {"name": "it", "version": "1"}}),
    );
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(init["result"]["serverInfo"]["name"], "pxcloud-mcp");
    // The shared arguments are explained once, in the instructions, not on every tool.
    let instructions = init["result"]["instructions"]
        .as_str()
        .expect("instructions");
    for word in [
        "`fields`",
        "`dry_run: true`",
        "`confirmed: true`",
        "`confirmation`",
        "pxcloud_confirm_change",
    ] {
        assert!(instructions.contains(word), "{word} in {instructions}");
    }
    c.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    // Follow the cursor through every page.
    let mut tools = Vec::new();
    let mut params = json!({});
    for id in 100.. {
        let page = c.request(id, "tools/list", params.clone());
        tools.extend(
            page["result"]["tools"]
                .as_array()
                .expect("tools")
                .iter()
                .cloned(),
        );
        match page["result"]["nextCursor"].as_str() {
            Some(cursor) => params = json!({"cursor": cursor}),
            None => break,
        }
    }
    let names: std::collections::HashSet<&str> =
        tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names.len(), tools.len(), "pages never repeat a tool");
    assert!(tools.iter().any(|t| t["name"] == "pxcloud_migrate_vm"));
    assert!(
        tools
            .iter()
            .all(|t| t["outputSchema"].is_object() || t["name"] != "pxcloud_get_vm")
    );

    let got = c.request(
        3,
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
    );
    assert_eq!(
        got["result"]["structuredContent"]["data"]["id"], VM,
        "{got}"
    );

    let unknown = c.request(
        4,
        "tools/call",
        json!({"name": "pxcloud_nope", "arguments": {}}),
    );
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");

    // The destructive call asks the user (server → client request); a decline runs nothing.
    for (id, action, expect_runs) in [(5, "decline", 0), (6, "accept", 1)] {
        c.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "pxcloud_migrate_vm", "arguments": {"id": VM, "target_node": "pve2", "online": true}}}));
        let ask = c.next();
        assert_eq!(ask["method"], "elicitation/create", "{ask}");
        let message = ask["params"]["message"].as_str().expect("message");
        assert!(
            message.contains("pve2") && message.contains("/migrate"),
            "{message}"
        );
        c.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": action}}));
        let result = c.next();
        assert_eq!(result["id"], id);
        assert_eq!(migrations(&sim), expect_runs, "after {action}: {result}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_modern_era_uses_input_required_and_a_signed_request_state() {
    let sim = sim().await;
    let mut c = StdioClient::spawn(client::server(&sim.url(), &[]));
    let discover = c.request(
        1,
        "server/discover",
        json!({"_meta": modern_meta(json!({}))}),
    );
    assert!(
        discover["result"]["supportedVersions"]
            .as_array()
            .expect("versions")
            .contains(&json!(client::MODERN)),
        "{discover}"
    );

    let call = json!({"name": "pxcloud_migrate_vm", "arguments": {"id": VM, "target_node": "pve2", "online": true},
                      "_meta": modern_meta(json!({"elicitation": {}}))});
    let first = c.request(2, "tools/call", call.clone());
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required", "{first}");
    let (key, _) = result["inputRequests"]
        .as_object()
        .expect("inputRequests")
        .iter()
        .next()
        .expect("one request");
    let state = result["requestState"]
        .as_str()
        .expect("requestState")
        .to_owned();
    assert_eq!(migrations(&sim), 0);

    // A tampered state is refused and runs nothing.
    let mut tampered = call.clone();
    tampered["requestState"] = json!(format!("{state}x"));
    tampered["inputResponses"] = json!({key.clone(): {"action": "accept", "content": {}}});
    let refused = c.request(3, "tools/call", tampered);
    assert!(
        refused.get("error").is_some() || refused["result"]["resultType"] == "input_required",
        "{refused}"
    );
    assert_eq!(migrations(&sim), 0);

    let mut retry = call;
    retry["requestState"] = json!(state);
    retry["inputResponses"] = json!({key.clone(): {"action": "accept", "content": {}}});
    let done = c.request(4, "tools/call", retry);
    assert_eq!(done["result"]["resultType"], "complete", "{done}");
    assert_eq!(done["result"]["structuredContent"]["ok"], true, "{done}");
    assert_eq!(migrations(&sim), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn http_serves_both_eras_and_checks_origin() {
    let sim = sim().await;
    let server = HttpServer::spawn(client::server(&sim.url(), &["--http", "127.0.0.1:0"]));
    let mut c = server.client();

    // Modern era: stateless, headers mirror the body.
    let mut resp = c.modern_stream(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}, "_meta": modern_meta(json!({}))}),
    );
    let reply = resp.next_with_id();
    assert_eq!(resp.status, 200, "{reply}");
    assert_eq!(
        reply["result"]["structuredContent"]["data"]["id"], VM,
        "{reply}"
    );

    // Without elicitation the destructive call is refused with the two-step instructions.
    let reply = c.modern(
        "tools/call",
        json!({"name": "pxcloud_migrate_vm", "arguments": {"id": VM, "target_node": "pve2"},
               "_meta": modern_meta(json!({}))}),
    );
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    assert!(
        reply["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("confirmation_required")
    );
    assert_eq!(migrations(&sim), 0);

    // Legacy era on the same endpoint.
    let mut legacy = server.client();
    legacy.initialize("2025-03-26", json!({}));

    // A foreign Origin is refused.
    let resp = client::http(
        &server.addr,
        "POST",
        &[("Origin", "https://evil.example")],
        Some(&json!({"jsonrpc": "2.0", "id": 4, "method": "ping"})),
    );
    assert_eq!(resp.status, 403);
}

//! The 2026-07-28 era over the same duplex stream: discovery, the ordered checks,
//! decorated results, input_required with signed state, listen.

use serde_json::{Value, json};

use crate::support::{Client, meta, server};

fn with_meta(mut params: Value, caps: Value) -> Value {
    params["_meta"] = meta(caps);
    params
}

#[tokio::test]
async fn discover_and_decorated_results() {
    let (s, _) = server();
    let mut c = Client::start(s);
    let d = c
        .request(1, "server/discover", json!({"_meta": meta(json!({}))}))
        .await;
    let r = &d["result"];
    assert_eq!(r["resultType"], "complete");
    assert_eq!(r["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(
        r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "test-server"
    );
    assert!(r["ttlMs"].is_u64());
    assert_eq!(r["cacheScope"], "private");
    let list = c
        .request(2, "tools/list", with_meta(json!({}), json!({})))
        .await;
    assert_eq!(list["result"]["resultType"], "complete");
    assert!(list["result"]["ttlMs"].is_u64());
    let call = c
        .request(
            3,
            "tools/call",
            with_meta(json!({"name": "echo", "arguments": {"a": 1}}), json!({})),
        )
        .await;
    assert_eq!(call["result"]["resultType"], "complete");
    assert!(
        call["result"].get("ttlMs").is_none(),
        "tools/call is not cacheable"
    );
    let call = c
        .request(
            4,
            "tools/call",
            with_meta(json!({"name": "structured"}), json!({})),
        )
        .await;
    assert_eq!(
        call["result"],
        json!({
            "content": [{"type": "text", "text": r#"{"vms":[{"id":1}],"total":1}"#}],
            "structuredContent": {"vms": [{"id": 1}], "total": 1},
            "_meta": {"k": "v"},
            "resultType": "complete"
        })
    );
}

#[tokio::test]
async fn checks_run_in_order_with_their_codes() {
    let (s, _) = server();
    let mut c = Client::start(s);
    let full = meta(json!({}));
    let mut no_caps = full.clone();
    no_caps
        .as_object_mut()
        .unwrap()
        .remove("io.modelcontextprotocol/clientCapabilities");
    let mut bad_version = full.clone();
    bad_version["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
    let mut legacy_version = full.clone();
    legacy_version["io.modelcontextprotocol/protocolVersion"] = json!("2025-11-25");
    let cases = [
        ("server/discover", json!({}), -32602),
        ("server/discover", json!({"_meta": no_caps}), -32602),
        (
            "server/discover",
            json!({"_meta": bad_version.clone()}),
            -32022,
        ),
        ("tools/list", json!({"_meta": legacy_version}), -32022),
        ("initialize", json!({"_meta": full.clone()}), -32601),
        ("ping", json!({"_meta": full.clone()}), -32601),
        (
            "logging/setLevel",
            json!({"_meta": full.clone(), "level": "info"}),
            -32601,
        ),
        ("unknown/method", json!({"_meta": full.clone()}), -32601),
        // Envelope before version: a bad version without capabilities is an envelope error.
        (
            "server/discover",
            json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2099-01-01"}}),
            -32602,
        ),
    ];
    for (i, (method, params, code)) in cases.into_iter().enumerate() {
        let id = i as i64 + 1;
        let r = c.request(id, method, params.clone()).await;
        assert_eq!(r["error"]["code"], code, "{method} {params}");
        assert_eq!(r["id"], id, "error echoes the id");
    }
    let r = c
        .request(50, "server/discover", json!({"_meta": bad_version}))
        .await;
    assert_eq!(
        r["error"]["data"],
        json!({"supported": ["2026-07-28"], "requested": "2099-01-01"})
    );
}

#[tokio::test]
async fn input_required_round_trip_with_signed_state() {
    let (s, _) = server();
    let mut c = Client::start(s);
    let caps = json!({"elicitation": {}});
    let params = with_meta(json!({"name": "ask", "arguments": {}}), caps.clone());
    let first = c.request(1, "tools/call", params.clone()).await;
    let r = &first["result"];
    assert_eq!(r["resultType"], "input_required");
    assert_eq!(
        r["inputRequests"]["confirm"]["method"],
        "elicitation/create"
    );
    let state = r["requestState"].as_str().unwrap().to_owned();

    let mut retry = params.clone();
    retry["inputResponses"] = json!({"confirm": {"action": "accept", "content": {"ok": true}}});
    retry["requestState"] = json!(state);
    let done = c.request(2, "tools/call", retry.clone()).await;
    assert_eq!(done["result"]["resultType"], "complete");
    assert_eq!(
        done["result"]["content"][0]["text"],
        "accepted {\"ok\":true}"
    );

    let mut tampered = retry.clone();
    tampered["requestState"] = json!(format!("{state}x"));
    assert_eq!(
        c.request(3, "tools/call", tampered).await["error"]["code"],
        -32602
    );

    let mut other_args = retry.clone();
    other_args["arguments"] = json!({"different": true});
    assert_eq!(
        c.request(4, "tools/call", other_args).await["error"]["code"],
        -32602,
        "state bound to params"
    );

    let mut missing = params.clone();
    missing["inputResponses"] = json!({"unrelated": {"action": "accept"}});
    let again = c.request(5, "tools/call", missing).await;
    assert_eq!(
        again["result"]["resultType"], "input_required",
        "missing answers ask again"
    );

    for bad in [json!(null), json!(12), json!({"confirm": 5})] {
        let mut invalid = params.clone();
        invalid["inputResponses"] = bad.clone();
        assert_eq!(
            c.request(6, "tools/call", invalid).await["error"]["code"],
            -32602,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn stateless_client_without_elicitation_gets_cannot_ask() {
    let (s, _) = server();
    let mut c = Client::start(s);
    let r = c
        .request(
            1,
            "tools/call",
            with_meta(json!({"name": "ask", "arguments": {}}), json!({})),
        )
        .await;
    assert!(
        r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("cannot ask:")
    );
}

#[tokio::test]
async fn logs_only_with_a_requested_level() {
    let (s, _) = server();
    let mut c = Client::start(s);
    c.request(
        1,
        "tools/call",
        with_meta(json!({"name": "log", "arguments": {}}), json!({})),
    )
    .await;
    assert!(
        c.backlog
            .iter()
            .all(|m| m["method"] != "notifications/message"),
        "no logLevel, no logs"
    );
    let mut params = with_meta(json!({"name": "log", "arguments": {}}), json!({}));
    params["_meta"]["io.modelcontextprotocol/logLevel"] = json!("debug");
    c.request(2, "tools/call", params).await;
    let levels: Vec<&Value> = c
        .backlog
        .iter()
        .filter(|m| m["method"] == "notifications/message")
        .map(|m| &m["params"]["level"])
        .collect();
    assert_eq!(levels, vec![&json!("debug"), &json!("error")]);
}

#[tokio::test]
async fn listen_acknowledges_then_forwards_only_requested_changes() {
    let (s, _) = server();
    let notifier = s.notifier();
    let mut c = Client::start(s);
    c.send(json!({"jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen",
        "params": {"_meta": meta(json!({})), "notifications": {"toolsListChanged": true, "promptsListChanged": true}}}))
        .await;
    let ack = c.recv().await;
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["notifications"],
        json!({"toolsListChanged": true}),
        "no prompts on this server"
    );
    let sub = ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"].clone();
    assert!(sub.is_string());
    notifier.notify(mcp_protocol::ServerEvent::ResourcesListChanged);
    notifier.notify(mcp_protocol::ServerEvent::ToolsListChanged);
    let n = c.recv().await;
    assert_eq!(n["method"], "notifications/tools/list_changed");
    assert_eq!(
        n["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        sub
    );
}

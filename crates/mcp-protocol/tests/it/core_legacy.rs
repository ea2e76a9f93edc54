//! The legacy era over a duplex stream: negotiation, pagination, concurrency,
//! cancellation, elicitation, logging, batches, size cap, shutdown.

use std::sync::atomic::Ordering;
use std::time::Duration;

use mcp_protocol::ServerConfig;
use serde_json::{Value, json};

use crate::support::{Client, server, server_with};

#[tokio::test]
async fn initialize_negotiates_the_version() {
    let cases = [
        ("2024-11-05", "2024-11-05"),
        ("2025-03-26", "2025-03-26"),
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("1999-01-01", "2025-11-25"),
        ("2026-07-28", "2025-11-25"),
    ];
    for (asked, expected) in cases {
        let (s, _) = server();
        let mut c = Client::start(s);
        let r = c.initialize(asked, json!({})).await;
        assert_eq!(r["result"]["protocolVersion"], expected, "asked {asked}");
        assert_eq!(r["result"]["serverInfo"]["name"], "test-server");
        assert!(r["result"]["capabilities"]["tools"].is_object());
        assert!(
            r["result"].get("resultType").is_none(),
            "no resultType in the legacy era"
        );
    }
}

#[tokio::test]
async fn tools_list_paginates_in_name_order() {
    let extra = ["zeta", "alpha", "mid", "beta"];
    let (s, _) = server_with(
        ServerConfig {
            page_size: 3,
            ..ServerConfig::default()
        },
        &extra,
    );
    let mut c = Client::start(s);
    c.initialize("2025-11-25", json!({})).await;
    let mut names = Vec::new();
    let mut cursor: Option<Value> = None;
    for id in 1..20 {
        let params = match &cursor {
            Some(cur) => json!({"cursor": cur}),
            None => json!({}),
        };
        let r = c.request(id, "tools/list", params).await;
        let page = r["result"]["tools"].as_array().unwrap();
        assert!(page.len() <= 3);
        names.extend(page.iter().map(|t| t["name"].as_str().unwrap().to_owned()));
        match r["result"].get("nextCursor") {
            Some(next) => cursor = Some(next.clone()),
            None => break,
        }
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "deterministic name order");
    assert_eq!(names.len(), 12, "every tool exactly once: {names:?}");
    let bad = c
        .request(99, "tools/list", json!({"cursor": "not-a-cursor"}))
        .await;
    assert_eq!(bad["error"]["code"], -32602);
}

#[tokio::test]
async fn slow_tool_does_not_block_ping_and_cancel_drops_it() {
    let (s, probe) = server();
    let mut c = Client::start(s);
    c.initialize("2025-06-18", json!({})).await;
    c.send(json!({"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"name": "slow", "arguments": {}}})).await;
    tokio::time::timeout(Duration::from_secs(5), probe.slow_started.notified())
        .await
        .unwrap();
    let pong = c.request(11, "ping", json!({})).await;
    assert_eq!(pong["result"], json!({}));
    let list = c.request(12, "tools/list", json!({})).await;
    assert!(list["result"]["tools"].is_array());
    c.send(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 10, "reason": "test"}})).await;
    for _ in 0..100 {
        if probe.slow_dropped.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        probe.slow_dropped.load(Ordering::SeqCst),
        "handler future dropped"
    );
    assert!(
        !probe.slow_finished.load(Ordering::SeqCst),
        "work did not run to completion"
    );
    assert!(
        c.silent_for(200).await,
        "no response for a cancelled request"
    );
}

#[tokio::test]
async fn elicitation_goes_to_the_client_and_back() {
    let (s, _) = server();
    let mut c = Client::start(s);
    c.initialize("2025-11-25", json!({"elicitation": {}})).await;
    c.send(json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "ask", "arguments": {}}})).await;
    let ask = c.recv().await;
    assert_eq!(ask["method"], "elicitation/create");
    assert_eq!(ask["params"]["message"], "May I?");
    let ask_id = ask["id"].clone();
    c.send(json!({"jsonrpc": "2.0", "id": ask_id, "result": {"action": "accept", "content": {"ok": true}}})).await;
    let r = c.response(5).await;
    assert_eq!(r["result"]["content"][0]["text"], "accepted {\"ok\":true}");
}

#[tokio::test]
async fn unanswered_elicitation_times_out() {
    let config = ServerConfig {
        ask_timeout: Duration::from_millis(100),
        ..ServerConfig::default()
    };
    let (s, _) = server_with(config, &[]);
    let mut c = Client::start(s);
    c.initialize("2025-11-25", json!({"elicitation": {}})).await;
    let r = c
        .request(5, "tools/call", json!({"name": "ask", "arguments": {}}))
        .await;
    assert_eq!(
        c.backlog[0]["method"], "elicitation/create",
        "the question went out"
    );
    assert_eq!(r["error"]["code"], -32603);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Timed out"),
        "{r}"
    );
}

#[tokio::test]
async fn client_without_elicitation_gets_cannot_ask() {
    let (s, _) = server();
    let mut c = Client::start(s);
    c.initialize("2025-11-25", json!({})).await;
    let r = c
        .request(5, "tools/call", json!({"name": "ask", "arguments": {}}))
        .await;
    let text = r["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("cannot ask:"), "{text}");
}

#[tokio::test]
async fn logging_respects_set_level_and_progress_is_reported() {
    let (s, _) = server();
    let mut c = Client::start(s);
    c.initialize("2025-11-25", json!({})).await;
    assert_eq!(
        c.request(1, "logging/setLevel", json!({"level": "warning"}))
            .await["result"],
        json!({})
    );
    let r = c
        .request(2, "tools/call", json!({"name": "log", "arguments": {}}))
        .await;
    assert_eq!(r["result"]["content"][0]["text"], "logged");
    let logs: Vec<&Value> = c
        .backlog
        .iter()
        .filter(|m| m["method"] == "notifications/message")
        .collect();
    assert_eq!(
        logs.len(),
        1,
        "only the error passes a warning threshold: {logs:?}"
    );
    assert_eq!(logs[0]["params"]["level"], "error");
    c.backlog.clear();
    c.request(
        3,
        "tools/call",
        json!({"name": "progress", "arguments": {}, "_meta": {"progressToken": "p1"}}),
    )
    .await;
    let progress: Vec<f64> = c
        .backlog
        .iter()
        .filter(|m| m["method"] == "notifications/progress" && m["params"]["progressToken"] == "p1")
        .map(|m| m["params"]["progress"].as_f64().unwrap())
        .collect();
    assert_eq!(progress, vec![1.0, 2.0]);
}

#[tokio::test]
async fn errors_map_to_codes_and_tool_failures_to_results() {
    let (s, _) = server();
    let mut c = Client::start(s);
    c.initialize("2025-11-25", json!({})).await;
    let cases = [
        ("tools/call", json!({"name": "nope"}), Some(-32602)),
        ("tools/call", json!({"arguments": {}}), Some(-32602)),
        (
            "tools/call",
            json!({"name": "echo", "arguments": 3}),
            Some(-32602),
        ),
        ("no/such/method", json!({}), Some(-32601)),
        ("prompts/list", json!({}), Some(-32601)),
        ("tools/call", json!({"name": "fail", "arguments": {}}), None),
    ];
    for (i, (method, params, code)) in cases.into_iter().enumerate() {
        let r = c.request(i as i64 + 1, method, params.clone()).await;
        match code {
            Some(code) => assert_eq!(r["error"]["code"], code, "{method} {params}"),
            None => {
                assert_eq!(r["result"]["isError"], true);
                assert_eq!(r["result"]["content"][0]["text"], "it broke");
            }
        }
    }
}

#[tokio::test]
async fn structured_content_only_for_revisions_that_know_it() {
    for (version, structured) in [
        ("2024-11-05", false),
        ("2025-03-26", false),
        ("2025-06-18", true),
        ("2025-11-25", true),
    ] {
        let (s, _) = server();
        let mut c = Client::start(s);
        c.initialize(version, json!({})).await;
        let mut expected = json!({
            "content": [{"type": "text", "text": r#"{"vms":[{"id":1}],"total":1}"#}],
            "_meta": {"k": "v"}
        });
        if structured {
            expected["structuredContent"] = json!({"vms": [{"id": 1}], "total": 1});
        }
        // A value and the same content as JSON text look the same on the wire.
        for (id, tool) in [(1, "structured"), (2, "structured_json")] {
            let r = c.request(id, "tools/call", json!({"name": tool})).await;
            assert_eq!(r["result"], expected, "{version} {tool}");
        }
    }
}

#[tokio::test]
async fn structured_json_is_sent_as_written() {
    let (s, _) = server();
    let mut c = Client::start(s);
    c.initialize("2025-06-18", json!({})).await;
    c.send_raw(
        r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"structured_json"}}"#,
    )
    .await;
    let line = c.recv_line().await;
    assert!(
        line.contains(r#""structuredContent":{"vms": [{"id": 1}], "total": 1}"#),
        "{line}"
    );
}

#[tokio::test]
async fn batches_only_in_2025_03_26() {
    let batch = r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]"#;
    for (version, allowed) in [
        ("2025-03-26", true),
        ("2025-06-18", false),
        ("2025-11-25", false),
    ] {
        let (s, _) = server();
        let mut c = Client::start(s);
        c.initialize(version, json!({})).await;
        c.send_raw(batch).await;
        let r = c.recv().await;
        if allowed {
            let items = r.as_array().expect("batch answer is an array");
            assert_eq!(items.len(), 2);
            assert_eq!(items[0]["id"], 1);
            assert_eq!(items[1]["id"], 2);
        } else {
            assert_eq!(r["error"]["code"], -32600, "{version}");
        }
    }
}

#[tokio::test]
async fn oversized_and_garbage_lines_get_errors_and_the_stream_goes_on() {
    let (s, _) = server_with(
        ServerConfig {
            max_message_bytes: 256,
            ..ServerConfig::default()
        },
        &[],
    );
    let mut c = Client::start(s);
    let big = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{{\"x\":\"{}\"}}}}",
        "y".repeat(1000)
    );
    c.send_raw(&big).await;
    assert_eq!(c.recv().await["error"]["code"], -32600);
    c.send_raw("{not json").await;
    assert_eq!(c.recv().await["error"]["code"], -32700);
    assert_eq!(c.request(2, "ping", json!({})).await["result"], json!({}));
}

#[tokio::test]
async fn eof_finishes_in_flight_calls_then_exits() {
    let (s, probe) = server();
    let mut c = Client::start(s);
    c.initialize("2025-11-25", json!({})).await;
    c.send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "slow", "arguments": {"ms": 50}}})).await;
    c.close_input().await;
    let r = c.response(3).await;
    assert_eq!(r["result"]["content"][0]["text"], "slow done");
    let done = tokio::time::timeout(Duration::from_secs(5), &mut c.task)
        .await
        .unwrap()
        .unwrap();
    assert!(done.is_ok());
    assert!(probe.slow_finished.load(Ordering::SeqCst));
}

#[tokio::test]
async fn shutdown_signal_cancels_in_flight_calls() {
    let (s, probe) = server();
    let mut c = Client::start(s);
    c.initialize("2025-11-25", json!({})).await;
    c.send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "slow", "arguments": {}}})).await;
    tokio::time::timeout(Duration::from_secs(5), probe.slow_started.notified())
        .await
        .unwrap();
    c.shutdown();
    let done = tokio::time::timeout(Duration::from_secs(5), &mut c.task)
        .await
        .unwrap()
        .unwrap();
    assert!(done.is_ok());
    assert!(probe.slow_dropped.load(Ordering::SeqCst));
    assert!(!probe.slow_finished.load(Ordering::SeqCst));
}

#[tokio::test]
async fn list_changes_reach_initialized_sessions() {
    let (s, _) = server();
    let notifier = s.notifier();
    let mut c = Client::start(s);
    // Before initialization nothing is announced.
    notifier.notify(mcp_protocol::ServerEvent::ToolsListChanged);
    assert!(c.silent_for(100).await);
    c.initialize("2025-11-25", json!({})).await;
    // Make sure the initialized notification was processed before announcing.
    c.request(1, "ping", json!({})).await;
    notifier.notify(mcp_protocol::ServerEvent::ToolsListChanged);
    assert_eq!(c.recv().await["method"], "notifications/tools/list_changed");
    notifier.notify(mcp_protocol::ServerEvent::ResourceUpdated(
        "test://not-subscribed".into(),
    ));
    assert!(
        c.silent_for(100).await,
        "updates only for subscribed resources"
    );
}

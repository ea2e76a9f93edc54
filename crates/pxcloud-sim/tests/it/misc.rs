//! Smaller areas: nodes, snapshots rename, bulk tags, upload, dashboard, system.

use serde_json::json;

use crate::harness::{Api, enc, fast};

#[tokio::test]
async fn nodes_show_usage_and_one_is_hot() {
    let api = Api::start(fast()).await;
    let hot = api.get("/api/nodes?min_cpu_percent=85").await;
    let names: Vec<&str> = hot.body["data"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names, ["pve2"]);
    let status = api.get("/api/nodes/pve2/status").await;
    assert!(
        status.body["data"]["warnings"][0]
            .as_str()
            .expect("warning")
            .contains("above 85%")
    );
    assert_eq!(status.body["data"]["vms_running"], 2);
    let node_vms = api.get("/api/nodes/pve1/vms").await;
    assert_eq!(node_vms.body["data"]["total"], 3);
    assert_eq!(api.get("/api/nodes/pve9/vms").await.status, 404);
    let storage = api.get("/api/nodes/pve1/storage").await;
    let ids: Vec<&str> = storage.body["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(ids.contains(&"local-ssd") && ids.contains(&"local-lvm"));
    let summary = api.get("/api/dashboard/summary").await;
    assert_eq!(summary.body["data"]["hot_nodes"], json!(["pve2"]));
    assert_eq!(summary.body["data"]["vms"]["running"], 4);
}

#[tokio::test]
async fn snapshot_rename_keeps_path_and_body_names_apart() {
    let api = Api::start(fast()).await;
    let vm = enc("cluster1:pve1:100");
    let a = api
        .call(
            "PUT",
            &format!("/api/vms/{vm}/snapshots/before-upgrade"),
            Some(&json!({"name": "pre-kernel-6"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["data"]["name"], "pre-kernel-6");
    let list = api.get(&format!("/api/vms/{vm}/snapshots")).await;
    let names: Vec<&str> = list.body["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["pre-kernel-6", "with-ram"]);
    assert_eq!(list.body["data"][1]["parent"], "pre-kernel-6");
    let clash = api
        .call(
            "PUT",
            &format!("/api/vms/{vm}/snapshots/pre-kernel-6"),
            Some(&json!({"name": "with-ram"})),
        )
        .await;
    assert_eq!(clash.status, 409);
    let missing = api
        .call(
            "PUT",
            &format!("/api/vms/{vm}/snapshots/before-upgrade"),
            Some(&json!({"name": "x1"})),
        )
        .await;
    assert_eq!(missing.status, 404);
    let bad = api
        .call(
            "PUT",
            &format!("/api/vms/{vm}/snapshots/pre-kernel-6"),
            Some(&json!({"name": "1bad"})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (422, Some("name"))
    );
}

#[tokio::test]
async fn bulk_tags_are_all_or_nothing() {
    let api = Api::start(fast()).await;
    let body = json!([
        {"vm_id": "cluster1:pve1:101", "tags": ["db", "prod"]},
        {"vm_id": "cluster1:pve1:999", "tags": ["x"]}
    ]);
    let a = api.post("/api/vms/tags", body).await;
    assert_eq!(
        (a.status, a.body["field"].as_str()),
        (422, Some("[1].vm_id"))
    );
    assert_eq!(
        api.get(&format!("/api/vms/{}", enc("cluster1:pve1:101")))
            .await
            .body["data"]["tags"],
        json!([])
    );
    let ok = api
        .post("/api/vms/tags", json!([{"vm_id": "cluster1:pve1:101", "tags": ["db", "prod"]}, {"vm_id": "cluster1:pve1:100", "tags": ["edge"], "replace": true}]))
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["data"][1]["tags"], json!(["edge"]));
    let tags = api.get("/api/tags").await;
    assert!(
        tags.body["data"]
            .as_array()
            .expect("tags")
            .iter()
            .any(|t| t["tag"] == "prod" && t["vms"] == 1)
    );
    assert_eq!(api.get("/api/vms?tag=db").await.body["data"]["total"], 1);
}

#[tokio::test]
async fn iso_upload_is_multipart() {
    let api = Api::start(fast()).await;
    let boundary = "XBOUNDARYX";
    let payload = vec![0x42u8; 4096];
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\niso\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"debian-12.iso\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(&payload);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let a = api
        .raw(
            "POST",
            "/api/nodes/pve1/storage/local/upload",
            &format!("multipart/form-data; boundary={boundary}"),
            body.clone(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["data"]["volid"], "local:iso/debian-12.iso");
    assert_eq!(a.body["data"]["size"], 4096);
    let entry = api.sim.log().entries().pop().expect("logged");
    assert_eq!((entry.body.is_none(), entry.body_bytes), (true, body.len()));
    let content = api.get("/api/nodes/pve1/storage/local/content").await;
    assert!(
        content.body["data"]
            .as_array()
            .expect("list")
            .iter()
            .any(|v| v["volid"] == "local:iso/debian-12.iso")
    );
    let again = api
        .raw(
            "POST",
            "/api/nodes/pve1/storage/local/upload",
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
    assert_eq!(again.status, 409);
    let not_multipart = api
        .post(
            "/api/nodes/pve1/storage/local/upload",
            json!({"content": "iso"}),
        )
        .await;
    assert_eq!(not_multipart.status, 422);
    let wrong_storage = api.raw("POST", "/api/nodes/pve1/storage/local-lvm/upload", &format!("multipart/form-data; boundary={boundary}"), b"--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\niso\r\n--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.iso\"\r\n\r\nx\r\n--XBOUNDARYX--\r\n".to_vec()).await;
    assert_eq!(
        (wrong_storage.status, wrong_storage.body["field"].as_str()),
        (422, Some("content"))
    );
}

#[tokio::test]
async fn system_endpoints() {
    let api = Api::start(fast()).await;
    assert_eq!(
        api.call_as("GET", "/system/health", None, None)
            .await
            .status,
        200
    );
    assert_eq!(
        api.call_as("GET", "/system/info", None, None).await.status,
        401
    );
    let s = api.get("/system/settings").await.body["data"].clone();
    let mut changed = s.clone();
    changed["session_timeout_minutes"] = json!(4);
    let bad = api.call("PUT", "/system/settings", Some(&changed)).await;
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (422, Some("session_timeout_minutes"))
    );
    changed["session_timeout_minutes"] = json!(30);
    assert_eq!(
        api.call("PUT", "/system/settings", Some(&changed))
            .await
            .status,
        200
    );
    assert_eq!(
        api.get("/system/settings").await.body["data"]["session_timeout_minutes"],
        30
    );
    let audit = api.get("/system/audit-log?limit=5").await;
    assert_eq!(audit.body["data"]["items"][0]["path"], "/system/settings");
    assert_eq!(audit.body["data"]["items"][0]["user"], "admin");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let api = Api::start(fast()).await;
    let a = api.get("/api/nothing-here").await;
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (404, Some("route_not_found"))
    );
    let b = api.call("PATCH", "/api/vms", Some(&json!({}))).await;
    assert_eq!(
        (b.status, b.body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    let c = api
        .raw(
            "POST",
            "/api/vms",
            "application/json",
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!(
        (c.status, c.body["code"].as_str()),
        (400, Some("bad_request"))
    );
}

//! Console share links: create, validate, use publicly, expire, revoke.

use std::time::Duration;

use serde_json::json;

use crate::harness::{Api, enc, fast};

#[tokio::test]
async fn share_lifecycle() {
    let api = Api::start(fast()).await;
    let vm = enc("cluster1:pve1:100");
    let a = api
        .post(
            &format!("/api/vms/{vm}/console-share"),
            json!({"access_mode": "view_only", "expires_in_seconds": 3600}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let share = a.body["data"].clone();
    for key in ["id", "token", "access_mode", "expires_at", "url"] {
        assert!(!share[key].is_null(), "{key} in {share}");
    }
    let token = share["token"].as_str().expect("token").to_owned();
    assert!(share["url"].as_str().expect("url").ends_with(&token));

    // Public: no Authorization header.
    let open = api
        .call_as("GET", &format!("/api/console-share/{token}"), None, None)
        .await;
    assert_eq!(open.status, 200, "{}", open.body);
    assert_eq!(open.body["data"]["vm_name"], "web-01");
    assert_eq!(open.body["data"]["access_mode"], "view_only");
    let proxy = api
        .call_as(
            "POST",
            &format!("/api/console-share/{token}/proxy"),
            None,
            None,
        )
        .await;
    assert_eq!(proxy.status, 200);
    assert!(
        proxy.body["data"]["ticket"]
            .as_str()
            .expect("ticket")
            .starts_with("PVEVNC:ro:")
    );

    let list = api.get("/api/console-shares").await;
    assert_eq!(list.body["data"].as_array().map(Vec::len), Some(1));

    let id = share["id"].as_str().expect("id");
    assert_eq!(
        api.call("DELETE", &format!("/api/console-shares/{id}"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        api.call_as("GET", &format!("/api/console-share/{token}"), None, None)
            .await
            .status,
        404
    );
    assert_eq!(
        api.call("DELETE", &format!("/api/console-shares/{id}"), None)
            .await
            .status,
        404
    );
    assert_eq!(api.get("/api/console-shares").await.body["data"], json!([]));
}

#[tokio::test]
async fn shares_expire() {
    let api = Api::start(fast()).await;
    let a = api
        .post(
            &format!("/api/vms/{}/console-share", enc("cluster1:pve1:100")),
            json!({"access_mode": "full_control", "expires_in_seconds": 60}),
        )
        .await;
    let token = a.body["data"]["token"].as_str().expect("token").to_owned();
    assert_eq!(
        api.call_as("GET", &format!("/api/console-share/{token}"), None, None)
            .await
            .status,
        200
    );
    api.sim.advance_clock(Duration::from_secs(61));
    let gone = api
        .call_as("GET", &format!("/api/console-share/{token}"), None, None)
        .await;
    assert_eq!(
        (gone.status, gone.body["code"].as_str()),
        (410, Some("share_expired"))
    );
    assert_eq!(
        api.call_as(
            "POST",
            &format!("/api/console-share/{token}/proxy"),
            None,
            None
        )
        .await
        .status,
        410
    );
    assert_eq!(api.get("/api/console-shares").await.body["data"], json!([]));
    assert_eq!(
        api.get("/api/console-shares?include_expired=true")
            .await
            .body["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn share_settings_are_validated() {
    let api = Api::start(fast()).await;
    let vm = enc("cluster1:pve1:100");
    let cases = [
        (
            json!({"access_mode": "view_only", "expires_in_seconds": 59}),
            "expires_in_seconds",
        ),
        (
            json!({"access_mode": "view_only", "expires_in_seconds": 604801}),
            "expires_in_seconds",
        ),
        (
            json!({"access_mode": "admin", "expires_in_seconds": 600}),
            "access_mode",
        ),
        (json!({"expires_in_seconds": 600}), "access_mode"),
        (
            json!({"access_mode": "view_only", "expires_in_seconds": "soon"}),
            "expires_in_seconds",
        ),
    ];
    for (body, field) in cases {
        let a = api
            .post(&format!("/api/vms/{vm}/console-share"), body.clone())
            .await;
        assert_eq!(
            (a.status, a.body["field"].as_str()),
            (422, Some(field)),
            "{body}: {}",
            a.body
        );
        assert!(a.body["message"].as_str().expect("message").contains(field));
    }
    for ok in [60, 604_800] {
        let a = api
            .post(
                &format!("/api/vms/{vm}/console-share"),
                json!({"access_mode": "view_only", "expires_in_seconds": ok}),
            )
            .await;
        assert_eq!(a.status, 200);
    }
    let missing = api
        .post(
            "/api/vms/cluster1%3Apve1%3A999/console-share",
            json!({"access_mode": "view_only", "expires_in_seconds": 600}),
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn proxy_needs_a_running_vm_and_websockets_want_an_upgrade() {
    let api = Api::start(fast()).await;
    let a = api
        .post(
            &format!("/api/vms/{}/console-share", enc("cluster1:pve1:101")),
            json!({"access_mode": "full_control", "expires_in_seconds": 600}),
        )
        .await;
    let token = a.body["data"]["token"].as_str().expect("token").to_owned();
    let p = api
        .call_as(
            "POST",
            &format!("/api/console-share/{token}/proxy"),
            None,
            None,
        )
        .await;
    assert_eq!(p.status, 409);
    let vnc = api
        .post(
            &format!("/api/vms/{}/vnc", enc("cluster1:pve1:100")),
            json!({}),
        )
        .await;
    let url = vnc.body["data"]["websocket_url"].as_str().expect("url");
    assert!(
        url.starts_with("ws://127.0.0.1:") && url.contains("/vnc/cluster1%3Apve1%3A100?ticket="),
        "{url}"
    );
    for path in [
        "/vnc/cluster1%3Apve1%3A100?ticket=x",
        "/terminal/pve1",
        "/ws",
    ] {
        let a = api.get(path).await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (426, Some("upgrade_required")),
            "{path}"
        );
    }
}

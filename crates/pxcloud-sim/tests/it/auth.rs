//! Login, token expiry, revocation, the read-only user.

use std::time::Duration;

use pxcloud_sim::{ADMIN_PASSWORD, ADMIN_USER, SimConfig, VIEWER_PASSWORD, VIEWER_USER};
use serde_json::json;

use crate::harness::{Api, enc, fast};

#[tokio::test]
async fn login_returns_a_jwt_that_works() {
    let api = Api::start(fast()).await;
    let a = api
        .call_as(
            "POST",
            "/api/auth/login",
            Some(&json!({"username": ADMIN_USER, "password": ADMIN_PASSWORD})),
            None,
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["code"], 0);
    assert_eq!(a.body["message"], "ok");
    let token = a.body["data"]["token"].as_str().expect("token");
    assert_eq!(token.split('.').count(), 3, "a JWT");
    let exp = a.body["data"]["expires_at"].as_u64().expect("expires_at");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!((now + 3590..=now + 3601).contains(&exp), "{exp} vs {now}");
    let me = api.call_as("GET", "/api/auth/me", None, Some(token)).await;
    assert_eq!(me.body["data"]["username"], ADMIN_USER);
}

#[tokio::test]
async fn refusals_have_pxcloud_codes() {
    let api = Api::start(fast()).await;
    let cases = [
        (
            json!({"username": ADMIN_USER, "password": "wrong"}),
            401,
            "invalid_credentials",
        ),
        (
            json!({"username": "nobody", "password": "x"}),
            401,
            "invalid_credentials",
        ),
        (json!({"username": ADMIN_USER}), 422, "validation_error"),
        (
            json!({"username": "", "password": "x"}),
            422,
            "validation_error",
        ),
    ];
    for (body, status, code) in cases {
        let a = api
            .call_as("POST", "/api/auth/login", Some(&body), None)
            .await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    let missing = api.call_as("GET", "/api/vms", None, None).await;
    assert_eq!(
        (missing.status, missing.body["code"].as_str()),
        (401, Some("unauthorized"))
    );
    for bad in ["garbage", "a.b.c", &format!("{}x", api.token)] {
        let a = api.call_as("GET", "/api/vms", None, Some(bad)).await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (401, Some("token_expired")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn tokens_expire_after_their_ttl() {
    let api = Api::start(SimConfig {
        token_ttl: Duration::from_millis(300),
        ..fast()
    })
    .await;
    let token = api.sim.issue_token(ADMIN_USER);
    assert_eq!(
        api.call_as("GET", "/api/vms", None, Some(&token))
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let a = api.call_as("GET", "/api/vms", None, Some(&token)).await;
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (401, Some("token_expired"))
    );
    assert_eq!(a.body["message"], "token has expired");
}

#[tokio::test]
async fn advancing_the_clock_expires_tokens() {
    let api = Api::start(fast()).await;
    let token = api.sim.issue_token(ADMIN_USER);
    api.sim.advance_clock(Duration::from_secs(3599));
    assert_eq!(
        api.call_as("GET", "/api/vms", None, Some(&token))
            .await
            .status,
        200
    );
    api.sim.advance_clock(Duration::from_secs(2));
    assert_eq!(
        api.call_as("GET", "/api/vms", None, Some(&token))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn ttl_changes_apply_to_new_tokens_only() {
    let api = Api::start(fast()).await;
    let old = api.sim.issue_token(ADMIN_USER);
    api.sim.faults().set_token_ttl(Duration::from_millis(100));
    let short = api.sim.issue_token(ADMIN_USER);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        api.call_as("GET", "/api/vms", None, Some(&old))
            .await
            .status,
        200
    );
    assert_eq!(
        api.call_as("GET", "/api/vms", None, Some(&short))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn revocation_kills_existing_tokens_but_not_new_ones() {
    let api = Api::start(fast()).await;
    let before = api.sim.issue_token(ADMIN_USER);
    api.sim.faults().revoke_all_tokens();
    let a = api.call_as("GET", "/api/vms", None, Some(&before)).await;
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (401, Some("token_expired"))
    );
    let login = api
        .call_as(
            "POST",
            "/api/auth/login",
            Some(&json!({"username": ADMIN_USER, "password": ADMIN_PASSWORD})),
            None,
        )
        .await;
    let after = login.body["data"]["token"].as_str().expect("token");
    assert_eq!(
        api.call_as("GET", "/api/vms", None, Some(after))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_viewer_reads_but_may_not_write() {
    let api = Api::start(fast()).await;
    let login = api
        .call_as(
            "POST",
            "/api/auth/login",
            Some(&json!({"username": VIEWER_USER, "password": VIEWER_PASSWORD})),
            None,
        )
        .await;
    let token = login.body["data"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(
        api.call_as("GET", "/api/vms", None, Some(&token))
            .await
            .status,
        200
    );
    let writes = [
        (
            "POST",
            format!("/api/vms/{}/power/stop", enc("cluster1:pve1:100")),
        ),
        ("DELETE", format!("/api/vms/{}", enc("cluster1:pve1:101"))),
        ("PUT", format!("/api/vms/{}", enc("cluster1:pve1:101"))),
        ("POST", "/api/vms".to_owned()),
    ];
    for (method, path) in writes {
        let a = api
            .call_as(method, &path, Some(&json!({})), Some(&token))
            .await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (403, Some("forbidden")),
            "{method} {path}"
        );
    }
    assert_eq!(
        api.call_as("POST", "/api/auth/logout", None, Some(&token))
            .await
            .status,
        200
    );
    // Nothing changed.
    assert_eq!(
        api.get(&format!("/api/vms/{}", enc("cluster1:pve1:100")))
            .await
            .body["data"]["status"],
        "running"
    );
}

//! Every injected fault, exactly.

use std::time::{Duration, Instant};

use pxcloud_sim::{FaultConfig, SimConfig};

use crate::harness::{Api, fast};

#[tokio::test]
async fn fail_next_answers_the_status_n_times_and_spares_login() {
    for status in [500u16, 502, 503, 504] {
        let api = Api::start(fast()).await;
        api.sim.faults().fail_next(2, status);
        let login = api
            .call_as(
                "POST",
                "/api/auth/login",
                Some(&serde_json::json!({"username": "admin", "password": "admin-pass"})),
                None,
            )
            .await;
        assert_eq!(login.status, 200, "login is not faulted");
        for _ in 0..2 {
            let a = api.get("/api/vms").await;
            assert_eq!(a.status, status);
            assert!(
                a.body["code"].is_string() && a.body["message"].is_string(),
                "{}",
                a.body
            );
        }
        assert_eq!(api.get("/api/vms").await.status, 200);
        let faults: Vec<_> = api
            .sim
            .log()
            .entries()
            .into_iter()
            .filter_map(|e| e.fault)
            .collect();
        assert_eq!(faults, ["fail_next", "fail_next"]);
    }
}

#[tokio::test]
async fn rate_limit_sends_retry_after() {
    let api = Api::start(fast()).await;
    api.sim.faults().rate_limit_next(1, 7);
    let a = api.get("/api/vms").await;
    assert_eq!(a.status, 429);
    assert_eq!(
        a.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("7")
    );
    assert_eq!(a.body["code"], "rate_limited");
    assert_eq!(api.get("/api/vms").await.status, 200);
}

#[tokio::test]
async fn reset_closes_the_connection_without_an_answer() {
    let api = Api::start(fast()).await;
    api.sim.faults().reset_next(1);
    let err = api
        .try_call("GET", "/api/vms", None, Some(&api.token.clone()))
        .await;
    assert!(err.is_err(), "expected a transport error");
    assert_eq!(api.get("/api/vms").await.status, 200);
    let entries = api.sim.log().entries();
    assert_eq!(entries[0].status, 0);
    assert_eq!(entries[0].fault.as_deref(), Some("reset"));
    assert_eq!(entries[1].status, 200);
}

#[tokio::test]
async fn error_rate_one_fails_everything_and_zero_nothing() {
    let api = Api::start(fast()).await;
    api.sim.faults().set_error_rate(1.0, 502);
    for _ in 0..5 {
        assert_eq!(api.get("/api/vms").await.status, 502);
    }
    api.sim.faults().set_error_rate(0.0, 502);
    for _ in 0..5 {
        assert_eq!(api.get("/api/vms").await.status, 200);
    }
    api.sim.faults().set_error_rate(0.5, 503);
    let mut failed = 0;
    for _ in 0..60 {
        if api.get("/api/vms").await.status == 503 {
            failed += 1;
        }
    }
    assert!((5..=55).contains(&failed), "about half failed: {failed}");
}

#[tokio::test]
async fn latency_delays_answers() {
    let api = Api::start(fast()).await;
    api.get("/api/vms").await;
    api.sim.faults().set_latency(Duration::from_millis(700));
    let t = Instant::now();
    assert_eq!(api.get("/api/vms").await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(700));
    api.sim.faults().reset();
    let t = Instant::now();
    api.get("/api/vms").await;
    assert!(t.elapsed() < Duration::from_millis(600));
}

#[tokio::test]
async fn spec_endpoint_can_be_slow_or_fail() {
    let api = Api::start(fast()).await;
    api.sim.faults().set_spec_delay(Duration::from_millis(300));
    let t = Instant::now();
    let a = api
        .call_as("GET", "/api-docs/openapi.json", None, None)
        .await;
    assert_eq!(a.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    api.sim.faults().set_spec_failure(Some(503));
    let b = api
        .call_as("GET", "/api-docs/openapi.json", None, None)
        .await;
    assert_eq!(b.status, 503);
    // API faults do not touch the spec, spec faults do not touch the API.
    api.sim.faults().set_spec_failure(None);
    api.sim.faults().set_spec_delay(Duration::ZERO);
    api.sim.faults().fail_next(1, 500);
    assert_eq!(
        api.call_as("GET", "/api-docs/openapi.json", None, None)
            .await
            .status,
        200
    );
    assert_eq!(api.get("/api/vms").await.status, 500);
}

#[tokio::test]
async fn faults_from_the_config_apply_from_the_first_request() {
    let config = SimConfig {
        faults: FaultConfig {
            fail_next: 1,
            fail_status: Some(504),
            ..FaultConfig::default()
        },
        ..fast()
    };
    let api = Api::start(config).await;
    assert_eq!(api.get("/api/vms").await.status, 504);
    assert_eq!(api.get("/api/vms").await.status, 200);
    assert_eq!(
        api.sim.faults().current(),
        FaultConfig {
            fail_status: Some(504),
            ..FaultConfig::default()
        }
    );
}

#[tokio::test]
async fn the_document_can_be_replaced_like_an_upgrade() {
    let api = Api::start(fast()).await;
    let before = api
        .call_as("GET", "/api-docs/openapi.json", None, None)
        .await;
    assert!(before.body["paths"]["/api/vms"].is_object());
    api.sim
        .set_spec(r#"{"openapi":"3.1.0","info":{"title":"PXCloud","version":"2"},"paths":{}}"#);
    let after = api
        .call_as("GET", "/api-docs/openapi.json", None, None)
        .await;
    assert_eq!(after.status, 200);
    assert_eq!(after.body["info"]["version"], "2");
    assert_eq!(after.body["paths"], serde_json::json!({}));
    // The routes are what they were: only the document changed.
    assert_eq!(api.get("/api/vms").await.status, 200);
}

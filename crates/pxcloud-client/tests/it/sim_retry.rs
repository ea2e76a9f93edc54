//! Retries, timeouts and connection failures against the simulator's fault injection.

use std::time::{Duration, Instant};

use pxcloud_client::{ApiRequest, Client, ErrorKind};
use pxcloud_sim::ADMIN_PASSWORD;

use crate::common::{assert_no_secret, client_for, config_for, entries_for, sim_http, statuses};

const START: &str = "/api/vms/cluster1:pve1:101/power/start";

async fn logged_in(sim: &pxcloud_sim::Sim) -> Client {
    let client = client_for(sim);
    client.login().await.unwrap();
    sim.log().clear();
    client
}

#[tokio::test]
async fn burst_of_503_get_is_retried() {
    let sim = sim_http().await;
    let client = logged_in(&sim).await;
    sim.faults().fail_next(2, 503);
    let r = client.send(ApiRequest::get("/api/vms")).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.attempts, 3);
    assert_eq!(
        statuses(&entries_for(&sim, "GET", "/api/vms")),
        [503, 503, 200]
    );
}

#[tokio::test]
async fn burst_of_503_post_is_sent_exactly_once() {
    let sim = sim_http().await;
    let client = logged_in(&sim).await;
    sim.faults().fail_next(2, 503);
    let r = client
        .send(ApiRequest::new(http::Method::POST, START))
        .await
        .unwrap();
    assert_eq!(r.status, 503);
    assert_eq!(r.attempts, 1);
    assert_eq!(statuses(&entries_for(&sim, "POST", START)), [503]);
    let e = r.error_for_status().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Status);
    assert_eq!(e.status(), Some(503));
    assert!(e.api_code().is_some(), "PXCloud's code is kept: {e:?}");
}

#[tokio::test]
async fn gateway_errors_beyond_the_attempt_limit_are_returned() {
    let sim = sim_http().await;
    let mut config = config_for(&sim);
    config.retry.max_attempts = 3;
    let client = Client::new(config).unwrap();
    client.login().await.unwrap();
    sim.log().clear();
    sim.faults().fail_next(5, 502);
    let r = client.send(ApiRequest::get("/api/vms")).await.unwrap();
    assert_eq!(r.status, 502);
    assert_eq!(r.attempts, 3);
    assert_eq!(
        statuses(&entries_for(&sim, "GET", "/api/vms")),
        [502, 502, 502]
    );
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after() {
    let sim = sim_http().await;
    let client = logged_in(&sim).await;
    sim.faults().rate_limit_next(1, 1);
    let started = Instant::now();
    // A POST too: a 429 was refused, not executed.
    let r = client
        .send(ApiRequest::new(http::Method::POST, START))
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(r.status < 300, "{}", r.status);
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    let entries = entries_for(&sim, "POST", START);
    assert_eq!(statuses(&entries)[0], 429);
    assert_eq!(entries.len(), 2);
}

#[tokio::test]
async fn retry_after_beyond_the_bound_is_returned_at_once() {
    let sim = sim_http().await;
    let mut config = config_for(&sim);
    config.retry.max_retry_after = Duration::from_secs(2);
    let client = Client::new(config).unwrap();
    client.login().await.unwrap();
    sim.log().clear();
    sim.faults().rate_limit_next(1, 60);
    let started = Instant::now();
    let r = client.send(ApiRequest::get("/api/vms")).await.unwrap();
    assert_eq!(r.status, 429);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        r.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("60")
    );
    assert_eq!(statuses(&entries_for(&sim, "GET", "/api/vms")), [429]);
}

#[tokio::test]
async fn connection_reset_get_is_retried() {
    let sim = sim_http().await;
    let client = logged_in(&sim).await;
    sim.faults().reset_next(1);
    let r = client.send(ApiRequest::get("/api/vms")).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.attempts, 2);
    assert_eq!(statuses(&entries_for(&sim, "GET", "/api/vms")), [0, 200]);
}

#[tokio::test]
async fn connection_reset_post_is_not_repeated() {
    let sim = sim_http().await;
    let client = logged_in(&sim).await;
    sim.faults().reset_next(1);
    let e = client
        .send(ApiRequest::new(http::Method::POST, START))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.may_have_been_sent());
    assert_eq!(statuses(&entries_for(&sim, "POST", START)), [0]);
    assert_no_secret(&e, &[ADMIN_PASSWORD]);
}

#[tokio::test]
async fn per_attempt_timeout_retries_get_but_not_post() {
    // The simulator logs a request when it answers it, so attempts the client abandoned are
    // not in its log; the attempt counts are checked on a scripted server in `stack`. Here:
    // the error kinds and the time spent (two attempts for GET, one for POST).
    let sim = sim_http().await;
    let mut config = config_for(&sim);
    config.timeouts.per_attempt = Duration::from_millis(300);
    config.retry.max_attempts = 2;
    let client = Client::new(config).unwrap();
    client.login().await.unwrap();
    sim.faults().set_latency(Duration::from_millis(900));

    let started = Instant::now();
    let e = client.send(ApiRequest::get("/api/vms")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("attempt 2"), "{e}");
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert_eq!(client.stats().retries, 1);

    let e = client
        .send(ApiRequest::new(http::Method::POST, START))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("attempt 1"), "{e}");
    assert!(e.may_have_been_sent());
    assert_eq!(client.stats().retries, 1, "the POST was not repeated");
}

#[tokio::test]
async fn overall_deadline_bounds_the_whole_call() {
    let sim = sim_http().await;
    let mut config = config_for(&sim);
    config.timeouts.per_attempt = Duration::from_secs(5);
    config.timeouts.overall = Duration::from_millis(400);
    let client = Client::new(config).unwrap();
    client.login().await.unwrap();
    sim.faults().set_latency(Duration::from_secs(5));
    let started = Instant::now();
    let e = client.send(ApiRequest::get("/api/vms")).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("overall deadline"), "{e}");
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn random_errors_still_never_repeat_a_post() {
    let sim = sim_http().await;
    let client = logged_in(&sim).await;
    sim.faults().set_error_rate(0.5, 503);
    for _ in 0..10 {
        let r = client.send(ApiRequest::get("/api/vms")).await.unwrap();
        assert!(r.status == 200 || r.status == 503);
    }
    let mut posts = 0;
    for _ in 0..10 {
        let r = client
            .send(ApiRequest::new(http::Method::POST, START))
            .await
            .unwrap();
        assert_eq!(r.attempts, 1);
        posts += 1;
    }
    assert_eq!(entries_for(&sim, "POST", START).len(), posts);
}

#[tokio::test]
async fn retry_budget_caps_retries_under_sustained_failure() {
    let sim = sim_http().await;
    let mut config = config_for(&sim);
    config.retry.base_delay = Duration::from_millis(1);
    config.retry.max_delay = Duration::from_millis(2);
    // No share of traffic for retries, one retry per second as reserve over one second.
    config.retry.budget_percent = 0.0;
    config.retry.budget_min_per_sec = 1;
    config.retry.budget_ttl = Duration::from_secs(1);
    let client = Client::new(config).unwrap();
    client.login().await.unwrap();
    sim.log().clear();
    sim.faults().fail_next(1000, 503);
    for _ in 0..10 {
        let r = client.send(ApiRequest::get("/api/vms")).await.unwrap();
        assert_eq!(r.status, 503);
    }
    let sent = entries_for(&sim, "GET", "/api/vms").len();
    // Without a budget: 10 calls × 4 attempts = 40 requests.
    assert!(sent <= 12, "{sent} requests for 10 calls");
    assert!(client.stats().retries <= 2, "{:?}", client.stats());
}

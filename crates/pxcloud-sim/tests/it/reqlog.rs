//! The request log records exactly what arrived.

use serde_json::json;

use crate::harness::{Api, enc, fast};

#[tokio::test]
async fn entries_record_method_path_query_body_headers_user_and_status() {
    let api = Api::start(fast()).await;
    api.call_as(
        "POST",
        "/api/auth/login",
        Some(&json!({"username": "admin", "password": "admin-pass"})),
        None,
    )
    .await;
    api.get("/api/vms?status=running&per_page=2").await;
    let id = enc("cluster1:pve1:100");
    api.post(
        &format!("/api/vms/{id}/power/reboot"),
        json!({"timeout": 30}),
    )
    .await;
    api.call_as("GET", "/api/vms", None, Some("bad-token"))
        .await;

    let e = api.sim.log().entries();
    assert_eq!(e.len(), 4);
    assert_eq!(e.iter().map(|x| x.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);

    assert_eq!(
        e[0].body,
        Some(json!({"username": "admin", "password": "***"})),
        "password masked"
    );
    assert_eq!(e[0].authenticated_as, None);

    assert_eq!(
        (e[1].method.as_str(), e[1].path.as_str()),
        ("GET", "/api/vms")
    );
    assert_eq!(e[1].query.as_deref(), Some("status=running&per_page=2"));
    assert_eq!(e[1].authenticated_as.as_deref(), Some("admin"));
    assert_eq!(e[1].status, 200);
    assert_eq!(e[1].header("user-agent"), Some("pxcloud-sim-tests/1"));
    let auth = e[1]
        .header("authorization")
        .expect("authorization recorded");
    assert_eq!(auth, format!("Bearer {}…", &api.token[..8]));
    assert!(
        !format!("{:?}", e).contains(&api.token),
        "the token never appears whole"
    );

    assert_eq!(e[2].path, format!("/api/vms/{id}/power/reboot"));
    assert_eq!(e[2].body, Some(json!({"timeout": 30})));
    assert_eq!(e[2].body_bytes, 14);
    assert_eq!(e[2].header("content-type"), Some("application/json"));

    assert_eq!((e[3].status, e[3].authenticated_as.as_deref()), (401, None));
}

#[tokio::test]
async fn count_matches_encoded_and_decoded_paths_and_clear_forgets() {
    let api = Api::start(fast()).await;
    let id = enc("cluster1:pve1:100");
    api.get(&format!("/api/vms/{id}")).await;
    api.get(&format!("/api/vms/{id}?x=1")).await;
    api.get("/api/vms").await;
    let log = api.sim.log();
    assert_eq!(log.count("GET", "/api/vms/cluster1%3Apve1%3A100"), 2);
    assert_eq!(log.count("GET", "/api/vms/cluster1:pve1:100"), 2);
    assert_eq!(log.count("get", "/api/vms"), 1);
    assert_eq!(log.count("POST", "/api/vms"), 0);
    log.clear();
    assert!(log.entries().is_empty());
    api.get("/api/vms").await;
    assert_eq!(log.entries()[0].seq, 4, "sequence numbers keep counting");
}

#[tokio::test]
async fn the_log_keeps_the_most_recent_entries() {
    let api = Api::start(pxcloud_sim::SimConfig {
        log_capacity: 3,
        ..fast()
    })
    .await;
    for _ in 0..5 {
        api.get("/api/vms").await;
    }
    let seqs: Vec<u64> = api.sim.log().entries().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [3, 4, 5]);
}

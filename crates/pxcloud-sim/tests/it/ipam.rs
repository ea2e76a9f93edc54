//! IPAM assignment and its conflicts.

use serde_json::json;

use crate::harness::{Api, fast};

#[tokio::test]
async fn allocation_conflicts_and_release() {
    let api = Api::start(fast()).await;
    let next = api.get("/api/ipam/subnets/sn-web/next-free").await;
    assert_eq!(
        next.body["data"]["ip"], "10.0.10.2",
        "gateway .1 is skipped"
    );
    let a = api
        .post(
            "/api/ipam/subnets/sn-web/addresses",
            json!({"hostname": "new"}),
        )
        .await;
    assert_eq!(
        (a.status, a.body["data"]["ip"].as_str()),
        (200, Some("10.0.10.2"))
    );
    let cases = [
        (json!({"ip": "10.0.10.100"}), 409, "ip_conflict"),
        (json!({"ip": "10.0.10.1"}), 409, "ip_conflict"),
        (json!({"ip": "10.0.11.5"}), 422, "validation_error"),
        (json!({"ip": "10.0.10.255"}), 422, "validation_error"),
        (json!({"ip": "not-an-ip"}), 422, "validation_error"),
        (
            json!({"vm_id": "cluster1:pve1:999"}),
            422,
            "validation_error",
        ),
    ];
    for (body, status, code) in cases {
        let r = api
            .post("/api/ipam/subnets/sn-web/addresses", body.clone())
            .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (status, Some(code)),
            "{body}: {}",
            r.body
        );
    }
    let conflict = api
        .post(
            "/api/ipam/subnets/sn-web/addresses",
            json!({"ip": "10.0.10.100"}),
        )
        .await;
    assert!(
        conflict.body["message"]
            .as_str()
            .expect("message")
            .contains("cluster1:pve1:100")
    );
    assert_eq!(
        api.call(
            "DELETE",
            "/api/ipam/subnets/sn-web/addresses/10.0.10.100",
            None
        )
        .await
        .status,
        200
    );
    assert_eq!(
        api.call(
            "DELETE",
            "/api/ipam/subnets/sn-web/addresses/10.0.10.100",
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        api.post(
            "/api/ipam/subnets/sn-web/addresses",
            json!({"ip": "10.0.10.100"})
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn a_full_subnet_is_exhausted() {
    let api = Api::start(fast()).await;
    // 192.168.50.0/29: six usable hosts, no gateway.
    for i in 1..=6 {
        let a = api
            .post("/api/ipam/subnets/sn-lab/addresses", json!({}))
            .await;
        assert_eq!(a.body["data"]["ip"], format!("192.168.50.{i}"));
    }
    let full = api
        .post("/api/ipam/subnets/sn-lab/addresses", json!({}))
        .await;
    assert_eq!(
        (full.status, full.body["code"].as_str()),
        (409, Some("subnet_exhausted"))
    );
    assert!(api.get("/api/ipam/subnets/sn-lab/next-free").await.body["data"]["ip"].is_null());
    let usage = api
        .get("/api/ipam/subnets/sn-lab/addresses?per_page=4")
        .await;
    assert_eq!(usage.body["data"]["capacity"], 6);
    assert_eq!(usage.body["data"]["used"], 6);
    assert_eq!(
        usage.body["data"]["page"]["items"].as_array().map(Vec::len),
        Some(4)
    );
    // A subnet with assignments cannot be deleted.
    assert_eq!(
        api.call("DELETE", "/api/ipam/subnets/sn-lab", None)
            .await
            .status,
        409
    );
}

#[tokio::test]
async fn subnets_are_validated_and_may_not_overlap() {
    let api = Api::start(fast()).await;
    let cases = [
        (
            json!({"name": "x", "pool_id": "pool-prod", "cidr": "10.0.10.128/25"}),
            409,
            None,
        ),
        (
            json!({"name": "x", "pool_id": "pool-prod", "cidr": "10.0.10.5/24"}),
            422,
            Some("cidr"),
        ),
        (
            json!({"name": "x", "pool_id": "pool-prod", "cidr": "10.0.30.0/24", "gateway": "10.0.31.1"}),
            422,
            Some("gateway"),
        ),
        (
            json!({"name": "x", "pool_id": "nope", "cidr": "10.0.30.0/24"}),
            422,
            Some("pool_id"),
        ),
        (
            json!({"name": "x", "pool_id": "pool-prod", "cidr": "10.0.30.0/24", "dns": ["1.1.1.1", "x"]}),
            422,
            Some("dns[1]"),
        ),
    ];
    for (body, status, field) in cases {
        let a = api.post("/api/ipam/subnets", body.clone()).await;
        assert_eq!(
            (a.status, a.body["field"].as_str()),
            (status, field),
            "{body}: {}",
            a.body
        );
    }
    // The same network in another pool is fine.
    let a = api
        .post(
            "/api/ipam/subnets",
            json!({"name": "lab-web", "pool_id": "pool-lab", "cidr": "10.0.10.0/24"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let searched = api
        .get("/api/ipam/addresses?vm_id=cluster1%3Apve2%3A200")
        .await;
    assert_eq!(searched.body["data"]["items"][0]["ip"], "10.0.10.200");
}

//! The generic collections: pagination, 404, 422 naming the field, 403, 409.

use serde_json::{Value, json};

use crate::harness::{Api, fast};

/// (collection path, a valid new item, a field to break, a broken value)
fn collections() -> Vec<(&'static str, Value, &'static str, Value)> {
    vec![
        (
            "/api/regions",
            json!({"name": "ap-south"}),
            "location.lat",
            json!({"name": "ap-south", "location": {"lat": 91.0, "lon": 0.0}}),
        ),
        (
            "/api/datacenters",
            json!({"name": "fra2", "region_id": "rg-eu", "tier": "tier3", "power_capacity_kw": 100.0}),
            "region_id",
            json!({"name": "fra2", "region_id": "nope", "tier": "tier3", "power_capacity_kw": 1.0}),
        ),
        (
            "/api/cabinets",
            json!({"name": "A03", "datacenter_id": "dc-fra1", "rack_units": 42, "power_feed": "ab", "max_power_kw": 6.0}),
            "rack_units",
            json!({"name": "A03", "datacenter_id": "dc-fra1", "rack_units": 61, "power_feed": "ab", "max_power_kw": 6.0}),
        ),
        (
            "/api/physical-servers",
            json!({"name": "fra1-a02-u20", "cabinet_id": "cab-a02", "position_u": 20, "bmc_address": "10.0.99.40", "bmc_vendor": "hpe", "bmc_username": "admin", "bmc_password": "secret-1"}),
            "bmc_vendor",
            json!({"name": "y", "cabinet_id": "cab-a02", "position_u": 20, "bmc_address": "10.0.99.40", "bmc_vendor": "acme", "bmc_username": "a", "bmc_password": "secret-1"}),
        ),
        (
            "/api/ipam/pools",
            json!({"name": "dmz"}),
            "name",
            json!({"name": ""}),
        ),
        (
            "/api/users",
            json!({"username": "alice", "email": "alice@example.com", "password": "correct-horse"}),
            "email",
            json!({"username": "alice", "email": "nope", "password": "correct-horse"}),
        ),
        (
            "/api/groups",
            json!({"name": "devs"}),
            "name",
            json!({"name": "has space"}),
        ),
        (
            "/api/roles",
            json!({"name": "Backup", "privileges": ["VM.Backup"]}),
            "privileges",
            json!({"name": "Backup", "privileges": []}),
        ),
        (
            "/api/acl",
            json!({"path": "/nodes/pve1", "principal_kind": "user", "principal": "usr-viewer", "role_id": "role-operator"}),
            "principal",
            json!({"path": "/", "principal_kind": "user", "principal": "usr-nobody", "role_id": "role-operator"}),
        ),
        (
            "/api/notifications",
            json!({"title": "Hi", "message": "x", "severity": "info", "recipient": "usr-admin"}),
            "recipient",
            json!({"title": "Hi", "message": "x", "severity": "info", "channel": "webhook", "recipient": "http://insecure"}),
        ),
        (
            "/api/monitors/sensors",
            json!({"name": "a02-temp", "kind": "temperature", "cabinet_id": "cab-a02", "thresholds": {"warning": 27.0, "critical": 32.0}}),
            "thresholds.critical",
            json!({"name": "a02-temp", "kind": "temperature", "thresholds": {"warning": 30.0, "critical": 20.0}}),
        ),
        (
            "/api/monitors/business",
            json!({"name": "api", "check": "http", "target": "https://api.example.com", "expected_status": 200}),
            "interval_seconds",
            json!({"name": "api", "check": "http", "target": "https://x", "interval_seconds": 5}),
        ),
    ]
}

#[tokio::test]
async fn every_collection_behaves() {
    let api = Api::start(fast()).await;
    let viewer = api.sim.issue_token(pxcloud_sim::VIEWER_USER);
    for (path, good, field, bad) in collections() {
        let before = api.get(path).await;
        assert_eq!(before.status, 200, "{path}");
        let total = before.body["data"]["total"].as_u64().expect("total");

        let denied = api.call_as("POST", path, Some(&good), Some(&viewer)).await;
        assert_eq!(denied.status, 403, "{path}");

        let created = api.post(path, good.clone()).await;
        assert_eq!(created.status, 200, "{path}: {}", created.body);
        let id = created.body["data"]["id"].as_str().expect("id").to_owned();
        let item = format!("{path}/{id}");
        assert_eq!(
            api.get(&item).await.body["data"],
            created.body["data"],
            "{path}"
        );
        assert_eq!(
            api.get(path).await.body["data"]["total"].as_u64(),
            Some(total + 1),
            "{path}"
        );

        let invalid = api.post(path, bad.clone()).await;
        assert_eq!(
            (invalid.status, invalid.body["field"].as_str()),
            (422, Some(field)),
            "{path}: {}",
            invalid.body
        );

        let updated = api.call("PUT", &item, Some(&good)).await;
        assert_eq!(updated.status, 200, "{path}: {}", updated.body);

        assert_eq!(
            api.call_as("DELETE", &item, None, Some(&viewer))
                .await
                .status,
            403,
            "{path}"
        );
        assert_eq!(api.call("DELETE", &item, None).await.status, 200, "{path}");
        let gone = api.get(&item).await;
        assert_eq!(
            (gone.status, gone.body["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
        assert_eq!(
            api.call("PUT", &item, Some(&good)).await.status,
            404,
            "{path}"
        );
        assert_eq!(api.call("DELETE", &item, None).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn unique_names_and_references_give_409() {
    let api = Api::start(fast()).await;
    let dup = api
        .post("/api/regions", json!({"name": "eu-central"}))
        .await;
    assert_eq!(
        (dup.status, dup.body["code"].as_str()),
        (409, Some("already_exists"))
    );
    for (path, code) in [
        ("/api/regions/rg-eu", "in_use"),
        ("/api/datacenters/dc-fra1", "in_use"),
        ("/api/cabinets/cab-a01", "in_use"),
        ("/api/roles/role-admin", "builtin"),
        ("/api/users/usr-admin", "in_use"),
        ("/api/physical-servers/srv-01", "invalid_state"),
    ] {
        let a = api.call("DELETE", path, None).await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (409, Some(code)),
            "{path}"
        );
    }
    let overlap = api
        .post("/api/physical-servers", json!({"name": "clash", "cabinet_id": "cab-a01", "position_u": 10, "bmc_address": "10.0.99.50", "bmc_vendor": "dell", "bmc_username": "root", "bmc_password": "calvin!"}))
        .await;
    assert_eq!(
        (overlap.status, overlap.body["code"].as_str()),
        (409, Some("position_taken"))
    );
}

#[tokio::test]
async fn pagination_search_and_parent_filters() {
    let api = Api::start(fast()).await;
    for i in 0..7 {
        assert_eq!(
            api.post("/api/groups", json!({"name": format!("team-{i}")}))
                .await
                .status,
            200
        );
    }
    let p = api.get("/api/groups?page=2&per_page=3").await;
    assert_eq!(p.body["data"]["total"], 9);
    assert_eq!(
        (
            p.body["data"]["page"].as_u64(),
            p.body["data"]["per_page"].as_u64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(p.body["data"]["items"].as_array().map(Vec::len), Some(3));
    let last = api.get("/api/groups?page=4&per_page=3").await;
    assert_eq!(last.body["data"]["items"], json!([]));
    assert_eq!(
        api.get("/api/groups?search=TEAM").await.body["data"]["total"],
        7
    );
    assert_eq!(
        api.get("/api/cabinets?parent=dc-fra1").await.body["data"]["total"],
        2
    );
    for (q, field) in [
        ("page=0", "page"),
        ("per_page=501", "per_page"),
        ("per_page=x", "per_page"),
    ] {
        let a = api.get(&format!("/api/groups?{q}")).await;
        assert_eq!(
            (a.status, a.body["field"].as_str()),
            (422, Some(field)),
            "{q}: {}",
            a.body
        );
    }
}

#[tokio::test]
async fn the_datacenter_tree_nests() {
    let api = Api::start(fast()).await;
    let t = api.get("/api/datacenters/dc-fra1/tree").await.body["data"].clone();
    assert_eq!(t["kind"], "datacenter");
    let kinds: Vec<&str> = t["children"]
        .as_array()
        .expect("children")
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["cabinet", "cabinet", "cluster", "cluster"]);
    assert_eq!(t["children"][0]["children"][0]["kind"], "server");
    assert_eq!(t["children"][2]["children"][0]["name"], "pve1");
    assert_eq!(api.get("/api/datacenters/nope/tree").await.status, 404);
}

//! The simulator answers what its document promises: every GET answer with status 200 is
//! validated against the documented 200 schema, and every documented write refuses the
//! read-only user.

use serde_json::{Value, json};

use crate::harness::{Api, enc, fast};

fn doc() -> Value {
    serde_json::from_str(&pxcloud_sim::openapi_json()).expect("document")
}

/// Seeded ids for each collection's `{id}`.
fn concrete(path: &str, task: &str, token: &str) -> String {
    let id = [
        ("/api/vms/", "cluster1%3Apve1%3A100"),
        ("/api/tasks/", task),
        ("/api/regions/", "rg-eu"),
        ("/api/datacenters/", "dc-fra1"),
        ("/api/cabinets/", "cab-a01"),
        ("/api/physical-servers/", "srv-01"),
        ("/bmc-proxy/", "srv-01"),
        ("/api/ipam/pools/", "pool-prod"),
        ("/api/ipam/subnets/", "sn-web"),
        ("/api/users/", "usr-admin"),
        ("/api/groups/", "grp-ops"),
        ("/api/roles/", "role-admin"),
        ("/api/acl/", "acl-1"),
        ("/api/notifications/", "ntf-1"),
        ("/api/monitors/sensors/", "sen-a01-temp"),
        ("/api/monitors/business/", "mon-shop"),
        ("/api/alerts/", "alt-1"),
        ("/vnc/", "cluster1%3Apve1%3A100"),
    ]
    .iter()
    .find(|(prefix, _)| path.starts_with(prefix))
    .map_or("unused", |(_, id)| id);
    path.replace("{id}", id)
        .replace("{node}", "pve1")
        .replace("{cluster}", "cluster1")
        .replace("{storage}", "local-lvm")
        .replace("{name}", "before-upgrade")
        .replace("{token}", token)
        .replace("{path}", "Systems/1")
        .replace("{ip}", "10.0.10.100")
        .replace("{pos}", "0")
}

#[tokio::test]
async fn get_answers_match_the_documented_schemas() {
    let api = Api::start(fast()).await;
    let task = api
        .post(
            &format!("/api/vms/{}/power/stop", enc("cluster1:pve2:200")),
            json!({}),
        )
        .await;
    let task = enc(task.body["data"]["task_id"].as_str().expect("task id"));
    let share = api
        .post(
            &format!("/api/vms/{}/console-share", enc("cluster1:pve1:100")),
            json!({"access_mode": "view_only", "expires_in_seconds": 600}),
        )
        .await;
    let token = share.body["data"]["token"]
        .as_str()
        .expect("token")
        .to_owned();

    let d = doc();
    let mut checked = 0;
    for (path, item) in d["paths"].as_object().expect("paths") {
        let Some(op) = item.get("get") else { continue };
        let Some(schema) = op.pointer("/responses/200/content/application~1json/schema") else {
            continue;
        };
        let url = concrete(path, &task, &token);
        let answer = api.get(&url).await;
        if path.starts_with("/vnc/") || path.starts_with("/terminal/") || path == "/ws" {
            assert_eq!(answer.status, 426, "{path}");
            continue;
        }
        assert_eq!(answer.status, 200, "GET {url}: {}", answer.body);
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": d["components"],
            "allOf": [schema],
        });
        let validator = jsonschema::validator_for(&root)
            .unwrap_or_else(|e| panic!("{path}: schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(&answer.body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "GET {url} does not match its schema: {errors:#?}"
        );
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} GET operations checked");
}

#[tokio::test]
async fn every_documented_write_refuses_the_viewer() {
    let api = Api::start(fast()).await;
    let viewer = api.sim.issue_token(pxcloud_sim::VIEWER_USER);
    let d = doc();
    let mut checked = 0;
    for (path, item) in d["paths"].as_object().expect("paths") {
        if path.starts_with("/api/auth/") || path.starts_with("/api/console-share/") {
            continue;
        }
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let url = concrete(path, "UPID%3Apve1%3Ax", "t");
            let a = api
                .call_as(
                    &method.to_uppercase(),
                    &url,
                    Some(&json!({})),
                    Some(&viewer),
                )
                .await;
            assert_eq!(
                (a.status, a.body["code"].as_str()),
                (403, Some("forbidden")),
                "{method} {path}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} writes checked");
    assert!(
        api.sim
            .log()
            .entries()
            .iter()
            .all(|e| e.status == 403 || e.method == "GET")
    );
}

/// Successful writes, in an order that keeps each one valid.
fn writes() -> Vec<(&'static str, &'static str, String, Value)> {
    let vm = "/api/vms/cluster1%3Apve1%3A101";
    vec![
        (
            "post",
            "/api/vms",
            "/api/vms".to_owned(),
            json!({"cluster": "cluster1", "node": "pve3", "name": "new-vm", "cores": 2, "memory_mb": 2048, "disk_gb": 20, "storage": "local-lvm"}),
        ),
        (
            "put",
            "/api/vms/{id}",
            vm.to_owned(),
            json!({"description": "db", "memory_mb": 4096}),
        ),
        (
            "post",
            "/api/vms/{id}/snapshots",
            format!("{vm}/snapshots"),
            json!({"name": "s1"}),
        ),
        (
            "put",
            "/api/vms/{id}/snapshots/{name}",
            "/api/vms/cluster1%3Apve1%3A101/snapshots/s1".to_owned(),
            json!({"name": "s2"}),
        ),
        (
            "delete",
            "/api/vms/{id}/snapshots/{name}",
            "/api/vms/cluster1%3Apve1%3A101/snapshots/s2".to_owned(),
            json!({}),
        ),
        (
            "post",
            "/api/vms/{id}/firewall/rules",
            format!("{vm}/firewall/rules"),
            json!({"direction": "in", "action": "DROP", "proto": "tcp", "dport": "22"}),
        ),
        (
            "delete",
            "/api/vms/{id}/firewall/rules/{pos}",
            "/api/vms/cluster1%3Apve1%3A101/firewall/rules/0".to_owned(),
            json!({}),
        ),
        (
            "post",
            "/api/vms/tags",
            "/api/vms/tags".to_owned(),
            json!([{"vm_id": "cluster1:pve1:101", "tags": ["t"]}]),
        ),
        (
            "post",
            "/api/vms/{id}/console-share",
            format!("{vm}/console-share"),
            json!({"access_mode": "full_control", "expires_in_seconds": 120}),
        ),
        (
            "post",
            "/api/vms/{id}/vnc",
            "/api/vms/cluster1%3Apve1%3A100/vnc".to_owned(),
            json!({}),
        ),
        (
            "post",
            "/api/nodes/{node}/terminal",
            "/api/nodes/pve1/terminal".to_owned(),
            json!({}),
        ),
        (
            "post",
            "/api/vms/{id}/backups",
            format!("{vm}/backups"),
            json!({"storage": "backup-nfs"}),
        ),
        (
            "post",
            "/api/vms/{id}/clone",
            "/api/vms/cluster1%3Apve3%3A9000/clone".to_owned(),
            json!({"name": "c1"}),
        ),
        (
            "post",
            "/api/vms/{id}/migrate",
            "/api/vms/cluster1%3Apve3%3A300/migrate".to_owned(),
            json!({"target_node": "pve1"}),
        ),
        (
            "post",
            "/api/vms/{id}/power/stop",
            "/api/vms/cluster1%3Apve2%3A200/power/stop".to_owned(),
            json!({}),
        ),
        (
            "post",
            "/api/clusters",
            "/api/clusters".to_owned(),
            json!({"id": "lab", "name": "Lab", "platform": "proxmox", "endpoint": "https://10.9.0.1:8006", "username": "root@pam", "password": "pw"}),
        ),
        (
            "delete",
            "/api/clusters/{cluster}",
            "/api/clusters/lab".to_owned(),
            json!({}),
        ),
        (
            "post",
            "/api/ipam/subnets/{id}/addresses",
            "/api/ipam/subnets/sn-db/addresses".to_owned(),
            json!({"hostname": "db"}),
        ),
        (
            "delete",
            "/api/ipam/subnets/{id}/addresses/{ip}",
            "/api/ipam/subnets/sn-db/addresses/10.0.20.2".to_owned(),
            json!({}),
        ),
        (
            "post",
            "/api/nodes/{node}/maintenance",
            "/api/nodes/pve3/maintenance".to_owned(),
            json!({"enabled": true}),
        ),
        (
            "post",
            "/api/nodes/{node}/ipmi/power",
            "/api/nodes/pve1/ipmi/power".to_owned(),
            json!({"action": "on"}),
        ),
        (
            "post",
            "/api/physical-servers/{id}/power",
            "/api/physical-servers/srv-03/power".to_owned(),
            json!({"action": "On"}),
        ),
        (
            "post",
            "/api/alerts/{id}/acknowledge",
            "/api/alerts/alt-1/acknowledge".to_owned(),
            json!({}),
        ),
        (
            "post",
            "/api/notifications/{id}/read",
            "/api/notifications/ntf-1/read".to_owned(),
            json!({}),
        ),
        (
            "put",
            "/system/settings",
            "/system/settings".to_owned(),
            json!({"session_timeout_minutes": 30, "default_storage": "local-lvm", "smtp": null, "maintenance_banner": null}),
        ),
        (
            "post",
            "/system/backup",
            "/system/backup".to_owned(),
            json!({}),
        ),
        (
            "post",
            "/api/auth/logout",
            "/api/auth/logout".to_owned(),
            json!({}),
        ),
    ]
}

#[tokio::test]
async fn write_answers_match_the_documented_schemas() {
    let api = Api::start(fast()).await;
    let d = doc();
    for (method, template, url, body) in writes() {
        let schema = d["paths"][template][method]
            .pointer("/responses/200/content/application~1json/schema")
            .unwrap_or_else(|| panic!("{method} {template} documents a 200 JSON answer"))
            .clone();
        let a = api.call(&method.to_uppercase(), &url, Some(&body)).await;
        assert_eq!(a.status, 200, "{method} {url}: {}", a.body);
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": d["components"],
            "allOf": [schema],
        });
        let validator =
            jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{template}: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(&a.body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {url} does not match its schema: {errors:#?}"
        );
    }
}

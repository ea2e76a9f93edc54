//! Tasks progress over time, log lines appear, effects apply at the end.

use std::time::Duration;

use pxcloud_sim::SimConfig;
use serde_json::json;

use crate::harness::{Api, enc, fast};

#[tokio::test]
async fn a_task_moves_from_running_to_ok_with_progress_and_log() {
    let config = SimConfig {
        task_step: Duration::from_millis(150),
        task_steps: 4,
        ..SimConfig::default()
    };
    let api = Api::start(config).await;
    let a = api
        .post(
            &format!("/api/vms/{}/power/start", enc("cluster1:pve1:101")),
            json!({}),
        )
        .await;
    let id = a.body["data"]["upid"].as_str().expect("upid").to_owned();
    assert_eq!(a.body["data"]["task_id"], id.as_str());
    let parts: Vec<&str> = id.split(':').collect();
    assert_eq!(
        (parts[0], parts[1], parts[5], parts[6]),
        ("UPID", "pve1", "qmstart", "101")
    );

    let first = api.get(&format!("/api/tasks/{}", enc(&id))).await.body["data"].clone();
    assert_eq!(first["status"], "running");
    assert!(first["progress"].as_u64().expect("progress") < 100);
    let mut seen_progress = vec![first["progress"].as_u64().expect("progress")];
    let mut lines = first["log"].as_array().expect("log").len();
    assert!(lines >= 1);
    let last = loop {
        tokio::time::sleep(Duration::from_millis(60)).await;
        let t = api.get(&format!("/api/tasks/{}", enc(&id))).await.body["data"].clone();
        let n = t["log"].as_array().expect("log").len();
        assert!(n >= lines, "log never shrinks");
        lines = n;
        seen_progress.push(t["progress"].as_u64().expect("progress"));
        if t["status"] != "running" {
            break t;
        }
    };
    assert_eq!(last["status"], "ok");
    assert_eq!(last["progress"], 100);
    assert_eq!(last["exitstatus"], "OK");
    assert_eq!(
        last["log"]
            .as_array()
            .and_then(|l| l.last())
            .map(|l| l["t"].clone()),
        Some(json!("TASK OK"))
    );
    assert!(
        seen_progress.windows(2).all(|w| w[0] <= w[1]),
        "{seen_progress:?}"
    );
    assert!(
        seen_progress.iter().any(|p| *p > 0 && *p < 100),
        "intermediate progress seen: {seen_progress:?}"
    );
    let vm = api
        .get(&format!("/api/vms/{}", enc("cluster1:pve1:101")))
        .await;
    assert_eq!(vm.body["data"]["status"], "running");
    assert!(vm.body["data"]["lock"].is_null());
}

#[tokio::test]
async fn migrate_moves_the_vm_and_its_disks() {
    let api = Api::start(fast()).await;
    let a = api
        .post(
            &format!("/api/vms/{}/migrate", enc("cluster1:pve1:100")),
            json!({"target_node": "pve3", "target_storage": "local-ssd", "online": true}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let t = api
        .wait_task(a.body["data"]["task_id"].as_str().expect("id"))
        .await;
    assert_eq!(t["status"], "ok");
    assert_eq!(
        api.get(&format!("/api/vms/{}", enc("cluster1:pve1:100")))
            .await
            .status,
        404
    );
    let moved = api
        .get(&format!("/api/vms/{}", enc("cluster1:pve3:100")))
        .await;
    assert_eq!(moved.body["data"]["node"], "pve3");
    assert_eq!(
        moved.body["data"]["hardware"]["disks"][0]["backing"]["storage"],
        "local-ssd"
    );
    // Snapshots follow the VM.
    let snaps = api
        .get(&format!("/api/vms/{}/snapshots", enc("cluster1:pve3:100")))
        .await;
    assert_eq!(snaps.body["data"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn migrate_refusals() {
    let api = Api::start(fast()).await;
    let id = enc("cluster1:pve1:100");
    let cases = [
        (json!({"target_node": "pve2"}), 409, "invalid_state"),
        (
            json!({"target_node": "pve1", "online": true}),
            409,
            "invalid_state",
        ),
        (
            json!({"target_node": "pve9", "online": true}),
            422,
            "validation_error",
        ),
        (
            json!({"target_node": "pve2", "online": true, "target_storage": "nope"}),
            422,
            "validation_error",
        ),
        (json!({"online": true}), 422, "validation_error"),
    ];
    for (body, status, code) in cases {
        let a = api
            .post(&format!("/api/vms/{id}/migrate"), body.clone())
            .await;
        assert_eq!(
            (a.status, a.body["code"].as_str()),
            (status, Some(code)),
            "{body}: {}",
            a.body
        );
    }
    let missing = api
        .post(&format!("/api/vms/{id}/migrate"), json!({"online": true}))
        .await;
    assert_eq!(missing.body["field"], "target_node");
}

#[tokio::test]
async fn backup_to_an_offline_storage_ends_in_error() {
    let api = Api::start(fast()).await;
    let id = enc("cluster1:pve1:101");
    let bad = api
        .post(
            &format!("/api/vms/{id}/backups"),
            json!({"storage": "nfs-offline"}),
        )
        .await;
    assert_eq!(bad.status, 200);
    let t = api
        .wait_task(bad.body["data"]["task_id"].as_str().expect("id"))
        .await;
    assert_eq!(t["status"], "error");
    assert_eq!(t["exitstatus"], "storage 'nfs-offline' is not online");
    let good = api
        .post(
            &format!("/api/vms/{id}/backups"),
            json!({"storage": "backup-nfs", "mode": "stop"}),
        )
        .await;
    let t = api
        .wait_task(good.body["data"]["task_id"].as_str().expect("id"))
        .await;
    assert_eq!(t["status"], "ok");
    assert_eq!(t["type"], "vzdump");
    let list = api.get(&format!("/api/vms/{id}/backups")).await;
    let backups = list.body["data"].as_array().expect("list");
    assert_eq!(backups.len(), 1, "only the successful backup is recorded");
    assert_eq!(backups[0]["storage"], "backup-nfs");
}

#[tokio::test]
async fn clone_creates_a_new_vm_when_the_task_ends() {
    let api = Api::start(fast()).await;
    let a = api
        .post(
            &format!("/api/vms/{}/clone", enc("cluster1:pve3:9000")),
            json!({"name": "from-tpl", "new_vmid": 555, "full": false}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let t = api
        .wait_task(a.body["data"]["task_id"].as_str().expect("id"))
        .await;
    assert_eq!(t["status"], "ok");
    let vm = api
        .get(&format!("/api/vms/{}", enc("cluster1:pve3:555")))
        .await;
    assert_eq!(vm.body["data"]["name"], "from-tpl");
    let dup = api
        .post(
            &format!("/api/vms/{}/clone", enc("cluster1:pve3:9000")),
            json!({"name": "again", "new_vmid": 555}),
        )
        .await;
    assert_eq!(dup.status, 409);
    let linked = api
        .post(
            &format!("/api/vms/{}/clone", enc("cluster1:pve1:101")),
            json!({"name": "x", "full": false}),
        )
        .await;
    assert_eq!(
        (linked.status, linked.body["field"].as_str()),
        (422, Some("full"))
    );
}

#[tokio::test]
async fn rollback_without_ram_leaves_the_vm_stopped() {
    let api = Api::start(fast()).await;
    let id = enc("cluster1:pve1:100");
    let a = api
        .post(
            &format!("/api/vms/{id}/snapshots/before-upgrade/rollback"),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        api.wait_task(a.body["data"]["task_id"].as_str().expect("id"))
            .await["status"],
        "ok"
    );
    assert_eq!(
        api.get(&format!("/api/vms/{id}")).await.body["data"]["status"],
        "stopped"
    );
    let missing = api
        .post(&format!("/api/vms/{id}/snapshots/nope/rollback"), json!({}))
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn stopping_a_task_interrupts_it_and_skips_its_effect() {
    let api = Api::start(SimConfig::default()).await;
    let a = api
        .post(
            &format!("/api/vms/{}/power/start", enc("cluster1:pve1:101")),
            json!({}),
        )
        .await;
    let id = a.body["data"]["task_id"].as_str().expect("id").to_owned();
    let stopped = api
        .call("DELETE", &format!("/api/tasks/{}", enc(&id)), None)
        .await;
    assert_eq!(stopped.status, 200);
    assert_eq!(stopped.body["data"]["status"], "error");
    let again = api
        .call("DELETE", &format!("/api/tasks/{}", enc(&id)), None)
        .await;
    assert_eq!(again.status, 409);
    let vm = api
        .get(&format!("/api/vms/{}", enc("cluster1:pve1:101")))
        .await;
    assert_eq!(vm.body["data"]["status"], "stopped");
    assert!(vm.body["data"]["lock"].is_null());
}

#[tokio::test]
async fn task_list_filters_and_paginates() {
    let api = Api::start(fast()).await;
    for vm in ["cluster1:pve1:101", "cluster1:pve3:300"] {
        api.post(&format!("/api/vms/{}/power/start", enc(vm)), json!({}))
            .await;
    }
    api.post(
        &format!("/api/vms/{}/power/stop", enc("cluster1:pve2:200")),
        json!({}),
    )
    .await;
    let all = api.get("/api/tasks").await;
    assert_eq!(all.body["data"]["total"], 3);
    let starts = api.get("/api/tasks?type=qmstart").await;
    assert_eq!(starts.body["data"]["total"], 2);
    let page = api.get("/api/tasks?limit=1&offset=1").await;
    assert_eq!(page.body["data"]["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(page.body["data"]["total"], 3);
    let bad = api.get("/api/tasks?limit=0").await;
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (422, Some("limit"))
    );
    assert_eq!(api.get("/api/tasks/UPID%3Anope").await.status, 404);
}

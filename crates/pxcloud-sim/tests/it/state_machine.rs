//! The VM power state machine, driven over HTTP, as a table.

use serde_json::json;

use crate::harness::{Api, enc, fast};

/// (initial state, action, expected status code, state afterwards)
const TABLE: &[(&str, &str, u16, &str)] = &[
    ("stopped", "start", 200, "running"),
    ("stopped", "stop", 409, "stopped"),
    ("stopped", "shutdown", 409, "stopped"),
    ("stopped", "reboot", 409, "stopped"),
    ("stopped", "suspend", 409, "stopped"),
    ("stopped", "resume", 409, "stopped"),
    ("running", "start", 409, "running"),
    ("running", "stop", 200, "stopped"),
    ("running", "shutdown", 200, "stopped"),
    ("running", "reboot", 200, "running"),
    ("running", "suspend", 200, "suspended"),
    ("running", "resume", 409, "running"),
    ("suspended", "start", 409, "suspended"),
    ("suspended", "stop", 200, "stopped"),
    ("suspended", "shutdown", 409, "suspended"),
    ("suspended", "reboot", 409, "suspended"),
    ("suspended", "suspend", 409, "suspended"),
    ("suspended", "resume", 200, "running"),
];

/// Seeded VMs in each state.
fn vm_in(state: &str) -> &'static str {
    match state {
        "running" => "cluster1:pve1:100",
        "stopped" => "cluster1:pve1:101",
        _ => "cluster1:pve1:102",
    }
}

#[tokio::test]
async fn every_transition_behaves_as_the_table_says() {
    for &(from, action, code, after) in TABLE {
        let api = Api::start(fast()).await;
        let id = vm_in(from);
        let before = api.get(&format!("/api/vms/{}", enc(id))).await;
        assert_eq!(before.body["data"]["status"], from, "seed state of {id}");
        let a = api
            .post(&format!("/api/vms/{}/power/{action}", enc(id)), json!({}))
            .await;
        assert_eq!(a.status, code, "{from} --{action}--> {}", a.body);
        if code == 200 {
            let task_id = a.body["data"]["task_id"]
                .as_str()
                .expect("task id")
                .to_owned();
            assert!(task_id.starts_with("UPID:pve1:"), "{task_id}");
            let task = api.wait_task(&task_id).await;
            assert_eq!(task["status"], "ok");
        } else {
            assert_eq!(a.body["code"], "invalid_state");
        }
        let now = api.get(&format!("/api/vms/{}/status", enc(id))).await;
        assert_eq!(now.body["data"]["status"], after, "{from} --{action}-->");
    }
}

#[tokio::test]
async fn a_vm_with_a_running_task_is_locked() {
    let api = Api::start(pxcloud_sim::SimConfig::default()).await; // 200 ms steps
    let id = enc("cluster1:pve1:100");
    let first = api
        .post(&format!("/api/vms/{id}/power/stop"), json!({}))
        .await;
    assert_eq!(first.status, 200);
    let second = api
        .post(&format!("/api/vms/{id}/power/reboot"), json!({}))
        .await;
    assert_eq!(second.status, 409);
    assert_eq!(second.body["code"], "vm_locked");
    // The state changes only when the task finishes.
    let mid = api.get(&format!("/api/vms/{id}")).await;
    assert_eq!(mid.body["data"]["status"], "running");
    assert_eq!(mid.body["data"]["lock"], first.body["data"]["task_id"]);
}

#[tokio::test]
async fn vmware_vms_get_plain_task_ids() {
    let api = Api::start(fast()).await;
    let a = api
        .post(
            &format!("/api/vms/{}/power/start", enc("vc1:esxi2:1002")),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let id = a.body["data"]["task_id"].as_str().expect("task id");
    assert!(id.starts_with("task-"), "{id}");
    assert!(a.body["data"]["upid"].is_null());
    assert_eq!(api.wait_task(id).await["status"], "ok");
}

#[tokio::test]
async fn unknown_vm_is_404_and_unencoded_ids_work_too() {
    let api = Api::start(fast()).await;
    let a = api
        .post("/api/vms/cluster1%3Apve9%3A999/power/start", json!({}))
        .await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body["code"], "not_found");
    let b = api.get("/api/vms/cluster1:pve1:100").await;
    assert_eq!(b.status, 200);
    assert_eq!(b.body["data"]["name"], "web-01");
}

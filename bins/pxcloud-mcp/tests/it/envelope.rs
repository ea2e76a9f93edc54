//! The result envelope: shape, hints, budget and projection.

use pxcloud_mcp::envelope::{self, Failure, Shape, ToolFacts};
use serde_json::{Value, json};

const LIST: ToolFacts<'static> = ToolFacts {
    name: "pxcloud_list_vms",
    title: "List VMs",
    method: "GET",
    path: "/api/vms",
    read_only: true,
    destructive: false,
};

const POWER: ToolFacts<'static> = ToolFacts {
    name: "pxcloud_vm_power",
    title: "Power action",
    method: "POST",
    path: "/api/vms/{id}/power",
    read_only: false,
    destructive: true,
};

fn shape(max_bytes: usize) -> Shape<'static> {
    Shape {
        fields: None,
        max_bytes,
        narrowing_params: &[],
    }
}

#[test]
fn pxcloud_wrapper_is_unwrapped_and_the_envelope_is_complete() {
    let body = json!({"code": 0, "message": "ok", "data": [{"id": "cluster1:pve1:100", "status": "running"}]});
    let out = envelope::success(LIST, 200, body, &shape(32 * 1024));
    assert!(!out.is_error);
    let s = &out.structured;
    assert_eq!(s["ok"], true);
    assert_eq!(s["tool"], "pxcloud_list_vms");
    assert_eq!(s["method"], "GET");
    assert_eq!(s["path"], "/api/vms");
    assert_eq!(s["status"], 200);
    assert_eq!(s["dataType"], "array");
    assert_eq!(s["summary"], "Returned 1 item(s).");
    assert_eq!(s["data"][0]["id"], "cluster1:pve1:100");
    assert!(
        out.text
            .starts_with("List VMs: success\nReturned 1 item(s).")
    );
    assert!(
        out.text.contains("cluster1:pve1:100"),
        "text mirrors the data"
    );
    let schema = envelope::output_schema();
    let validator = jsonschema_like_required(&schema);
    for key in validator {
        assert!(s.get(&key).is_some(), "envelope lacks required {key}");
    }
}

fn jsonschema_like_required(schema: &Value) -> Vec<String> {
    schema["required"]
        .as_array()
        .expect("required list")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

#[test]
fn non_pxcloud_bodies_are_left_alone() {
    for body in [
        json!({"code": 0, "data": 1, "message": "ok", "extra": true}),
        json!({"code": "x", "data": 1}),
        json!([1, 2]),
    ] {
        assert_eq!(envelope::unwrap_pxcloud(body.clone()), body);
    }
}

#[test]
fn task_ids_produce_follow_up_hints() {
    let cases = [
        (
            json!({"task_id": "task-42"}),
            vec!["Task id: task-42", "pxcloud_wait_task (task_id: task-42)"],
        ),
        (
            json!({"upid": "UPID:pve1:0000ABCD:1:2:qmstart:100:root@pam:"}),
            vec!["UPID: UPID:pve1:0000ABCD", "pxcloud_wait_task"],
        ),
        (json!({"id": 7}), vec!["Primary id: 7"]),
    ];
    for (data, expected) in cases {
        let out = envelope::success(
            POWER,
            202,
            json!({"code": 0, "message": "ok", "data": data}),
            &shape(4096),
        );
        let hints = out.structured["hints"].to_string();
        assert!(hints.contains("changed PXCloud state"), "{hints}");
        for fragment in expected {
            assert!(hints.contains(fragment), "{hints} lacks {fragment}");
        }
    }
}

#[test]
fn every_status_has_a_specific_recovery_hint() {
    let cases: &[(u16, &str)] = &[
        (401, "PXCLOUD_PASS"),
        (403, "privilege"),
        (404, "List the resources first"),
        (409, "current state"),
        (422, "field `name` is required"),
        (423, "locked"),
        (429, "Rate limited"),
        (500, "internal error"),
        (502, "node health"),
        (503, "node health"),
        (504, "node health"),
    ];
    for (status, fragment) in cases {
        let failure = Failure::Status {
            status: *status,
            code: Some("e".into()),
            message: "field `name` is required".into(),
        };
        let out = envelope::failure(LIST, &failure);
        assert!(out.is_error);
        assert_eq!(out.structured["ok"], false);
        assert_eq!(out.structured["status"], *status);
        let hints = out.structured["hints"].to_string();
        assert!(hints.contains(fragment), "{status}: {hints}");
    }
}

#[test]
fn transport_failures_name_the_setting_that_fixes_them() {
    let fp = "AB".repeat(32);
    let cases = [
        (Failure::Network("connection refused".into()), "PXCLOUD_URL"),
        (Failure::Timeout("30 s".into()), "PXCLOUD_TIMEOUT_SECS"),
        (
            Failure::Tls {
                message: "unknown issuer".into(),
                fingerprint: Some(fp.clone()),
            },
            "PXCLOUD_TLS_FINGERPRINT=",
        ),
        (
            Failure::Auth {
                message: "token expired".into(),
                can_relogin: false,
            },
            "set a fresh PXCLOUD_TOKEN",
        ),
        (Failure::Garbage("<html>".into()), "login page"),
    ];
    for (failure, fragment) in cases {
        let out = envelope::failure(POWER, &failure);
        let hints = out.structured["hints"].to_string();
        assert!(hints.contains(fragment), "{failure:?}: {hints}");
        assert!(
            hints.contains("Verify the resource's state"),
            "mutations get the verify hint: {hints}"
        );
        assert_eq!(out.structured["status"], failure.status());
    }
}

#[test]
fn oversized_arrays_are_cut_between_items_with_a_note() {
    let items: Vec<Value> = (0..500)
        .map(|i| json!({"id": format!("cluster1:pve1:{i}"), "name": "x".repeat(40)}))
        .collect();
    let narrowing = ["page".to_owned(), "per_page".to_owned()];
    let out = envelope::success(
        LIST,
        200,
        json!({"code": 0, "message": "ok", "data": items}),
        &Shape {
            fields: None,
            max_bytes: 4096,
            narrowing_params: &narrowing,
        },
    );
    let data = out.structured["data"].as_array().expect("array");
    assert!(!data.is_empty() && data.len() < 500);
    assert!(serde_json::to_vec(data).expect("json").len() <= 4096);
    assert_eq!(out.structured["truncated"]["totalItems"], 500);
    assert_eq!(out.structured["truncated"]["shownItems"], data.len());
    let hints = out.structured["hints"].to_string();
    assert!(
        hints.contains(&format!("showing {} of 500 items", data.len())),
        "{hints}"
    );
    assert!(hints.contains("`page`, `per_page`"), "{hints}");
    assert!(
        out.structured["summary"]
            .as_str()
            .expect("summary")
            .contains("500 item(s)")
    );
}

#[test]
fn objects_are_cut_inside_their_largest_array_and_strings_at_char_boundaries() {
    let body = json!({"total": 300, "items": (0..300).map(|i| json!({"n": i, "pad": "y".repeat(30)})).collect::<Vec<_>>()});
    let out = envelope::success(LIST, 200, body, &shape(2048));
    assert_eq!(out.structured["data"]["total"], 300, "other fields stay");
    assert!(
        out.structured["data"]["items"]
            .as_array()
            .expect("items")
            .len()
            < 300
    );

    let text = "é".repeat(3000);
    let out = envelope::success(LIST, 200, Value::String(text), &shape(1025));
    let cut = out.structured["data"].as_str().expect("string");
    assert!(cut.len() <= 1025 && cut.chars().all(|c| c == 'é'));
}

#[test]
fn fields_project_arrays_and_nested_paths() {
    let data = json!([
        {"id": "a", "name": "web", "config": {"cpu": 2, "mem": 4096}, "secret": "x"},
        {"id": "b", "name": "db", "config": {"cpu": 8, "mem": 8192}}
    ]);
    let fields = [
        "id".to_owned(),
        "config.cpu".to_owned(),
        "missing".to_owned(),
    ];
    assert_eq!(
        envelope::project(&data, &fields),
        json!([{"id": "a", "config": {"cpu": 2}}, {"id": "b", "config": {"cpu": 8}}])
    );
}

#[test]
fn pages_are_projected_inside_and_summarized_with_their_total() {
    let page = json!({"items": [{"id": "a", "name": "web", "cpu": 3}, {"id": "b", "name": "db", "cpu": 9}], "total": 40, "offset": 0});
    let fields = ["id".to_owned()];
    assert_eq!(
        envelope::project(&page, &fields),
        json!({"items": [{"id": "a"}, {"id": "b"}], "total": 40, "offset": 0})
    );
    let out = envelope::success(LIST, 200, page, &shape(4096));
    assert_eq!(
        out.structured["summary"],
        "Returned 2 item(s) of 40; use the pagination parameters for more."
    );
}

#[test]
fn the_text_mirror_is_title_summary_hints_then_the_compact_data() {
    let data = json!({"id": "cluster1:pve1:100", "name": "web-01", "tags": ["a", "b"], "cpu": 1.5});
    let out = envelope::success(
        LIST,
        200,
        json!({"code": 0, "message": "ok", "data": data}),
        &shape(32 * 1024),
    );
    let summary = "Returned object with 4 top-level field(s): id, name, tags, cpu.";
    assert_eq!(out.structured["summary"], summary);
    assert_eq!(
        out.text,
        format!(
            "List VMs: success\n{summary}\nHints: Read-only operation completed. | \
             Primary id: cluster1:pve1:100\n{}",
            serde_json::to_string(&data).expect("json")
        )
    );
    assert!(out.structured.get("truncated").is_none());

    // A budget of 0 cuts nothing; no payload means no data line.
    let text = "x".repeat(100);
    let out = envelope::success(LIST, 200, Value::String(text.clone()), &shape(0));
    assert!(out.text.ends_with(&format!("\n\"{text}\"")));
    let out = envelope::success(
        LIST,
        200,
        json!({"code": 0, "message": "ok", "data": null}),
        &shape(1024),
    );
    assert_eq!(
        out.text,
        "List VMs: success\nNo payload returned.\nHints: Read-only operation completed."
    );
}

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

const GET: ToolFacts<'static> = ToolFacts {
    name: "pxcloud_get_vm",
    title: "Get a virtual machine.",
    method: "GET",
    path: "/api/vms/{id}",
    read_only: true,
    destructive: false,
};

const CREATE: ToolFacts<'static> = ToolFacts {
    name: "pxcloud_create_vm",
    title: "Create VM",
    method: "POST",
    path: "/api/vms",
    read_only: false,
    destructive: false,
};

/// Bodies the text path takes (`true`) or leaves to the value path (`false`), within a
/// budget they fit.
const BODIES: &[(&str, bool)] = &[
    (
        r#"{"code":0,"message":"ok","data":{"id":"cluster1:pve1:100","name":"web-01","vmid":100,"hardware":{"cores":4,"disks":[{"slot":"scsi0","size_gb":32}]},"cpu_percent":30.0,"tags":["prod"],"lock":null,"template":false}}"#,
        true,
    ),
    (
        r#"{"code":0,"message":"ok","data":[{"id":"a"},{"id":"b"}]}"#,
        true,
    ),
    (r#"{"code":0,"message":"ok","data":[]}"#, true),
    (r#"{"code":0,"message":"ok","data":{}}"#, true),
    (
        r#"{"code":0,"message":"ok","data":{"items":[{"id":1},{"id":2}],"total":30,"page":1}}"#,
        true,
    ),
    (r#"{"items":[{"id":1}],"total":1}"#, true),
    (r#"{"data":[1,2,3],"count":3}"#, true),
    (
        r#"{"results":"not a list","entries":[1],"total_count":-1}"#,
        true,
    ),
    (r#"{"items":[1,2],"total":2.5}"#, true),
    (r#"{"task_id":"t-1","upid":"UPID:pve1:0001:start"}"#, true),
    (r#"{"taskId":42,"id":-7}"#, true),
    (r#"{"upid":"UPID:x","id":""}"#, true),
    (r#"{"id":1.50}"#, true),
    (r#"[{"id":"a"},{"id":"b"},3,"x",null]"#, true),
    (r#"[]"#, true),
    (r#"{}"#, true),
    (r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7}"#, true),
    (
        r#"{"name":"caf\u00e9 \ud83d\ude00 ☃","s":"a\"b\\c\/d\n\t\u0001","k\u0065y":"v","ü":"é"}"#,
        true,
    ),
    (
        r#"{"big":18446744073709551616,"max":18446744073709551615,"neg":-9223372036854775808,"e":1e3,"f":1.5E-7,"z":-0,"p":0.1}"#,
        true,
    ),
    (
        "\n  {\n    \"code\" : 0 ,\n    \"data\" : {\n      \"id\" : \"pretty\" ,\n      \"list\" : [ 1 , 2 ]\n    }\n  }\n",
        true,
    ),
    (r#"{"code":1,"message":"odd","data":{"id":"x"}}"#, true),
    (r#"{"code":0,"message":"ok"}"#, true),
    (
        r#"{"code":0,"message":"ok","data":{"code":0,"message":"inner","data":5}}"#,
        true,
    ),
    (r#"{"a":{"x":1,"x":2}}"#, true),
    (
        r#"{"code":0,"message":{"detail":[1]},"data":{"id":"x"}}"#,
        true,
    ),
    // Left to the value path.
    (r#"{"id":"a\u0062"}"#, false),
    (r#"{"a":1,"a":2}"#, false),
    (r#"{"code":0,"data":1,"data":{"id":"x"}}"#, false),
    (r#"{"code":0,"message":"ok","data":"just text"}"#, false),
    (r#"{"code":0,"message":"ok","data":null}"#, false),
    (r#"{"code":0,"message":"ok","data":7}"#, false),
    (r#""a string""#, false),
    ("12", false),
    ("true", false),
    ("null", false),
    ("", false),
    ("  \n", false),
    ("not json", false),
    ("{\"a\":1} trailing", false),
    ("[1e400]", false),
    ("{\"a\":\"\u{1}\"}", false),
    ("\u{feff}{\"a\":1}", false),
];

/// The path that writes PXCloud's text without a value tree gives the same result as the
/// value path: the same text and envelope, byte for byte, and the same JSON values where a
/// nested object repeats a key (the text keeps both copies, the value the last).
#[test]
fn the_text_path_and_the_value_path_agree() {
    let mut deep = String::new();
    for depth in [126, 127, 128] {
        let open = "[".repeat(depth);
        let close = "]".repeat(depth);
        deep.push_str(&format!(
            "{open}{close}\n{{\"code\":0,\"data\":{open}{close}}}\n"
        ));
    }
    let mut bodies: Vec<(Vec<u8>, Option<bool>)> = BODIES
        .iter()
        .map(|(b, fast)| (b.as_bytes().to_vec(), Some(*fast)))
        .collect();
    bodies.extend(deep.lines().map(|l| (l.as_bytes().to_vec(), None)));
    bodies.push((b"{\"a\":\"\xff\"}".to_vec(), Some(false)));
    let big: Vec<Value> = (0..200)
        .map(|i| json!({"id": i, "name": format!("vm-{i}")}))
        .collect();
    bodies.push((
        json!({"code": 0, "message": "ok", "data": big})
            .to_string()
            .into_bytes(),
        None,
    ));
    bodies.push((
        json!({"items": big, "total": 500}).to_string().into_bytes(),
        None,
    ));

    let fields = ["id".to_owned()];
    let narrowing = ["page".to_owned()];
    let mut fast_seen = 0;
    for (body, fast) in &bodies {
        let shown = String::from_utf8_lossy(body);
        for tool in [GET, POWER, CREATE] {
            for (max_bytes, with_fields) in [
                (32 * 1024, false),
                (0, false),
                (600, false),
                (32 * 1024, true),
            ] {
                let shape = Shape {
                    fields: with_fields.then_some(&fields[..]),
                    max_bytes,
                    narrowing_params: &narrowing,
                };
                let slow = envelope::success(tool, 201, envelope::decode_body(body), &shape);
                let out = envelope::success_body(tool, 201, body, &shape);
                let json_text = match &out {
                    envelope::CallOutput::Json(j) => Some(j.structured.get().to_owned()),
                    envelope::CallOutput::Tree(_) => None,
                };
                if max_bytes == 32 * 1024
                    && !with_fields
                    && let Some(fast) = fast
                {
                    assert_eq!(json_text.is_some(), *fast, "path taken for {shown}");
                }
                if with_fields {
                    assert!(json_text.is_none(), "fields go through the value: {shown}");
                }
                let out = out.into_tool_output();
                assert_eq!(out.is_error, slow.is_error);
                let Some(json_text) = json_text else {
                    assert_eq!(out, slow, "{shown}");
                    continue;
                };
                fast_seen += 1;
                // Same JSON values: the envelope (data included) and the text's data.
                assert_eq!(out.structured, slow.structured, "{shown}");
                let (head, data) = out.text.rsplit_once('\n').expect("data line");
                let (slow_head, slow_data) = slow.text.rsplit_once('\n').expect("data line");
                assert_eq!(head, slow_head, "{shown}");
                let data: Value = serde_json::from_str(data).expect("the text's data is JSON");
                assert_eq!(
                    data,
                    serde_json::from_str::<Value>(slow_data).unwrap(),
                    "{shown}"
                );
                assert_eq!(data, slow.structured["data"], "{shown}");
                // Byte for byte, unless a nested object repeats a key.
                if !shown.contains(r#""x":1,"x":2"#) {
                    assert_eq!(out.text, slow.text, "{shown}");
                    assert_eq!(json_text, slow.structured.to_string(), "{shown}");
                }
            }
        }
    }
    assert!(fast_seen > 60, "the text path was taken {fast_seen} times");
}

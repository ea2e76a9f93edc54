//! Audit records.

use std::time::Duration;

use policy::{PolicyConfig, Verdict, rfc3339};
use serde_json::{Value, json};

use crate::support::{T0, at, catalog, ctx, guard, obj, tool};

#[test]
fn reads_are_not_audited() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_list");
    let args = obj(json!({}));
    let v = g.check(t, &args, &ctx(false, T0));
    assert!(g.audit(t, &args, &v, at(T0)).is_none());
}

#[test]
fn a_record_is_one_masked_json_line() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "user_create");
    let args = obj(json!({"name": "ann", "password": "hunter2"}));
    let v = g.check(t, &args, &ctx(false, T0));
    assert!(matches!(v, Verdict::Allow { .. }));
    let Some(rec) = g.audit(t, &args, &v, at(T0)) else {
        panic!("write not audited")
    };
    let line = rec
        .with_outcome(Some(201), Duration::from_millis(42))
        .to_json_line();
    assert!(!line.contains('\n') && !line.contains("hunter2"), "{line}");
    let parsed: Value = serde_json::from_str(&line).unwrap_or_default();
    assert_eq!(
        parsed,
        json!({
            "time": "2027-01-15T08:00:00.000Z",
            "tool": t.name(),
            "method": "POST",
            "path": "/api/users",
            "args": {"name": "ann", "password": "***"},
            "verdict": "allowed",
            "status": 201,
            "duration_ms": 42
        })
    );
}

#[test]
fn denials_record_their_reason() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_delete");
    let args = obj(json!({"id": 1, "confirmed": "true"}));
    let v = g.check(t, &args, &ctx(false, T0));
    let rec = g
        .audit(t, &args, &v, at(T0))
        .map(|r| r.to_json_line())
        .unwrap_or_default();
    let parsed: Value = serde_json::from_str(&rec).unwrap_or_default();
    assert_eq!(parsed["verdict"], "denied");
    assert_eq!(parsed["reason"], "confirmed_not_boolean");
    assert!(parsed.get("status").is_none());
}

#[test]
fn the_approval_handle_is_masked() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_delete");
    let args = obj(json!({"id": 1, "confirmed": true, "confirmation": "pxc1.abc.def"}));
    let v = g.check(t, &args, &ctx(false, T0));
    let rec = g.audit(t, &args, &v, at(T0)).map(|r| r.args);
    assert_eq!(
        rec,
        Some(json!({"id": 1, "confirmed": true, "confirmation": "***"}))
    );
}

#[test]
fn rfc3339_formats_utc() {
    let cases = [
        (0, "1970-01-01T00:00:00.000Z"),
        (951_782_400, "2000-02-29T00:00:00.000Z"),
        (T0, "2027-01-15T08:00:00.000Z"),
        (4_102_444_799, "2099-12-31T23:59:59.000Z"),
    ];
    for (secs, text) in cases {
        assert_eq!(rfc3339(at(secs)), text);
    }
    assert_eq!(
        rfc3339(at(1) + Duration::from_millis(1234)),
        "1970-01-01T00:00:02.234Z"
    );
}

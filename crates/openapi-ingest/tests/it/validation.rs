//! Argument validation names every failing field without quoting values.

use serde_json::json;

use crate::support::{args, doc30, ingest};

#[test]
fn every_failing_field_is_named_and_values_are_not_echoed() {
    let op = json!({"post": {
        "operationId": "createUser",
        "parameters": [{"name": "org", "in": "query", "required": true, "schema": {"type": "string"}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 2},
                "age": {"type": "integer", "minimum": 0},
                "password": {"type": "integer"}
            }
        }}}},
        "responses": {"201": {"description": "ok"}}
    }});
    let c = ingest(&doc30("/users", op));
    let t = &c.tools()[0];
    let err = t
        .validate(&args(
            json!({"age": -1, "password": "hunter2-secret", "typo": 1}),
        ))
        .expect_err("invalid");
    let fields: Vec<&str> = err.issues().iter().map(|i| i.field.as_str()).collect();
    for expected in ["/org", "/name", "/age", "/password"] {
        assert!(
            fields.contains(&expected),
            "{expected} missing from {fields:?}"
        );
    }
    assert!(err.issues().iter().any(|i| i.message.contains("typo")));
    let text = err.to_string();
    assert!(text.contains("pxcloud_createUser"));
    assert!(!text.contains("hunter2-secret"), "{text}");
    // Valid arguments pass, and the validator is reused.
    for _ in 0..3 {
        t.validate(&args(json!({"org": "o", "name": "ab"})))
            .expect("valid");
    }
    // request() validates too.
    assert!(t.request(&args(json!({"org": "o"}))).is_err());
}

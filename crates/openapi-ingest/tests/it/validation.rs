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

#[test]
fn catalog_and_tools_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<openapi_ingest::Catalog>();
    assert_send_sync::<openapi_ingest::Tool>();
    let c = std::sync::Arc::new(ingest(&doc30(
        "/x/{id}",
        json!({"get": {"parameters": [{"name": "id", "in": "path", "required": true,
                                        "schema": {"type": "integer"}}],
                       "responses": {"200": {"description": "ok"}}}}),
    )));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let c = std::sync::Arc::clone(&c);
            std::thread::spawn(move || {
                let t = &c.tools()[0];
                t.request(&args(json!({ "id": i }))).map(|r| r.path)
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().expect("thread"), Ok(format!("/x/{i}")));
    }
}

//! Media ranges in request bodies and responses: `*/*` and `application/*` are JSON bodies
//! sent as `application/json` (a string schema under them is raw data), `text/*` is not JSON,
//! and a concrete JSON type beats a range.

use openapi_ingest::{BodyKind, Catalog, IngestOptions, Method, Tool};
use serde_json::{Map, Value, json};

use crate::support::{args, doc30, ingest, spec_bytes};

fn body_op(content: Value) -> Value {
    json!({"post": {
        "operationId": "createThing",
        "requestBody": {"required": true, "content": content},
        "responses": {"200": {"description": "ok"}}
    }})
}

fn thing() -> Value {
    json!({"type": "object", "properties": {"name": {"type": "string"}}})
}

fn one_tool(content: Value) -> Catalog {
    ingest(&doc30("/things", body_op(content)))
}

#[test]
fn a_range_that_admits_json_is_a_json_body_sent_as_application_json() {
    for range in ["*/*", "application/*", "*/*; charset=utf-8"] {
        let c = one_tool(json!({ range: {"schema": thing()} }));
        let t = &c.tools()[0];
        assert_eq!(t.body_kinds(), &[BodyKind::Json], "{range}");
        assert_eq!(t.body_content_types(), &[range.to_owned()], "{range}");
        assert_eq!(
            t.request_content_type(),
            Some("application/json"),
            "{range}"
        );
        let r = t.request(&args(json!({"name": "a"}))).expect("request");
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert_eq!(r.body, Some(json!({"name": "a"})));
    }
}

#[test]
fn a_concrete_json_type_beats_a_range_in_either_order() {
    for content in [
        json!({"*/*": {"schema": thing()}, "application/merge-patch+json": {"schema": thing()}}),
        json!({"application/merge-patch+json": {"schema": thing()}, "*/*": {"schema": thing()}}),
    ] {
        let c = one_tool(content);
        let t = &c.tools()[0];
        assert_eq!(
            t.request_content_type(),
            Some("application/merge-patch+json")
        );
        assert_eq!(t.body_kinds(), &[BodyKind::Json]);
    }
    // A range admitting JSON beats a concrete type that is not JSON.
    let c = one_tool(json!({
        "application/xml": {"schema": thing()},
        "application/x-www-form-urlencoded": {"schema": thing()},
        "*/*": {"schema": thing()}
    }));
    assert_eq!(
        c.tools()[0].request_content_type(),
        Some("application/json")
    );
}

#[test]
fn a_string_under_a_range_is_raw_data_not_json() {
    // GitHub's release asset upload: `*/*` with the raw file data as a string.
    let c = one_tool(
        json!({"*/*": {"schema": {"type": "string", "description": "The raw file data"}}}),
    );
    let t = &c.tools()[0];
    assert_eq!(t.body_kinds(), &[BodyKind::OctetStream]);
    assert_eq!(t.request_content_type(), Some("application/octet-stream"));
    // Also through a reference.
    let mut doc = doc30(
        "/things",
        body_op(json!({"application/*": {"schema": {"$ref": "#/components/schemas/Blob"}}})),
    );
    doc["components"] = json!({"schemas": {"Blob": {"type": "string", "format": "binary"}}});
    let c = ingest(&doc);
    assert_eq!(c.tools()[0].body_kinds(), &[BodyKind::OctetStream]);
}

#[test]
fn text_ranges_do_not_admit_json() {
    let c = one_tool(json!({"text/*; charset=utf-8": {"schema": {"type": "string"}}}));
    let t = &c.tools()[0];
    assert_eq!(t.body_kinds(), &[BodyKind::Other]);
    assert_eq!(t.request_content_type(), Some("text/plain; charset=utf-8"));
}

#[test]
fn swagger2_consumes_a_range() {
    let doc = json!({
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "consumes": ["*/*"],
        "paths": {"/things": {"put": {
            "operationId": "replaceThing",
            "parameters": [{"name": "body", "in": "body", "required": true, "schema": thing()}],
            "responses": {"200": {"description": "ok"}}
        }}}
    });
    let c = ingest(&doc);
    let t = &c.tools()[0];
    assert_eq!(t.body_kinds(), &[BodyKind::Json]);
    assert_eq!(t.request_content_type(), Some("application/json"));
    let r = t.request(&args(json!({"name": "a"}))).expect("request");
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
}

#[test]
fn responses_prefer_a_concrete_json_type_and_raw_ranges_give_no_output_schema() {
    let op = |content: Value| {
        json!({"get": {
            "operationId": "getThing",
            "responses": {"200": {"description": "ok", "content": content}}
        }})
    };
    let c = ingest(&doc30(
        "/things",
        op(json!({
            "*/*": {"schema": {"type": "object", "properties": {"other": {"type": "string"}}}},
            "application/json": {"schema": thing()}
        })),
    ));
    let out = c.tools()[0].output_schema().expect("output schema");
    assert!(out["properties"].get("name").is_some(), "{out}");
    let c = ingest(&doc30("/things", op(json!({"*/*": {"schema": thing()}}))));
    assert!(c.tools()[0].output_schema().is_some());
    let c = ingest(&doc30(
        "/things",
        op(json!({"*/*": {"schema": {"type": "string"}}})),
    ));
    assert_eq!(c.tools()[0].output_schema(), None);
}

/// A value for a required argument, enough for the request to validate: its required members
/// filled in turn (`$ref`s into the input schema's `$defs` followed).
fn sample(root: &Value, schema: &Value, depth: usize) -> Value {
    if let Some(name) = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        return sample(root, &root["$defs"][name], depth + 1);
    }
    if let Some(first) = schema["allOf"].get(0) {
        return sample(root, first, depth + 1);
    }
    match schema["type"].as_str() {
        Some("integer" | "number") => json!(1),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        Some("object") => {
            let mut out = Map::new();
            for r in schema["required"].as_array().into_iter().flatten() {
                let r = r.as_str().expect("required name");
                if depth < 16 {
                    out.insert(
                        r.to_owned(),
                        sample(root, &schema["properties"][r], depth + 1),
                    );
                }
            }
            Value::Object(out)
        }
        _ if schema.get("properties").is_some() => {
            let mut typed = schema.clone();
            typed["type"] = json!("object");
            sample(root, &typed, depth)
        }
        _ => json!("x"),
    }
}

fn find<'c>(catalog: &'c Catalog, method: Method, path: &str) -> &'c Tool {
    catalog
        .tools()
        .iter()
        .find(|t| t.method() == method && t.path() == path)
        .unwrap_or_else(|| panic!("{method} {path}"))
}

/// The 75 create, replace and delete operations of Kubernetes whose body is `*/*` are JSON
/// tools whose request carries `application/json`; its `*/*` string responses (exec, attach,
/// proxy, log) still have no output schema.
#[test]
fn kubernetes_wildcard_bodies_are_json_requests() {
    let bytes = spec_bytes("kubernetes-1.35-core-v1.json");
    let doc: Value = serde_json::from_slice(&bytes).expect("kubernetes JSON");
    let catalog = Catalog::from_slice(&bytes, &IngestOptions::default()).expect("kubernetes");
    let mut per_method = std::collections::BTreeMap::new();
    let mut raw_responses = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (key, op) in item.as_object().expect("path item") {
            let Some(method) = Method::from_key(key) else {
                continue;
            };
            let tool = find(&catalog, method, path);
            let name = tool.name();
            if op["responses"]["200"]["content"]
                .as_object()
                .is_some_and(|c| c.len() == 1 && c.contains_key("*/*"))
            {
                raw_responses += 1;
                assert_eq!(tool.output_schema(), None, "{name}");
            }
            if op["requestBody"]["content"].get("*/*").is_none() {
                continue;
            }
            *per_method.entry(method.as_str()).or_insert(0) += 1;
            assert_eq!(tool.body_kinds(), &[BodyKind::Json], "{name}");
            assert_eq!(
                tool.request_content_type(),
                Some("application/json"),
                "{name}"
            );
            let schema = tool.input_schema();
            let properties = schema["properties"].as_object().expect("properties");
            let mut arguments = Map::new();
            for r in schema["required"].as_array().into_iter().flatten() {
                let r = r.as_str().expect("required name");
                arguments.insert(r.to_owned(), sample(schema, &properties[r], 0));
            }
            // Every one of these bodies (objects, DeleteOptions) has a `kind`.
            assert!(properties.contains_key("kind"), "{name}");
            arguments.insert("kind".to_owned(), json!("X"));
            let request = tool
                .request(&arguments)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                request.content_type.as_deref(),
                Some("application/json"),
                "{name}"
            );
            assert_eq!(
                request.body.as_ref().map(|b| &b["kind"]),
                Some(&json!("X")),
                "{name}"
            );
        }
    }
    let expected: std::collections::BTreeMap<&str, i32> =
        [("DELETE", 29), ("POST", 19), ("PUT", 27)]
            .into_iter()
            .collect();
    assert_eq!(per_method, expected);
    assert_eq!(raw_responses, 48);
}

/// GitHub's one `*/*` body is the raw data of a release asset: it stays raw, not JSON.
#[test]
fn github_release_asset_upload_stays_raw() {
    let catalog = Catalog::from_slice(
        &spec_bytes("github-rest-v3-2021.json"),
        &IngestOptions::default(),
    )
    .expect("github");
    let t = find(
        &catalog,
        Method::Post,
        "/repos/{owner}/{repo}/releases/{release_id}/assets",
    );
    assert_eq!(t.body_kinds(), &[BodyKind::OctetStream]);
    assert_eq!(t.request_content_type(), Some("application/octet-stream"));
}

//! Input and output schema conversion to JSON Schema 2020-12.

use openapi_ingest::WarningKind;
use serde_json::{Value, json};

use crate::support::{args, ingest};

/// Ingests a 3.x document whose only operation takes `schema` as its JSON body and returns it,
/// and gives back (input `body`/flattened schema, output schema, warnings).
fn body_and_output(
    version: &str,
    schema: Value,
    components: Value,
) -> (Value, Value, Vec<WarningKind>) {
    let doc = json!({
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"post": {
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {"v": schema.clone()}
            }}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"v": schema}
            }}}}}
        }}},
        "components": {"schemas": components}
    });
    let c = ingest(&doc);
    let t = &c.tools()[0];
    let input = t.input_schema().clone();
    let output = t.output_schema().cloned().unwrap_or(Value::Null);
    (input, output, c.warnings().iter().map(|w| w.kind).collect())
}

#[test]
fn conversions_to_2020_12() {
    let cases = [
        // 3.0 nullable
        (
            json!({"type": "string", "nullable": true}),
            json!({"type": ["string", "null"]}),
        ),
        (
            json!({"type": "string", "enum": ["a"], "nullable": true}),
            json!({"type": ["string", "null"], "enum": ["a", null]}),
        ),
        // Swagger-style x-nullable read too
        (
            json!({"type": "integer", "x-nullable": true}),
            json!({"type": ["integer", "null"]}),
        ),
        // nullable union simplified
        (
            json!({"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]}),
            json!({"type": ["string", "null"], "maxLength": 5}),
        ),
        // oneOf of shapes kept
        (
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
        ),
        // every array has items
        (
            json!({"type": "array"}),
            json!({"type": "array", "items": {}}),
        ),
        // Swagger tuple items become prefixItems
        (
            json!({"type": "array", "items": [{"type": "string"}]}),
            json!({"type": "array", "prefixItems": [{"type": "string"}]}),
        ),
        // 3.0 boolean exclusive bounds
        (
            json!({"type": "number", "maximum": 5, "exclusiveMaximum": true, "minimum": 1}),
            json!({"type": "number", "exclusiveMaximum": 5, "minimum": 1}),
        ),
        // formats, patterns, defaults kept; example becomes examples; vendor and xml keys dropped
        (
            json!({"type": "string", "format": "uuid", "pattern": "^[a-f0-9-]+$", "default": "x", "example": "y", "x-go-name": "Z", "xml": {"name": "q"}}),
            json!({"type": "string", "format": "uuid", "pattern": "^[a-f0-9-]+$", "default": "x", "examples": ["y"]}),
        ),
        // allOf merged
        (
            json!({"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}, {"properties": {"b": {"type": "integer"}}}]}),
            json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}),
        ),
        // conflicting allOf kept
        (
            json!({"allOf": [{"type": "string"}, {"type": "integer"}]}),
            json!({"allOf": [{"type": "string"}, {"type": "integer"}]}),
        ),
        // mistyped keywords dropped rather than making the schema invalid
        (
            json!({"type": "string", "maxLength": "ten", "required": true}),
            json!({"type": "string"}),
        ),
    ];
    for (source, expected) in cases {
        let (input, output, _) = body_and_output("3.0.3", source.clone(), json!({}));
        assert_eq!(input["properties"]["v"], expected, "input of {source}");
        assert_eq!(output["properties"]["v"], expected, "output of {source}");
    }
}

#[test]
fn nullable_ref_in_all_of_is_written_as_a_union() {
    let (input, _, _) = body_and_output(
        "3.0.3",
        json!({"allOf": [{"$ref": "#/components/schemas/User"}], "nullable": true}),
        json!({"User": {"type": "object", "properties": {"login": {"type": "string"}}}}),
    );
    assert_eq!(
        input["properties"]["v"],
        json!({"type": ["object", "null"], "properties": {"login": {"type": "string"}}})
    );
}

#[test]
fn read_only_left_out_of_inputs_and_write_only_out_of_outputs() {
    let (input, output, _) = body_and_output(
        "3.0.3",
        json!({"$ref": "#/components/schemas/Account"}),
        json!({"Account": {"type": "object", "required": ["id", "password", "name"], "properties": {
            "id": {"type": "integer", "readOnly": true},
            "password": {"type": "string", "writeOnly": true},
            "name": {"type": "string"}
        }}}),
    );
    assert_eq!(
        input["properties"]["v"],
        json!({"type": "object", "required": ["password", "name"], "properties": {
            "password": {"type": "string", "writeOnly": true}, "name": {"type": "string"}}})
    );
    assert_eq!(
        output["properties"]["v"],
        json!({"type": "object", "required": ["id", "name"], "properties": {
            "id": {"type": "integer", "readOnly": true}, "name": {"type": "string"}}})
    );
}

#[test]
fn recursive_schemas_use_defs_and_terminate() {
    let (input, output, _) = body_and_output(
        "3.0.3",
        json!({"$ref": "#/components/schemas/Node"}),
        json!({
            "Node": {"type": "object", "properties": {
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "other": {"$ref": "#/components/schemas/Other"}
            }},
            "Other": {"type": "object", "properties": {"back": {"$ref": "#/components/schemas/Node"}}}
        }),
    );
    for schema in [&input, &output] {
        assert!(schema["$defs"]["Node"].is_object(), "{schema}");
        assert!(jsonschema::draft202012::meta::is_valid(schema));
        let v = jsonschema::draft202012::new(schema).expect("compiles");
        let sample =
            json!({"v": {"children": [{"children": []}], "other": {"back": {"children": []}}}});
        let instance = if schema == &output {
            sample.clone()
        } else {
            sample
        };
        assert!(v.is_valid(&instance), "{schema}");
        let bad = json!({"v": {"children": [{"children": [7]}]}});
        assert!(!v.is_valid(&bad), "{schema}");
    }
}

#[test]
fn a_property_named_ref_is_a_property() {
    let (input, _, _) = body_and_output(
        "3.0.3",
        json!({"type": "object", "properties": {"$ref": {"type": "string"}, "value": {"type": "string"}}}),
        json!({}),
    );
    assert_eq!(
        input["properties"]["v"]["properties"]["$ref"],
        json!({"type": "string"})
    );
}

#[test]
fn dangling_and_external_refs_are_warnings_not_fetches() {
    let (input, _, warnings) = body_and_output(
        "3.0.3",
        json!({"type": "object", "properties": {
            "a": {"$ref": "#/components/schemas/Missing"},
            "b": {"$ref": "https://example.com/schemas/b.json"}
        }}),
        json!({}),
    );
    assert_eq!(input["properties"]["v"]["properties"]["a"], json!({}));
    assert_eq!(input["properties"]["v"]["properties"]["b"], json!({}));
    assert!(warnings.contains(&WarningKind::DanglingRef));
    assert!(warnings.contains(&WarningKind::ExternalRef));
}

#[test]
fn null_type_in_30_is_reported_and_kept_valid() {
    let (input, _, warnings) = body_and_output("3.0.0", json!({"type": "null"}), json!({}));
    assert_eq!(input["properties"]["v"], json!({"type": "null"}));
    assert!(warnings.contains(&WarningKind::NullTypeIn30));
    let (_, _, warnings) = body_and_output("3.1.0", json!({"type": ["string", "null"]}), json!({}));
    assert!(!warnings.contains(&WarningKind::NullTypeIn30));
}

#[test]
fn openapi_31_refs_by_id_and_anchor() {
    let (input, _, warnings) = body_and_output(
        "3.1.0",
        json!({"type": "object", "properties": {
            "details": {"$ref": "/api/components/schemas/petdetails"},
            "detailsId": {"$ref": "/api/components/schemas/petdetails#pet_details_id"}
        }}),
        json!({"PetDetails": {
            "$id": "/api/components/schemas/petdetails",
            "properties": {"id": {"type": "integer", "$anchor": "pet_details_id"}}
        }}),
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let props = &input["properties"]["v"]["properties"];
    assert_eq!(
        props["details"],
        json!({"properties": {"id": {"type": "integer"}}})
    );
    assert_eq!(props["detailsId"], json!({"type": "integer"}));
}

#[test]
fn deep_nesting_is_cut_not_overflowed() {
    // 5,000 levels of nested `items`: far beyond any real document. Built by moving values
    // (the `json!` macro would copy the growing tree on every level).
    let nest = |inner: Value, key: &str| {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), Value::from("array"));
        m.insert(key.into(), inner);
        Value::Object(m)
    };
    let mut schema = json!({"type": "string"});
    for _ in 0..5_000 {
        schema = nest(schema, "items");
    }
    let mut media = serde_json::Map::new();
    media.insert("schema".into(), schema);
    let mut content = serde_json::Map::new();
    content.insert("application/json".into(), Value::Object(media));
    let mut body = serde_json::Map::new();
    body.insert("content".into(), Value::Object(content));
    let mut op = serde_json::Map::new();
    op.insert("requestBody".into(), Value::Object(body));
    op.insert("responses".into(), json!({"200": {"description": "ok"}}));
    let mut item = serde_json::Map::new();
    item.insert("post".into(), Value::Object(op));
    let mut paths = serde_json::Map::new();
    paths.insert("/x".into(), Value::Object(item));
    let mut doc = json!({"openapi": "3.0.0", "info": {"title": "t", "version": "1"}});
    doc["paths"] = Value::Object(paths);
    let c = ingest(&doc);
    assert!(
        c.warnings()
            .iter()
            .any(|w| w.kind == WarningKind::DepthLimit)
    );
    assert!(jsonschema::draft202012::meta::is_valid(
        c.tools()[0].input_schema()
    ));
    // The value is dropped on a thread with a large stack: dropping a 5,000-deep
    // serde_json::Value recurses, which is serde_json's concern, not ours.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || drop(doc))
        .expect("spawn")
        .join()
        .expect("join");
}

#[test]
fn long_ref_chains_do_not_overflow() {
    let mut components = serde_json::Map::new();
    for i in 0..3_000 {
        components.insert(
            format!("S{i}"),
            json!({"type": "object", "properties": {"next": {"$ref": format!("#/components/schemas/S{}", i + 1)}}}),
        );
    }
    components.insert("S3000".into(), json!({"type": "string"}));
    let (input, _, _) = body_and_output(
        "3.0.0",
        json!({"$ref": "#/components/schemas/S0"}),
        Value::Object(components),
    );
    assert!(jsonschema::draft202012::meta::is_valid(&input));
    assert!(input["$defs"].is_object());
    let v = jsonschema::draft202012::new(&input).expect("compiles");
    assert!(v.is_valid(&json!({"v": {"next": {"next": {}}}})));
}

#[test]
fn output_is_the_first_json_2xx_and_wraps_non_objects() {
    let doc = json!({
        "openapi": "3.0.0", "info": {"title": "t", "version": "1"},
        "paths": {
            "/list": {"get": {"responses": {
                "default": {"description": "err", "content": {"application/json": {"schema": {"type": "object"}}}},
                "201": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}},
                "200": {"description": "ok", "content": {"text/plain": {"schema": {"type": "string"}}}}
            }}},
            "/none": {"delete": {"responses": {"204": {"description": "gone"}}}}
        }
    });
    let c = ingest(&doc);
    let list = &c.tools()[0];
    assert!(list.output_wrapped());
    assert_eq!(
        list.output_schema(),
        Some(
            &json!({"type": "object", "properties": {"result": {"type": "array", "items": {"type": "string"}}}, "required": ["result"]})
        )
    );
    assert_eq!(
        list.structured_content(&json!(["a"])),
        Some(json!({"result": ["a"]}))
    );
    // A response that does not match is not an error: just no structured content.
    assert_eq!(list.structured_content(&json!({"unexpected": 1})), None);
    assert_eq!(c.tools()[1].output_schema(), None);
    let _ = args(json!({}));
}

#[test]
fn deep_components_chained_by_refs_stay_within_a_small_stack() {
    // Each component nests 45 levels and then refers to the next one: close to the worst case
    // for the converter's own recursion (inlining depth plus per-schema depth).
    let mut components = serde_json::Map::new();
    for i in 0..200 {
        let mut s = json!({"$ref": format!("#/components/schemas/C{}", i + 1)});
        for _ in 0..45 {
            s = json!({"type": "object", "properties": {"n": s}});
        }
        components.insert(format!("C{i}"), s);
    }
    components.insert("C200".into(), json!({"type": "string"}));
    // Run on a thread with a 1 MiB stack, half of what test threads and tokio workers get.
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let (input, output, warnings) = body_and_output(
                "3.0.0",
                json!({"$ref": "#/components/schemas/C0"}),
                Value::Object(components),
            );
            assert!(!warnings.contains(&WarningKind::DepthLimit));
            assert!(input["$defs"].is_object());
            assert!(jsonschema::draft202012::meta::is_valid(&input));
            assert!(jsonschema::draft202012::meta::is_valid(&output));
        })
        .expect("spawn");
    handle.join().expect("no stack overflow");
}

#[test]
fn pure_reference_cycles_become_permissive() {
    let (input, output, _) = body_and_output(
        "3.0.0",
        json!({"$ref": "#/components/schemas/A"}),
        json!({
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"$ref": "#/components/schemas/A"},
            "Self": {"$ref": "#/components/schemas/Self"}
        }),
    );
    for schema in [&input, &output] {
        assert_eq!(schema["$defs"]["A"], json!({}), "{schema}");
        assert!(jsonschema::draft202012::meta::is_valid(schema), "{schema}");
        let v = jsonschema::draft202012::new(schema).expect("compiles");
        assert!(v.is_valid(&json!({"v": {"anything": 1}})), "{schema}");
    }
}

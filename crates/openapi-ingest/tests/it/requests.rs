//! Arguments to requests: path encoding, query styles, headers, bodies.

use openapi_ingest::{HttpRequest, Method};
use serde_json::{Value, json};

use crate::support::{args, doc30, ingest};

fn one_tool_request(path: &str, item: Value, arguments: Value) -> HttpRequest {
    let c = ingest(&doc30(path, item));
    c.tools()[0]
        .request(&args(arguments))
        .expect("request builds")
}

fn path_param_op() -> Value {
    json!({"get": {
        "operationId": "getItem",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok"}}
    }})
}

#[test]
fn path_values_stay_one_segment() {
    let cases = [
        ("plain", "/items/plain"),
        ("../../admin", "/items/..%2F..%2Fadmin"),
        ("a/b?c=d", "/items/a%2Fb%3Fc%3Dd"),
        ("..", "/items/%2E%2E"),
        (".", "/items/%2E"),
        ("x#frag", "/items/x%23frag"),
        ("100%", "/items/100%25"),
        ("sp ace", "/items/sp%20ace"),
        ("ümlaut", "/items/%C3%BCmlaut"),
    ];
    for (value, expected) in cases {
        let r = one_tool_request("/items/{id}", path_param_op(), json!({ "id": value }));
        assert_eq!(r.path, expected, "{value:?}");
        assert!(r.query.is_empty());
        assert_eq!(r.path_and_query(), expected);
    }
}

#[test]
fn missing_or_empty_path_parameter_is_an_error() {
    let c = ingest(&doc30("/items/{id}", path_param_op()));
    let t = &c.tools()[0];
    let err = t.request(&args(json!({}))).expect_err("missing id");
    assert_eq!(err.issues()[0].field, "/id");
    let err = t.request(&args(json!({"id": ""}))).expect_err("empty id");
    assert_eq!(err.issues()[0].field, "/id");
}

#[test]
fn query_styles_and_explode() {
    let op = json!({"get": {
        "parameters": [
            {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
            {"name": "ids", "in": "query", "explode": false, "schema": {"type": "array", "items": {"type": "integer"}}},
            {"name": "pipes", "in": "query", "style": "pipeDelimited", "explode": false, "schema": {"type": "array", "items": {"type": "string"}}},
            {"name": "filter", "in": "query", "style": "deepObject", "explode": true, "schema": {"type": "object"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer"}},
            {"name": "flag", "in": "query", "schema": {"type": "boolean"}}
        ],
        "responses": {"200": {"description": "ok"}}
    }});
    let r = one_tool_request(
        "/things",
        op,
        json!({
            "tags": ["a", "b c"], "ids": [1, 2], "pipes": ["x", "y"],
            "filter": {"name": "n", "size": {"gt": 3}}, "limit": 10, "flag": true
        }),
    );
    let q: Vec<(&str, &str)> = r
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        q,
        [
            ("tags", "a"),
            ("tags", "b c"),
            ("ids", "1,2"),
            ("pipes", "x|y"),
            ("filter[name]", "n"),
            ("filter[size][gt]", "3"),
            ("limit", "10"),
            ("flag", "true"),
        ]
    );
    assert_eq!(
        r.path_and_query(),
        "/things?tags=a&tags=b%20c&ids=1%2C2&pipes=x%7Cy&filter%5Bname%5D=n&filter%5Bsize%5D%5Bgt%5D=3&limit=10&flag=true"
    );
}

#[test]
fn query_values_cannot_inject_parameters() {
    let op = json!({"get": {
        "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok"}}
    }});
    let r = one_tool_request("/s", op, json!({"q": "a&admin=true#x"}));
    assert_eq!(r.path_and_query(), "/s?q=a%26admin%3Dtrue%23x");
}

#[test]
fn headers_and_cookies() {
    let op = json!({"get": {
        "parameters": [
            {"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}},
            {"name": "Authorization", "in": "header", "schema": {"type": "string"}},
            {"name": "session", "in": "cookie", "schema": {"type": "string"}}
        ],
        "responses": {"200": {"description": "ok"}}
    }});
    let c = ingest(&doc30("/h", op));
    let t = &c.tools()[0];
    // Authorization header parameters are ignored as OpenAPI says; credentials are the client's.
    assert!(
        t.input_schema()["properties"]
            .get("Authorization")
            .is_none()
    );
    let r = t
        .request(&args(json!({"X-Request-Id": "r1", "session": "s"})))
        .expect("request");
    assert_eq!(
        r.headers,
        [
            ("X-Request-Id".to_owned(), "r1".to_owned()),
            ("Cookie".to_owned(), "session=s".to_owned())
        ]
    );
    let debug = format!("{r:?}");
    assert!(
        !debug.contains("session=s"),
        "cookie value leaked into Debug: {debug}"
    );
}

#[test]
fn object_body_is_flattened_and_collisions_renamed() {
    let op = json!({"put": {
        "operationId": "updatePet",
        "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["name", "age"],
            "properties": {
                "name": {"type": "string"},
                "age": {"type": "integer"},
                "id": {"type": "integer", "readOnly": true},
                "note": {"type": "string"}
            }
        }}}},
        "responses": {"200": {"description": "ok"}}
    }});
    let c = ingest(&doc30("/pets/{name}", op));
    let t = &c.tools()[0];
    let schema = t.input_schema();
    let props: Vec<&str> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(props, ["name", "body_name", "age", "note"]);
    assert_eq!(schema["required"], json!(["name", "body_name", "age"]));
    assert_eq!(schema["additionalProperties"], json!(false));
    let r = t
        .request(&args(json!({"name": "rex", "body_name": "Rex", "age": 3})))
        .expect("request");
    assert_eq!(r.method, Method::Put);
    assert_eq!(r.path, "/pets/rex");
    assert_eq!(r.body, Some(json!({"name": "Rex", "age": 3})));
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
}

#[test]
fn non_object_bodies_go_under_body() {
    let cases = [
        json!({"type": "array", "items": {"type": "string"}}),
        json!({"type": "string"}),
        json!({"oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {"type": "integer"}]}),
        json!({"type": "object", "additionalProperties": {"type": "string"}}),
    ];
    for schema in cases {
        let op = json!({"post": {
            "requestBody": {"content": {"application/json": {"schema": schema.clone()}}},
            "responses": {"200": {"description": "ok"}}
        }});
        let c = ingest(&doc30("/b", op));
        let t = &c.tools()[0];
        assert!(
            t.input_schema()["properties"]["body"].is_object(),
            "{schema}"
        );
        let value = match schema.get("type").and_then(Value::as_str) {
            Some("array") => json!(["x", "y"]),
            Some("string") => json!("raw"),
            Some("object") => json!({"k": "v"}),
            _ => json!(7),
        };
        let r = t
            .request(&args(json!({ "body": value.clone() })))
            .expect("request");
        assert_eq!(r.body, Some(value), "{schema}");
        let r = t.request(&args(json!({}))).expect("optional body");
        assert_eq!(r.body, None);
        assert_eq!(r.content_type, None);
    }
}

#[test]
fn query_string_in_path_key_is_sent_and_reported() {
    let op =
        json!({"post": {"operationId": "filter", "responses": {"200": {"description": "ok"}}}});
    let c = ingest(&doc30("/library/item?~action=filter", op));
    let t = &c.tools()[0];
    assert_eq!(t.path(), "/library/item?~action=filter");
    let r = t.request(&args(json!({}))).expect("request");
    assert_eq!(r.path, "/library/item");
    assert_eq!(r.path_and_query(), "/library/item?~action=filter");
    assert!(
        c.warnings()
            .iter()
            .any(|w| w.kind == openapi_ingest::WarningKind::QueryInPath
                && w.pointer == "/paths/~1library~1item?~0action=filter")
    );
}

#[test]
fn swagger2_csv_arrays_form_data_and_body() {
    let doc = json!({
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "consumes": ["application/json"],
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "findPets",
                    "parameters": [
                        {"name": "tags", "in": "query", "type": "array", "items": {"type": "string"}, "collectionFormat": "csv"},
                        {"name": "multi", "in": "query", "type": "array", "items": {"type": "string"}, "collectionFormat": "multi"}
                    ],
                    "responses": {"200": {"description": "ok", "schema": {"type": "array", "items": {"type": "string"}}}}
                },
                "post": {
                    "operationId": "addPet",
                    "parameters": [{"name": "pet", "in": "body", "required": true, "schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}],
                    "responses": {"200": {"description": "ok"}}
                },
                "put": {
                    "operationId": "upload",
                    "consumes": ["multipart/form-data"],
                    "parameters": [
                        {"name": "file", "in": "formData", "type": "file", "required": true},
                        {"name": "note", "in": "formData", "type": "string"}
                    ],
                    "responses": {"200": {"description": "ok"}}
                }
            }
        }
    });
    let c = ingest(&doc);
    let find = c.get("pxcloud_findPets").expect("findPets");
    let r = find
        .request(&args(json!({"tags": ["a", "b"], "multi": ["x", "y"]})))
        .expect("request");
    assert_eq!(r.path_and_query(), "/pets?tags=a%2Cb&multi=x&multi=y");
    assert!(find.output_wrapped());
    let add = c.get("pxcloud_addPet").expect("addPet");
    assert_eq!(add.input_schema()["required"], json!(["name"]));
    let r = add.request(&args(json!({"name": "rex"}))).expect("request");
    assert_eq!(r.body, Some(json!({"name": "rex"})));
    let upload = c.get("pxcloud_upload").expect("upload");
    assert_eq!(upload.body_kinds(), &[openapi_ingest::BodyKind::Multipart]);
    assert_eq!(
        upload.input_schema()["properties"]["file"],
        json!({"type": "string", "format": "binary"})
    );
    let r = upload
        .request(&args(json!({"file": "data"})))
        .expect("request");
    assert_eq!(r.content_type.as_deref(), Some("multipart/form-data"));
    assert_eq!(r.body, Some(json!({"file": "data"})));
}

#[test]
fn empty_closed_object_body_adds_no_argument() {
    let op = json!({"get": {
        "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": {}, "additionalProperties": false
        }}}},
        "responses": {"200": {"description": "ok"}}
    }});
    let c = ingest(&doc30("/v1/customers", op));
    let t = &c.tools()[0];
    assert_eq!(t.input_schema()["properties"], json!({}));
    assert_eq!(t.body_kinds(), &[openapi_ingest::BodyKind::Form]);
    let r = t.request(&args(json!({}))).expect("request");
    assert_eq!(r.body, None);
}

#[test]
fn header_and_cookie_values_cannot_inject() {
    let op = json!({"get": {
        "parameters": [
            {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
            {"name": "pref", "in": "cookie", "schema": {"type": "string"}}
        ],
        "responses": {"200": {"description": "ok"}}
    }});
    let c = ingest(&doc30("/h", op));
    let t = &c.tools()[0];
    let err = t
        .request(&args(json!({"X-Trace": "a\r\nX-Admin: 1"})))
        .expect_err("header injection refused");
    assert_eq!(err.issues()[0].field, "/X-Trace");
    let r = t
        .request(&args(json!({"pref": "dark; admin=1"})))
        .expect("request");
    assert_eq!(
        r.headers,
        [("Cookie".to_owned(), "pref=dark%3B%20admin%3D1".to_owned())]
    );
}

#[test]
fn argument_names_are_client_safe_and_requests_use_spec_names() {
    let op = json!({"get": {
        "parameters": [
            {"name": "StartTime<", "in": "query", "schema": {"type": "string"}},
            {"name": "StartTime>", "in": "query", "schema": {"type": "string"}},
            {"name": "include[]", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
            {"name": "net[n]", "in": "query", "schema": {"type": "string"}},
            {"name": "~action", "in": "query", "schema": {"type": "string"}}
        ],
        "responses": {"200": {"description": "ok"}}
    }});
    let c = ingest(&doc30("/calls", op));
    let t = &c.tools()[0];
    let names: Vec<&str> = t.input_schema()["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        ["StartTime_lt", "StartTime_gt", "include", "net_n", "action"]
    );
    let r = t
        .request(&args(json!({
            "StartTime_lt": "2024", "StartTime_gt": "2023", "include": ["a", "b"],
            "net_n": {"1": "e1000", "0": "virtio"}, "action": "x"
        })))
        .expect("request");
    let q: Vec<(&str, &str)> = r
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        q,
        [
            ("StartTime<", "2024"),
            ("StartTime>", "2023"),
            ("include[]", "a"),
            ("include[]", "b"),
            ("net0", "virtio"),
            ("net1", "e1000"),
            ("~action", "x")
        ]
    );
}

//! Property test: flattening arguments and building the request is an exact round trip.
//! Generated path/query parameters and JSON object bodies (with names that collide with
//! parameters) come back unchanged from the `HttpRequest`.

use std::collections::BTreeSet;

use openapi_ingest::{Catalog, IngestOptions};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
enum Kind {
    Str,
    Int,
    Bool,
    StrArray,
    Object,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Str),
        Just(Kind::Int),
        Just(Kind::Bool),
        Just(Kind::StrArray),
        Just(Kind::Object)
    ]
}

fn schema_of(k: &Kind) -> Value {
    match k {
        Kind::Str => json!({"type": "string"}),
        Kind::Int => json!({"type": "integer"}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::StrArray => json!({"type": "array", "items": {"type": "string"}}),
        Kind::Object => json!({"type": "object", "properties": {"x": {"type": "string"}}}),
    }
}

fn value_of(k: Kind) -> BoxedStrategy<Value> {
    match k {
        Kind::Str => "\\PC{0,10}".prop_map(Value::from).boxed(),
        Kind::Int => any::<i64>().prop_map(Value::from).boxed(),
        Kind::Bool => any::<bool>().prop_map(Value::from).boxed(),
        Kind::StrArray => proptest::collection::vec("\\PC{0,6}", 0..4)
            .prop_map(|v| json!(v))
            .boxed(),
        Kind::Object => "\\PC{0,6}".prop_map(|s| json!({"x": s})).boxed(),
    }
}

#[derive(Debug, Clone)]
struct Case {
    path_params: Vec<(String, String)>,
    query_params: Vec<(String, String)>,
    body: Vec<(String, Kind, Value)>,
}

fn case() -> impl Strategy<Value = Case> {
    let names = proptest::collection::btree_set("[a-z]{1,5}", 0..6);
    let body = proptest::collection::btree_map("[a-z]{1,5}", kind(), 1..6).prop_flat_map(|m| {
        let entries: Vec<(String, Kind)> = m.into_iter().collect();
        let values: Vec<BoxedStrategy<Value>> =
            entries.iter().map(|(_, k)| value_of(k.clone())).collect();
        (Just(entries), values)
    });
    (names, body).prop_flat_map(|(names, (entries, values))| {
        let names: Vec<String> = names.into_iter().collect();
        let split = names.len() / 2;
        let path_names = names[..split].to_vec();
        let query_names = names[split..].to_vec();
        let path_values = proptest::collection::vec("\\PC{1,10}", path_names.len());
        let query_values = proptest::collection::vec("\\PC{0,10}", query_names.len());
        let body: Vec<(String, Kind, Value)> = entries
            .into_iter()
            .zip(values)
            .map(|((n, k), v)| (n, k, v))
            .collect();
        (path_values, query_values).prop_map(move |(pv, qv)| Case {
            path_params: path_names.iter().cloned().zip(pv).collect(),
            query_params: query_names.iter().cloned().zip(qv).collect(),
            body: body.clone(),
        })
    })
}

fn document(case: &Case) -> Value {
    let mut path = String::from("/r");
    let mut params = Vec::new();
    for (name, _) in &case.path_params {
        path.push_str(&format!("/{{{name}}}"));
        params.push(
            json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}),
        );
    }
    for (name, _) in &case.query_params {
        params.push(
            json!({"name": name, "in": "query", "required": true, "schema": {"type": "string"}}),
        );
    }
    let mut props = Map::new();
    for (name, kind, _) in &case.body {
        props.insert(name.clone(), schema_of(kind));
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {path: {"post": {
            "operationId": "op",
            "parameters": params,
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object", "properties": props
            }}}},
            "responses": {"200": {"description": "ok"}}
        }}}
    })
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .expect("utf-8")
        .into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn flatten_then_request_returns_the_originals(case in case()) {
        let doc = document(&case);
        let catalog = Catalog::from_value(&doc, &IngestOptions::default()).expect("ingest");
        let tool = &catalog.tools()[0];
        let params: BTreeSet<&str> = case
            .path_params
            .iter()
            .chain(&case.query_params)
            .map(|(n, _)| n.as_str())
            .collect();
        let mut args = Map::new();
        for (name, value) in case.path_params.iter().chain(&case.query_params) {
            args.insert(name.clone(), Value::from(value.clone()));
        }
        let mut expected_body = Map::new();
        for (name, _, value) in &case.body {
            // The documented renaming: a body property that collides with a parameter.
            let arg = if params.contains(name.as_str()) { format!("body_{name}") } else { name.clone() };
            prop_assert!(tool.input_schema()["properties"].get(&arg).is_some(), "{arg} missing");
            args.insert(arg, value.clone());
            expected_body.insert(name.clone(), value.clone());
        }
        let request = tool.request(&args).expect("request");
        // Path: one segment per parameter, decoding to the original value.
        let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
        prop_assert_eq!(segments.len(), 1 + case.path_params.len());
        prop_assert_eq!(segments[0], "r");
        for (seg, (_, value)) in segments[1..].iter().zip(&case.path_params) {
            prop_assert_eq!(&decode(seg), value);
        }
        // Query: the original pairs, and the encoded query string parses back to them.
        prop_assert_eq!(&request.query, &case.query_params);
        let pq = request.path_and_query();
        let query_part = pq.split_once('?').map(|(_, q)| q).unwrap_or("");
        let parsed: Vec<(String, String)> = query_part
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').expect("k=v");
                (decode(k), decode(v))
            })
            .collect();
        prop_assert_eq!(&parsed, &case.query_params);
        // Body: exactly the original object.
        prop_assert_eq!(request.body, Some(Value::Object(expected_body)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Bodies that are not plain objects travel whole under `body`, beside parameters of the
    /// same name, and come back unchanged.
    #[test]
    fn whole_bodies_round_trip(k in prop_oneof![Just(Kind::Str), Just(Kind::Int), Just(Kind::StrArray)]
                                   .prop_flat_map(|k| (Just(k.clone()), value_of(k))),
                               id in "\\PC{1,8}") {
        let (kind, value) = k;
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/w/{body}": {"put": {
                "parameters": [{"name": "body", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": schema_of(&kind)}}},
                "responses": {"204": {"description": "ok"}}
            }}}
        });
        let catalog = Catalog::from_value(&doc, &IngestOptions::default()).expect("ingest");
        let tool = &catalog.tools()[0];
        let mut args = Map::new();
        args.insert("body".into(), Value::from(id.clone()));
        args.insert("request_body".into(), value.clone());
        prop_assert_eq!(&tool.input_schema()["required"], &json!(["body", "request_body"]));
        let request = tool.request(&args).expect("request");
        prop_assert_eq!(decode(request.path.trim_start_matches("/w/")), id);
        prop_assert_eq!(request.body, Some(value));
    }
}

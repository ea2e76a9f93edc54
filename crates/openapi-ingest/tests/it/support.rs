//! Helpers shared by the test modules.

use openapi_ingest::{Catalog, IngestOptions};
use serde_json::{Map, Value};

/// The repository's copy of the OpenAPI corpus.
pub(crate) const SPECS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs");

/// Reads a corpus file.
pub(crate) fn spec_bytes(file: &str) -> Vec<u8> {
    std::fs::read(format!("{SPECS}/{file}")).unwrap_or_else(|e| panic!("read {file}: {e}"))
}

/// Ingests a JSON value with default options.
pub(crate) fn ingest(doc: &Value) -> Catalog {
    Catalog::from_value(doc, &IngestOptions::default()).expect("document ingests")
}

/// A JSON object literal as an argument map.
pub(crate) fn args(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("arguments must be an object, got {other}"),
    }
}

/// A minimal 3.0 document around one path item.
pub(crate) fn doc30(path: &str, item: Value) -> Value {
    serde_json::json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {path: item}
    })
}

//! Whole-tool snapshots of the small corpus documents. Refresh with `UPDATE_SNAPSHOTS=1`.

use openapi_ingest::{Catalog, IngestOptions, Tool};
use serde_json::{Value, json};

use crate::support::spec_bytes;

fn tool_json(t: &Tool) -> Value {
    json!({
        "name": t.name(),
        "title": t.title(),
        "description": t.description(),
        "operationId": t.operation_id(),
        "method": t.method().as_str(),
        "path": t.path(),
        "tags": t.tags(),
        "deprecated": t.deprecated(),
        "bodyKinds": t.body_kinds().iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "bodyContentTypes": t.body_content_types(),
        "bodyRequired": t.body_required(),
        "extensions": t.extensions(),
        "inputSchema": t.input_schema(),
        "outputSchema": t.output_schema(),
        "outputWrapped": t.output_wrapped(),
    })
}

fn check(spec: &str, snapshot: &str) {
    let c = Catalog::from_slice(&spec_bytes(spec), &IngestOptions::default()).expect(spec);
    let actual = json!({
        "info": {"title": c.info().title, "version": c.info().version, "spec": c.info().spec_version},
        "tags": c.tags(),
        "warnings": c.warnings().iter().map(|w| w.to_string()).collect::<Vec<_>>(),
        "tools": c.tools().iter().map(tool_json).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&actual).expect("json") + "\n";
    let path = format!("{}/tests/snapshots/{snapshot}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run with UPDATE_SNAPSHOTS=1)"));
    assert!(
        expected == text,
        "{snapshot} differs from the catalog; review and refresh with UPDATE_SNAPSHOTS=1\n{text}"
    );
}

#[test]
fn petstore_30() {
    check("oai-petstore-3.0.json", "oai-petstore-3.0.json");
}

#[test]
fn tictactoe_31() {
    check("oai-tictactoe-3.1.json", "oai-tictactoe-3.1.json");
}

#[test]
fn petstore_expanded_swagger2() {
    check(
        "oai-petstore-expanded-swagger2.json",
        "oai-petstore-expanded-swagger2.json",
    );
}

#[test]
fn swagger_petstore_31() {
    check("swagger-petstore-3.1.json", "swagger-petstore-3.1.json");
}

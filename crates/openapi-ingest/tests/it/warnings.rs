//! Bad documents: tolerated with warnings, or refused with a reason.

use openapi_ingest::{Catalog, IngestErrorKind, IngestOptions, WarningKind};
use serde_json::json;

use crate::support::{ingest, spec_bytes};

#[test]
fn unusable_documents_are_errors_that_say_why() {
    let cases = [
        (json!([1, 2]), IngestErrorKind::NotAnObject),
        (json!({"info": {}}), IngestErrorKind::NotOpenApi),
        (json!({"openapi": "4.0.0"}), IngestErrorKind::UnknownVersion),
        (json!({"swagger": "1.2"}), IngestErrorKind::UnknownVersion),
        (
            json!({"openapi": {"x": 1}}),
            IngestErrorKind::UnknownVersion,
        ),
    ];
    for (doc, kind) in cases {
        let err = Catalog::from_value(&doc, &IngestOptions::default()).expect_err("refused");
        assert_eq!(err.kind(), kind, "{doc}");
        assert!(!err.to_string().is_empty());
    }
    let err = Catalog::from_slice(b"{ not json", &IngestOptions::default()).expect_err("parse");
    assert_eq!(err.kind(), IngestErrorKind::Parse);
    let err = Catalog::from_slice(b": : :\n\t- [", &IngestOptions::default()).expect_err("parse");
    assert_eq!(err.kind(), IngestErrorKind::Parse);
}

#[test]
fn spec_level_problems_are_warnings_with_pointers() {
    let doc = json!({
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a/{id}": {
                "get": {"operationId": "dup", "responses": {"200": {"description": "ok"}}},
                "post": {"operationId": "dup",
                         "parameters": [{"$ref": "#/components/parameters/Nope"},
                                        {"name": "gone", "in": "path", "schema": {"type": "string"}}],
                         "responses": {"200": {"description": "ok"}}}
            },
            "/b": "not an object"
        }
    });
    let c = ingest(&doc);
    assert_eq!(c.tools().len(), 2);
    let found: Vec<(WarningKind, &str)> = c
        .warnings()
        .iter()
        .map(|w| (w.kind, w.pointer.as_str()))
        .collect();
    for expected in [
        (
            WarningKind::DuplicateOperationId,
            "/paths/~1a~1{id}/post/operationId",
        ),
        (
            WarningKind::DanglingRef,
            "/paths/~1a~1{id}/post/parameters/0",
        ),
        (
            WarningKind::UnusedPathParameter,
            "/paths/~1a~1{id}/post/parameters/1",
        ),
        (WarningKind::UndeclaredPathParameter, "/paths/~1a~1{id}/get"),
        (WarningKind::Malformed, "/paths/~1b"),
    ] {
        assert!(found.contains(&expected), "{expected:?} not in {found:?}");
    }
    // The undeclared {id} became a required string argument.
    let get = &c.tools()[0];
    assert_eq!(get.input_schema()["required"], json!(["id"]));
}

#[test]
fn missing_paths() {
    let c = ingest(&json!({"openapi": "3.0.0", "info": {"title": "t", "version": "1"}}));
    assert!(c.is_empty());
    assert_eq!(c.warnings()[0].kind, WarningKind::MissingPaths);
    // A 3.1 webhook-only document is valid: no tools, no warning.
    let c = Catalog::from_slice(
        &spec_bytes("oai-webhook-example-3.1.json"),
        &IngestOptions::default(),
    )
    .expect("webhooks");
    assert!(c.is_empty());
    assert!(c.warnings().is_empty());
    assert_eq!(c.info().spec_version, "3.1.0");
}

#[test]
fn corpus_quirks_are_reported() {
    let opts = IngestOptions::default();
    let proxmox = Catalog::from_slice(&spec_bytes("proxmox-ve.json"), &opts).expect("proxmox");
    assert!(
        proxmox
            .warnings()
            .iter()
            .any(|w| w.kind == WarningKind::NullTypeIn30)
    );
    let vsphere = Catalog::from_slice(&spec_bytes("vmware-vsphere-vcenter-swagger2.json"), &opts)
        .expect("vsphere");
    assert!(
        vsphere
            .warnings()
            .iter()
            .any(|w| w.kind == WarningKind::DuplicateOperationId)
    );
    assert!(
        vsphere
            .warnings()
            .iter()
            .any(|w| w.kind == WarningKind::QueryInPath)
    );
    let openai = Catalog::from_slice(&spec_bytes("openai.json"), &opts).expect("openai");
    assert!(
        openai
            .warnings()
            .iter()
            .any(|w| w.kind == WarningKind::QueryInPath)
    );
    // CompoundFilter's `$recursiveRef: "#"` is reported; the schema stays permissive there.
    assert!(
        openai
            .warnings()
            .iter()
            .any(|w| w.kind == WarningKind::Unsupported && w.message.contains("$recursiveRef"))
    );
    // Proxmox's Perl-style `(?^:…)` patterns are dropped with a warning, not silently.
    assert!(
        proxmox
            .warnings()
            .iter()
            .any(|w| w.kind == WarningKind::InvalidKeyword && w.pointer.ends_with("/pattern"))
    );
}

#[test]
fn hostile_yaml_is_refused_not_expanded() {
    // A "billion laughs" alias bomb and a deeply nested YAML document.
    let mut bomb = String::from("openapi: 3.0.0\na: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for c in 'b'..='j' {
        bomb.push_str(&format!(
            "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
        prev = c;
    }
    let err = Catalog::from_slice(bomb.as_bytes(), &IngestOptions::default()).expect_err("bomb");
    assert_eq!(err.kind(), IngestErrorKind::Parse);
    let deep = format!(
        "openapi: 3.0.0\nx: {}1{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let err = Catalog::from_slice(deep.as_bytes(), &IngestOptions::default()).expect_err("deep");
    assert_eq!(err.kind(), IngestErrorKind::Parse);
}

#[test]
fn yaml_documents_with_numeric_keys_ingest() {
    let yaml = b"swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /ping:\n    get:\n      operationId: ping\n      responses:\n        200:\n          description: ok\n          schema: {type: object, properties: {ok: {type: boolean}}}\n";
    let c = Catalog::from_slice(yaml, &IngestOptions::default()).expect("yaml");
    let t = c.get("pxcloud_ping").expect("ping");
    assert_eq!(
        t.output_schema(),
        Some(&json!({"type": "object", "properties": {"ok": {"type": "boolean"}}}))
    );
}

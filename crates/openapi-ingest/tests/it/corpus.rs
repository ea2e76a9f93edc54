//! Every corpus document ingests: tool counts match the MANIFEST, every schema is valid
//! 2020-12 and compiles, every name is unique and valid.

use std::collections::HashSet;

use openapi_ingest::{Catalog, IngestOptions, is_valid_tool_name};

use crate::support::{SPECS, spec_bytes};

/// `(file, ops)` rows of the MANIFEST table.
fn manifest() -> Vec<(String, usize)> {
    let text = std::fs::read_to_string(format!("{SPECS}/MANIFEST.md")).expect("MANIFEST.md");
    let mut ops_col = None;
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if let Some(i) = cells.iter().position(|c| *c == "Ops") {
            ops_col = Some(i);
            continue;
        }
        let (Some(col), Some(file)) = (ops_col, cells.get(1)) else {
            continue;
        };
        let Some(file) = file.strip_prefix('`').and_then(|f| f.strip_suffix('`')) else {
            continue;
        };
        let ops: usize = cells[col]
            .replace(',', "")
            .parse()
            .expect("Ops is a number");
        rows.push((file.to_owned(), ops));
    }
    rows
}

#[test]
fn manifest_lists_every_spec_file() {
    let listed: HashSet<String> = manifest().into_iter().map(|(f, _)| f).collect();
    let mut on_disk = HashSet::new();
    for entry in std::fs::read_dir(SPECS).expect("specs dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name != "MANIFEST.md" {
            on_disk.insert(name);
        }
    }
    assert_eq!(listed, on_disk);
    assert_eq!(listed.len(), 17);
}

#[test]
fn every_corpus_document_ingests_into_valid_tools() {
    let meta = jsonschema::draft202012::meta::validator();
    for (file, ops) in manifest() {
        let catalog = Catalog::from_slice(&spec_bytes(&file), &IngestOptions::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(catalog.tools().len(), ops, "{file}: one tool per operation");
        let mut names = HashSet::new();
        for tool in catalog.tools() {
            let name = tool.name();
            assert!(is_valid_tool_name(name), "{file}: invalid name {name:?}");
            assert!(name.len() <= 48, "{file}: {name:?} longer than 48");
            assert!(
                names.insert(name.to_owned()),
                "{file}: duplicate name {name:?}"
            );
            assert!(catalog.get(name).is_some());
            let input = tool.input_schema();
            if let Err(e) = meta.validate(input) {
                panic!("{file} {name}: input schema not 2020-12: {e}");
            }
            assert_eq!(input["type"], "object", "{file} {name}");
            for arg in input["properties"].as_object().expect("properties").keys() {
                assert!(is_valid_tool_name(arg), "{file} {name}: argument {arg:?}");
            }
            assert!(
                tool.input_validator_compiles(),
                "{file} {name}: input does not compile"
            );
            if let Some(out) = tool.output_schema() {
                if let Err(e) = meta.validate(out) {
                    panic!("{file} {name}: output schema not 2020-12: {e}");
                }
                assert_eq!(out["type"], "object", "{file} {name}: MCP needs an object");
                assert!(
                    tool.output_validator_compiles(),
                    "{file} {name}: output does not compile"
                );
            }
            assert!(
                !tool.description().is_empty(),
                "{file} {name}: empty description"
            );
        }
    }
}

#[test]
fn corpus_names_are_stable_across_runs() {
    for file in ["vmware-vsphere-vcenter-swagger2.json", "proxmox-ve.json"] {
        let a = Catalog::from_slice(&spec_bytes(file), &IngestOptions::default()).expect(file);
        let b = Catalog::from_slice(&spec_bytes(file), &IngestOptions::default()).expect(file);
        let na: Vec<&str> = a.tools().iter().map(|t| t.name()).collect();
        let nb: Vec<&str> = b.tools().iter().map(|t| t.name()).collect();
        assert_eq!(na, nb, "{file}");
    }
}

#[test]
fn github_long_operation_ids_are_shortened_but_kept() {
    let c = Catalog::from_slice(
        &spec_bytes("github-rest-v3-2021.json"),
        &IngestOptions::default(),
    )
    .expect("github");
    let long: Vec<_> = c
        .tools()
        .iter()
        .filter(|t| t.operation_id().is_some_and(|id| id.len() > 40))
        .collect();
    assert!(!long.is_empty());
    for t in long {
        assert!(t.name().len() <= 48);
        assert!(t.operation_id().is_some_and(|id| id.len() > 40));
    }
    let t = c
        .get("pxcloud_repos_get_content")
        .expect("repos/get-content");
    assert_eq!(t.operation_id(), Some("repos/get-content"));
    assert_eq!(t.path(), "/repos/{owner}/{repo}/contents/{path}");
}

#[test]
fn policy_facts_are_exposed() {
    let c = Catalog::from_slice(
        &spec_bytes("stripe-2020-08-27.json"),
        &IngestOptions::default(),
    )
    .expect("stripe");
    let upload = c
        .tools()
        .iter()
        .find(|t| t.path() == "/v1/files" && t.method() == openapi_ingest::Method::Post)
        .expect("POST /v1/files");
    assert_eq!(upload.body_kinds(), &[openapi_ingest::BodyKind::Multipart]);
    assert_eq!(
        upload.body_content_types(),
        &["multipart/form-data".to_owned()]
    );
    let github = Catalog::from_slice(
        &spec_bytes("github-rest-v3-2021.json"),
        &IngestOptions::default(),
    )
    .expect("github");
    assert!(
        github
            .tools()
            .iter()
            .all(|t| t.extensions().contains_key("x-github"))
    );
    let docker = Catalog::from_slice(
        &spec_bytes("docker-engine-swagger2.yaml"),
        &IngestOptions::default(),
    )
    .expect("docker");
    assert!(docker.tools().iter().any(|t| {
        t.body_kinds()
            .contains(&openapi_ingest::BodyKind::OctetStream)
    }));
    assert!(docker.tags().contains(&"Container".to_owned()));
}

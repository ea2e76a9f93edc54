//! Tool names: sanitising, prefix, fallback, repeats, shortening.

use openapi_ingest::{Catalog, IngestOptions, is_valid_tool_name, sanitize};
use serde_json::json;

use crate::support::ingest;

#[test]
fn sanitize_turns_runs_into_one_underscore_and_trims() {
    let cases = [
        ("listPets", "listPets"),
        ("repos/get-content", "repos_get_content"),
        ("find pet by id", "find_pet_by_id"),
        ("create$task", "create_task"),
        ("__a--b__", "a_b"),
        ("flavors/id:get", "flavors_id_get"),
        (":get", "get"),
        ("ünïcode", "n_code"),
        ("", ""),
        ("---", ""),
    ];
    for (input, expected) in cases {
        assert_eq!(sanitize(input), expected, "{input:?}");
    }
}

fn doc_with_ops(ops: &[(&str, &str, Option<&str>)]) -> serde_json::Value {
    let mut paths = serde_json::Map::new();
    for (path, method, id) in ops {
        let mut op = serde_json::Map::new();
        if let Some(id) = id {
            op.insert("operationId".into(), json!(id));
        }
        op.insert("responses".into(), json!({"204": {"description": "ok"}}));
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = serde_json::Value::Object(op);
    }
    json!({"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": paths})
}

#[test]
fn names_from_operation_ids_methods_and_paths_with_repeats() {
    let doc = doc_with_ops(&[
        ("/a", "get", Some("list")),
        ("/b", "get", Some("list")),
        ("/c", "get", Some("list")),
        ("/nodes/{node}/qemu", "get", None),
        ("/nodes/{node}/qemu", "post", None),
        ("/x", "get", Some("$$$")),
    ]);
    let c = ingest(&doc);
    let names: Vec<&str> = c.tools().iter().map(|t| t.name()).collect();
    assert_eq!(
        names,
        [
            "pxcloud_list",
            "pxcloud_list_2",
            "pxcloud_list_3",
            "pxcloud_get_nodes_node_qemu",
            "pxcloud_post_nodes_node_qemu",
            "pxcloud_get_x",
        ]
    );
    // The duplicates are reported.
    assert_eq!(
        c.warnings()
            .iter()
            .filter(|w| w.kind == openapi_ingest::WarningKind::DuplicateOperationId)
            .count(),
        2
    );
}

#[test]
fn prefix_is_configurable_and_may_be_empty() {
    let doc = doc_with_ops(&[("/a", "get", Some("listPets"))]);
    let c = Catalog::from_value(&doc, &IngestOptions::with_prefix("")).expect("ingest");
    assert_eq!(c.tools()[0].name(), "listPets");
    let c = Catalog::from_value(&doc, &IngestOptions::with_prefix("pve.")).expect("ingest");
    assert_eq!(c.tools()[0].name(), "pve.listPets");
    let bad = Catalog::from_value(&doc, &IngestOptions::with_prefix("bad prefix"));
    assert!(bad.is_err());
}

#[test]
fn long_names_are_shortened_deterministically_and_stay_unique() {
    let long_a = "enterprise-admin/list-self-hosted-runner-groups-for-enterprise-and-more";
    let long_b = "enterprise-admin/list-self-hosted-runner-groups-for-enterprise-and-less";
    let doc = doc_with_ops(&[
        ("/a", "get", Some(long_a)),
        ("/b", "get", Some(long_b)),
        ("/c", "get", Some(long_a)),
    ]);
    let c1 = ingest(&doc);
    let c2 = ingest(&doc);
    let names: Vec<&str> = c1.tools().iter().map(|t| t.name()).collect();
    let again: Vec<&str> = c2.tools().iter().map(|t| t.name()).collect();
    assert_eq!(names, again);
    for n in &names {
        assert!(n.len() <= 48, "{n}");
        assert!(is_valid_tool_name(n), "{n}");
        assert!(n.starts_with("pxcloud_enterprise_admin_list_self_"), "{n}");
    }
    assert_ne!(names[0], names[1]);
    assert_ne!(names[0], names[2]);
    assert_ne!(names[1], names[2]);
    assert_eq!(c1.tools()[0].operation_id(), Some(long_a));
}

#[test]
fn max_name_len_is_honoured() {
    let doc = doc_with_ops(&[("/a", "get", Some("a_rather_long_operation_identifier_here"))]);
    let opts = IngestOptions {
        max_name_len: 24,
        ..IngestOptions::default()
    };
    let c = Catalog::from_value(&doc, &opts).expect("ingest");
    assert!(c.tools()[0].name().len() <= 24);
    let opts = IngestOptions {
        max_name_len: 65,
        ..IngestOptions::default()
    };
    assert!(Catalog::from_value(&doc, &opts).is_err());
}

//! The OpenAPI document: its shape, its peculiarities, and that it matches the routes.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::harness::{Api, fast};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn doc() -> Value {
    serde_json::from_str(&pxcloud_sim::openapi_json()).expect("document is JSON")
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                ops.push((m.to_owned(), path.clone(), op.clone()));
            }
        }
    }
    ops
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|x| refs(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn it_is_openapi_3_1_with_api_paths_only() {
    let d = doc();
    assert_eq!(d["openapi"], "3.1.0");
    let allowed = [
        "/api/",
        "/vnc/",
        "/terminal/",
        "/ws",
        "/bmc-proxy/",
        "/system/",
    ];
    for path in d["paths"].as_object().expect("paths").keys() {
        assert!(allowed.iter().any(|p| path.starts_with(p)), "{path}");
    }
}

#[test]
fn about_140_operations_under_pxcloud_tags() {
    let d = doc();
    let ops = operations(&d);
    assert!((130..=170).contains(&ops.len()), "{} operations", ops.len());
    let tags: std::collections::BTreeSet<&str> = ops
        .iter()
        .filter_map(|(_, _, op)| op["tags"][0].as_str())
        .collect();
    for tag in [
        "Dashboard",
        "VMs",
        "Nodes",
        "Clusters",
        "IPAM",
        "Physical Servers",
        "Console",
        "Tasks",
        "Monitors",
        "Regions",
        "Datacenters",
        "Users",
        "Groups",
        "Roles",
        "Notifications",
        "Storage",
        "System",
    ] {
        assert!(tags.contains(tag), "no operation tagged {tag}");
    }
    let share = &d["paths"]["/api/vms/{id}/console-share"]["post"];
    assert!(share["description"].as_str().expect("description").contains(
        "AI hint: generates token-based URL for sharing VM console. Requires VM.Console privilege."
    ));
    // One array body, one multipart body, a path parameter and a body property both called `name`.
    assert_eq!(
        d["paths"]["/api/vms/tags"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["type"],
        "array"
    );
    assert!(
        d["paths"]["/api/nodes/{node}/storage/{storage}/upload"]["post"]["requestBody"]["content"]
            ["multipart/form-data"]
            .is_object()
    );
    let rename = &d["paths"]["/api/vms/{id}/snapshots/{name}"]["put"];
    assert!(
        rename["parameters"]
            .as_array()
            .expect("params")
            .iter()
            .any(|p| p["name"] == "name" && p["in"] == "path")
    );
    assert!(d["components"]["schemas"]["SnapshotRename"]["properties"]["name"].is_object());
    // The recursive schema refers to itself.
    assert_eq!(
        d["components"]["schemas"]["TreeNode"]["properties"]["children"]["items"]["$ref"],
        "#/components/schemas/TreeNode"
    );
}

#[test]
fn every_ref_resolves() {
    let d = doc();
    let mut all = Vec::new();
    refs(&d, &mut all);
    assert!(all.len() > 50);
    for r in all {
        assert!(resolve(&d, &r).is_some(), "dangling {r}");
    }
}

#[test]
fn operation_ids_repeat_like_pxcloud() {
    let d = doc();
    let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (m, p, op) in operations(&d) {
        let id = op["operationId"]
            .as_str()
            .expect("every operation has an id")
            .to_owned();
        by_id.entry(id).or_default().push(format!("{m} {p}"));
    }
    assert_eq!(
        by_id.get("list_vms").map(Vec::as_slice),
        Some(
            &[
                "get /api/vms".to_owned(),
                "get /api/nodes/{node}/vms".to_owned()
            ][..]
        )
    );
}

#[test]
fn nullable_fields_use_3_1_forms() {
    let d = doc();
    let vm = &d["components"]["schemas"]["Vm"]["properties"];
    assert_eq!(
        vm["ip_address"]["type"],
        serde_json::json!(["string", "null"])
    );
    let ha = vm["ha"]["oneOf"].as_array().expect("oneOf");
    assert_eq!(ha[0], serde_json::json!({"type": "null"}));
    assert_eq!(ha[1]["$ref"], "#/components/schemas/HaGroupRef");
}

#[tokio::test]
async fn the_served_document_is_public_and_identical() {
    let api = Api::start(fast()).await;
    let a = api
        .call_as("GET", "/api-docs/openapi.json", None, None)
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, doc());
}

/// Fills path parameters with values that exist in the seed.
fn concrete(path: &str) -> String {
    path.replace("{id}", "cluster1%3Apve1%3A100")
        .replace("{node}", "pve1")
        .replace("{name}", "before-upgrade")
        .replace("{token}", "unknown-token")
        .replace("{cluster}", "cluster1")
        .replace(['{', '}'], "")
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let api = Api::start(fast()).await;
    for (m, p, _) in operations(&doc()) {
        let a = api
            .call(
                &m.to_uppercase(),
                &concrete(&p),
                Some(&serde_json::json!({})),
            )
            .await;
        assert_ne!(a.body["code"], "route_not_found", "{m} {p}");
        assert_ne!(a.status, 405, "{m} {p}");
    }
}

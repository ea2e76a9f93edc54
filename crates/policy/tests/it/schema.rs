//! The exposed input schema and the stripping of control arguments.

use policy::PolicyConfig;
use serde_json::{Value, json};

use crate::support::{catalog, catalog_of, guard, obj, tool};

fn props(schema: &Value) -> Vec<String> {
    schema["properties"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn controls_are_added_by_class_and_client() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    // (tool, can_elicit, properties added to the catalog's, required added)
    let cases: [(&str, bool, &[&str], Value); 5] = [
        ("vm_list", false, &[], Value::Null),
        ("vm_update", false, &["dry_run"], Value::Null),
        ("node_tag", true, &["dry_run"], Value::Null),
        (
            "vm_delete",
            false,
            &["dry_run", "confirmed", "confirmation"],
            json!(["confirmed"]),
        ),
        (
            "vm_delete",
            true,
            &["dry_run", "confirmed", "confirmation"],
            Value::Null,
        ),
    ];
    for (id, can_elicit, added, required) in cases {
        let t = tool(&cat, id);
        let s = g.input_schema(t, can_elicit);
        let mut expected = props(t.input_schema());
        expected.extend(added.iter().map(|a| a.to_string()));
        assert_eq!(props(&s), expected, "{id} elicit={can_elicit}");
        let catalog_required = t.input_schema().get("required").cloned();
        let want_required = if required.is_null() {
            catalog_required.unwrap_or(Value::Null)
        } else {
            let mut r = catalog_required
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default();
            r.extend(required.as_array().cloned().unwrap_or_default());
            Value::Array(r)
        };
        assert_eq!(
            s.get("required").cloned().unwrap_or(Value::Null),
            want_required,
            "{id} elicit={can_elicit}"
        );
        assert_eq!(s["type"], "object");
    }
    // The read-only tool's schema is the catalog's, untouched.
    let list = tool(&cat, "vm_list");
    assert_eq!(&g.input_schema(list, false), list.input_schema());
    assert_eq!(
        g.input_schema(tool(&cat, "vm_delete"), false)["properties"]["confirmed"]["type"],
        "boolean"
    );
}

#[test]
fn colliding_parameter_names_move_controls_aside() {
    let cat = catalog_of(&json!({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/api/vms/{id}": {"delete": {
            "operationId": "vm_delete", "tags": ["VMs"],
            "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}},
                {"name": "confirmed", "in": "query", "schema": {"type": "string"}}
            ],
            "responses": {"204": {"description": "gone"}}
        }}}
    }));
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_delete");
    let names = g.control_names(t);
    assert_eq!(
        (
            names.confirmed.as_str(),
            names.confirmation.as_str(),
            names.dry_run.as_str()
        ),
        ("pxcloud_confirmed", "confirmation", "pxcloud_dry_run")
    );
    // The operation's own `confirmed` and `dry_run` reach the request untouched.
    let args = obj(json!({"id": 1, "confirmed": "yes", "dry_run": true, "pxcloud_dry_run": false}));
    let stripped = g.strip_controls(t, &args).map(|a| a.into_map());
    assert_eq!(
        stripped.ok(),
        Some(obj(json!({"id": 1, "confirmed": "yes", "dry_run": true})))
    );
}

#[test]
fn stripping_leaves_read_only_arguments_alone() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let args = obj(json!({"node": "n1", "confirmed": "true", "dry_run": 1}));
    let stripped = g
        .strip_controls(tool(&cat, "vm_list"), &args)
        .map(|a| a.into_map());
    assert_eq!(stripped.ok(), Some(args));
}

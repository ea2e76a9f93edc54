//! Fixture catalog and helpers shared by the test modules.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use openapi_ingest::{Catalog, IngestOptions, Tool};
use policy::{CallContext, Guard, MemoryNonceStore, PolicyConfig, SigningKey};
use serde_json::{Map, Value, json};

/// A fixed "now" so handle expiry is deterministic.
pub(crate) const T0: u64 = 1_800_000_000;

pub(crate) fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

pub(crate) fn ctx(can_elicit: bool, secs: u64) -> CallContext {
    CallContext {
        can_elicit,
        now: at(secs),
    }
}

pub(crate) fn key() -> SigningKey {
    match SigningKey::from_bytes(&[42; 32]) {
        Ok(k) => k,
        Err(e) => panic!("fixed test key rejected: {e}"),
    }
}

pub(crate) fn guard(config: PolicyConfig) -> Guard {
    Guard::new(config, key(), Arc::new(MemoryNonceStore::new()))
}

pub(crate) fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn op(id: &str, tags: &[&str], params: Value) -> Value {
    json!({
        "operationId": id,
        "tags": tags,
        "parameters": params,
        "responses": {"200": {"description": "ok"}}
    })
}

fn id_param() -> Value {
    json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}])
}

fn with_body(mut op: Value, content_type: &str) -> Value {
    op["requestBody"] = json!({
        "required": false,
        "content": {content_type: {"schema": {"type": "object", "properties": {"name": {"type": "string"}, "password": {"type": "string"}}}}}
    });
    op
}

/// A PXCloud-like document: one operation per rule the policy knows.
pub(crate) fn spec() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "PXCloud fixture", "version": "1.0"},
        "paths": {
            "/api/vms": {
                "get": op("vm_list", &["VMs"], json!([{"name": "node", "in": "query", "schema": {"type": "string"}}])),
                "post": with_body(op("vm_create", &["VMs"], json!([])), "application/json")
            },
            "/api/vms/{id}": {
                "get": op("vm_get", &["VMs"], id_param()),
                "put": with_body(op("vm_update", &["VMs"], id_param()), "application/json"),
                "delete": op("vm_delete", &["VMs"], id_param())
            },
            "/api/vms/{id}/power": {"post": with_body(op("vm_power", &["VMs"], id_param()), "application/json")},
            "/api/vms/{id}/snapshots/{snap}/rollback": {"post": op("vm_rollback", &["VMs"], json!([
                {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                {"name": "snap", "in": "path", "required": true, "schema": {"type": "string"}}
            ]))},
            "/api/vms/{id}/migrate": {"post": op("vm_migrate", &["vms"], id_param())},
            "/api/vms/bulk/delete": {"post": op("vm_bulk_delete", &["VMs"], json!([]))},
            "/api/vms/{id}/snapshot": {"post": op("vm_snapshot", &["VMs"], id_param())},
            "/api/nodes": {"get": op("node_list", &["Nodes"], json!([]))},
            "/api/nodes/{id}/reboot": {"post": {
                "operationId": "node_reboot", "tags": ["Nodes"], "x-pxcloud-destructive": true,
                "parameters": id_param(), "responses": {"200": {"description": "ok"}}
            }},
            "/api/nodes/{id}/tags": {"post": {
                "operationId": "node_tag", "tags": ["Nodes"], "x-destructive": false,
                "parameters": id_param(), "responses": {"200": {"description": "ok"}}
            }},
            "/api/ipam/addresses": {"get": op("ipam_list", &["IPAM"], json!([])), "post": op("ipam_allocate", &["IPAM"], json!([]))},
            "/api/users": {"get": op("user_list", &["Users"], json!([])), "post": with_body(op("user_create", &["Users"], json!([])), "application/json")},
            "/api/nodes/{id}/vnc/ticket": {"post": op("node_vnc", &["Nodes"], id_param())},
            "/api/nodes/{id}/terminal/open": {"post": op("node_terminal", &["Nodes"], id_param())},
            "/api/system/settings": {"get": op("system_settings", &["Admin"], json!([]))},
            "/api/ws": {"get": op("ws_connect", &["Nodes"], json!([]))},
            "/api/isos": {"post": with_body(op("iso_upload", &["Storage"], json!([])), "multipart/form-data")},
            "/api/isos/raw": {"put": with_body(op("iso_raw", &["Storage"], json!([])), "application/octet-stream")},
            "/api/untagged": {"get": {"operationId": "untagged", "responses": {"200": {"description": "ok"}}}},
            "/api/tasks/{id}": {"head": op("task_head", &["Tasks"], id_param()), "options": op("task_options", &["Tasks"], id_param())}
        }
    })
}

pub(crate) fn catalog_of(doc: &Value) -> Catalog {
    match Catalog::from_value(doc, &IngestOptions::default()) {
        Ok(c) => c,
        Err(e) => panic!("fixture did not ingest: {e}"),
    }
}

pub(crate) fn catalog() -> Catalog {
    catalog_of(&spec())
}

/// The tool whose operationId is `id`.
pub(crate) fn tool<'c>(catalog: &'c Catalog, id: &str) -> &'c Tool {
    match catalog
        .tools()
        .iter()
        .find(|t| t.operation_id() == Some(id))
    {
        Some(t) => t,
        None => panic!("no tool with operationId {id}"),
    }
}

//! Arbitrary arguments and handles never make the guard panic, and never run a destructive
//! call: without the key nobody can forge an approval, so `check` must not return `Allow`.
//! Run: `cd crates/policy/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run check`.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use openapi_ingest::{Catalog, IngestOptions};
use policy::{CallContext, Class, Guard, MemoryNonceStore, PolicyConfig, Purpose, SigningKey};
use serde_json::{Map, Value, json};

struct Fixture {
    catalog: Catalog,
    guard: Guard,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let doc = json!({
            "openapi": "3.0.3", "info": {"title": "fuzz", "version": "1"},
            "paths": {
                "/api/vms/{id}": {
                    "get": {"operationId": "vm_get", "tags": ["VMs"], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}], "responses": {"200": {"description": "ok"}}},
                    "delete": {"operationId": "vm_delete", "tags": ["VMs"], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}], "responses": {"204": {"description": "gone"}}}
                },
                "/api/vms/{id}/power": {"post": {"operationId": "vm_power", "tags": ["VMs"],
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"action": {"type": "string"}, "password": {"type": "string"}}}}}},
                    "responses": {"200": {"description": "ok"}}}},
                "/api/vms": {"post": {"operationId": "vm_create", "tags": ["VMs"],
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}},
                    "responses": {"201": {"description": "ok"}}}}
            }
        });
        let catalog = match Catalog::from_value(&doc, &IngestOptions::default()) {
            Ok(c) => c,
            Err(e) => panic!("fixture: {e}"),
        };
        let key = match SigningKey::from_bytes(&[7; 32]) {
            Ok(k) => k,
            Err(e) => panic!("{e}"),
        };
        let guard = Guard::new(PolicyConfig::default(), key, Arc::new(MemoryNonceStore::new()));
        Fixture { catalog, guard }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let f = fixture();
    let tools = f.catalog.tools();
    let Some(tool) = tools.get(usize::from(selector) % tools.len().max(1)) else { return };
    let ctx = CallContext {
        can_elicit: selector & 0x80 != 0,
        now: UNIX_EPOCH + Duration::from_secs(1_800_000_000),
    };
    let text = String::from_utf8_lossy(rest);
    let args: Map<String, Value> = match serde_json::from_slice::<Value>(rest) {
        Ok(Value::Object(m)) => m,
        // Anything else is tried as an approval handle on an otherwise valid call.
        _ => {
            let mut m = Map::new();
            m.insert("id".into(), json!(1));
            m.insert("confirmed".into(), json!(true));
            m.insert("confirmation".into(), Value::String(text.clone().into_owned()));
            m
        }
    };
    let verdict = f.guard.check(tool, &args, &ctx);
    if f.guard.classify(tool).class == Class::Destructive {
        assert!(!verdict.runs(), "{} ran without approval: {verdict}", tool.name());
    }
    let _ = f.guard.audit(tool, &args, &verdict, ctx.now).map(|r| r.to_json_line());
    let _ = f.guard.signer().verify(&text, Purpose::Approval, tool.name(), &args, ctx.now);
    let _ = policy::mask_secrets(&Value::Object(args));
});

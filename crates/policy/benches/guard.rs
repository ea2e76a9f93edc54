//! What one policy decision costs: verdicts, the approval round trip, visibility over a large
//! real catalog, masking. Run: `cargo bench -p policy --bench guard`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use openapi_ingest::{Catalog, IngestOptions, Tool};
use policy::{CallContext, Guard, MemoryNonceStore, Nonce, PolicyConfig, SigningKey, mask_secrets};
use serde_json::{Map, Value, json};

fn guard() -> Guard {
    let key = SigningKey::from_bytes(&[42; 32]).unwrap_or_else(|e| panic!("{e}"));
    Guard::new(
        PolicyConfig::default(),
        key,
        Arc::new(MemoryNonceStore::new()),
    )
}

fn proxmox() -> Catalog {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/proxmox-ve.json");
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Catalog::from_slice(&bytes, &IngestOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn find<'c>(cat: &'c Catalog, method: &str, path: &str) -> &'c Tool {
    cat.tools()
        .iter()
        .find(|t| t.method().as_str() == method && t.path() == path)
        .unwrap_or_else(|| panic!("no {method} {path}"))
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let cat = proxmox();
    let g = guard();
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let ctx = CallContext {
        can_elicit: false,
        now,
    };
    let read = find(&cat, "GET", "/nodes/{node}/qemu/{vmid}/status/current");
    let delete = find(&cat, "DELETE", "/nodes/{node}/qemu/{vmid}");
    let read_args = obj(json!({"node": "pve1", "vmid": 100}));
    let del_args = obj(json!({"node": "pve1", "vmid": 100, "purge": true}));

    c.bench_function("check/read", |b| {
        b.iter(|| g.check(black_box(read), black_box(&read_args), &ctx))
    });
    c.bench_function("check/destructive_needs_confirmation", |b| {
        b.iter(|| g.check(black_box(delete), black_box(&del_args), &ctx))
    });
    let mut n: u128 = 0;
    c.bench_function("approve_then_check/approved_once", |b| {
        b.iter(|| {
            n += 1;
            let handle = g
                .approve(delete, &del_args, now, Nonce(n.to_le_bytes()))
                .unwrap_or_else(|d| panic!("{d}"));
            let mut retry = del_args.clone();
            retry.insert("confirmed".into(), Value::Bool(true));
            retry.insert("confirmation".into(), Value::String(handle));
            assert!(g.check(delete, &retry, &ctx).runs());
        })
    });
    c.bench_function("visible_tools/proxmox_628_ops", |b| {
        b.iter(|| g.visible_tools(black_box(&cat)).len())
    });
    c.bench_function("input_schema/all_visible_proxmox", |b| {
        b.iter(|| {
            g.visible_tools(&cat)
                .iter()
                .map(|t| g.input_schema(t, false).as_object().map_or(0, Map::len))
                .sum::<usize>()
        })
    });
    let disks: Vec<Value> = (0..20).map(|i| json!({"size": i, "token": "t"})).collect();
    let body = json!({"name": "vm", "config": {"password": "p", "disks": disks}, "api_key": "k"});
    c.bench_function("mask_secrets/nested_body", |b| {
        b.iter(|| mask_secrets(black_box(&body)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

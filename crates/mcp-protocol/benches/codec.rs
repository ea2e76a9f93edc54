//! Decode + encode of typical `tools/call` traffic. Target: ≥ 200k messages/s on one core.
//!
//! Run: `cargo bench -p mcp-protocol --bench codec`; figures and how they compare with
//! instruction counts: `benches/README.md`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mcp_protocol::jsonrpc::{Incoming, decode};
use std::hint::black_box;

const REQUEST: &str = r#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"pxcloud_vm_list","arguments":{"cluster":"pve-prod-01","node":"node-3","limit":50,"filter":{"status":"running","tags":["web","prod"]}},"_meta":{"progressToken":"p-42"}}}"#;
const RESPONSE: &str = r#"{"jsonrpc":"2.0","id":42,"result":{"content":[{"type":"text","text":"{\"vms\":[{\"id\":101,\"name\":\"web-1\",\"status\":\"running\",\"cpu\":2,\"memory\":4096},{\"id\":102,\"name\":\"web-2\",\"status\":\"running\",\"cpu\":2,\"memory\":4096}],\"total\":2}"}],"structuredContent":{"vms":[{"id":101,"name":"web-1","status":"running","cpu":2,"memory":4096},{"id":102,"name":"web-2","status":"running","cpu":2,"memory":4096}],"total":2},"isError":false}}"#;

fn round_trip(input: &str) -> usize {
    match decode(input.as_bytes()) {
        Ok(Incoming::Single(msg)) => msg.encode().len(),
        _ => 0,
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("tools_call");
    group.throughput(Throughput::Elements(1));
    group.bench_function("request_decode_encode", |b| {
        b.iter(|| round_trip(black_box(REQUEST)))
    });
    group.bench_function("response_decode_encode", |b| {
        b.iter(|| round_trip(black_box(RESPONSE)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

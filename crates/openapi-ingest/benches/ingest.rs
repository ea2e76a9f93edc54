//! Ingest benchmark: parse + ingest of the two largest corpus documents.
//!
//! `cargo bench -p openapi-ingest --bench ingest`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use openapi_ingest::{Catalog, IngestOptions};

const SPECS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs");

fn bench(c: &mut Criterion) {
    let opts = IngestOptions::default();
    for file in ["github-rest-v3-2021.json", "kubernetes-1.35-core-v1.json"] {
        let bytes = match std::fs::read(format!("{SPECS}/{file}")) {
            Ok(b) => b,
            Err(e) => panic!("cannot read {file}: {e}"),
        };
        let mut group = c.benchmark_group("ingest");
        group.sample_size(20);
        // The catalog's drop is left out of the timing; parsing is included.
        group.bench_function(file, |b| {
            b.iter_with_large_drop(|| Catalog::from_slice(black_box(&bytes), &opts))
        });
        // For comparison: the JSON parse alone.
        group.bench_function(format!("{file} (parse only)"), |b| {
            b.iter_with_large_drop(|| {
                serde_json::from_slice::<serde_json::Value>(black_box(&bytes))
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

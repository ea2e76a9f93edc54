//! What the simulator costs per request, so benchmarks of other crates can subtract it.
//!
//! Measures, over plain HTTP/1.1 keep-alive on loopback with a bare hyper client:
//! `GET /api/auth/me` (auth + envelope), `GET /api/vms` (a page of VMs), `POST /api/auth/login`
//! (JWT minting), `GET /api-docs/openapi.json` (the cached document), and building the
//! document itself (done once per simulator start).
//!
//! Run: `cargo bench -p pxcloud-sim --bench sim`

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use pxcloud_sim::{ADMIN_USER, Sim, SimConfig};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = rt
        .block_on(Sim::start(SimConfig {
            log_capacity: 1024,
            ..SimConfig::default()
        }))
        .expect("sim");
    let token = sim.issue_token(ADMIN_USER);
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let url = sim.url();

    let send = |method: &'static str, path: &'static str, body: &'static str| {
        let req = http::Request::builder()
            .method(method)
            .uri(format!("{url}{path}"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("request");
        let client = client.clone();
        async move {
            let resp = client.request(req).await.expect("answer");
            assert!(
                resp.status().is_success(),
                "{method} {path}: {}",
                resp.status()
            );
            resp.into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes()
                .len()
        }
    };

    let mut g = c.benchmark_group("sim");
    g.bench_function("GET /api/auth/me", |b| {
        b.iter(|| rt.block_on(send("GET", "/api/auth/me", "")))
    });
    g.bench_function("GET /api/vms", |b| {
        b.iter(|| rt.block_on(send("GET", "/api/vms", "")))
    });
    g.bench_function("POST /api/auth/login", |b| {
        b.iter(|| {
            rt.block_on(send(
                "POST",
                "/api/auth/login",
                r#"{"username":"admin","password":"admin-pass"}"#,
            ))
        })
    });
    g.bench_function("GET /api-docs/openapi.json", |b| {
        b.iter(|| rt.block_on(send("GET", "/api-docs/openapi.json", "")))
    });
    g.bench_function("build the document", |b| b.iter(pxcloud_sim::openapi_json));
    g.finish();
    rt.block_on(sim.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);

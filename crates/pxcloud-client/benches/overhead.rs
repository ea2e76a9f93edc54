//! The client stack's overhead over bare hyper, against pxcloud-sim on loopback.
//!
//! Both sides send the same authenticated `GET /api/auth/me` over plain HTTP/1.1 keep-alive
//! connections to the same simulator; the difference is the stack (deadline, retry,
//! per-attempt timeout, concurrency limit, auth, size-capped body read, error mapping).
//! Besides criterion's report, the bench prints p50/p90/p99 of interleaved samples and the
//! p50 overhead (target: < 50 µs).
//!
//! Run: `cargo bench -p pxcloud-client --bench overhead`

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use pxcloud_client::{ApiRequest, Auth, Client, ClientConfig, Secret};
use pxcloud_sim::{ADMIN_USER, Sim, SimConfig};
use tokio::runtime::Runtime;

const PATH: &str = "/api/auth/me";

struct Setup {
    rt: Runtime,
    sim: Sim,
    token: String,
    client: Client,
    bare: HyperClient<HttpConnector, Full<Bytes>>,
}

fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = rt
        .block_on(Sim::start(SimConfig::default()))
        .expect("simulator");
    let token = sim.issue_token(ADMIN_USER);
    let config = ClientConfig::new(sim.url(), Auth::Token(Secret::new(token.clone())));
    let client = Client::new(config).expect("client");
    let bare = {
        let _guard = rt.enter();
        HyperClient::builder(TokioExecutor::new()).build(HttpConnector::new())
    };
    Setup {
        rt,
        sim,
        token,
        client,
        bare,
    }
}

async fn bare_call(s: &Setup) -> usize {
    let request = http::Request::get(format!("{}{PATH}", s.sim.url()))
        .header("authorization", format!("Bearer {}", s.token))
        .header("accept", "application/json")
        .body(Full::new(Bytes::new()))
        .expect("request");
    let response = s.bare.request(request).await.expect("bare hyper call");
    assert!(response.status().is_success());
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    body.len()
}

async fn client_call(s: &Setup) -> usize {
    let response = s
        .client
        .send(ApiRequest::get(PATH))
        .await
        .expect("client call");
    assert_eq!(response.status, 200);
    response.body.len()
}

fn bench(c: &mut Criterion) {
    let s = setup();
    let mut group = c.benchmark_group("loopback_get");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("bare_hyper", |b| b.iter(|| s.rt.block_on(bare_call(&s))));
    group.bench_function("pxcloud_client", |b| {
        b.iter(|| s.rt.block_on(client_call(&s)))
    });
    group.finish();
    s.sim.log().clear();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(idx).copied().unwrap_or_default()
}

/// Interleaved samples, so drift (the simulator's log growing, CPU frequency) hits both.
fn percentile_report() {
    let s = setup();
    const WARMUP: usize = 500;
    const SAMPLES: usize = 5000;
    let mut bare = Vec::with_capacity(SAMPLES);
    let mut stack = Vec::with_capacity(SAMPLES);
    s.rt.block_on(async {
        for _ in 0..WARMUP {
            bare_call(&s).await;
            client_call(&s).await;
        }
        for i in 0..SAMPLES {
            if i % 1000 == 0 {
                s.sim.log().clear();
            }
            let t = Instant::now();
            bare_call(&s).await;
            bare.push(t.elapsed());
            let t = Instant::now();
            client_call(&s).await;
            stack.push(t.elapsed());
        }
    });
    bare.sort();
    stack.sort();
    println!(
        "\npercentiles over {SAMPLES} interleaved samples each (GET {PATH}, loopback, HTTP/1.1):"
    );
    for (name, v) in [("bare hyper", &bare), ("pxcloud-client", &stack)] {
        println!(
            "  {name:<15} p50 {:>9.1?}  p90 {:>9.1?}  p99 {:>9.1?}",
            percentile(v, 0.5),
            percentile(v, 0.9),
            percentile(v, 0.99)
        );
    }
    let p50_bare = percentile(&bare, 0.5);
    let p50_stack = percentile(&stack, 0.5);
    let overhead = p50_stack.as_secs_f64() - p50_bare.as_secs_f64();
    println!(
        "  p50 overhead of the stack: {:.1} µs (target < 50 µs)",
        overhead * 1e6
    );
    println!(
        "  connections opened by the client: {}",
        s.client.stats().connections_opened
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    percentile_report();
    Criterion::default().configure_from_args().final_summary();
}

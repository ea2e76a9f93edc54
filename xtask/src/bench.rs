//! `cargo xtask bench`: the release server measured against the release pxcloud-sim on
//! loopback; writes `docs/benchmarks.md` (see [`report`] for what each figure means).

mod earlier;
mod http;
pub(crate) mod link_order;
mod mcp;
pub(crate) mod naive;
mod report;
mod stats;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::args::Args;
use crate::build;
use crate::e2e::HttpServer;
use crate::proc::{self, ChildGuard};
use crate::workspace;

use http::Conn;
use mcp::{StdioServer, Watchdog};
use report::{Ingest, Machine, Results, Throughput};

/// The GET every per-call figure uses: one VM, about 600 bytes of JSON.
const VM: &str = "cluster1:pve1:100";
/// Calls in flight for the throughput figures.
const IN_FLIGHT: usize = 16;

/// How many samples; `--quick` is a smoke run.
#[derive(Debug, Clone, Copy)]
struct Plan {
    cold_starts: usize,
    latency_rounds: usize,
    latency_round_calls: usize,
    load_secs: f64,
    ingest_specs: usize,
    ingest_runs: usize,
}

const FULL: Plan = Plan {
    cold_starts: 21,
    latency_rounds: 10,
    latency_round_calls: 300,
    load_secs: 4.0,
    ingest_specs: 4,
    ingest_runs: 3,
};
const QUICK: Plan = Plan {
    cold_starts: 3,
    latency_rounds: 2,
    latency_round_calls: 50,
    load_secs: 0.5,
    ingest_specs: 1,
    ingest_runs: 1,
};

/// Runs the task and writes the report.
pub(crate) fn run(argv: &[String]) -> Result<bool> {
    // The measuring client sits inside every latency figure: a dev build of xtask
    // (unoptimized, its dependencies at opt-level 1) added about 150 µs to each stdio call
    // (p50 317 vs. 163-176 µs overhead, `--quick`, same server). Measure with an optimized one.
    // The release server and simulator are built in the same invocation, with the same
    // features, so the optimized xtask finds them fresh (see `build`).
    if cfg!(debug_assertions) {
        let [optimized, _, _] = build::binaries(
            [
                ("xtask", "xtask"),
                ("pxcloud-mcp", "pxcloud-mcp"),
                ("pxcloud-sim", "pxcloud-sim"),
            ],
            true,
        )?;
        println!(
            "xtask bench: measuring with the optimized client {}",
            optimized.display()
        );
        let status = Command::new(&optimized)
            .arg("bench")
            .args(argv)
            .status()
            .with_context(|| format!("cannot run {}", optimized.display()))?;
        return Ok(status.success());
    }
    let mut args = Args::new(argv);
    let quick = args.switch("--quick");
    let out = args.value("--out")?.map_or_else(
        || workspace::root().join("docs").join("benchmarks.md"),
        PathBuf::from,
    );
    args.finish()?;
    let plan = if quick { QUICK } else { FULL };
    let started = Instant::now();

    let [server, sim_bin] = build::binaries(
        [
            ("pxcloud-mcp", "pxcloud-mcp"),
            ("pxcloud-sim", "pxcloud-sim"),
        ],
        true,
    )?;
    let machine = Machine::probe(if quick {
        "cargo xtask bench --quick"
    } else {
        "cargo xtask bench"
    })?;
    println!(
        "xtask bench: {} × {}, {}",
        machine.cpus, machine.cpu_model, machine.rustc
    );

    let sim = SimProcess::start(&sim_bin, 0, "bench-sim")?;
    let mut results = Results {
        link_order: link_order::matched(&server),
        ..Results::default()
    };
    let env = server_env(&sim.url);

    println!("xtask bench: cold start ({} runs)", plan.cold_starts);
    cold_start(&server, &env, plan, &mut results)?;
    println!("xtask bench: tools/list sizes");
    list_sizes(&server, &env, &mut results)?;
    println!(
        "xtask bench: the earlier server ({} {} from npm) against the same simulator",
        earlier::PACKAGE,
        earlier::VERSION
    );
    results.earlier = Some(
        earlier::compare(
            &sim.url,
            pxcloud_sim::ADMIN_USER,
            pxcloud_sim::ADMIN_PASSWORD,
            &results.full_listing,
        )
        .map_err(|e| format!("{e:#}")),
    );
    println!("xtask bench: per-call latency over stdio");
    latency(&server, &env, &sim, plan, &mut results)?;
    println!("xtask bench: throughput with {IN_FLIGHT} calls in flight over HTTP");
    results
        .throughput
        .push(throughput(&server, &env, &sim, plan, "none")?);
    drop(sim);
    let slow = SimProcess::start(&sim_bin, 5, "bench-sim-5ms")?;
    results.throughput.push(throughput(
        &server,
        &server_env(&slow.url),
        &slow,
        plan,
        "5 ms",
    )?);
    drop(slow);
    println!("xtask bench: ingest of the largest specs");
    ingest(&server, plan, &mut results)?;

    results.seconds = started.elapsed().as_secs_f64();
    let text = report::render(&machine, &results);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&out, &text).with_context(|| format!("cannot write {}", out.display()))?;
    println!("{}", report::table(&results));
    println!(
        "xtask bench: wrote {} in {:.0} s",
        out.display(),
        results.seconds
    );
    Ok(true)
}

/// The release simulator on a free loopback port, plain HTTP (the figures are about the
/// server, not TLS); killed when dropped.
struct SimProcess {
    process: ChildGuard,
    url: String,
    address: String,
}

impl SimProcess {
    fn start(binary: &Path, latency_ms: u64, log_name: &str) -> Result<Self> {
        let port = proc::free_port()?;
        let address = format!("127.0.0.1:{port}");
        let log = workspace::log_dir()?.join(format!("{log_name}.log"));
        let out = File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
        let err = out.try_clone().context("cannot reopen the log")?;
        let mut command = Command::new(binary);
        command
            .args(["--bind", &address, "--log-capacity", "1000"])
            .args(["--latency-ms", &latency_ms.to_string()])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let mut process = ChildGuard::spawn(&mut command, "pxcloud-sim")?;
        proc::wait_for_port(&mut process, port, Duration::from_secs(30), &log)?;
        Ok(Self {
            process,
            url: format!("http://{address}"),
            address,
        })
    }

    /// A token for direct calls.
    fn token(&self) -> Result<String> {
        let mut conn = Conn::open(&self.address)?;
        let body =
            json!({"username": pxcloud_sim::ADMIN_USER, "password": pxcloud_sim::ADMIN_PASSWORD});
        let answer = conn.request(
            "POST",
            "/api/auth/login",
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )?;
        let value: Value =
            serde_json::from_slice(&answer.body).context("login answered non-JSON")?;
        ["/data/token", "/data/access_token", "/token"]
            .iter()
            .find_map(|p| value.pointer(p).and_then(Value::as_str))
            .map(str::to_owned)
            .with_context(|| format!("login answered {} without a token", answer.status))
    }
}

impl std::fmt::Debug for SimProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pxcloud-sim pid {} at {}", self.process.id(), self.url)
    }
}

fn server_env(url: &str) -> Vec<(String, String)> {
    vec![
        ("PXCLOUD_URL".to_owned(), url.to_owned()),
        (
            "PXCLOUD_USER".to_owned(),
            pxcloud_sim::ADMIN_USER.to_owned(),
        ),
        (
            "PXCLOUD_PASS".to_owned(),
            pxcloud_sim::ADMIN_PASSWORD.to_owned(),
        ),
        ("PXCLOUD_LOG_LEVEL".to_owned(), "warn".to_owned()),
    ]
}

fn log_path(name: &str) -> Result<PathBuf> {
    Ok(workspace::log_dir()?.join(format!("{name}.log")))
}

/// Spawn → initialize → every page of tools/list, over stdio; also the peak RSS then.
fn cold_start(
    server: &Path,
    env: &[(String, String)],
    plan: Plan,
    results: &mut Results,
) -> Result<()> {
    for _ in 0..plan.cold_starts {
        let started = Instant::now();
        let mut client = StdioServer::spawn(server, env, &log_path("bench-cold")?)?;
        client.initialize()?;
        let tools = client.list_tools()?;
        results.cold_start.push(started.elapsed());
        results.cold_rss_kib = results.cold_rss_kib.max(stats::peak_rss_kib(client.pid())?);
        results.tools_full = tools.len();
        client.stop();
    }
    Ok(())
}

/// tools/list in full and dynamic mode, and the naive baseline for the same operations.
fn list_sizes(server: &Path, env: &[(String, String)], results: &mut Results) -> Result<()> {
    let full = list(server, env)?;
    results.list_full_bytes = bytes(&full);
    results.full_listing = full.clone();
    let spec: Value = serde_json::from_str(&pxcloud_sim::openapi_json())
        .context("the simulator's spec is not JSON")?;
    let compared = compare(&spec, &full);
    if compared.ops + 3 < full.len() {
        bail!(
            "only {} of {} tools have an operation in the simulator's spec",
            compared.ops,
            full.len()
        );
    }
    results.composition = composition(&full);
    results.list_ops_bytes = compared.ours_bytes;
    results.ops = compared.ops;
    results.naive_bytes = compared.naive_bytes;
    results.lost = compared.lost;

    let mut dynamic_env = env.to_vec();
    dynamic_env.push(("PXCLOUD_TOOL_MODE".to_owned(), "dynamic".to_owned()));
    let dynamic = list(server, &dynamic_env)?;
    results.list_dynamic_bytes = bytes(&dynamic);
    results.tools_dynamic = dynamic.len();
    Ok(())
}

fn list(server: &Path, env: &[(String, String)]) -> Result<Vec<Value>> {
    let mut client = StdioServer::spawn(server, env, &log_path("bench-list")?)?;
    client.initialize()?;
    let tools = client.list_tools()?;
    client.stop();
    Ok(tools)
}

/// The server's operation tools against the naive generator's for the same operations.
#[derive(Debug, Default)]
pub(crate) struct Compared {
    pub(crate) ops: usize,
    pub(crate) ours_bytes: usize,
    pub(crate) naive_bytes: usize,
    pub(crate) lost: Vec<String>,
}

pub(crate) fn compare(spec: &Value, tools: &[Value]) -> Compared {
    let mut ours = Vec::new();
    let mut naive_tools = Vec::new();
    let mut lost = Vec::new();
    for tool in tools {
        let (Some(method), Some(path)) = (
            tool.pointer("/_meta/method").and_then(Value::as_str),
            tool.pointer("/_meta/path").and_then(Value::as_str),
        ) else {
            continue;
        };
        let Some(naive) = naive::naive_tool(spec, method, path) else {
            continue;
        };
        for text in naive::lost_descriptions(&naive, tool) {
            lost.push(format!("{method} {path}: {text}"));
        }
        ours.push(tool.clone());
        naive_tools.push(naive);
    }
    Compared {
        ops: ours.len(),
        ours_bytes: bytes(&ours),
        naive_bytes: bytes(&naive_tools),
        lost,
    }
}

/// Bytes per top-level member of the tool objects (`inputSchema`, `outputSchema`, ...),
/// largest first.
pub(crate) fn composition(tools: &[Value]) -> Vec<(String, usize)> {
    let mut sizes: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for tool in tools {
        if let Some(map) = tool.as_object() {
            for (key, value) in map {
                *sizes.entry(key.clone()).or_default() += key.len() + 3 + value.to_string().len();
            }
        }
    }
    let mut sizes: Vec<(String, usize)> = sizes.into_iter().collect();
    sizes.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
    sizes
}

/// The tools as one compact JSON array, in bytes.
pub(crate) fn bytes(tools: &[Value]) -> usize {
    Value::Array(tools.to_vec()).to_string().len()
}

/// Sequential calls of the same GET: through the server over stdio, and directly over one
/// keep-alive connection; interleaved in rounds so drift hits both alike.
fn latency(
    server: &Path,
    env: &[(String, String)],
    sim: &SimProcess,
    plan: Plan,
    results: &mut Results,
) -> Result<()> {
    let mut client = StdioServer::spawn(server, env, &log_path("bench-latency")?)?;
    client.initialize()?;
    let token = sim.token()?;
    let auth = format!("Bearer {token}");
    let mut direct = Conn::open(&sim.address)?;
    let path = format!("/api/vms/{VM}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Accept", "application/json"),
    ];
    let args = json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}});
    let mut id = 1000;
    // Warm-up: connections, caches, the server's token.
    for _ in 0..50 {
        id += 1;
        client.request(id, "tools/call", args.clone())?;
        direct.request("GET", &path, &headers, b"")?;
    }
    // The server idles while the direct calls run, so its CPU time over all rounds is the
    // CPU of the calls made through it.
    let cpu_before = stats::cpu_time(client.pid())?;
    for _ in 0..plan.latency_rounds {
        for _ in 0..plan.latency_round_calls {
            let started = Instant::now();
            let answer = direct.request("GET", &path, &headers, b"")?;
            results.latency_direct.push(started.elapsed());
            if answer.status != 200 {
                bail!("direct GET {path} answered {}", answer.status);
            }
        }
        for _ in 0..plan.latency_round_calls {
            id += 1;
            let started = Instant::now();
            let result = client.request(id, "tools/call", args.clone())?;
            results.latency_server.push(started.elapsed());
            if result.get("isError") == Some(&Value::Bool(true)) {
                bail!("tools/call pxcloud_get_vm failed: {result}");
            }
        }
    }
    let cpu = stats::cpu_time(client.pid())?.saturating_sub(cpu_before);
    results.stdio_cpu_per_call = cpu.div_f64(results.latency_server.len().max(1) as f64);
    results.stdio_rss_kib = stats::peak_rss_kib(client.pid())?;
    client.stop();
    Ok(())
}

/// `IN_FLIGHT` threads, each with its own keep-alive connection, for `plan.load_secs`:
/// first straight to the simulator, then tools/call through the server over HTTP.
fn throughput(
    server: &Path,
    env: &[(String, String)],
    sim: &SimProcess,
    plan: Plan,
    backend_latency: &str,
) -> Result<Throughput> {
    let token = sim.token()?;
    let auth = format!("Bearer {token}");
    let path = format!("/api/vms/{VM}");
    let duration = Duration::from_secs_f64(plan.load_secs);
    let direct = load(&sim.address, duration, |conn, _| {
        let answer = conn.request(
            "GET",
            &path,
            &[("Authorization", &auth), ("Accept", "application/json")],
            b"",
        )?;
        Ok(answer.status == 200)
    })?;

    let http = HttpServer::start(server, env, &log_path("bench-http")?)?;
    let address = http
        .url()
        .trim_start_matches("http://")
        .trim_end_matches("/mcp")
        .to_owned();
    let headers = [
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
        ("MCP-Protocol-Version", mcp::MODERN),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", "pxcloud_get_vm"),
    ];
    let args = json!({"id": VM});
    let call = |conn: &mut Conn, id: u64| -> Result<bool> {
        let answer = conn.request(
            "POST",
            "/mcp",
            &headers,
            &mcp::modern_call(id, "pxcloud_get_vm", &args),
        )?;
        Ok(answer.status == 200 && mcp::call_succeeded(sse_or_json(&answer.body)))
    };
    // Warm-up (login, connections), then the measured run with the CPU time around it.
    load(&address, Duration::from_millis(300), call)?;
    let cpu_before = stats::cpu_time(http.pid())?;
    let via = load(&address, duration, call)?;
    let cpu = stats::cpu_time(http.pid())?.saturating_sub(cpu_before);
    let rss_kib = stats::peak_rss_kib(http.pid())?;
    http.stop();
    Ok(Throughput {
        backend_latency: backend_latency.to_owned(),
        direct_rps: direct.rate(),
        server_rps: via.rate(),
        server_cpu_per_call: cpu.div_f64(via.calls.max(1) as f64),
        rss_kib,
        errors: direct.errors + via.errors,
    })
}

/// The JSON-RPC message of a response body: the body itself, or its SSE `data:` line.
fn sse_or_json(body: &[u8]) -> &[u8] {
    if body.first() == Some(&b'{') {
        return body;
    }
    body.split(|b| *b == b'\n')
        .filter_map(|line| line.strip_prefix(b"data:"))
        .map(|data| data.trim_ascii())
        .find(|data| data.first() == Some(&b'{'))
        .unwrap_or(body)
}

#[derive(Debug, Default, Clone, Copy)]
struct Load {
    calls: u64,
    errors: u64,
    elapsed: Duration,
}

impl Load {
    fn rate(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `call` from `IN_FLIGHT` threads for `duration`; failed calls are counted, and a
/// connection error ends that thread's run with an error.
fn load(
    address: &str,
    duration: Duration,
    call: impl Fn(&mut Conn, u64) -> Result<bool> + Sync,
) -> Result<Load> {
    let started = Instant::now();
    let deadline = started + duration;
    let outcomes: Vec<Result<(u64, u64)>> = thread::scope(|scope| {
        let workers: Vec<_> = (0..IN_FLIGHT)
            .map(|worker| {
                let call = &call;
                scope.spawn(move || -> Result<(u64, u64)> {
                    let mut conn = Conn::open(address)?;
                    let (mut calls, mut errors) = (0_u64, 0_u64);
                    let mut id = (worker as u64) << 32;
                    while Instant::now() < deadline {
                        id += 1;
                        if call(&mut conn, id)? {
                            calls += 1;
                        } else {
                            errors += 1;
                        }
                    }
                    Ok((calls, errors))
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a load thread panicked")))
            })
            .collect()
    });
    let elapsed = started.elapsed();
    let mut total = Load {
        elapsed,
        ..Load::default()
    };
    for outcome in outcomes {
        let (calls, errors) = outcome?;
        total.calls += calls;
        total.errors += errors;
    }
    Ok(total)
}

/// `pxcloud-mcp tools --spec-file FILE --json` for the largest documents in `specs/`.
/// `pxcloud-mcp tools --spec-file SPEC --json` (killed after 120 s): what it printed, and
/// the time from spawn to exit (reading the JSON is not part of it).
pub(crate) fn tools_json(server: &Path, spec: &Path) -> Result<(Value, Duration)> {
    let started = Instant::now();
    let child = Command::new(server)
        .arg("tools")
        .arg("--spec-file")
        .arg(spec)
        .arg("--json")
        .env("PXCLOUD_LOG_LEVEL", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {} tools", server.display()))?;
    let watchdog = Watchdog::arm(child.id(), Duration::from_secs(120));
    let output = child
        .wait_with_output()
        .context("cannot wait for pxcloud-mcp tools")?;
    let elapsed = started.elapsed();
    drop(watchdog);
    if !output.status.success() {
        bail!(
            "pxcloud-mcp tools --spec-file {} failed ({}): {}",
            spec.display(),
            output.status,
            crate::text::last_lines(&String::from_utf8_lossy(&output.stderr), 10)
        );
    }
    let listed = serde_json::from_slice(&output.stdout).context("tools --json printed no JSON")?;
    Ok((listed, elapsed))
}

fn ingest(server: &Path, plan: Plan, results: &mut Results) -> Result<()> {
    let dir = workspace::root().join("specs");
    let mut specs: Vec<(u64, PathBuf)> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "yaml"))
        .filter_map(|p| std::fs::metadata(&p).ok().map(|m| (m.len(), p)))
        .collect();
    specs.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
    for (size, spec) in specs.into_iter().take(plan.ingest_specs) {
        let mut times = Vec::new();
        let mut listed = Value::Null;
        for _ in 0..plan.ingest_runs {
            let (printed, elapsed) = tools_json(server, &spec)?;
            listed = printed;
            times.push(elapsed);
        }
        let tools = listed.as_array().cloned().unwrap_or_default();
        let name = spec
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // The naive comparison on a real-world document (JSON only: no YAML parser here).
        let (ours_bytes, naive_bytes, lost) = if spec.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&spec)
                .with_context(|| format!("cannot read {}", spec.display()))?;
            let document: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", spec.display()))?;
            let compared = compare(&document, &tools);
            (
                compared.ours_bytes,
                Some(compared.naive_bytes),
                compared.lost,
            )
        } else {
            (bytes(&tools), None, Vec::new())
        };
        results.ingest.push(Ingest {
            file: name,
            bytes: size,
            tools: tools.len(),
            median: stats::percentile(&times, 50.0),
            ours_bytes,
            naive_bytes,
            lost,
        });
    }
    Ok(())
}

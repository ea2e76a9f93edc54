//! `cargo xtask link-order`: writes `bins/pxcloud-mcp/link/startup-order.txt`, the functions
//! of the release server that run when it starts and serves, which its build script hands to
//! the linker so they sit together (see `bins/pxcloud-mcp/build.rs` for why).
//!
//! The server runs under callgrind (valgrind must be installed) against an in-process
//! pxcloud-sim, over plain HTTP and over HTTPS with a pinned fingerprint, as users run it:
//! stdio in the legacy era (initialize, every tools/list page, prompts and resources, calls
//! that succeed, fail at PXCloud or fail validation) and Streamable HTTP in the stateless era.
//! Every function of the binary that ran at least one instruction goes into the list: first
//! those that ran in every run, then those of fewer runs (TLS only, HTTP only), by name within
//! each group so a regenerated list diffs by what changed.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use pxcloud_sim::{Sim, SimConfig};
use serde_json::json;

use super::http::Conn;
use super::mcp::{self, StdioServer};
use crate::args::Args;
use crate::build::release_binary;
use crate::e2e::HttpServer;
use crate::workspace;

/// Where the list lives, relative to the workspace root.
pub(crate) const ORDER_FILE: &str = "bins/pxcloud-mcp/link/startup-order.txt";

const VM: &str = "cluster1:pve1:100";

/// Runs the task.
pub(crate) fn run(argv: &[String]) -> Result<bool> {
    let mut args = Args::new(argv);
    let out = args
        .value("--out")?
        .map_or_else(|| workspace::root().join(ORDER_FILE), PathBuf::from);
    args.finish()?;
    let valgrind = Command::new("valgrind").arg("--version").output();
    if !valgrind.is_ok_and(|o| o.status.success()) {
        bail!(
            "valgrind is not installed (the list is taken from callgrind runs); install it, e.g. `apt-get install valgrind`"
        );
    }
    let server = release_binary("pxcloud-mcp", "pxcloud-mcp")?;
    let logs = workspace::log_dir()?;
    let profiles = logs.join("link-order");
    if profiles.exists() {
        fs::remove_dir_all(&profiles)
            .with_context(|| format!("cannot empty {}", profiles.display()))?;
    }
    fs::create_dir_all(&profiles)
        .with_context(|| format!("cannot create {}", profiles.display()))?;
    let wrapper = write_wrapper(&profiles, &server)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start a runtime for the simulator")?;
    for tls in [false, true] {
        let sim = runtime
            .block_on(Sim::start(SimConfig {
                tls,
                ..SimConfig::default()
            }))
            .context("cannot start pxcloud-sim")?;
        let mut env = vec![
            ("PXCLOUD_URL".to_owned(), sim.url()),
            (
                "PXCLOUD_USER".to_owned(),
                pxcloud_sim::ADMIN_USER.to_owned(),
            ),
            (
                "PXCLOUD_PASS".to_owned(),
                pxcloud_sim::ADMIN_PASSWORD.to_owned(),
            ),
            ("PXCLOUD_LOG_LEVEL".to_owned(), "warn".to_owned()),
            ("PATH".to_owned(), std::env::var("PATH").unwrap_or_default()),
        ];
        if let Some(fingerprint) = sim.fingerprint_sha256() {
            env.push(("PXCLOUD_TLS_FINGERPRINT".to_owned(), fingerprint));
        }
        let scheme = if tls { "https" } else { "http" };
        println!("xtask link-order: stdio against {scheme} pxcloud-sim under callgrind");
        stdio_run(
            &wrapper,
            &env,
            &logs.join(format!("link-order-stdio-{scheme}.log")),
        )?;
        println!("xtask link-order: Streamable HTTP against {scheme} pxcloud-sim under callgrind");
        http_run(
            &wrapper,
            &env,
            &logs.join(format!("link-order-http-{scheme}.log")),
        )?;
        runtime.block_on(sim.shutdown());
    }

    // How many runs each function ran in: those every run needs come first, so a run that
    // needs fewer (plain HTTP, no TLS) touches a shorter stretch of code.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut runs = 0;
    for entry in fs::read_dir(&profiles).context("cannot list the profiles")? {
        let path = entry?.path();
        if !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("callgrind."))
        {
            continue;
        }
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        for name in functions_of(&text, &server) {
            *seen.entry(name).or_default() += 1;
        }
        runs += 1;
    }
    let mut names: Vec<(usize, String)> = seen.into_iter().map(|(n, c)| (c, n)).collect();
    names.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    if runs < 4 || names.is_empty() {
        bail!(
            "callgrind wrote {runs} profile(s) with {} function(s) of {} in {}; expected 4 runs",
            names.len(),
            server.display(),
            profiles.display()
        );
    }
    let mut text = String::new();
    for (_, name) in &names {
        text.push_str(name);
        text.push('\n');
    }
    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    fs::write(&out, text).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "xtask link-order: wrote {} ({} functions from {runs} runs); rebuild the release binary to use it",
        out.display(),
        names.len()
    );
    Ok(true)
}

/// A script that runs the server under callgrind, one profile per process.
fn write_wrapper(dir: &Path, server: &Path) -> Result<PathBuf> {
    let path = dir.join("pxcloud-mcp-under-callgrind");
    let script = format!(
        "#!/bin/sh\nexec valgrind --tool=callgrind --demangle=no --dump-line=no --callgrind-out-file={}/callgrind.%p '{}' \"$@\"\n",
        dir.display(),
        server.display()
    );
    fs::write(&path, script).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    Ok(path)
}

/// The legacy era over stdio: what an assistant does in a session.
fn stdio_run(wrapper: &Path, env: &[(String, String)], log: &Path) -> Result<()> {
    let mut client = StdioServer::spawn_program(wrapper, &[], env, log, "pxcloud-mcp (callgrind)")?;
    client.initialize()?;
    let tools = client.list_tools()?;
    if tools.is_empty() {
        bail!("tools/list under callgrind returned no tools");
    }
    client.request(900, "prompts/list", json!({}))?;
    client.request(901, "resources/list", json!({}))?;
    let calls = [
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
        json!({"name": "pxcloud_list_vms", "arguments": {}}),
        json!({"name": "pxcloud_get_vm", "arguments": {"id": "cluster9:none:1"}}),
        json!({"name": "pxcloud_get_vm", "arguments": {}}),
    ];
    for (i, call) in calls.into_iter().enumerate() {
        client.request(1000 + i as u64, "tools/call", call)?;
    }
    // EOF on stdin ends the server; valgrind writes the profile as it exits.
    client.stop();
    Ok(())
}

/// The stateless era over Streamable HTTP.
fn http_run(wrapper: &Path, env: &[(String, String)], log: &Path) -> Result<()> {
    let server = HttpServer::start(wrapper, env, log)?;
    let address = server
        .url()
        .trim_start_matches("http://")
        .trim_end_matches("/mcp")
        .to_owned();
    let mut conn = Conn::open(&address)?;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": mcp::MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "xtask-link-order", "version": "1"}
        }
    }})
    .to_string();
    let base = [
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
        ("MCP-Protocol-Version", mcp::MODERN),
    ];
    let mut headers = base.to_vec();
    headers.push(("Mcp-Method", "tools/list"));
    let answer = conn.request("POST", "/mcp", &headers, list.as_bytes())?;
    if answer.status != 200 {
        bail!("tools/list over HTTP answered {}", answer.status);
    }
    let mut headers = base.to_vec();
    headers.push(("Mcp-Method", "tools/call"));
    headers.push(("Mcp-Name", "pxcloud_get_vm"));
    for id in 0..3 {
        let body = mcp::modern_call(10 + id, "pxcloud_get_vm", &json!({"id": VM}));
        let answer = conn.request("POST", "/mcp", &headers, &body)?;
        if answer.status != 200 {
            bail!("tools/call over HTTP answered {}", answer.status);
        }
    }
    drop(conn);
    // SIGTERM lets valgrind write the profile.
    server.stop();
    Ok(())
}

/// The functions of `binary` that ran, from a callgrind profile: the `fn=` entries under an
/// `ob=` naming the binary. Names are compressed (`(id) name` the first time, `(id)` after).
pub(crate) fn functions_of(profile: &str, binary: &Path) -> BTreeSet<String> {
    let binary = binary.to_string_lossy();
    let mut objects: HashMap<String, bool> = HashMap::new();
    let mut functions: HashMap<String, String> = HashMap::new();
    let mut in_binary = false;
    let mut out = BTreeSet::new();
    for line in profile.lines() {
        if let Some(rest) = line.strip_prefix("ob=") {
            let (id, name) = split_compressed(rest);
            in_binary = match (id, name) {
                (Some(id), Some(name)) => {
                    let ours = name == binary;
                    objects.insert(id.to_owned(), ours);
                    ours
                }
                (Some(id), None) => objects.get(id).copied().unwrap_or(false),
                (None, name) => name == Some(binary.as_ref()),
            };
        } else if let Some(rest) = line.strip_prefix("fn=") {
            let (id, name) = split_compressed(rest);
            let name = match (id, name) {
                (Some(id), Some(name)) => {
                    functions.insert(id.to_owned(), name.to_owned());
                    Some(name.to_owned())
                }
                (Some(id), None) => functions.get(id).cloned(),
                (None, name) => name.map(str::to_owned),
            };
            if in_binary && let Some(name) = name.filter(|n| is_symbol(n)) {
                out.insert(name);
            }
        } else if let Some(rest) = line.strip_prefix("cfn=") {
            // Callee names are defined here too the first time they appear.
            if let (Some(id), Some(name)) = split_compressed(rest) {
                functions.insert(id.to_owned(), name.to_owned());
            }
        } else if let Some(rest) = line.strip_prefix("cob=")
            && let (Some(id), Some(name)) = split_compressed(rest)
        {
            objects.insert(id.to_owned(), name == binary);
        }
    }
    out
}

/// `(12) name` → (Some("12"), Some("name")); `(12)` → (Some("12"), None); `name` → (None, Some).
fn split_compressed(rest: &str) -> (Option<&str>, Option<&str>) {
    if let Some(inner) = rest.strip_prefix('(')
        && let Some((id, tail)) = inner.split_once(')')
    {
        let name = tail.trim_start();
        return (Some(id), (!name.is_empty()).then_some(name));
    }
    (None, (!rest.is_empty()).then_some(rest))
}

/// A linkable symbol name, not callgrind's `0x…` for code without one.
fn is_symbol(name: &str) -> bool {
    !name.starts_with("0x") && !name.contains(' ') && !name.contains('\'')
}

/// How many names of the list are defined in `binary` (with `nm`); `None` without `nm`
/// or without the list.
pub(crate) fn matched(binary: &Path) -> Option<(usize, usize)> {
    let list = fs::read_to_string(workspace::root().join(ORDER_FILE)).ok()?;
    let output = Command::new("nm")
        .args(["--defined-only", "--format=just-symbols"])
        .arg(binary)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let defined: BTreeSet<&[u8]> = output.stdout.split(|b| *b == b'\n').collect();
    let names: Vec<&str> = list.lines().filter(|l| !l.is_empty()).collect();
    let found = names
        .iter()
        .filter(|n| defined.contains(n.as_bytes()))
        .count();
    Some((found, names.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_of_the_binary_only_with_compressed_names() {
        let profile = "\
version: 1
ob=(1) /usr/lib/libc.so.6
fn=(1) malloc
1 10
ob=(2) /t/pxcloud-mcp
fn=(2) _ZN4main17h0123456789abcdefE
1 5
cob=(1)
cfn=(1)
calls=1 0
1 10
cfn=(3) _ZN5other17h0000000000000000E
calls=1 0
1 3
fn=(3)
1 3
fn=(4) 0x0000000000010240
1 1
ob=(1)
fn=(1)
1 2
fn=(5) free
1 1
";
        let names = functions_of(profile, Path::new("/t/pxcloud-mcp"));
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "_ZN4main17h0123456789abcdefE",
                "_ZN5other17h0000000000000000E"
            ]
        );
    }

    #[test]
    fn compressed_entries() {
        assert_eq!(split_compressed("(12) name"), (Some("12"), Some("name")));
        assert_eq!(split_compressed("(12)"), (Some("12"), None));
        assert_eq!(split_compressed("name"), (None, Some("name")));
    }
}

//! The documentation's examples, run for real.
//!
//! docs/clients.md (and the README's client block): every JSON and shell block is parsed, its
//! placeholders are replaced by a running HTTPS simulator's URL, credentials and certificate
//! fingerprint, and `pxcloud-mcp` is started exactly as the block says — found on `PATH` by
//! its command name, with the block's arguments and nothing but the block's environment —
//! then driven through `initialize` + `tools/list` and `server/discover` + `tools/list`.
//!
//! docs/troubleshooting.md: every output example is produced by the binary in the situation
//! its section describes and compared line by line (`…` matches any text).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pxcloud_sim::{Sim, SimConfig};
use serde_json::{Map, Value, json};

use crate::client::{self, HttpClient, HttpServer, StdioClient, all_tools, modern_meta};

/// Documented placeholders → what replaces them.
struct Placeholders {
    url: String,
    fingerprint: String,
    token: String,
}

impl Placeholders {
    fn fill(&self, value: &str) -> String {
        match value {
            "https://pxcloud.example:8443" => self.url.clone(),
            "your-password" => pxcloud_sim::ADMIN_PASSWORD.to_owned(),
            "AB:CD:…" => self.fingerprint.clone(),
            // The documented user is the simulator's administrator.
            "admin" => pxcloud_sim::ADMIN_USER.to_owned(),
            other => {
                assert!(
                    !other.contains('…') && !other.contains("example") && !other.contains("${"),
                    "unknown placeholder {other:?}: teach this test what replaces it"
                );
                other.to_owned()
            }
        }
    }
}

fn repo_file(relative: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    (path, text)
}

/// A fenced block: its language, text, first line number and the heading above it.
struct Block {
    lang: String,
    text: String,
    line: usize,
    heading: String,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    let mut heading = String::new();
    for (i, line) in markdown.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(lang)) => {
                open = Some(Block {
                    lang: lang.trim().to_owned(),
                    text: String::new(),
                    line: i + 2,
                    heading: heading.clone(),
                });
            }
            (Some(_), Some("")) => out.extend(open.take()),
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {
                if let Some(h) = line.strip_prefix("## ") {
                    heading = h.trim().to_owned();
                }
            }
        }
    }
    assert!(open.is_none(), "unclosed code block");
    out
}

/// The directory holding the built binary, put first on the `PATH` the snippet runs with,
/// so `"command": "pxcloud-mcp"` finds it the way a client finds an installed one.
fn path_with_binary() -> String {
    let dir = Path::new(env!("CARGO_BIN_EXE_pxcloud-mcp"))
        .parent()
        .expect("binary directory")
        .to_path_buf();
    let mut dirs = vec![dir];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs)
        .expect("PATH")
        .into_string()
        .expect("UTF-8 PATH")
}

/// `command` with `args` and exactly `env` (plus `PATH`), as a client launches it.
fn launch(command: &str, args: &[String], env: &BTreeMap<String, String>) -> Command {
    assert_eq!(
        command, "pxcloud-mcp",
        "snippets start the installed binary by name"
    );
    let mut cmd = Command::new(command);
    client::bare(&mut cmd);
    cmd.env("PATH", path_with_binary()).args(args).envs(env);
    cmd
}

fn legacy_list(cursor: Option<&str>) -> Value {
    cursor.map_or_else(|| json!({}), |c| json!({"cursor": c}))
}

fn modern_list(cursor: Option<&str>) -> Value {
    let mut params = json!({"_meta": modern_meta(json!({}))});
    if let Some(c) = cursor {
        params["cursor"] = json!(c);
    }
    params
}

fn tool_names(tools: &[Value]) -> Vec<&str> {
    tools.iter().filter_map(|t| t["name"].as_str()).collect()
}

/// What the snippet's settings promise about the tool list.
fn check_tools(what: &str, env: &BTreeMap<String, String>, tools: &[Value]) {
    let names = tool_names(tools);
    if env.get("PXCLOUD_TOOL_MODE").map(String::as_str) == Some("dynamic") {
        for name in [
            "pxcloud_search_tools",
            "pxcloud_describe_tool",
            "pxcloud_invoke_tool",
        ] {
            assert!(names.contains(&name), "{what}: {names:?}");
        }
        assert_eq!(
            names.len(),
            6,
            "{what}: three tools plus the workflow tools"
        );
    } else if let Some(profile) = env.get("PXCLOUD_PROFILE") {
        let tags = policy::parse_profile("profile", profile)
            .expect("profile")
            .tags();
        let catalog: Vec<&Value> = tools
            .iter()
            .filter(|t| t["_meta"]["tags"].is_array())
            .collect();
        assert!(catalog.len() > 10, "{what}: {names:?}");
        for tool in catalog {
            let tool_tags = tool["_meta"]["tags"].as_array().expect("tags");
            assert!(
                tool_tags.iter().any(|t| tags.iter().any(|p| t == p)),
                "{what}: {} is outside the {profile} profile",
                tool["name"]
            );
        }
    } else {
        assert!(
            names.len() > 100,
            "{what}: the full catalog: {}",
            names.len()
        );
    }
}

/// initialize + tools/list, then server/discover + tools/list on one stdio connection.
fn drive_stdio(what: &str, cmd: Command, env: &BTreeMap<String, String>) {
    let mut c = StdioClient::spawn(cmd);
    c.initialize("2025-06-18", json!({}));
    let legacy = all_tools(|p| c.call("tools/list", legacy_list(p)));
    let discover = c.call("server/discover", json!({"_meta": modern_meta(json!({}))}));
    assert_eq!(
        discover["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "pxcloud-mcp",
        "{what}: {discover}"
    );
    let modern = all_tools(|p| c.call("tools/list", modern_list(p)));
    assert_eq!(tool_names(&legacy), tool_names(&modern), "{what}");
    check_tools(what, env, &legacy);
    assert!(
        !c.stderr().contains("ERROR"),
        "{what}: errors on stderr:\n{}",
        c.stderr()
    );
}

/// initialize + tools/list, then a stateless tools/list, over Streamable HTTP.
fn drive_http(what: &str, addr: &str, env: &BTreeMap<String, String>) {
    let mut legacy = HttpClient::new(addr);
    legacy.initialize("2025-11-25", json!({}));
    let listed = all_tools(|p| legacy.legacy("tools/list", legacy_list(p)));
    let mut modern = HttpClient::new(addr);
    let discover = modern.modern("server/discover", json!({"_meta": modern_meta(json!({}))}));
    assert_eq!(discover["result"]["resultType"], "complete", "{what}");
    let stateless = all_tools(|p| modern.modern("tools/list", modern_list(p)));
    assert_eq!(tool_names(&listed), tool_names(&stateless), "{what}");
    check_tools(what, env, &listed);
}

/// A documented shell command: `VAR=value … pxcloud-mcp args…` (backslash continuations).
struct ShellCommand {
    env: BTreeMap<String, String>,
    command: String,
    args: Vec<String>,
}

fn parse_shell(text: &str, fill: &Placeholders) -> ShellCommand {
    let joined = text.replace("\\\n", " ");
    assert!(
        !joined.contains(['"', '\'', '$', '|', ';']),
        "this test reads simple commands only: {joined}"
    );
    let mut words = joined.split_whitespace();
    let mut env = BTreeMap::new();
    let mut command = None;
    for word in words.by_ref() {
        match word.split_once('=') {
            Some((k, v)) if k.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
                env.insert(k.to_owned(), fill.fill(v));
            }
            _ => {
                command = Some(word.to_owned());
                break;
            }
        }
    }
    ShellCommand {
        env,
        command: command.expect("a command"),
        args: words.map(str::to_owned).collect(),
    }
}

/// The `"env"` object of a server entry, placeholders filled; `${input:ID}` must name a
/// password input of the same file, and gets a token.
fn entry_env(entry: &Value, inputs: &[Value], fill: &Placeholders) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for (k, v) in entry["env"].as_object().cloned().unwrap_or_default() {
        let v = v.as_str().expect("env values are strings");
        let value = if let Some(id) = v.strip_prefix("${input:").and_then(|r| r.strip_suffix('}')) {
            let input = inputs
                .iter()
                .find(|i| i["id"] == id)
                .unwrap_or_else(|| panic!("${{input:{id}}} has no entry in \"inputs\""));
            assert_eq!(input["type"], "promptString", "{input}");
            assert_eq!(input["password"], true, "secrets are asked as passwords");
            fill.token.clone()
        } else {
            fill.fill(v)
        };
        env.insert(k, value);
    }
    env
}

/// One server entry of a client configuration.
struct Entry {
    name: String,
    fields: Map<String, Value>,
    /// From VS Code's `"servers"` (which needs `"type"`), not `"mcpServers"`.
    vscode: bool,
}

/// The server entries of a client configuration, and the file's `"inputs"` (VS Code).
fn server_entries(config: &Value) -> (Vec<Entry>, Vec<Value>) {
    let (map, vscode) = match (config.get("mcpServers"), config.get("servers")) {
        (Some(m), None) => (m, false),
        (None, Some(m)) => (m, true),
        _ => panic!("a client configuration has mcpServers or (VS Code) servers: {config}"),
    };
    let entries = map
        .as_object()
        .expect("servers object")
        .iter()
        .map(|(name, e)| Entry {
            name: name.clone(),
            fields: e.as_object().expect("entry").clone(),
            vscode,
        })
        .collect();
    let inputs = config["inputs"].as_array().cloned().unwrap_or_default();
    (entries, inputs)
}

#[tokio::test(flavor = "multi_thread")]
async fn client_snippets_start_the_server() {
    let sim = Sim::start(SimConfig {
        tls: true,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let fill = Placeholders {
        url: sim.url(),
        fingerprint: sim.fingerprint_sha256().expect("fingerprint"),
        token: sim.issue_token(pxcloud_sim::ADMIN_USER),
    };

    let (clients_path, clients) = repo_file("docs/clients.md");
    let (readme_path, readme) = repo_file("README.md");
    let mut sources: Vec<(String, Block)> = blocks(&clients)
        .into_iter()
        .map(|b| (clients_path.display().to_string(), b))
        .collect();
    sources.extend(
        blocks(&readme)
            .into_iter()
            .filter(|b| b.lang == "json")
            .map(|b| (readme_path.display().to_string(), b)),
    );

    // The HTTP server of the shell block, which the HTTP client blocks connect to.
    let mut http: Option<(String, HttpServer, BTreeMap<String, String>)> = None;
    let mut http_clients = Vec::new();
    let (mut stdio_runs, mut http_runs) = (0, 0);
    for (file, block) in &sources {
        let what = format!("{file}:{} ({})", block.line, block.heading);
        match block.lang.as_str() {
            "sh" => {
                let mut shell = parse_shell(&block.text, &fill);
                let at = shell
                    .args
                    .iter()
                    .position(|a| a == "--http")
                    .unwrap_or_else(|| panic!("{what}: a shell block starts the HTTP server"));
                let documented = std::mem::replace(&mut shell.args[at + 1], "127.0.0.1:0".into());
                assert!(http.is_none(), "{what}: one HTTP server per page");
                let server = HttpServer::spawn(launch(&shell.command, &shell.args, &shell.env));
                http = Some((documented, server, shell.env));
            }
            "json" => {
                let config: Value = serde_json::from_str(&block.text)
                    .unwrap_or_else(|e| panic!("{what}: not JSON: {e}\n{}", block.text));
                let (entries, inputs) = server_entries(&config);
                assert!(!entries.is_empty(), "{what}");
                for Entry {
                    name,
                    fields: entry,
                    vscode,
                } in entries
                {
                    let what = format!("{what} server {name:?}");
                    let url = entry
                        .get("url")
                        .or_else(|| entry.get("serverUrl"))
                        .and_then(Value::as_str);
                    if vscode {
                        let expected = if url.is_some() { "http" } else { "stdio" };
                        assert_eq!(entry["type"], expected, "{what}: VS Code needs the type");
                    }
                    match (entry.get("command").and_then(Value::as_str), url) {
                        (Some(command), None) => {
                            let args: Vec<String> = entry
                                .get("args")
                                .and_then(Value::as_array)
                                .map(|a| {
                                    a.iter()
                                        .map(|v| fill.fill(v.as_str().expect("string args")))
                                        .collect()
                                })
                                .unwrap_or_default();
                            let env = entry_env(&Value::Object(entry.clone()), &inputs, &fill);
                            drive_stdio(&what, launch(command, &args, &env), &env);
                            stdio_runs += 1;
                        }
                        (None, Some(url)) => http_clients.push((what, url.to_owned())),
                        _ => panic!("{what}: an entry has either command or url/serverUrl"),
                    }
                }
            }
            other => panic!("{what}: a {other:?} block this test cannot run"),
        }
    }
    let (documented, server, env) = http.expect("the page shows how to start the HTTP server");
    for (what, url) in http_clients {
        assert_eq!(
            url,
            format!("http://{documented}/mcp"),
            "{what}: the URL of the documented server"
        );
        drive_http(&what, &server.addr, &env);
        http_runs += 1;
    }
    assert!(
        stdio_runs >= 5 && http_runs >= 3,
        "stdio {stdio_runs}, http {http_runs}"
    );
}

/// `pattern` (with `…` matching any text) matches the whole of `line`.
fn matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    let (first, rest) = parts.split_first().expect("parts");
    let Some(mut tail) = line.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return tail.is_empty();
    };
    for part in middle {
        match tail.find(part) {
            Some(i) => tail = &tail[i + part.len()..],
            None => return false,
        }
    }
    tail.ends_with(last)
}

/// Runs the binary with exactly `env` and `args`, stdin closed.
fn run(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = client::binary();
    cmd.envs(env.iter().copied())
        .args(args)
        .stdin(std::process::Stdio::null());
    cmd.output().expect("run pxcloud-mcp")
}

fn assert_shows(what: &str, example: &str, out: &Output, fingerprint: &str) {
    let printed = String::from_utf8_lossy(&out.stderr).replace(fingerprint, "AB:CD:…");
    for pattern in example.lines().map(str::trim).filter(|l| !l.is_empty()) {
        assert!(
            printed.lines().any(|l| matches(pattern, l.trim())),
            "{what}: the documented line\n  {pattern}\nis not what the binary prints:\n{printed}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn troubleshooting_examples_are_what_the_binary_prints() {
    let sim = Sim::start(SimConfig {
        tls: true,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let url = sim.url();
    let fingerprint = sim.fingerprint_sha256().expect("fingerprint");
    // A port nobody listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };

    let (path, doc) = repo_file("docs/troubleshooting.md");
    let examples = blocks(&doc);
    assert!(examples.len() >= 4, "{}", path.display());
    for block in examples {
        let what = format!("{}:{} ({})", path.display(), block.line, block.heading);
        let user = ("PXCLOUD_USER", pxcloud_sim::ADMIN_USER);
        let pass = ("PXCLOUD_PASS", pxcloud_sim::ADMIN_PASSWORD);
        let (example, out, code) = if block.heading.starts_with("TLS") {
            let out = run(&[("PXCLOUD_URL", &url), user, pass], &["check"]);
            (block.text.clone(), out, None)
        } else if block.heading.starts_with("Login refused") {
            let out = run(
                &[
                    ("PXCLOUD_URL", &url),
                    user,
                    ("PXCLOUD_PASS", "wrong"),
                    ("PXCLOUD_TLS_FINGERPRINT", &fingerprint),
                ],
                &["check"],
            );
            (block.text.clone(), out, None)
        } else if block.heading.starts_with("PXCloud unreachable") {
            let example = block
                .text
                .replace("127.0.0.1:18999", &format!("127.0.0.1:{closed}"));
            let down = format!("https://127.0.0.1:{closed}");
            let out = run(&[("PXCLOUD_URL", &down), user, pass], &[]);
            (example, out, None)
        } else if block.heading.starts_with("Configuration errors") {
            let out = run(&[("PXCLOUD_ALLOW_DELETE", "sometimes"), user, pass], &[]);
            (block.text.clone(), out, Some(2))
        } else {
            panic!("{what}: an example this test does not reproduce");
        };
        assert!(!out.status.success(), "{what}: fails");
        if let Some(code) = code {
            assert_eq!(out.status.code(), Some(code), "{what}");
        }
        assert!(out.stdout.is_empty(), "{what}: stdout is for protocol only");
        assert_shows(&what, &example, &out, &fingerprint);
    }
}

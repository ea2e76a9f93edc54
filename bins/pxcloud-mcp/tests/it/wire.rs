//! What a client sees over the wire: prompts, completion, guides, the tool shape, the response
//! budget and `fields`, dynamic mode and the bypass table.
//!
//! Every test spawns the real binary against pxcloud-sim and talks to it over stdio and
//! Streamable HTTP in the legacy (`initialize`, L) and the 2026-07-28 (`_meta` on every
//! request, M) era: [`over`] runs one closure against each requested combination, each with a
//! fresh simulator whose request log shows what reached PXCloud. The client never declares
//! the elicitation capability, so guarded tools follow the two-step `confirmation_required`
//! path. Every `structuredContent` received is validated against the listed tool's
//! `outputSchema` ([`Wire::call`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::process::Command;
use std::time::Duration;

use pxcloud_sim::{Sim, SimConfig};
use serde_json::{Value, json};

use crate::client::{self, HttpClient, HttpServer, StdioClient, modern_meta};

const VM: &str = "cluster1:pve1:100";

/// A transport and a protocol era.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Era {
    StdioLegacy,
    StdioModern,
    HttpLegacy,
    HttpModern,
}

impl Era {
    fn http(self) -> bool {
        matches!(self, Era::HttpLegacy | Era::HttpModern)
    }

    fn modern(self) -> bool {
        matches!(self, Era::StdioModern | Era::HttpModern)
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Era::StdioLegacy => "S·L",
            Era::StdioModern => "S·M",
            Era::HttpLegacy => "H·L",
            Era::HttpModern => "H·M",
        })
    }
}

/// Stdio in the legacy era and HTTP in the 2026 era.
const SL_HM: &[Era] = &[Era::StdioLegacy, Era::HttpModern];
/// All four combinations.
const EVERY: &[Era] = &[
    Era::StdioLegacy,
    Era::StdioModern,
    Era::HttpLegacy,
    Era::HttpModern,
];

enum Conn {
    Stdio(StdioClient),
    Http(HttpServer, HttpClient),
}

/// One connected client of a freshly spawned server, without the elicitation capability.
struct Wire {
    era: Era,
    conn: Conn,
    /// The `initialize` or `server/discover` result.
    init: Value,
    /// `outputSchema` of every listed tool that has one (filled by [`Wire::tools`]).
    schemas: Option<HashMap<String, Value>>,
    /// How many `structuredContent`s were validated.
    validated: usize,
}

impl Wire {
    /// Spawns `cmd` (adding `--http 127.0.0.1:0` for HTTP) and opens the era: `initialize`
    /// (legacy) or `server/discover` (2026).
    fn start(era: Era, mut cmd: Command) -> Wire {
        let conn = if era.http() {
            cmd.args(["--http", "127.0.0.1:0"]);
            let server = HttpServer::spawn(cmd);
            let c = server.client();
            Conn::Http(server, c)
        } else {
            Conn::Stdio(StdioClient::spawn(cmd))
        };
        let mut wire = Wire {
            era,
            conn,
            init: Value::Null,
            schemas: None,
            validated: 0,
        };
        wire.init = match (&mut wire.conn, era) {
            (Conn::Stdio(c), Era::StdioLegacy) => {
                c.initialize("2025-06-18", json!({}))["result"].clone()
            }
            (Conn::Http(_, c), Era::HttpLegacy) => {
                c.initialize("2025-11-25", json!({}))["result"].clone()
            }
            _ => wire.result("server/discover", json!({})),
        };
        wire
    }

    fn stderr(&self) -> String {
        match &self.conn {
            Conn::Stdio(c) => c.stderr(),
            Conn::Http(s, _) => s.stderr(),
        }
    }

    /// One request and its whole answer (`result` or `error`); 2026 requests carry `_meta`.
    fn request(&mut self, method: &str, mut params: Value) -> Value {
        if self.era.modern() {
            params["_meta"] = modern_meta(json!({}));
        }
        match &mut self.conn {
            Conn::Stdio(c) => c.call(method, params),
            Conn::Http(_, c) if self.era.modern() => c.modern(method, params),
            Conn::Http(_, c) => c.legacy(method, params),
        }
    }

    /// One request's `result`; an `error` fails the test.
    fn result(&mut self, method: &str, params: Value) -> Value {
        let reply = self.request(method, params);
        assert!(
            reply.get("error").is_none(),
            "{}: {method} failed: {reply}",
            self.era
        );
        reply["result"].clone()
    }

    /// Every tool of the paginated `tools/list`; remembers their output schemas.
    fn tools(&mut self) -> Vec<Value> {
        let tools = client::all_tools(|cursor| {
            let params = cursor.map_or_else(|| json!({}), |c| json!({"cursor": c}));
            self.request("tools/list", params)
        });
        self.schemas = Some(
            tools
                .iter()
                .filter(|t| t.get("outputSchema").is_some())
                .map(|t| (name(t).to_owned(), t["outputSchema"].clone()))
                .collect(),
        );
        tools
    }

    /// `tools/call` and its whole answer; a `structuredContent` is validated against the
    /// listed tool's `outputSchema`.
    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        if self.schemas.is_none() {
            self.tools();
        }
        let reply = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        if let (Some(sc), Some(schema)) = (
            reply["result"].get("structuredContent"),
            self.schemas.as_ref().and_then(|s| s.get(tool)),
        ) {
            conforms(&format!("{} {tool}", self.era), schema, sc);
            self.validated += 1;
        }
        reply
    }

    /// The `result` of a `tools/call` that must not be a protocol error.
    fn call_ok(&mut self, tool: &str, arguments: Value) -> Value {
        let reply = self.call(tool, arguments);
        assert!(
            reply.get("error").is_none(),
            "{}: {tool} answered a protocol error: {reply}",
            self.era
        );
        reply["result"].clone()
    }
}

/// Fails unless `instance` is valid against `schema`.
fn conforms(what: &str, schema: &Value, instance: &Value) {
    let validator = jsonschema::validator_for(schema)
        .unwrap_or_else(|e| panic!("{what}: outputSchema does not compile: {e}\n{schema}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: structuredContent violates the outputSchema: {errors:?}\n{instance}"
    );
}

async fn sim() -> Sim {
    Sim::start(SimConfig {
        task_step: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// Runs `f` once per era, each against a fresh simulator and a server spawned with `args`
/// and `env`; a failure names the era and shows the server's stderr.
async fn over(
    eras: &[Era],
    args: &[&str],
    env: &[(&str, &str)],
    mut f: impl FnMut(&mut Wire, &Sim),
) {
    for &era in eras {
        let sim = sim().await;
        let mut cmd = client::server(&sim.url(), args);
        cmd.envs(env.iter().copied());
        let mut wire = Wire::start(era, cmd);
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(&mut wire, &sim))) {
            eprintln!("--- failed over {era}; server stderr:\n{}", wire.stderr());
            resume_unwind(panic);
        }
    }
}

fn name(tool: &Value) -> &str {
    tool["name"].as_str().unwrap_or_default()
}

/// The listed catalog tools (those with `_meta.path`).
fn catalog(tools: &[Value]) -> Vec<&Value> {
    tools
        .iter()
        .filter(|t| t["_meta"]["path"].is_string())
        .collect()
}

fn find<'a>(tools: &'a [Value], tool: &str) -> &'a Value {
    tools
        .iter()
        .find(|t| name(t) == tool)
        .unwrap_or_else(|| panic!("{tool} is not listed"))
}

/// The first text content of a result.
fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_default()
}

/// Words separated by single spaces (descriptions are re-wrapped by nobody, but compare
/// them without depending on line breaks).
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How many requests with `method` whose path ends with `suffix` reached the simulator.
fn reached(sim: &Sim, method: &str, suffix: &str) -> usize {
    sim.log()
        .entries()
        .iter()
        .filter(|e| e.method == method && e.path.ends_with(suffix))
        .count()
}

fn deletes(sim: &Sim) -> usize {
    sim.log()
        .entries()
        .iter()
        .filter(|e| e.method == "DELETE")
        .count()
}

/// The simulator's OpenAPI document.
fn spec() -> Value {
    serde_json::from_str(&pxcloud_sim::openapi_json()).expect("the simulator's document is JSON")
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// Every operation of the document as `(METHOD, path) → operation`.
fn operations(spec: &Value) -> BTreeMap<(String, String), Value> {
    let mut ops = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                ops.insert((method.to_uppercase(), path.clone()), op.clone());
            }
        }
    }
    ops
}

/// Whether the server exposes `op` at `path` with the default configuration: no path
/// exclusion of `policy::DEFAULT_EXCLUDED_PATHS` (case-insensitive, as the policy matches
/// them) and a request body, if any, that JSON arguments can produce (JSON or a form;
/// multipart uploads cannot be sent).
fn exposed_by_default(path: &str, op: &Value) -> bool {
    let lower = path.to_lowercase();
    if policy::DEFAULT_EXCLUDED_PATHS
        .iter()
        .any(|frag| lower.contains(&frag.to_lowercase()))
    {
        return false;
    }
    match op["requestBody"]["content"].as_object() {
        None => true,
        Some(content) => content.keys().any(|media| {
            let media = media.to_lowercase();
            media == "application/json"
                || media.ends_with("+json")
                || media == "application/x-www-form-urlencoded"
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Prompts, completion, guides
// ---------------------------------------------------------------------------------------------

/// How a server is configured and what its prompts and guides must say about it.
struct Setting {
    args: &'static [&'static str],
    /// DELETE operations exposed.
    delete: bool,
    /// Only reads exposed.
    read_only: bool,
}

const SETTINGS: [Setting; 4] = [
    Setting {
        args: &[],
        delete: true,
        read_only: false,
    },
    Setting {
        args: &["--allow-delete", "false", "--tools", "VMs,Nodes"],
        delete: false,
        read_only: false,
    },
    Setting {
        args: &["--read-only", "true"],
        delete: false,
        read_only: true,
    },
    // The profile limits the tools to reads like the flag does.
    Setting {
        args: &["--profile", "read_only"],
        delete: false,
        read_only: true,
    },
];

/// What the runtime context block must say, from what the same server lists (which must
/// agree with `setting`).
fn expected_context(w: &mut Wire, sim: &Sim, setting: &Setting) -> Vec<String> {
    let tools = w.tools();
    let catalog = catalog(&tools);
    assert_eq!(
        catalog.iter().any(|t| t["_meta"]["method"] == "DELETE"),
        setting.delete,
        "{} {:?}",
        w.era,
        setting.args
    );
    assert_eq!(
        catalog.iter().all(|t| t["_meta"]["method"] == "GET"),
        setting.read_only,
        "{} {:?}",
        w.era,
        setting.args
    );
    let tags: BTreeSet<&str> = catalog
        .iter()
        .flat_map(|t| t["_meta"]["tags"].as_array().expect("tags"))
        .filter_map(Value::as_str)
        .collect();
    let mut lines = vec![
        format!("API endpoint: {}", sim.url()),
        format!("Discovered tools: {}", catalog.len()),
        format!(
            "Active tags: {}",
            tags.into_iter().collect::<Vec<_>>().join(", ")
        ),
        format!(
            "DELETE tools: {}",
            if setting.delete {
                "enabled"
            } else {
                "disabled"
            }
        ),
    ];
    if setting.read_only {
        lines.push("Mode: read-only (no mutating tools are exposed)".to_owned());
    }
    lines
}

#[tokio::test(flavor = "multi_thread")]
async fn prompts_are_listed_and_open_with_the_runtime_context() {
    for setting in &SETTINGS {
        over(EVERY, setting.args, &[], |w, sim| {
            let listed = w.result("prompts/list", json!({}));
            let prompts: Vec<(&str, &str, bool)> = listed["prompts"]
                .as_array()
                .expect("prompts")
                .iter()
                .map(|p| {
                    let args = p["arguments"].as_array().expect("arguments");
                    assert_eq!(args.len(), 1, "{p}");
                    (
                        p["name"].as_str().expect("name"),
                        args[0]["name"].as_str().expect("argument name"),
                        args[0]["required"] == true,
                    )
                })
                .collect();
            assert_eq!(
                prompts,
                // mcp-protocol lists by name.
                [
                    ("pxcloud_batch", "operation", true),
                    ("pxcloud_monitor", "scope", false),
                    ("pxcloud_operator", "goal", true),
                    ("pxcloud_troubleshoot", "symptom", true),
                ],
                "{}",
                w.era
            );

            let context = expected_context(w, sim, setting);
            if setting.args.contains(&"VMs,Nodes") {
                assert_eq!(context[2], "Active tags: Nodes, VMs", "{}", w.era);
            }
            for (prompt, arg) in [
                ("pxcloud_operator", "goal"),
                ("pxcloud_troubleshoot", "symptom"),
                ("pxcloud_batch", "operation"),
                ("pxcloud_monitor", "scope"),
            ] {
                let got = w.result(
                    "prompts/get",
                    json!({"name": prompt, "arguments": {arg: "web-01 on pve1"}}),
                );
                let message = &got["messages"][0];
                assert_eq!(message["role"], "user", "{prompt}: {got}");
                let text = message["content"]["text"].as_str().expect("text");
                assert!(
                    text.starts_with("--- PXCloud MCP Runtime Context ---\n"),
                    "{} {prompt}: {text}",
                    w.era
                );
                let block = text.split("\n---").next().unwrap_or_default();
                for line in &context {
                    assert!(
                        block.lines().any(|l| l == line),
                        "{} {prompt}: the context block lacks {line:?}:\n{block}",
                        w.era
                    );
                }
                assert!(text.ends_with(": web-01 on pve1"), "{prompt}: {text}");
            }

            // The optional argument has its default; a required one missing is refused.
            let monitor = w.result("prompts/get", json!({"name": "pxcloud_monitor"}));
            let text = monitor["messages"][0]["content"]["text"]
                .as_str()
                .expect("text");
            assert!(text.ends_with("Health check scope: full"), "{text}");
            let refused = w.request(
                "prompts/get",
                json!({"name": "pxcloud_operator", "arguments": {}}),
            );
            assert_eq!(refused["error"]["code"], -32602, "{refused}");
            assert!(
                refused["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("`goal`"),
                "{refused}"
            );
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn prompt_arguments_complete() {
    over(EVERY, &["--tools", "VMs,Nodes"], &[], |w, _| {
        assert!(
            w.init["capabilities"]["completions"].is_object(),
            "{}: {}",
            w.era,
            w.init
        );
        let complete = |w: &mut Wire, prompt: &str, arg: &str, value: &str| -> Vec<String> {
            let got = w.result(
                "completion/complete",
                json!({"ref": {"type": "ref/prompt", "name": prompt},
                       "argument": {"name": arg, "value": value}}),
            );
            let values: Vec<String> = got["completion"]["values"]
                .as_array()
                .unwrap_or_else(|| panic!("values: {got}"))
                .iter()
                .map(|v| v.as_str().expect("string").to_owned())
                .collect();
            assert_eq!(got["completion"]["total"], values.len(), "{got}");
            values
        };
        assert_eq!(
            complete(w, "pxcloud_operator", "goal", "migr"),
            ["Migrate a VM to another node"],
            "{}",
            w.era
        );
        assert_eq!(complete(w, "pxcloud_monitor", "scope", "fu"), ["full"]);
        assert!(complete(w, "pxcloud_monitor", "scope", "").contains(&"full".to_owned()));
        assert!(complete(w, "pxcloud_troubleshoot", "symptom", "zzz").is_empty());
        let unknown = w.request(
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "pxcloud_nope"},
                   "argument": {"name": "goal", "value": ""}}),
        );
        assert!(unknown.get("error").is_some(), "{unknown}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn guides_are_markdown_and_reflect_the_configuration() {
    for setting in &SETTINGS {
        over(EVERY, setting.args, &[], |w, sim| {
            assert!(
                w.init["capabilities"]["resources"].is_object(),
                "{}",
                w.init
            );
            // Checks that the listing agrees with the setting.
            expected_context(w, sim, setting);
            let tools = w.tools();
            let catalog = catalog(&tools);
            // Guarded tools take the approval arguments (the client cannot elicit).
            let guarded = catalog
                .iter()
                .filter(|t| t["inputSchema"]["properties"]["confirmed"].is_object())
                .count();
            assert_eq!(guarded > 0, !setting.read_only, "{}", w.era);

            let listed = w.result("resources/list", json!({}));
            let uris: Vec<(&str, &str)> = listed["resources"]
                .as_array()
                .expect("resources")
                .iter()
                .map(|r| {
                    (
                        r["uri"].as_str().expect("uri"),
                        r["mimeType"].as_str().expect("mimeType"),
                    )
                })
                .collect();
            assert_eq!(
                uris,
                [
                    ("pxcloud://guides/capabilities", "text/markdown"),
                    ("pxcloud://guides/safety", "text/markdown"),
                ],
                "{}",
                w.era
            );

            let read = |w: &mut Wire, uri: &str| -> String {
                let got = w.result("resources/read", json!({"uri": uri}));
                let contents = got["contents"].as_array().expect("contents");
                assert_eq!(contents.len(), 1, "{got}");
                assert_eq!(contents[0]["uri"], uri);
                assert_eq!(contents[0]["mimeType"], "text/markdown", "{got}");
                let text = contents[0]["text"].as_str().expect("text").to_owned();
                assert!(text.starts_with("# "), "markdown heading: {text}");
                text
            };
            let caps = read(w, "pxcloud://guides/capabilities");
            assert!(
                caps.contains(&format!(
                    "{} PXCloud operations from {}",
                    catalog.len(),
                    sim.url()
                )),
                "{}: {caps}",
                w.era
            );
            let safety = read(w, "pxcloud://guides/safety");
            let delete_line = if setting.delete {
                "- DELETE tools: exposed (guarded)"
            } else {
                "- DELETE tools: hidden"
            };
            let read_only_line = if setting.read_only {
                "- Read-only mode: on"
            } else {
                "- Read-only mode: off"
            };
            for line in [
                delete_line.to_owned(),
                read_only_line.to_owned(),
                format!("- Guarded (destructive) tools: {guarded}"),
                "- Dry run: off".to_owned(),
            ] {
                assert!(
                    safety.lines().any(|l| l == line),
                    "{} {:?}: the safety guide lacks {line:?}:\n{safety}",
                    w.era,
                    setting.args
                );
            }
            let missing = w.request("resources/read", json!({"uri": "pxcloud://guides/other"}));
            assert!(missing.get("error").is_some(), "{missing}");
        })
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Tool shape
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn served_tools_carry_title_hints_annotations_and_meta() {
    let spec = spec();
    let ops = operations(&spec);
    let migrate_op = &ops[&("POST".to_owned(), "/api/vms/{id}/migrate".to_owned())];
    over(EVERY, &[], &[], |w, _| {
        let tools = w.tools();

        let migrate = find(&tools, "pxcloud_migrate_vm");
        let summary = migrate_op["summary"].as_str().expect("summary");
        assert_eq!(
            migrate["title"],
            summary.strip_suffix('.').unwrap_or(summary),
            "{}: {migrate}",
            w.era
        );
        let description = flat(migrate["description"].as_str().expect("description"));
        let hint = flat(
            migrate_op["description"]
                .as_str()
                .expect("spec description"),
        );
        assert!(
            description.contains(&hint),
            "{}: {description:?} lacks {hint:?}",
            w.era
        );
        // A destructive write carries no annotations: the protocol's defaults
        // (readOnlyHint false, destructiveHint true, openWorldHint true) say it.
        assert!(migrate.get("annotations").is_none(), "{migrate}");
        let delete = find(&tools, "pxcloud_delete_vm");
        assert_eq!(
            delete["annotations"],
            json!({"idempotentHint": true}),
            "{delete}"
        );
        assert_eq!(
            migrate["_meta"],
            json!({"method": "POST", "path": "/api/vms/{id}/migrate",
                   "tags": migrate_op["tags"], "operationId": migrate_op["operationId"]}),
            "{}",
            w.era
        );

        let get = find(&tools, "pxcloud_get_vm");
        assert_eq!(get["annotations"]["readOnlyHint"], true, "{get}");
        assert_eq!(get["outputSchema"]["type"], "object", "{get}");
        assert_eq!(get["_meta"]["method"], "GET");

        // Every "AI hint" of an exposed operation reaches its tool's description.
        let by_route: HashMap<(String, String), &Value> = catalog(&tools)
            .into_iter()
            .map(|t| {
                let m = &t["_meta"];
                (
                    (
                        m["method"].as_str().expect("method").to_owned(),
                        m["path"].as_str().expect("path").to_owned(),
                    ),
                    t,
                )
            })
            .collect();
        let mut hints = 0;
        for (route, op) in &ops {
            let spec_description = op["description"].as_str().unwrap_or_default();
            let Some(at) = spec_description.find("AI hint:") else {
                continue;
            };
            let Some(tool) = by_route.get(route) else {
                continue;
            };
            let hint = flat(&spec_description[at..]);
            assert!(
                flat(tool["description"].as_str().unwrap_or_default()).contains(&hint),
                "{}: {} lacks {hint:?}",
                w.era,
                name(tool)
            );
            hints += 1;
        }
        assert!(hints >= 10, "only {hints} AI hints checked");

        // A call's structuredContent validates against the listed outputSchema.
        let got = w.call_ok(
            "pxcloud_get_vm",
            json!({"id": VM, "fields": ["id", "status"]}),
        );
        assert_eq!(got["structuredContent"]["data"]["id"], VM, "{got}");
        let missing = w.call_ok("pxcloud_get_vm", json!({"id": "cluster1:pve1:999"}));
        assert_eq!(missing["isError"], true, "{missing}");
        assert_eq!(w.validated, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_tool_per_exposed_operation() {
    let spec = spec();
    let ops = operations(&spec);
    let exposed: BTreeMap<(String, String), Option<&str>> = ops
        .iter()
        .filter(|((_, path), op)| exposed_by_default(path, op))
        .map(|(route, op)| (route.clone(), op["operationId"].as_str()))
        .collect();
    // The document has operations the defaults leave out (multipart upload, WebSocket and
    // proxy paths, /system): otherwise this test would prove nothing about exclusion.
    assert!(
        exposed.len() < ops.len() && exposed.len() > 100,
        "{} of {}",
        exposed.len(),
        ops.len()
    );
    over(SL_HM, &[], &[], |w, _| {
        let tools = w.tools();
        let served: BTreeMap<(String, String), Option<&str>> = catalog(&tools)
            .into_iter()
            .map(|t| {
                let m = &t["_meta"];
                (
                    (
                        m["method"].as_str().expect("method").to_owned(),
                        m["path"].as_str().expect("path").to_owned(),
                    ),
                    m["operationId"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            catalog(&tools).len(),
            served.len(),
            "{}: one tool per route",
            w.era
        );
        assert_eq!(served, exposed, "{}", w.era);
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// 3. Response budget and fields
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn the_response_budget_cuts_with_a_note_and_fields_project() {
    const BUDGET: usize = 1024;
    over(EVERY, &["--max-result-bytes", "1024"], &[], |w, _| {
        let cut = w.call_ok("pxcloud_list_vms", json!({}));
        let sc = &cut["structuredContent"];
        assert_eq!(sc["ok"], true, "{cut}");
        let truncated = &sc["truncated"];
        assert_eq!(truncated["totalItems"], 9, "{}: {cut}", w.era);
        let shown = truncated["shownItems"].as_u64().expect("shownItems");
        assert!(shown > 0 && shown < 9, "{truncated}");
        assert_eq!(
            sc["data"]["items"].as_array().expect("items").len() as u64,
            shown
        );
        assert!(truncated["omittedBytes"].as_u64().expect("omittedBytes") > 0);
        let note = sc["hints"]
            .as_array()
            .expect("hints")
            .iter()
            .filter_map(Value::as_str)
            .find(|h| h.contains("response budget"))
            .unwrap_or_else(|| panic!("no truncation note: {cut}"));
        assert!(
            note.contains("`page`") && note.contains("`per_page`"),
            "{note}"
        );
        assert!(
            note.contains(&format!("showing {shown} of 9 items")),
            "{note}"
        );
        let data_json = sc["data"].to_string();
        assert!(
            data_json.len() <= BUDGET,
            "data is {} bytes",
            data_json.len()
        );
        let text = text(&cut);
        // The budget is for the whole text part: title, summary, hints and note included.
        assert!(
            text.len() <= BUDGET,
            "text part of {} bytes: {text}",
            text.len()
        );
        assert!(
            text.contains(&data_json),
            "the text part carries the cut data: {text}"
        );
        assert!(
            text.contains("`per_page`"),
            "the note is in the text part too: {text}"
        );

        // A result whose data alone just fits: the header must not push the text over.
        let near = w.call_ok(
            "pxcloud_list_vms",
            json!({"fields": ["id", "name", "status", "description", "ip_address"]}),
        );
        let near_text = super::wire::text(&near);
        assert!(
            near_text.len() <= BUDGET,
            "{}: text part of {} bytes: {near_text}",
            w.era,
            near_text.len()
        );

        let projected = w.call_ok("pxcloud_list_vms", json!({"fields": ["id", "status"]}));
        let sc = &projected["structuredContent"];
        assert!(
            sc.get("truncated").is_none(),
            "{}: small enough now: {projected}",
            w.era
        );
        let items = sc["data"]["items"].as_array().expect("items");
        assert_eq!(items.len(), 9, "{projected}");
        for item in items {
            let keys: BTreeSet<&str> = item
                .as_object()
                .expect("object")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, BTreeSet::from(["id", "status"]), "{item}");
        }
        assert_eq!(sc["data"]["total"], 9, "page fields are kept: {projected}");
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// 4. `tools --json`
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn tools_json_equals_the_served_list() {
    for args in [
        &[][..],
        &["--tool-mode", "dynamic"],
        &["--tools", "VMs", "--read-only", "true"],
    ] {
        over(SL_HM, args, &[], |w, sim| {
            let mut cmd = client::server(&sim.url(), args);
            let out = cmd
                .args(["tools", "--json"])
                .output()
                .expect("run pxcloud-mcp tools --json");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let printed: Vec<Value> = serde_json::from_slice(&out.stdout).expect("a JSON array");
            // The client declares no elicitation capability: `tools --json` shows what such a
            // client gets (guarded tools take `confirmed` and `confirmation`).
            let served = w.tools();
            assert!(served.len() > 3, "{args:?}");
            // The same order as tools/list (by name), then the same objects.
            let names = |tools: &[Value]| -> Vec<String> {
                tools.iter().map(|t| name(t).to_owned()).collect()
            };
            assert_eq!(names(&printed), names(&served), "{} {args:?}", w.era);
            let by_name = |tools: &[Value]| -> BTreeMap<String, Value> {
                tools
                    .iter()
                    .map(|t| (name(t).to_owned(), t.clone()))
                    .collect()
            };
            let (printed_by_name, served_by_name) = (by_name(&printed), by_name(&served));
            assert_eq!(printed_by_name.len(), printed.len(), "names are unique");
            assert_eq!(
                printed_by_name.keys().collect::<Vec<_>>(),
                served_by_name.keys().collect::<Vec<_>>(),
                "{} {args:?}",
                w.era
            );
            for (tool, p) in &printed_by_name {
                assert_eq!(p, &served_by_name[tool], "{} {args:?} {tool}", w.era);
            }
        })
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Dynamic mode
// ---------------------------------------------------------------------------------------------

/// The tools a full-mode server with `args` lists (for a client that cannot elicit).
fn full_listing(sim: &Sim, args: &[&str]) -> Vec<Value> {
    let out = client::server(&sim.url(), args)
        .args(["tools", "--json"])
        .output()
        .expect("run pxcloud-mcp tools --json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON array")
}

/// The `tools` of a `pxcloud_search_tools` result, and its `total`.
fn search(w: &mut Wire, args: Value) -> (Vec<Value>, u64) {
    let got = w.call_ok("pxcloud_search_tools", args);
    assert_ne!(got["isError"], true, "{got}");
    let sc = &got["structuredContent"];
    (
        sc["tools"].as_array().expect("tools").clone(),
        sc["total"].as_u64().expect("total"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamic_mode_searches_describes_and_invokes_under_the_same_policy() {
    over(EVERY, &["--tool-mode", "dynamic"], &[], |w, sim| {
        let full = full_listing(sim, &[]);
        let listed: Vec<String> = w.tools().iter().map(|t| name(t).to_owned()).collect();
        assert_eq!(
            listed,
            [
                "pxcloud_confirm_change",
                "pxcloud_describe_tool",
                "pxcloud_invoke_tool",
                "pxcloud_search_tools",
                "pxcloud_setup",
                "pxcloud_wait_task"
            ],
            "{}",
            w.era
        );

        // Words.
        let (hits, _) = search(w, json!({"query": "migrate virtual machine"}));
        assert_eq!(hits[0]["name"], "pxcloud_migrate_vm", "{}: {hits:?}", w.era);
        // Tag: every hit carries it, and every such tool is found.
        let tagged = |t: &Value, key: &str| {
            t[key]
                .as_array()
                .is_some_and(|a| a.contains(&json!("Nodes")))
        };
        let nodes = full.iter().filter(|t| tagged(&t["_meta"], "tags")).count();
        let (hits, total) = search(w, json!({"tag": "Nodes", "limit": 100}));
        assert_eq!(total as usize, nodes, "{}", w.era);
        assert_eq!(hits.len(), nodes);
        assert!(hits.iter().all(|h| tagged(h, "tags")), "{hits:?}");
        // Method, alone and with words.
        let delete_tools = full
            .iter()
            .filter(|t| t["_meta"]["method"] == "DELETE")
            .count();
        let (hits, total) = search(w, json!({"method": "DELETE", "limit": 100}));
        assert_eq!(total as usize, delete_tools, "{}", w.era);
        assert!(
            hits.iter()
                .all(|h| h["method"] == "DELETE" && h["destructive"] == true),
            "{hits:?}"
        );
        let (hits, _) = search(w, json!({"query": "vm", "method": "delete"}));
        assert_eq!(hits[0]["name"], "pxcloud_delete_vm", "{hits:?}");

        // Describe: the full input schema, as full mode lists it.
        let described = w.call_ok(
            "pxcloud_describe_tool",
            json!({"name": "pxcloud_migrate_vm"}),
        );
        let expected = find(&full, "pxcloud_migrate_vm");
        let described = &described["structuredContent"];
        assert_eq!(
            described["inputSchema"], expected["inputSchema"],
            "{}",
            w.era
        );
        assert_eq!(described["annotations"], expected["annotations"]);

        // Invoke a read: the data, in the envelope the tool's outputSchema describes.
        let got = w.call_ok(
            "pxcloud_invoke_tool",
            json!({"name": "pxcloud_get_vm", "arguments": {"id": VM, "fields": ["id", "name"]}}),
        );
        let envelope = &got["structuredContent"];
        assert_eq!(
            envelope["data"],
            json!({"id": VM, "name": "web-01"}),
            "{}: {got}",
            w.era
        );
        conforms("invoke pxcloud_get_vm", &expected["outputSchema"], envelope);

        // Invoke destructive tools without approval: refused, nothing sent.
        let migrate = json!({"id": VM, "target_node": "pve2", "online": true});
        let refused = w.call_ok(
            "pxcloud_invoke_tool",
            json!({"name": "pxcloud_migrate_vm", "arguments": migrate}),
        );
        assert_eq!(refused["isError"], true, "{refused}");
        let said = text(&refused);
        assert!(said.contains("confirmation_required"), "{said}");
        let refused = w.call_ok(
            "pxcloud_invoke_tool",
            json!({"name": "pxcloud_delete_vm",
                   "arguments": {"id": "cluster1:pve1:101", "confirmed": true}}),
        );
        assert_eq!(refused["isError"], true, "{refused}");

        // A dry run through invoke: the request, not sent.
        let dry_run = with(&migrate, json!({"dry_run": true}));
        let dry = w.call_ok(
            "pxcloud_invoke_tool",
            json!({"name": "pxcloud_migrate_vm", "arguments": dry_run}),
        );
        assert_ne!(dry["isError"], true, "{dry}");
        let plan = &dry["structuredContent"]["data"];
        assert_eq!(plan["dry_run"], true, "{dry}");
        assert_eq!(
            plan["path_and_query"],
            "/api/vms/cluster1%3Apve1%3A100/migrate"
        );
        assert_eq!(reached(sim, "POST", "/migrate"), 0, "{}", w.era);
        assert_eq!(deletes(sim), 0);
        // Only the invoked read reached PXCloud.
        assert_eq!(
            sim.log().count("GET", "/api/vms/cluster1:pve1:100"),
            1,
            "{}",
            w.era
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamic_mode_cannot_reach_hidden_tools() {
    over(
        SL_HM,
        &[],
        &[("PXCLOUD_TOOL_MODE", "dynamic"), ("PXCLOUD_TOOLS", "VMs")],
        |w, sim| {
            let (hits, total) = search(w, json!({"tag": "Nodes"}));
            assert_eq!((hits.len(), total), (0, 0), "{}: {hits:?}", w.era);
            let (hits, _) = search(w, json!({"query": "node", "limit": 100}));
            assert!(
                hits.iter().all(|h| h["tags"]
                    .as_array()
                    .is_some_and(|a| a.contains(&json!("VMs")))),
                "{hits:?}"
            );

            let described = w.call_ok(
                "pxcloud_describe_tool",
                json!({"name": "pxcloud_list_nodes"}),
            );
            assert_eq!(described["isError"], true, "{}: {described}", w.era);
            let invoked = w.call_ok(
                "pxcloud_invoke_tool",
                json!({"name": "pxcloud_list_nodes", "arguments": {}}),
            );
            assert_eq!(invoked["isError"], true, "{invoked}");
            assert!(
                text(&invoked).contains("unknown tool: pxcloud_list_nodes"),
                "{}",
                text(&invoked)
            );
            // Nor directly by name.
            let direct = w.call("pxcloud_list_nodes", json!({}));
            assert_eq!(direct["error"]["code"], -32602, "{direct}");
            assert_eq!(reached(sim, "GET", "/api/nodes"), 0, "{}", w.era);

            // A visible one still works.
            let got = w.call_ok(
                "pxcloud_invoke_tool",
                json!({"name": "pxcloud_list_vms", "arguments": {"fields": ["id"]}}),
            );
            assert_eq!(got["structuredContent"]["data"]["total"], 9, "{got}");
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamic_mode_runs_an_approved_change_exactly_once() {
    over(SL_HM, &["--tool-mode", "dynamic"], &[], |w, sim| {
        let migrate = json!({"id": VM, "target_node": "pve2", "online": true});
        let approved = w.call_ok(
            "pxcloud_confirm_change",
            json!({"action": "migrate web-01", "target": VM, "impact": "moves it to pve2",
                   "tool": "pxcloud_migrate_vm", "arguments": migrate}),
        );
        let handle = approved["structuredContent"]["confirmation"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no handle: {approved}", w.era))
            .to_owned();
        assert_eq!(reached(sim, "POST", "/migrate"), 0);

        let mut with_handle = migrate.clone();
        with_handle["confirmed"] = json!(true);
        with_handle["confirmation"] = json!(handle);
        let invoke = json!({"name": "pxcloud_migrate_vm", "arguments": with_handle});
        let ran = w.call_ok("pxcloud_invoke_tool", invoke.clone());
        assert_ne!(ran["isError"], true, "{}: {ran}", w.era);
        assert_eq!(ran["structuredContent"]["ok"], true, "{ran}");
        assert_eq!(reached(sim, "POST", "/migrate"), 1);

        let again = w.call_ok("pxcloud_invoke_tool", invoke);
        assert!(text(&again).contains("already used"), "{}", text(&again));
        assert_eq!(
            again["isError"], true,
            "{}: a handle is used once: {again}",
            w.era
        );
        assert_eq!(reached(sim, "POST", "/migrate"), 1, "{}", w.era);
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// 6. The bypass table over a transport
// ---------------------------------------------------------------------------------------------

/// The handle `pxcloud_confirm_change` issues for `tool` with `arguments`.
fn handle_for(w: &mut Wire, tool: &str, arguments: &Value) -> String {
    let out = w.call_ok(
        "pxcloud_confirm_change",
        json!({"action": "x", "target": VM, "impact": "y", "tool": tool, "arguments": arguments}),
    );
    out["structuredContent"]["confirmation"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no handle: {out}", w.era))
        .to_owned()
}

/// `base` with `extra`'s members added.
fn with(base: &Value, extra: Value) -> Value {
    let mut v = base.clone();
    for (k, x) in extra.as_object().expect("object") {
        v[k] = x.clone();
    }
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn bypass_attempts_over_the_wire_never_reach_pxcloud() {
    let migrate = json!({"id": VM, "target_node": "pve2", "online": true});
    over(EVERY, &[], &[], |w, sim| {
        let good = handle_for(w, "pxcloud_migrate_vm", &migrate);
        // One character changed in the middle of the signed payload (`pxc1.<payload>.<mac>`).
        let start = good.find('.').expect("payload") + 1;
        let at = start + good[start..].find('.').expect("mac") / 2;
        let mut tampered = good.clone();
        let swapped = if &good[at..=at] == "A" { "B" } else { "A" };
        tampered.replace_range(at..=at, swapped);
        let other_tool = handle_for(w, "pxcloud_delete_vm", &json!({"id": VM}));

        let cases = [
            (
                "confirmed as a string",
                with(&migrate, json!({"confirmed": "true"})),
                "boolean",
            ),
            (
                "confirmed as a number",
                with(&migrate, json!({"confirmed": 1})),
                "boolean",
            ),
            (
                "confirmed without a handle",
                with(&migrate, json!({"confirmed": true})),
                "confirmation_required",
            ),
            (
                "tampered handle",
                with(
                    &migrate,
                    json!({"confirmed": true, "confirmation": tampered}),
                ),
                "tampered",
            ),
            (
                "handle for another tool",
                with(
                    &migrate,
                    json!({"confirmed": true, "confirmation": other_tool}),
                ),
                "another tool",
            ),
            (
                "dry run with confirmed",
                with(&migrate, json!({"dry_run": true, "confirmed": true})),
                "cannot be combined",
            ),
            (
                "handle for other arguments",
                with(
                    &migrate,
                    json!({"target_node": "pve3", "confirmed": true, "confirmation": good}),
                ),
                "other arguments",
            ),
        ];
        for (what, arguments, fragment) in cases {
            let out = w.call_ok("pxcloud_migrate_vm", arguments);
            assert_eq!(out["isError"], true, "{} {what}: {out}", w.era);
            assert_eq!(
                out["structuredContent"]["ok"], false,
                "{} {what}: {out}",
                w.era
            );
            assert!(
                text(&out).to_lowercase().contains(fragment),
                "{} {what}: {:?} lacks {fragment:?}",
                w.era,
                text(&out)
            );
        }
        // The DELETE that the other handle approved is refused without the handle.
        let out = w.call_ok("pxcloud_delete_vm", json!({"id": VM, "confirmed": true}));
        assert_eq!(out["isError"], true, "{out}");
        assert_eq!(
            reached(sim, "POST", "/migrate"),
            0,
            "{}: no attempt reached PXCloud",
            w.era
        );
        assert_eq!(deletes(sim), 0, "{}", w.era);
    })
    .await;

    // Hidden by read-only: unknown over the wire.
    over(SL_HM, &["--read-only", "true"], &[], |w, sim| {
        let out = w.call(
            "pxcloud_migrate_vm",
            with(&migrate, json!({"confirmed": true})),
        );
        assert_eq!(out["error"]["code"], -32602, "{}: {out}", w.era);
        assert!(
            out["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("pxcloud_migrate_vm"),
            "{out}"
        );
        assert_eq!(reached(sim, "POST", "/migrate"), 0);
        assert_eq!(deletes(sim), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_handle_is_refused_over_the_wire() {
    let migrate = json!({"id": VM, "target_node": "pve2", "online": true});
    let mut sims = Vec::new();
    let mut wires = Vec::new();
    for &era in SL_HM {
        let sim = sim().await;
        let mut wire = Wire::start(
            era,
            client::server(&sim.url(), &["--confirm-ttl-secs", "1"]),
        );
        let handle = handle_for(&mut wire, "pxcloud_migrate_vm", &migrate);
        sims.push(sim);
        wires.push((wire, handle));
    }
    // Handles carry whole seconds: one older than a second is certainly past its TTL of one.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    for ((w, handle), sim) in wires.iter_mut().zip(&sims) {
        let out = w.call_ok(
            "pxcloud_migrate_vm",
            with(&migrate, json!({"confirmed": true, "confirmation": handle})),
        );
        assert_eq!(out["isError"], true, "{}: {out}", w.era);
        assert!(text(&out).contains("expired"), "{}: {}", w.era, text(&out));
        assert_eq!(reached(sim, "POST", "/migrate"), 0, "{}", w.era);
    }
}

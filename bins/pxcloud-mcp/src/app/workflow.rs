//! Workflow tools: `pxcloud_confirm_change`, `pxcloud_setup` and `pxcloud_wait_task`.

use std::sync::LazyLock;
use std::time::{Duration, Instant, SystemTime};

use openapi_ingest::Method;
use policy::Nonce;
use pxcloud_client::ApiRequest;
use serde_json::{Map, Value, json};

use super::{App, CallError, Caller, Elicited, ToolEntry};
use crate::cli::RawOptions;
use crate::config::{Config, Purpose};
use crate::envelope::{self, Failure, ToolFacts, ToolOutput};

/// Name of the confirmation tool.
pub const CONFIRM_CHANGE: &str = "pxcloud_confirm_change";
/// Name of the setup wizard.
pub const SETUP: &str = "pxcloud_setup";
/// Name of the task follower.
pub const WAIT_TASK: &str = "pxcloud_wait_task";

/// Longest wait `pxcloud_wait_task` accepts.
const MAX_WAIT: Duration = Duration::from_secs(3600);
/// Log lines returned with a finished task.
const LOG_TAIL: usize = 20;

/// The workflow tools, made once: they never change, and a look-up by name
/// borrows them.
pub(super) fn entries() -> &'static [ToolEntry] {
    static ENTRIES: LazyLock<Vec<ToolEntry>> = LazyLock::new(make_entries);
    &ENTRIES
}

fn make_entries() -> Vec<ToolEntry> {
    vec![
        ToolEntry {
            name: CONFIRM_CHANGE.to_owned(),
            title: Some("PXCloud Change Confirmation".to_owned()),
            description: "Ask the user to approve a risky or destructive PXCloud action. Give `tool` and the exact \
                `arguments` of the call to approve: on approval you receive a one-time `confirmation` handle for \
                exactly that call; retry the tool with the same arguments plus `confirmed: true` and `confirmation`."
                .to_owned(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "action": {"type": "string", "description": "Action being proposed, e.g. \"power off vm\"."},
                    "target": {"type": "string", "description": "Human-readable target, e.g. \"VM cluster1:pve1:100\"."},
                    "risk": {"type": "string", "enum": ["low", "medium", "high", "critical"], "default": "high"},
                    "impact": {"type": "string", "description": "One-line impact statement shown to the user."},
                    "tool": {"type": "string", "description": "The tool to approve (as listed)."},
                    "arguments": {"type": "object", "description": "The exact arguments the tool will be called with."}
                },
                "required": ["action", "target", "impact"]
            }),
            output_schema: None,
            annotations: json!({"readOnlyHint": true, "openWorldHint": false}),
            meta: None,
        },
        ToolEntry {
            name: SETUP.to_owned(),
            title: Some("PXCloud Setup Wizard".to_owned()),
            description: "Guide the user through a safe set-up and produce a reusable configuration profile \
                (URL, profile, tag scope, destructive tools on/off). Never asks for passwords or tokens."
                .to_owned(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "current_url": {"type": "string", "description": "Current PXCloud URL if already known."},
                    "profile": {"type": "string", "enum": ["read_only", "operator", "admin"], "description": "Used when the client cannot show forms."},
                    "scope": {"type": "string", "description": "Comma-separated tags; blank for the profile's default. Used when the client cannot show forms."},
                    "allow_destructive": {"type": "boolean", "description": "Used when the client cannot show forms."}
                }
            }),
            output_schema: None,
            annotations: json!({"readOnlyHint": true, "openWorldHint": false}),
            meta: None,
        },
        ToolEntry {
            name: WAIT_TASK.to_owned(),
            title: Some("Wait for a PXCloud task".to_owned()),
            description: "Follow an asynchronous PXCloud task (task id or Proxmox UPID, as returned by power, \
                migrate, clone, backup or rollback) until it finishes, reporting progress. Returns the final \
                status and, on failure, the end of the task log."
                .to_owned(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "task_id": {"type": "string", "description": "Task id or UPID."},
                    "timeout_secs": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 600,
                        "description": "Stop waiting after this long (the task keeps running)."}
                },
                "required": ["task_id"]
            }),
            output_schema: Some(envelope::output_schema()),
            annotations: json!({"readOnlyHint": true, "openWorldHint": false}),
            meta: None,
        },
    ]
}

/// Runs a workflow tool; `Ok(None)` when `name` is not one.
pub(super) async fn call(
    app: &App,
    name: &str,
    args: &Map<String, Value>,
    caller: &dyn Caller,
) -> Result<Option<ToolOutput>, CallError> {
    match name {
        CONFIRM_CHANGE => confirm_change(app, args, caller).await.map(Some),
        SETUP => setup(app, args, caller).await.map(Some),
        WAIT_TASK => Ok(Some(wait_task(app, args, caller).await)),
        _ => Ok(None),
    }
}

fn text_result(text: String, structured: Value, is_error: bool) -> ToolOutput {
    ToolOutput {
        text,
        structured,
        is_error,
    }
}

fn string_arg<'a>(args: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    args.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

async fn confirm_change(
    app: &App,
    args: &Map<String, Value>,
    caller: &dyn Caller,
) -> Result<ToolOutput, CallError> {
    let (Some(action), Some(target), Some(impact)) = (
        string_arg(args, "action"),
        string_arg(args, "target"),
        string_arg(args, "impact"),
    ) else {
        return Ok(text_result(
            "pxcloud_confirm_change needs `action`, `target` and `impact` (strings).".to_owned(),
            json!({"ok": false, "confirmed": false, "reason": "missing arguments"}),
            true,
        ));
    };
    let risk = string_arg(args, "risk").unwrap_or("high");
    if !matches!(risk, "low" | "medium" | "high" | "critical") {
        return Ok(text_result(
            format!("`risk` must be low, medium, high or critical, not {risk:?}."),
            json!({"ok": false, "confirmed": false, "reason": "invalid risk"}),
            true,
        ));
    }
    let state = app.state();
    let tool = match string_arg(args, "tool") {
        None => None,
        Some(name) => match state.tool(name) {
            Some(tool) => Some(tool),
            None => {
                return Ok(text_result(
                    format!("unknown tool: {name}"),
                    json!({"ok": false, "confirmed": false, "reason": "unknown tool"}),
                    true,
                ));
            }
        },
    };
    let call_args = match args.get("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Ok(text_result(
                "`arguments` must be an object: the exact arguments of the call to approve."
                    .to_owned(),
                json!({"ok": false, "confirmed": false, "reason": "invalid arguments"}),
                true,
            ));
        }
    };

    // The exact call is checked before anyone is asked: a user never approves a call that
    // cannot run (hidden tool, arguments the schema rejects).
    let shown_call = match tool {
        Some(tool) => match app.guard().approval_request(tool, &call_args) {
            Ok(request) => Some(request.message),
            Err(denial) => {
                return Ok(text_result(
                    format!("Nothing to approve: {}", denial.message),
                    json!({"ok": false, "confirmed": false, "reason": denial.message}),
                    true,
                ));
            }
        },
        None => None,
    };
    let asked_user = caller.can_elicit();
    if asked_user {
        let mut message = format!("Confirm change: {action} on {target}.\n{impact}\nRisk: {risk}.");
        if let Some(call) = &shown_call {
            message.push_str("\n\n");
            message.push_str(call);
        }
        let schema = json!({
            "type": "object",
            "properties": {
                "decision": {
                    "type": "string",
                    "title": "Decision",
                    "description": format!("{impact} Risk: {risk}."),
                    "oneOf": [{"const": "approve", "title": "Approve"}, {"const": "reject", "title": "Reject"}]
                }
            },
            "required": ["decision"]
        });
        let approved = match caller.elicit("confirm_change", &message, schema).await? {
            Elicited::Accepted(content) => {
                content.get("decision").and_then(Value::as_str) == Some("approve")
            }
            Elicited::Declined | Elicited::Cancelled | Elicited::CannotAsk(_) => false,
        };
        if !approved {
            return Ok(text_result(
                format!("User did not approve: {action} on {target}. Do not run it."),
                json!({"ok": true, "confirmed": false, "risk": risk, "target": target, "action": action,
                       "reason": "User rejected or cancelled the change."}),
                true,
            ));
        }
    }

    let mut structured = json!({
        "ok": true,
        "confirmed": true,
        "risk": risk,
        "target": target,
        "action": action,
        "askedUser": asked_user,
        "reason": if asked_user { "User explicitly approved the change." }
                  else { "The client cannot show a confirmation dialog; approval must come from the user in the conversation." },
    });
    let mut text = if asked_user {
        format!("User approved: {action} on {target}.")
    } else {
        format!(
            "Your MCP client cannot show a confirmation dialog. Only proceed with {action} on {target} if the user \
             explicitly approved exactly this in the conversation."
        )
    };
    if let Some(tool) = tool {
        let names = app.guard().control_names(tool);
        match app
            .guard()
            .approve(tool, &call_args, SystemTime::now(), Nonce(rand::random()))
        {
            Ok(handle) => {
                text.push_str(&format!(
                    "\nNow call {} with the same arguments plus \"{}\": true and \"{}\": \"{handle}\". The handle works once, for exactly these arguments.",
                    tool.name(),
                    names.confirmed,
                    names.confirmation
                ));
                structured["confirmation"] = json!(handle);
                structured["retry"] = json!({"tool": tool.name(), "add": {names.confirmed.as_str(): true, names.confirmation.as_str(): handle}});
            }
            Err(denial) => {
                return Ok(text_result(
                    format!("No approval handle: {}", denial.message),
                    json!({"ok": false, "confirmed": false, "reason": denial.message}),
                    true,
                ));
            }
        }
    }
    Ok(text_result(text, structured, false))
}

async fn setup(
    app: &App,
    args: &Map<String, Value>,
    caller: &dyn Caller,
) -> Result<ToolOutput, CallError> {
    let current_url = string_arg(args, "current_url")
        .unwrap_or(&app.config().url)
        .to_owned();
    let (target_url, profile, scope, allow_destructive, asked) = if caller.can_elicit() {
        let basics = caller
            .elicit(
                "setup_profile",
                "Step 1/2: Choose the MCP profile you want PXCloud AI tools to use.",
                json!({
                    "type": "object",
                    "properties": {
                        "targetUrl": {"type": "string", "title": "PXCloud URL", "format": "uri", "default": current_url},
                        "profile": {"type": "string", "title": "Profile", "description": "How broad should the tool surface be?",
                            "oneOf": [{"const": "operator", "title": "Operator"}, {"const": "read_only", "title": "Read Only"}, {"const": "admin", "title": "Admin"}],
                            "default": "operator"},
                        "scope": {"type": "string", "title": "Tool Scope", "description": "Comma-separated OpenAPI tags; blank for the profile default.", "default": ""},
                        "allowDestructive": {"type": "boolean", "title": "Allow Destructive Tools", "default": false}
                    },
                    "required": ["targetUrl", "profile", "allowDestructive"]
                }),
            )
            .await?;
        let Elicited::Accepted(content) = basics else {
            return Ok(text_result(
                "Setup cancelled before any configuration was chosen.".to_owned(),
                json!({"ok": false, "mode": "cancelled"}),
                true,
            ));
        };
        (
            content
                .get("targetUrl")
                .and_then(Value::as_str)
                .unwrap_or(&current_url)
                .to_owned(),
            content
                .get("profile")
                .and_then(Value::as_str)
                .unwrap_or("operator")
                .to_owned(),
            content
                .get("scope")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            content
                .get("allowDestructive")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            true,
        )
    } else {
        (
            current_url.clone(),
            string_arg(args, "profile").unwrap_or("operator").to_owned(),
            string_arg(args, "scope").unwrap_or("").to_owned(),
            args.get("allow_destructive")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            false,
        )
    };
    // The profiles and their tags are the policy's, so the wizard proposes what the server enforces.
    let Ok(parsed) = policy::parse_profile("profile", &profile) else {
        return Ok(invalid_profile(format!(
            "unknown profile {profile:?}: choose read_only, operator or admin"
        )));
    };
    let profile = &parsed.as_str();
    let tags = match scope_tags(&app.state().catalog.tags(), parsed, &scope) {
        Ok(tags) => tags,
        Err(why) => return Ok(invalid_profile(why)),
    };
    let env = json!({
        "PXCLOUD_URL": target_url.trim().trim_end_matches('/'),
        "PXCLOUD_PROFILE": profile,
        "PXCLOUD_TOOLS": tags.join(","),
        "PXCLOUD_ALLOW_DELETE": if allow_destructive { "true" } else { "false" },
        "PXCLOUD_READ_ONLY": if parsed.is_read_only() { "true" } else { "false" },
    });
    // The profile goes through the server's own configuration checks before the user is asked
    // to confirm it: the wizard never hands out a configuration the server would refuse.
    if let Err(why) = check_profile_env(&env) {
        return Ok(invalid_profile(why));
    }
    let target_url = env["PXCLOUD_URL"].as_str().unwrap_or_default().to_owned();
    let summary = format!(
        "URL: {target_url}\nProfile: {profile}\nTags: {}\nDestructive tools: {}",
        tags.join(", "),
        if allow_destructive {
            "enabled"
        } else {
            "disabled"
        }
    );
    let confirmed = if asked {
        let review = caller
            .elicit(
                "setup_review",
                &format!("Step 2/2: Review the generated MCP profile.\n{summary}"),
                json!({"type": "object", "properties": {"confirm": {"type": "boolean", "title": "Confirm Profile", "default": true}}, "required": ["confirm"]}),
            )
            .await?;
        matches!(review, Elicited::Accepted(c) if c.get("confirm").and_then(Value::as_bool) == Some(true))
    } else {
        true
    };
    let structured = json!({
        "ok": confirmed,
        "mode": if !confirmed { "review_rejected" } else if asked { "ready" } else { "draft" },
        "profile": profile,
        "targetUrl": target_url,
        "enabledTags": tags,
        "allowDestructive": allow_destructive,
        "env": env,
        "nextSteps": [
            "Provide credentials through PXCLOUD_USER/PXCLOUD_PASS or PXCLOUD_TOKEN in the MCP client's configuration (never in chat).",
            "Trust a self-signed PXCloud with PXCLOUD_CA_FILE or PXCLOUD_TLS_FINGERPRINT (`pxcloud-mcp check` prints the fingerprint).",
            "Restart the MCP server so the profile takes effect.",
        ],
        "notes": ["Credentials are never collected by this wizard."],
    });
    let text = if !confirmed {
        "Profile review was rejected; no profile was accepted.".to_owned()
    } else {
        format!(
            "PXCloud MCP profile {}.\n{summary}\nEnvironment:\n{}",
            if asked {
                "prepared"
            } else {
                "drafted (show it to the user before applying it)"
            },
            env.as_object()
                .map(|m| m
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("\n"))
                .unwrap_or_default()
        )
    };
    Ok(text_result(text, structured, !confirmed))
}

/// The wizard's answer when the chosen profile cannot work; nothing was accepted.
fn invalid_profile(why: String) -> ToolOutput {
    text_result(
        format!(
            "The chosen set-up cannot work, so no profile was produced: {why}. Run pxcloud_setup again."
        ),
        json!({"ok": false, "mode": "invalid", "reason": why}),
        true,
    )
}

/// The tags of `scope` (comma-separated) in the spec's spelling, or the profile's tags when it
/// is blank. A tag the spec does not have, or one the profile hides, would expose nothing, so
/// it is refused with the choices that exist.
fn scope_tags(
    known: &[String],
    profile: policy::Profile,
    scope: &str,
) -> Result<Vec<String>, String> {
    let allowed = profile.tags();
    if scope.trim().is_empty() {
        return Ok(allowed.iter().map(|t| (*t).to_owned()).collect());
    }
    let mut tags: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    let mut hidden = Vec::new();
    for wanted in scope.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match known.iter().find(|k| k.eq_ignore_ascii_case(wanted)) {
            None => unknown.push(wanted.to_owned()),
            Some(tag) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(tag)) => {
                hidden.push(tag.clone());
            }
            Some(tag) if !tags.contains(tag) => tags.push(tag.clone()),
            Some(_) => {}
        }
    }
    if !unknown.is_empty() {
        return Err(format!(
            "PXCloud has no tag {}; its tags are {}",
            unknown.join(", "),
            known.join(", ")
        ));
    }
    if !hidden.is_empty() {
        return Err(format!(
            "the {profile} profile hides {} (it exposes {}); choose another profile or other tags",
            hidden.join(", "),
            allowed.join(", ")
        ));
    }
    Ok(tags)
}

/// Reads the profile's variables the way the server reads its environment at start-up.
fn check_profile_env(env: &Value) -> Result<(), String> {
    let var = |k: &str| env.get(k).and_then(Value::as_str).map(str::to_owned);
    let raw = RawOptions {
        url: var("PXCLOUD_URL"),
        profile: var("PXCLOUD_PROFILE"),
        tools: var("PXCLOUD_TOOLS"),
        allow_delete: var("PXCLOUD_ALLOW_DELETE"),
        read_only: var("PXCLOUD_READ_ONLY"),
        ..RawOptions::default()
    };
    Config::from_raw(&raw, Purpose::Offline)
        .map(drop)
        .map_err(|e| e.to_string())
}

async fn wait_task(app: &App, args: &Map<String, Value>, caller: &dyn Caller) -> ToolOutput {
    let facts = ToolFacts {
        name: WAIT_TASK,
        title: "Wait for task",
        method: "GET",
        path: "/api/tasks/{id}",
        read_only: true,
        destructive: false,
    };
    let Some(task_id) = string_arg(args, "task_id") else {
        return envelope::failure(
            facts,
            &Failure::Status {
                status: 422,
                code: None,
                message: "`task_id` (string) is required".to_owned(),
            },
        );
    };
    let timeout = match args.get("timeout_secs") {
        None | Some(Value::Null) => Duration::from_secs(600),
        Some(v) => match v.as_u64().filter(|n| (1..=MAX_WAIT.as_secs()).contains(n)) {
            Some(n) => Duration::from_secs(n),
            None => {
                return envelope::failure(
                    facts,
                    &Failure::Status {
                        status: 422,
                        code: None,
                        message: "`timeout_secs` must be a whole number from 1 to 3600".to_owned(),
                    },
                );
            }
        },
    };
    let path_and_query = task_path(app, task_id);
    let started = Instant::now();
    let mut delay = Duration::from_millis(250);
    let mut last_progress = -1.0;
    loop {
        let task = match app
            .client()
            .send(ApiRequest::get(path_and_query.clone()))
            .await
        {
            Ok(resp) if resp.is_success() => match resp.json() {
                Ok(body) => envelope::unwrap_pxcloud(body),
                Err(e) => {
                    return envelope::failure(facts, &Failure::Garbage(e.message().to_owned()));
                }
            },
            Ok(resp) => {
                let (code, message) = resp.api_error().unwrap_or((None, None));
                return envelope::failure(
                    facts,
                    &Failure::Status {
                        status: resp.status,
                        code,
                        message: message.unwrap_or_default(),
                    },
                );
            }
            Err(e) => return envelope::failure(facts, &app.client_failure(&e)),
        };
        let status = task
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned();
        let progress = task.get("progress").and_then(Value::as_f64).unwrap_or(0.0);
        let last_line = last_log_line(&task);
        if progress != last_progress || status != "running" {
            caller.progress(
                progress,
                Some(100.0),
                last_line.as_deref().or(Some(status.as_str())),
            );
            last_progress = progress;
        }
        if status != "running" && status != "queued" && status != "pending" {
            return finished(facts, task_id, &status, task, started.elapsed());
        }
        if started.elapsed() + delay > timeout {
            let mut out = envelope::success(
                facts,
                200,
                task,
                &envelope::Shape {
                    fields: None,
                    max_bytes: 32 * 1024,
                    narrowing_params: &[],
                },
            );
            out.structured["ok"] = json!(false);
            let note = format!(
                "Task {task_id} is still running after {} s; call pxcloud_wait_task again to keep following it.",
                started.elapsed().as_secs()
            );
            out.structured["summary"] = json!(note);
            out.text = format!("{note}\n{}", out.text);
            return out;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// The path of the task endpoint for `task_id`, from the catalog when PXCloud describes it.
fn task_path(app: &App, task_id: &str) -> String {
    let state = app.state();
    let tool = state.catalog.tools().iter().find(|t| {
        t.method() == Method::Get
            && (t.path() == "/api/tasks/{id}" || t.path() == "/api/tasks/{task_id}")
    });
    if let Some(tool) = tool {
        let param = if tool.path().contains("{task_id}") {
            "task_id"
        } else {
            "id"
        };
        let mut args = Map::new();
        args.insert(param.to_owned(), json!(task_id));
        if let Ok(req) = tool.request_unchecked(&args) {
            return req.path_and_query();
        }
    }
    let encoded: String = task_id
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/api/tasks/{encoded}")
}

fn last_log_line(task: &Value) -> Option<String> {
    log_line_text(task.get("log")?.as_array()?.last()?)
}

/// The text of one task log line: a string, or an object's `t` (PXCloud's and Proxmox's
/// `{n, t}`), `text` or `line`.
fn log_line_text(line: &Value) -> Option<String> {
    Some(match line {
        Value::String(s) => s.clone(),
        other => other
            .get("t")
            .or_else(|| other.get("text"))
            .or_else(|| other.get("line"))
            .and_then(Value::as_str)?
            .to_owned(),
    })
}

fn finished(
    facts: ToolFacts<'_>,
    task_id: &str,
    status: &str,
    mut task: Value,
    elapsed: Duration,
) -> ToolOutput {
    let ok = matches!(
        status,
        "ok" | "OK" | "success" | "succeeded" | "completed" | "done"
    );
    let tail: Vec<Value> = task
        .get("log")
        .and_then(Value::as_array)
        .map(|log| {
            log.iter()
                .skip(log.len().saturating_sub(LOG_TAIL))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if let Some(obj) = task.as_object_mut() {
        obj.insert("log".to_owned(), Value::Array(tail.clone()));
    }
    let exit = task
        .get("exitstatus")
        .and_then(Value::as_str)
        .unwrap_or(status)
        .to_owned();
    let summary = if ok {
        format!(
            "Task {task_id} finished OK after {:.1} s.",
            elapsed.as_secs_f64()
        )
    } else {
        format!("Task {task_id} finished with status {status}: {exit}.")
    };
    let mut hints = Vec::new();
    if !ok {
        hints.push("The operation failed; the task log's last lines are in data.log. Read them before retrying.".to_owned());
    }
    let structured = json!({
        "ok": ok,
        "tool": facts.name,
        "method": facts.method,
        "path": facts.path,
        "status": 200,
        "summary": summary,
        "dataType": "object",
        "data": task,
        "hints": hints,
    });
    let mut text = summary.clone();
    if !ok {
        text.push_str("\nLog tail:");
        // The model reads the lines themselves; `data.log` keeps them as PXCloud sent them.
        for line in &tail {
            text.push('\n');
            text.push_str(&log_line_text(line).unwrap_or_else(|| line.to_string()));
        }
    }
    ToolOutput {
        text,
        structured,
        is_error: !ok,
    }
}

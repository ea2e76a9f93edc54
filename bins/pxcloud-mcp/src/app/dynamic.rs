//! Dynamic mode: three tools instead of one per operation, for clients that cap the number of
//! tools. `pxcloud_invoke_tool` goes through exactly the same path as a direct call, so every
//! policy rule applies unchanged; hidden tools are as unknown here as in full mode.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use super::{App, CallError, Caller, ToolEntry};
use crate::envelope::{CallOutput, ToolOutput};

/// Searches the catalog.
pub const SEARCH: &str = "pxcloud_search_tools";
/// Shows one tool's full definition.
pub const DESCRIBE: &str = "pxcloud_describe_tool";
/// Calls one tool.
pub const INVOKE: &str = "pxcloud_invoke_tool";

/// The three tools of dynamic mode, made once: they never change, and a look-up by name
/// borrows them.
pub(super) fn entries() -> &'static [ToolEntry] {
    static ENTRIES: LazyLock<Vec<ToolEntry>> = LazyLock::new(make_entries);
    &ENTRIES
}

fn make_entries() -> Vec<ToolEntry> {
    vec![
        ToolEntry {
            name: SEARCH.to_owned(),
            title: Some("Search PXCloud tools".to_owned()),
            description:
                "Find PXCloud operations by words, tag or HTTP method. Returns names to use with \
                pxcloud_describe_tool and pxcloud_invoke_tool."
                    .to_owned(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "Words to look for, e.g. \"console share\"."},
                    "tag": {"type": "string", "description": "Only tools with this tag, e.g. VMs."},
                    "method": {"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
                }
            }),
            output_schema: None,
            annotations: json!({"readOnlyHint": true, "openWorldHint": false}),
            meta: None,
        },
        ToolEntry {
            name: DESCRIBE.to_owned(),
            title: Some("Describe a PXCloud tool".to_owned()),
            description:
                "The full definition of one tool: description, input schema and safety annotations."
                    .to_owned(),
            input_schema: json!({
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"]
            }),
            output_schema: None,
            annotations: json!({"readOnlyHint": true, "openWorldHint": false}),
            meta: None,
        },
        ToolEntry {
            name: INVOKE.to_owned(),
            title: Some("Invoke a PXCloud tool".to_owned()),
            description:
                "Call one PXCloud tool by name with its arguments (see pxcloud_describe_tool). \
                Destructive tools ask for approval exactly as when called directly."
                    .to_owned(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "arguments": {"type": "object", "default": {}}
                },
                "required": ["name"]
            }),
            output_schema: None,
            annotations: json!({"readOnlyHint": false, "destructiveHint": true, "openWorldHint": false}),
            meta: None,
        },
    ]
}

fn error(text: String) -> ToolOutput {
    ToolOutput {
        structured: json!({"ok": false, "error": text}),
        text,
        is_error: true,
    }
}

/// Runs a dynamic-mode tool; `Ok(None)` when `name` is not one. `pxcloud_invoke_tool` gives
/// what the tool it calls gives, a success possibly kept as JSON text.
pub(super) async fn call(
    app: &App,
    name: &str,
    mut args: Map<String, Value>,
    caller: &dyn Caller,
) -> Result<Option<CallOutput>, CallError> {
    match name {
        SEARCH => Ok(Some(search(app, &args).into())),
        DESCRIBE => Ok(Some(describe(app, &args, caller.can_elicit()).into())),
        INVOKE => {
            let Some(Value::String(target)) = args.remove("name") else {
                return Ok(Some(error("`name` (string) is required".to_owned()).into()));
            };
            let arguments = match args.remove("arguments") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(m)) => m,
                Some(_) => {
                    return Ok(Some(
                        error("`arguments` must be an object".to_owned()).into(),
                    ));
                }
            };
            match app.call_catalog_output(&target, arguments, caller).await {
                Ok(out) => Ok(Some(out)),
                Err(CallError::UnknownTool(n)) => Ok(Some(
                    error(format!(
                        "unknown tool: {n}. Use pxcloud_search_tools to find the right name."
                    ))
                    .into(),
                )),
                Err(e) => Err(e),
            }
        }
        _ => Ok(None),
    }
}

fn search(app: &App, args: &Map<String, Value>) -> ToolOutput {
    let state = app.state();
    let words: Vec<String> = args
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or("")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let tag = args
        .get("tag")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    let method = args
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_uppercase);
    let limit = args
        .get("limit")
        .and_then(Value::as_u64)
        .unwrap_or(20)
        .clamp(1, 100) as usize;

    let mut hits: Vec<(usize, &openapi_ingest::Tool)> = state
        .visible_tools()
        .filter(|t| {
            tag.as_ref()
                .is_none_or(|tag| t.tags().iter().any(|x| x.to_lowercase() == *tag))
        })
        .filter(|t| method.as_ref().is_none_or(|m| t.method().as_str() == m))
        .filter_map(|t| {
            if words.is_empty() {
                return Some((0, t));
            }
            let name = t.name().to_lowercase();
            let title = t.title().unwrap_or_default().to_lowercase();
            let path = t.path().to_lowercase();
            let desc = t.description().to_lowercase();
            let score: usize = words
                .iter()
                .map(|w| {
                    3 * usize::from(name.contains(w.as_str()))
                        + 3 * usize::from(title.contains(w.as_str()))
                        + 2 * usize::from(path.contains(w.as_str()))
                        + usize::from(desc.contains(w.as_str()))
                })
                .sum();
            (score > 0).then_some((score, t))
        })
        .collect();
    hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name().cmp(b.1.name())));
    let total = hits.len();
    let results: Vec<Value> = hits
        .into_iter()
        .take(limit)
        .map(|(_, t)| {
            let facts = app.facts(t);
            json!({
                "name": t.name(),
                "title": t.title(),
                "method": facts.method,
                "path": facts.path,
                "tags": t.tags(),
                "destructive": facts.destructive,
            })
        })
        .collect();
    let lines: Vec<String> = results
        .iter()
        .map(|r| {
            format!(
                "{} — {} {} {}",
                r["name"].as_str().unwrap_or_default(),
                r["method"].as_str().unwrap_or_default(),
                r["path"].as_str().unwrap_or_default(),
                r["title"].as_str().unwrap_or_default()
            )
        })
        .collect();
    let text = format!(
        "{} of {total} matching tool(s):\n{}",
        results.len(),
        lines.join("\n")
    );
    ToolOutput {
        text,
        structured: json!({"ok": true, "total": total, "tools": results}),
        is_error: false,
    }
}

fn describe(app: &App, args: &Map<String, Value>, can_elicit: bool) -> ToolOutput {
    let Some(name) = args.get("name").and_then(Value::as_str) else {
        return error("`name` (string) is required".to_owned());
    };
    let state = app.state();
    let Some(tool) = state.tool(name) else {
        return error(format!(
            "unknown tool: {name}. Use pxcloud_search_tools to find the right name."
        ));
    };
    let entry = super::catalog_entry(app.guard(), tool, can_elicit);
    let mut structured = entry.to_json();
    if let Some(obj) = structured.as_object_mut() {
        obj.remove("outputSchema");
    }
    ToolOutput {
        text: structured.to_string(),
        structured,
        is_error: false,
    }
}

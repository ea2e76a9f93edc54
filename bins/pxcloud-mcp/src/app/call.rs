//! One catalog tool call: policy verdict, confirmation, the HTTP request, the envelope, audit.

use std::time::{Instant, SystemTime};

use bytes::Bytes;
use openapi_ingest::Tool;
use policy::{CallContext, Class, ElicitationAnswer, Verdict};
use pxcloud_client::{ApiRequest, ApiResponse, ErrorKind};
use serde_json::{Map, Value, json};

use super::{App, CallError, Caller, Elicited, Interrupt, dynamic, workflow};
use crate::config::ToolMode;
use crate::envelope::{self, CallOutput, Failure, Shape, ToolFacts, ToolOutput};

/// Query parameters that narrow a listing, mentioned when a result is cut.
const NARROWING: &[&str] = &[
    "page", "per_page", "limit", "offset", "cursor", "status", "node", "cluster", "type", "tag",
    "q", "search", "name",
];

impl App {
    /// [`App::call_tool`] for the wire: a catalog tool's success may come back with its
    /// structured envelope as JSON text (PXCloud's data never made into a value tree).
    pub(crate) async fn call_tool_output(
        &self,
        name: &str,
        args: Map<String, Value>,
        caller: &dyn Caller,
    ) -> Result<CallOutput, CallError> {
        // Workflow tools first, then dynamic mode's tools; any other name is a catalog tool.
        if let Some(out) = workflow::call(self, name, &args, caller).await? {
            return Ok(out.into());
        }
        if self.config().tool_mode == ToolMode::Dynamic {
            return match dynamic::call(self, name, args, caller).await? {
                Some(out) => Ok(out),
                None => Err(CallError::UnknownTool(name.to_owned())),
            };
        }
        self.call_catalog_output(name, args, caller).await
    }

    /// Runs catalog tool `name` with the client's `args`; a success possibly kept as JSON
    /// text.
    pub(crate) async fn call_catalog_output(
        &self,
        name: &str,
        mut args: Map<String, Value>,
        caller: &dyn Caller,
    ) -> Result<CallOutput, CallError> {
        let state = self.state();
        let Some((tool, visible)) = state.visible_tool(name) else {
            return Err(CallError::UnknownTool(name.to_owned()));
        };
        let facts = facts_of(tool, visible.class);

        // The projection argument is ours, not the tool's: take it out before policy sees it.
        let fields = if tool.method().is_read_only() && !args.is_empty() {
            match args.remove(visible.fields_arg) {
                None | Some(Value::Null) => None,
                Some(Value::Array(items)) if items.iter().all(Value::is_string) => Some(
                    items
                        .into_iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect::<Vec<_>>(),
                ),
                Some(_) => {
                    return Ok(denied(
                        facts,
                        "invalid_arguments",
                        &format!(
                            "`{}` must be an array of field names (strings)",
                            visible.fields_arg
                        ),
                    )
                    .into());
                }
            }
        } else {
            None
        };

        let ctx = CallContext {
            can_elicit: caller.can_elicit(),
            now: SystemTime::now(),
        };
        // The audit record shows the arguments as they came: kept only for a sink that
        // writes it (it copies the arguments of every write).
        let received = self.audit().map(|_| args.clone());
        let mut verdict = self.guard().check_owned(tool, args, &ctx);
        if let Verdict::NeedsElicitation(request) = verdict {
            let answer = match caller
                .elicit("confirm", &request.message, request.requested_schema())
                .await?
            {
                Elicited::Accepted(_) => ElicitationAnswer::Accept,
                Elicited::Declined => ElicitationAnswer::Decline,
                Elicited::Cancelled => ElicitationAnswer::Cancel,
                Elicited::CannotAsk(why) => {
                    return Err(CallError::Interrupted(Interrupt::Failed(format!(
                        "the confirmation for {name} could not be asked: {why}"
                    ))));
                }
            };
            verdict = self.guard().after_elicitation(request, answer);
        }
        let record = received.and_then(|args| self.guard().audit(tool, &args, &verdict, ctx.now));

        let out = match verdict {
            Verdict::Allow { args, .. } => {
                let started = Instant::now();
                let shape = Shape {
                    fields: fields.as_deref(),
                    max_bytes: self.config().max_result_bytes,
                    narrowing_params: &visible.narrowing,
                };
                let (out, status) = self.execute(tool, facts, args.as_map(), &shape).await;
                if let (Some(record), Some(sink)) = (record, self.audit()) {
                    sink.write(&record.with_outcome(status, started.elapsed()));
                }
                return Ok(out);
            }
            Verdict::NeedsConfirmation(c) => ToolOutput {
                text: c.text.clone(),
                structured: json!({
                    "ok": false,
                    "tool": facts.name,
                    "method": facts.method,
                    "path": facts.path,
                    "status": 0,
                    "summary": "Destructive operation blocked: the user's approval is required.",
                    "dataType": "object",
                    "data": c.structured,
                    "hints": [c.text],
                }),
                is_error: true,
            },
            Verdict::DryRun(plan) => {
                let data = plan.to_value();
                ToolOutput {
                    text: format!(
                        "{}: dry run — nothing was sent. It would send {} {}.\n{data}",
                        facts.title, plan.method, plan.path_and_query
                    ),
                    structured: json!({
                        "ok": true,
                        "tool": facts.name,
                        "method": facts.method,
                        "path": facts.path,
                        "status": 0,
                        "summary": "Dry run: the request below was not sent.",
                        "dataType": "object",
                        "data": data,
                        "hints": ["Dry run: nothing was sent to PXCloud. Call again without dry_run (and with approval) to run it."],
                    }),
                    is_error: false,
                }
            }
            Verdict::Deny(denial) => denied(facts, denial.kind.code(), &denial.message),
            // `NeedsElicitation` was resolved above; any verdict added later is refused.
            other => denied(facts, other.label(), "the call was not run"),
        };
        if let (Some(record), Some(sink)) = (record, self.audit()) {
            sink.write(&record);
        }
        Ok(out.into())
    }

    pub(crate) fn facts<'t>(&self, tool: &'t Tool) -> ToolFacts<'t> {
        facts_of(tool, self.guard().class(tool))
    }

    /// Sends the request for validated `args`; returns the result and the HTTP status.
    pub(crate) async fn execute(
        &self,
        tool: &Tool,
        facts: ToolFacts<'_>,
        args: &Map<String, Value>,
        shape: &Shape<'_>,
    ) -> (CallOutput, Option<u16>) {
        let request = match tool.request(args) {
            Ok(r) => r,
            Err(e) => {
                return (
                    denied(facts, "invalid_arguments", &e.to_string()).into(),
                    None,
                );
            }
        };
        let body = match encode_body(request.body.as_ref(), request.content_type.as_deref()) {
            Ok(b) => b,
            Err(e) => return (denied(facts, "invalid_arguments", &e).into(), None),
        };
        let api = ApiRequest {
            method: http::Method::from_bytes(request.method.as_str().as_bytes())
                .unwrap_or(http::Method::GET),
            path_and_query: request.path_and_query(),
            headers: request.headers.clone(),
            body,
            content_type: request.content_type.clone(),
        };
        match self.client().send(api).await {
            Ok(resp) if resp.is_success() => {
                let status = resp.status;
                (
                    envelope::success_body(facts, status, &resp.body, shape),
                    Some(status),
                )
            }
            Ok(resp) => {
                let status = resp.status;
                (
                    envelope::failure(facts, &self.status_failure(&resp)).into(),
                    Some(status),
                )
            }
            Err(e) => (
                envelope::failure(facts, &self.client_failure(&e)).into(),
                e.status(),
            ),
        }
    }

    fn status_failure(&self, resp: &ApiResponse) -> Failure {
        let (code, message) = resp.api_error().unwrap_or((None, None));
        let message = message.unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&resp.body);
            let text: String = text.chars().take(200).collect();
            if text.trim().is_empty() {
                "no details".to_owned()
            } else {
                text
            }
        });
        if resp.status == 401 {
            return Failure::Auth {
                message,
                can_relogin: self.can_relogin(),
            };
        }
        Failure::Status {
            status: resp.status,
            code,
            message,
        }
    }

    pub(crate) fn client_failure(&self, e: &pxcloud_client::Error) -> Failure {
        let message = e.message().to_owned();
        match e.kind() {
            ErrorKind::Tls => Failure::Tls {
                message,
                fingerprint: e.fingerprint().map(str::to_owned),
            },
            ErrorKind::Timeout => Failure::Timeout(message),
            ErrorKind::Transport => Failure::Network(message),
            ErrorKind::Auth => Failure::Auth {
                message,
                can_relogin: self.can_relogin(),
            },
            ErrorKind::Status => match e.status() {
                Some(401) => Failure::Auth {
                    message,
                    can_relogin: self.can_relogin(),
                },
                Some(status) => Failure::Status {
                    status,
                    code: e.api_code().map(str::to_owned),
                    message: e.api_message().map_or(message, str::to_owned),
                },
                None => Failure::Garbage(message),
            },
            ErrorKind::TooLarge => Failure::TooLarge(message),
            _ => Failure::Garbage(message),
        }
    }
}

/// What the envelope says about `tool`, of policy class `class`.
fn facts_of(tool: &Tool, class: Class) -> ToolFacts<'_> {
    ToolFacts {
        name: tool.name(),
        title: tool.title().unwrap_or(tool.name()),
        method: tool.method().as_str(),
        path: tool.path(),
        read_only: !class.is_mutating(),
        destructive: class.needs_confirmation(),
    }
}

fn denied(facts: ToolFacts<'_>, code: &str, message: &str) -> ToolOutput {
    ToolOutput {
        text: format!("{}: not run\n{message}", facts.title.trim_end_matches('.')),
        structured: json!({
            "ok": false,
            "tool": facts.name,
            "method": facts.method,
            "path": facts.path,
            "status": 0,
            "summary": message,
            "dataType": "object",
            "data": {"error": code, "message": message},
            "hints": [message],
        }),
        is_error: true,
    }
}

/// The tool's query parameters that narrow a listing.
pub(super) fn narrowing_params(tool: &Tool) -> Vec<String> {
    let Some(props) = tool
        .input_schema()
        .get("properties")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    props
        .keys()
        .filter(|k| NARROWING.contains(&k.as_str()))
        .cloned()
        .collect()
}

/// Encodes the body for its content type: JSON, or a flat form.
fn encode_body(body: Option<&Value>, content_type: Option<&str>) -> Result<Option<Bytes>, String> {
    let Some(body) = body else { return Ok(None) };
    let is_form =
        content_type.is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return serde_json::to_vec(body)
            .map(|v| Some(Bytes::from(v)))
            .map_err(|e| e.to_string());
    }
    let Value::Object(map) = body else {
        return Err("a form body must be an object".to_owned());
    };
    let mut out = String::new();
    for (key, value) in map {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            Value::Null => continue,
            other => vec![other],
        };
        for item in items {
            let text = match item {
                Value::String(s) => s.clone(),
                Value::Object(_) | Value::Array(_) => {
                    return Err(format!(
                        "form field `{key}` must be a scalar or a list of scalars"
                    ));
                }
                other => other.to_string(),
            };
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(&form_encode(key));
            out.push('=');
            out.push_str(&form_encode(&text));
        }
    }
    Ok(Some(Bytes::from(out)))
}

fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

//! The MCP side: [`App`] behind `mcp-protocol`'s handler traits, served on stdio or
//! Streamable HTTP, with the spec refresh loop announcing tool-list changes.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mcp_protocol::http::{HttpConfig, HttpServer};
use mcp_protocol::{
    CallToolResult, CompleteRequest, CompleteResult, CompletionProvider, CompletionReference,
    Content, ElicitOutcome, GetPromptResult, HandlerError, Implementation, Prompt, PromptArgument,
    PromptMessage, PromptProvider, ReadResourceResult, RequestContext, Resource, ResourceContents,
    ResourceProvider, Server, ServerConfig, ServerEvent, Tool, ToolAnnotations, ToolProvider,
    param_headers_of,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::app::{App, CallError, Caller, Elicited, Interrupt, ToolEntry};
use crate::config::Transport;
use crate::envelope::CallOutput;
use crate::{guides, prompts};

/// Server instructions sent at initialization / discovery: said once here rather than on each
/// of the ~140 tools (the shared arguments and the result envelope).
fn instructions() -> String {
    format!(
        "Tools operate PXCloud (Proxmox VE and VMware vSphere management). Start with read-only \
discovery; follow task ids with pxcloud_wait_task. Reads take `fields` (e.g. [\"id\", \"config.memory\"]) \
to keep only those result fields. {} Every result is an envelope {{ok, status, summary, data, hints}}; \
`hints` name ids to remember or how to recover. Guides: pxcloud://guides/capabilities and \
pxcloud://guides/safety.",
        policy::CONTROLS_HELP
    )
}

/// The adapter from `mcp-protocol` to [`App`].
#[derive(Debug, Clone)]
struct Mcp {
    app: App,
}

/// [`Caller`] over one request's context.
struct ContextCaller<'a>(&'a RequestContext);

#[async_trait]
impl Caller for ContextCaller<'_> {
    fn can_elicit(&self) -> bool {
        self.0.has_client_capability("elicitation")
    }

    async fn elicit(&self, key: &str, message: &str, schema: Value) -> Result<Elicited, Interrupt> {
        match self.0.elicit(key, message, schema).await {
            Ok(ElicitOutcome::Accepted(content)) => Ok(Elicited::Accepted(content)),
            Ok(ElicitOutcome::Declined) => Ok(Elicited::Declined),
            Ok(ElicitOutcome::Cancelled) => Ok(Elicited::Cancelled),
            Ok(ElicitOutcome::CannotAsk(why)) => Ok(Elicited::CannotAsk(why)),
            Err(HandlerError::InputRequired) => Err(Interrupt::InputRequired),
            Err(HandlerError::Cancelled) => Err(Interrupt::Cancelled),
            // The user did not answer in time: treat it as a cancelled question.
            Err(HandlerError::Timeout(_)) => Ok(Elicited::Cancelled),
            Err(other) => Err(Interrupt::Failed(format!("{other:?}"))),
        }
    }

    fn progress(&self, done: f64, total: Option<f64>, message: Option<&str>) {
        self.0.progress(done, total, message);
    }
}

pub(crate) fn to_tool(entry: ToolEntry) -> Tool {
    let a = &entry.annotations;
    let flag = |k: &str| a.get(k).and_then(Value::as_bool);
    let annotations = ToolAnnotations {
        title: None,
        read_only_hint: flag("readOnlyHint"),
        destructive_hint: flag("destructiveHint"),
        idempotent_hint: flag("idempotentHint"),
        open_world_hint: flag("openWorldHint"),
    };
    let mut tool = Tool::new(entry.name, entry.description).with_input_schema(entry.input_schema);
    tool.title = entry.title;
    tool.output_schema = entry.output_schema;
    // No member at all means the protocol's defaults (a destructive write): leave it out.
    tool.annotations = (annotations != ToolAnnotations::default()).then_some(annotations);
    tool.meta = entry.meta;
    tool
}

fn to_result(out: CallOutput) -> CallToolResult {
    match out {
        CallOutput::Tree(out) => {
            let mut result = CallToolResult::text(out.text);
            result.structured_content = Some(out.structured);
            result.is_error = out.is_error.then_some(true);
            result
        }
        // Sent as written: PXCloud's data is not parsed or serialised again.
        CallOutput::Json(out) => {
            CallToolResult::text(out.text).with_structured_json(out.structured)
        }
    }
}

#[async_trait]
impl ToolProvider for Mcp {
    async fn list_tools(&self, ctx: &RequestContext) -> Result<Vec<Tool>, HandlerError> {
        let can_elicit = ctx.has_client_capability("elicitation");
        Ok(self
            .app
            .list_tools(can_elicit)
            .into_iter()
            .map(to_tool)
            .collect())
    }

    async fn find_tool(
        &self,
        name: &str,
        ctx: &RequestContext,
    ) -> Result<Option<Tool>, HandlerError> {
        let can_elicit = ctx.has_client_capability("elicitation");
        Ok(self.app.find_tool(name, can_elicit).map(to_tool))
    }

    /// Read from the borrowed tool: no schema is copied per call.
    async fn param_headers(
        &self,
        name: &str,
        _ctx: &RequestContext,
    ) -> Result<Option<Vec<(String, String)>>, HandlerError> {
        Ok(self
            .app
            .tool(name)
            .map(|tool| param_headers_of(tool.arguments_schema())))
    }

    async fn call_tool(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<CallToolResult, HandlerError> {
        match self
            .app
            .call_tool_output(name, arguments, &ContextCaller(ctx))
            .await
        {
            Ok(out) => Ok(to_result(out)),
            Err(CallError::UnknownTool(name)) => Err(HandlerError::NotFound { kind: "tool", name }),
            Err(CallError::Interrupted(Interrupt::InputRequired)) => {
                Err(HandlerError::InputRequired)
            }
            Err(CallError::Interrupted(Interrupt::Cancelled)) => Err(HandlerError::Cancelled),
            Err(CallError::Interrupted(Interrupt::Failed(why))) => {
                Err(HandlerError::ToolFailed(why))
            }
        }
    }
}

#[async_trait]
impl PromptProvider for Mcp {
    async fn list_prompts(&self, _ctx: &RequestContext) -> Result<Vec<Prompt>, HandlerError> {
        Ok(prompts::PROMPTS
            .iter()
            .map(|p| Prompt {
                name: p.name.to_owned(),
                title: Some(p.title.to_owned()),
                description: Some(p.description.to_owned()),
                arguments: vec![PromptArgument {
                    name: p.arg.name.to_owned(),
                    description: Some(p.arg.description.to_owned()),
                    required: p.arg.required,
                }],
            })
            .collect())
    }

    async fn get_prompt(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        _ctx: &RequestContext,
    ) -> Result<GetPromptResult, HandlerError> {
        let prompt = prompts::find(name).ok_or_else(|| HandlerError::NotFound {
            kind: "prompt",
            name: name.to_owned(),
        })?;
        let value = match arguments.get(prompt.arg.name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                return Err(HandlerError::InvalidParams(format!(
                    "argument `{}` must be a string",
                    prompt.arg.name
                )));
            }
        };
        let text = prompt
            .render(&self.app.prompt_context(), value)
            .map_err(HandlerError::InvalidParams)?;
        Ok(GetPromptResult {
            description: Some(prompt.description.to_owned()),
            messages: vec![PromptMessage::user(Content::text(text))],
        })
    }
}

#[async_trait]
impl ResourceProvider for Mcp {
    async fn list_resources(&self, _ctx: &RequestContext) -> Result<Vec<Resource>, HandlerError> {
        Ok(guides::GUIDES
            .iter()
            .map(|g| Resource {
                uri: g.uri.to_owned(),
                name: g.name.to_owned(),
                title: Some(g.title.to_owned()),
                description: Some(g.description.to_owned()),
                mime_type: Some("text/markdown".to_owned()),
            })
            .collect())
    }

    async fn read_resource(
        &self,
        uri: &str,
        _ctx: &RequestContext,
    ) -> Result<ReadResourceResult, HandlerError> {
        let text = guides::render(uri, &self.app.prompt_context(), &self.app.safety_facts())
            .ok_or_else(|| HandlerError::NotFound {
                kind: "resource",
                name: uri.to_owned(),
            })?;
        Ok(ReadResourceResult {
            contents: vec![ResourceContents::text(uri, "text/markdown", text)],
        })
    }
}

#[async_trait]
impl CompletionProvider for Mcp {
    async fn complete(
        &self,
        request: CompleteRequest,
        _ctx: &RequestContext,
    ) -> Result<CompleteResult, HandlerError> {
        let values = match &request.reference {
            CompletionReference::Prompt { name } => match prompts::find(name) {
                Some(p) if p.arg.name == request.argument => {
                    p.complete(&self.app.prompt_context(), &request.value, &[])
                }
                Some(_) => Vec::new(),
                None => {
                    return Err(HandlerError::NotFound {
                        kind: "prompt",
                        name: name.clone(),
                    });
                }
            },
            _ => Vec::new(),
        };
        Ok(CompleteResult {
            total: Some(values.len() as u64),
            has_more: Some(false),
            values,
        })
    }
}

/// The `mcp-protocol` server for `app`.
pub fn build_server(app: &App) -> Server {
    let mcp = Arc::new(Mcp { app: app.clone() });
    let mut config = ServerConfig {
        instructions: Some(instructions()),
        ..ServerConfig::default()
    };
    if let Some(secret) = &app.config().secret {
        // Replicas sharing PXCLOUD_SECRET accept each other's requestState.
        let mut h = Sha256::new();
        h.update(b"pxcloud-mcp requestState v1\0");
        h.update(secret.expose().as_bytes());
        config.state_key = Some(h.finalize().into());
    }
    Server::builder(Implementation::new(
        "pxcloud-mcp",
        env!("CARGO_PKG_VERSION"),
    ))
    .config(config)
    .tools(mcp.clone())
    .prompts(mcp.clone())
    .resources(mcp.clone())
    .completions(mcp)
    .build()
}

/// Re-fetches the spec every `period` and announces tool-list changes.
fn spawn_refresh(app: &App, server: &Server) {
    let Some(period) = app.config().spec_refresh else {
        return;
    };
    let app = app.clone();
    let notifier = server.notifier();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period.max(Duration::from_secs(1)));
        // A fetch slower than the period (PXCloud busy, retries) must not be followed by a
        // burst of catch-up fetches: the next one waits a full period.
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            match app.refresh().await {
                Ok(true) => {
                    tracing::info!("PXCloud's OpenAPI document changed: tool list updated");
                    notifier.notify(ServerEvent::ToolsListChanged);
                }
                Ok(false) => tracing::debug!("spec refresh: no change"),
                Err(e) => tracing::warn!("{e:#}"),
            }
        }
    });
}

/// Serves `app` on the configured transport until EOF (stdio) or a shutdown signal.
pub async fn serve(app: App) -> anyhow::Result<()> {
    let server = build_server(&app);
    spawn_refresh(&app, &server);
    match app.config().transport.clone() {
        Transport::Stdio => {
            tracing::info!("serving MCP on stdio");
            mcp_protocol::stdio::serve_stdio(server).await?;
        }
        Transport::Http {
            addr,
            token,
            allowed_origins,
        } => {
            let config = HttpConfig {
                bind: addr,
                bearer_token: token.map(|t| t.expose().to_owned()),
                allowed_origins,
                ..HttpConfig::default()
            };
            let http = HttpServer::bind(server, config).await?;
            let local = http.local_addr()?;
            tracing::info!("serving MCP on Streamable HTTP at http://{local}/mcp");
            eprintln!("pxcloud-mcp: Streamable HTTP endpoint http://{local}/mcp");
            http.serve(mcp_protocol::stdio::shutdown_signal()).await?;
        }
    }
    Ok(())
}

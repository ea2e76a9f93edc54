//! The fixture's tools: the legacy suite's `test_*` tools and the stateless
//! `test_input_required_result_*` family plus the diagnostic hooks.

use std::time::Duration;

use async_trait::async_trait;
use mcp_protocol::{
    CallToolResult, Content, ElicitOutcome, HandlerError, InputRequest, LogLevel, RequestContext,
    ResourceContents, ServerEvent, Tool, ToolProvider,
};
use serde_json::{Map, Value, json};

use crate::{TEST_AUDIO_BASE64, TEST_IMAGE_BASE64};

pub(crate) struct FixtureTools;

fn string_arg_schema(name: &str, description: &str) -> Value {
    json!({"type": "object", "properties": {name: {"type": "string", "description": description}}, "required": [name]})
}

fn name_schema(field: &str) -> Value {
    json!({"type": "object", "properties": {field: {"type": "string"}}, "required": [field]})
}

fn tool_list() -> Vec<Tool> {
    let plain = [
        ("test_simple_text", "Tests simple text content response"),
        ("test_image_content", "Tests image content response"),
        ("test_audio_content", "Tests audio content response"),
        (
            "test_embedded_resource",
            "Tests embedded resource content response",
        ),
        (
            "test_multiple_content_types",
            "Tests response with multiple content types (text, image, resource)",
        ),
        (
            "test_tool_with_logging",
            "Tests tool that emits log messages during execution",
        ),
        (
            "test_tool_with_progress",
            "Tests tool that reports progress notifications",
        ),
        ("test_error_handling", "Tests error response handling"),
        (
            "test_reconnection",
            "Tests SSE stream disconnection and client reconnection (SEP-1699)",
        ),
        (
            "test_elicitation_sep1034_defaults",
            "Tests elicitation with default values per SEP-1034",
        ),
        (
            "test_elicitation_sep1330_enums",
            "Tests elicitation with enum schema improvements per SEP-1330",
        ),
        (
            "test_input_required_result_elicitation",
            "Asks the user's name through an input_required result",
        ),
        (
            "test_input_required_result_sampling",
            "Asks the client to sample through an input_required result",
        ),
        (
            "test_input_required_result_list_roots",
            "Asks the client's roots through an input_required result",
        ),
        (
            "test_input_required_result_request_state",
            "Round-trips a signed requestState",
        ),
        (
            "test_input_required_result_multiple_inputs",
            "Asks for several inputs at once",
        ),
        (
            "test_input_required_result_multi_round",
            "Asks in two rounds",
        ),
        (
            "test_input_required_result_tampered_state",
            "Rejects a tampered requestState",
        ),
        (
            "test_input_required_result_capabilities",
            "Asks only for what the client declared",
        ),
        ("test_missing_capability", "Needs the sampling capability"),
        (
            "test_streaming_elicitation",
            "Asks for input while the request is open",
        ),
        (
            "test_logging_tool",
            "Logs only when the request asked for a log level",
        ),
        ("test_trigger_tool_change", "Announces a tool list change"),
        (
            "test_trigger_prompt_change",
            "Announces a prompt list change",
        ),
    ];
    let mut tools: Vec<Tool> = plain.iter().map(|(n, d)| Tool::new(*n, *d)).collect();
    tools.push(
        Tool::new(
            "test_sampling",
            "Tests server-initiated sampling (LLM completion request)",
        )
        .with_input_schema(string_arg_schema("prompt", "The prompt to send to the LLM")),
    );
    tools.push(
        Tool::new(
            "test_elicitation",
            "Tests server-initiated elicitation (user input request)",
        )
        .with_input_schema(string_arg_schema("message", "The message to show the user")),
    );
    tools.push(
        Tool::new("test_custom_headers", "Mirrors its region argument into the Mcp-Param-Region header (SEP-2243)")
            .with_input_schema(json!({
                "type": "object",
                "properties": {"region": {"type": "string", "description": "Deployment region", "x-mcp-header": "Region"}},
                "required": ["region"]
            })),
    );
    tools.push(
        Tool::new("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)")
            .with_input_schema(json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": {"address": {"$anchor": "addressDef", "type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
                "properties": {
                    "name": {"type": "string"},
                    "address": {"$ref": "#/$defs/address"},
                    "contactMethod": {"type": "string", "enum": ["phone", "email"]},
                    "phone": {"type": "string"},
                    "email": {"type": "string"}
                },
                "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
                "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
                "then": {"required": ["phone"]},
                "else": {"required": ["email"]},
                "additionalProperties": false
            })),
    );
    tools
}

#[async_trait]
impl ToolProvider for FixtureTools {
    async fn list_tools(&self, _ctx: &RequestContext) -> Result<Vec<Tool>, HandlerError> {
        Ok(tool_list())
    }

    async fn call_tool(
        &self,
        name: &str,
        args: Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<CallToolResult, HandlerError> {
        match name {
            "test_simple_text" => Ok(CallToolResult::text(
                "This is a simple text response for testing.",
            )),
            "test_image_content" => Ok(CallToolResult::new(vec![Content::image(
                TEST_IMAGE_BASE64,
                "image/png",
            )])),
            "test_audio_content" => Ok(CallToolResult::new(vec![Content::audio(
                TEST_AUDIO_BASE64,
                "audio/wav",
            )])),
            "test_embedded_resource" => Ok(CallToolResult::new(vec![Content::resource(
                ResourceContents::text(
                    "test://embedded-resource",
                    "text/plain",
                    "This is an embedded resource content.",
                ),
            )])),
            "test_multiple_content_types" => Ok(CallToolResult::new(vec![
                Content::text("Multiple content types test:"),
                Content::image(TEST_IMAGE_BASE64, "image/png"),
                Content::resource(ResourceContents::text(
                    "test://mixed-content-resource",
                    "application/json",
                    json!({"test": "data", "value": 123}).to_string(),
                )),
            ])),
            "test_tool_with_logging" | "test_logging_tool" => {
                for (i, msg) in [
                    "Tool execution started",
                    "Tool processing data",
                    "Tool execution completed",
                ]
                .iter()
                .enumerate()
                {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    ctx.log(LogLevel::Info, None, json!(msg));
                }
                Ok(CallToolResult::text(
                    "Tool with logging executed successfully",
                ))
            }
            "test_tool_with_progress" => {
                for (i, step) in [0.0, 50.0, 100.0].iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    ctx.progress(
                        *step,
                        Some(100.0),
                        Some(&format!("Completed step {step} of 100")),
                    );
                }
                let token = ctx.progress_token().map_or_else(
                    || "0".to_owned(),
                    |t| t.as_str().map_or_else(|| t.to_string(), str::to_owned),
                );
                Ok(CallToolResult::text(token))
            }
            "test_error_handling" => Err(HandlerError::ToolFailed(
                "This tool intentionally returns an error for testing".into(),
            )),
            "test_reconnection" => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok(CallToolResult::text(
                    "Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.",
                ))
            }
            "test_sampling" => {
                let prompt = args
                    .get("prompt")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let params = json!({"messages": [{"role": "user", "content": {"type": "text", "text": prompt}}], "maxTokens": 100});
                match ctx.ask("sampling", InputRequest::sampling(params)).await {
                    Ok(r) => {
                        let text = r
                            .pointer("/content/text")
                            .and_then(Value::as_str)
                            .unwrap_or("No response");
                        Ok(CallToolResult::text(format!("LLM response: {text}")))
                    }
                    Err(HandlerError::InputRequired) => Err(HandlerError::InputRequired),
                    Err(e) => Ok(CallToolResult::text(format!(
                        "Sampling not supported or error: {e}"
                    ))),
                }
            }
            "test_elicitation" => {
                let message = args
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("Please respond");
                let schema = json!({"type": "object", "properties": {"response": {"type": "string", "description": "User's response"}}, "required": ["response"]});
                elicit_report(ctx, "response", message, schema, "User response").await
            }
            "test_elicitation_sep1034_defaults" => {
                let schema = json!({"type": "object", "properties": {
                    "name": {"type": "string", "description": "User name", "default": "John Doe"},
                    "age": {"type": "integer", "description": "User age", "default": 30},
                    "score": {"type": "number", "description": "User score", "default": 95.5},
                    "status": {"type": "string", "description": "User status", "enum": ["active", "inactive", "pending"], "default": "active"},
                    "verified": {"type": "boolean", "description": "Verification status", "default": true}
                }, "required": []});
                elicit_report(
                    ctx,
                    "defaults",
                    "Please review and update the form fields with defaults",
                    schema,
                    "Elicitation completed",
                )
                .await
            }
            "test_elicitation_sep1330_enums" => {
                let schema = json!({"type": "object", "properties": {
                    "untitledSingle": {"type": "string", "description": "Select one option", "enum": ["option1", "option2", "option3"]},
                    "titledSingle": {"type": "string", "description": "Select one option with titles", "oneOf": [
                        {"const": "value1", "title": "First Option"}, {"const": "value2", "title": "Second Option"}, {"const": "value3", "title": "Third Option"}]},
                    "legacyEnum": {"type": "string", "description": "Select one option (legacy)", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"]},
                    "untitledMulti": {"type": "array", "description": "Select multiple options", "minItems": 1, "maxItems": 3, "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
                    "titledMulti": {"type": "array", "description": "Select multiple options with titles", "minItems": 1, "maxItems": 3, "items": {"anyOf": [
                        {"const": "value1", "title": "First Choice"}, {"const": "value2", "title": "Second Choice"}, {"const": "value3", "title": "Third Choice"}]}}
                }, "required": []});
                elicit_report(
                    ctx,
                    "enums",
                    "Please select options from the enum fields",
                    schema,
                    "Elicitation completed",
                )
                .await
            }
            "test_custom_headers" => {
                let region = args
                    .get("region")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Ok(CallToolResult::text(format!("region={region}")))
            }
            "json_schema_2020_12_tool" => Ok(CallToolResult::text(format!(
                "JSON Schema 2020-12 tool called with: {}",
                Value::Object(args)
            ))),
            "test_input_required_result_elicitation" => {
                let answer = ctx
                    .ask(
                        "user_name",
                        InputRequest::elicit_form("What is your name?", name_schema("name")),
                    )
                    .await?;
                let name = answer
                    .pointer("/content/name")
                    .and_then(Value::as_str)
                    .unwrap_or("stranger");
                Ok(CallToolResult::text(format!("Hello, {name}!")))
            }
            "test_input_required_result_sampling" => {
                let answer = ctx.ask("capital_question", capital_question()).await?;
                let text = answer
                    .pointer("/content/text")
                    .and_then(Value::as_str)
                    .unwrap_or("(no text)");
                Ok(CallToolResult::text(format!("Sampling response: {text}")))
            }
            "test_input_required_result_list_roots" => {
                let answer = ctx.ask("client_roots", InputRequest::list_roots()).await?;
                let roots: Vec<&str> = answer
                    .get("roots")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter_map(|x| x.get("uri").and_then(Value::as_str))
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(CallToolResult::text(format!(
                    "Client roots: {}",
                    roots.join(", ")
                )))
            }
            "test_input_required_result_request_state"
            | "test_input_required_result_tampered_state" => {
                let schema = json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]});
                ctx.ask(
                    "confirm",
                    InputRequest::elicit_form("Please confirm", schema),
                )
                .await?;
                Ok(CallToolResult::text(
                    "state-ok: the signed requestState was verified",
                ))
            }
            "test_input_required_result_multiple_inputs" => {
                let greeting = InputRequest::sampling(
                    json!({"messages": [{"role": "user", "content": {"type": "text", "text": "Generate a greeting"}}], "maxTokens": 50}),
                );
                let answers = ctx
                    .ask_all(vec![
                        (
                            "user_name".into(),
                            InputRequest::elicit_form("What is your name?", name_schema("name")),
                        ),
                        ("greeting".into(), greeting),
                        ("client_roots".into(), InputRequest::list_roots()),
                    ])
                    .await?;
                Ok(CallToolResult::text(format!(
                    "Received {} inputs: {}",
                    answers.len(),
                    answers.keys().cloned().collect::<Vec<_>>().join(", ")
                )))
            }
            "test_input_required_result_multi_round" => {
                let first = ctx
                    .ask(
                        "step1",
                        InputRequest::elicit_form(
                            "Step 1: What is your name?",
                            name_schema("name"),
                        ),
                    )
                    .await?;
                let second = ctx
                    .ask(
                        "step2",
                        InputRequest::elicit_form(
                            "Step 2: What is your favorite color?",
                            name_schema("color"),
                        ),
                    )
                    .await?;
                let name = first
                    .pointer("/content/name")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                let color = second
                    .pointer("/content/color")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                Ok(CallToolResult::text(format!("{name} likes {color}")))
            }
            "test_input_required_result_capabilities" => {
                let mut asks = Vec::new();
                if ctx.has_client_capability("elicitation") {
                    asks.push((
                        "user_name".to_owned(),
                        InputRequest::elicit_form("What is your name?", name_schema("name")),
                    ));
                }
                if ctx.has_client_capability("sampling") {
                    asks.push(("capital_question".to_owned(), capital_question()));
                }
                if ctx.has_client_capability("roots") {
                    asks.push(("client_roots".to_owned(), InputRequest::list_roots()));
                }
                if asks.is_empty() {
                    return Err(HandlerError::MissingCapability {
                        required: json!({"sampling": {}}),
                    });
                }
                let answers = ctx.ask_all(asks).await?;
                Ok(CallToolResult::text(format!(
                    "Received {} inputs",
                    answers.len()
                )))
            }
            "test_missing_capability" => {
                let answer = ctx.ask("sample", capital_question()).await?;
                Ok(CallToolResult::text(answer.to_string()))
            }
            "test_streaming_elicitation" => {
                let answer = ctx
                    .ask(
                        "user_name",
                        InputRequest::elicit_form("What is your name?", name_schema("name")),
                    )
                    .await?;
                Ok(CallToolResult::text(answer.to_string()))
            }
            "test_trigger_tool_change" => {
                ctx.notifier().notify(ServerEvent::ToolsListChanged);
                Ok(CallToolResult::text("Tool list change announced"))
            }
            "test_trigger_prompt_change" => {
                ctx.notifier().notify(ServerEvent::PromptsListChanged);
                Ok(CallToolResult::text("Prompt list change announced"))
            }
            other => Err(HandlerError::NotFound {
                kind: "tool",
                name: other.into(),
            }),
        }
    }
}

fn capital_question() -> InputRequest {
    InputRequest::sampling(json!({
        "messages": [{"role": "user", "content": {"type": "text", "text": "What is the capital of France?"}}],
        "maxTokens": 100
    }))
}

async fn elicit_report(
    ctx: &RequestContext,
    key: &str,
    message: &str,
    schema: Value,
    label: &str,
) -> Result<CallToolResult, HandlerError> {
    let text = match ctx.elicit(key, message, schema).await {
        Ok(ElicitOutcome::Accepted(content)) => {
            format!("{label}: action=accept, content={}", Value::Object(content))
        }
        Ok(ElicitOutcome::Declined) => format!("{label}: action=decline, content={{}}"),
        Ok(ElicitOutcome::Cancelled) => format!("{label}: action=cancel, content={{}}"),
        Ok(ElicitOutcome::CannotAsk(why)) => format!("Elicitation not supported or error: {why}"),
        Err(HandlerError::InputRequired) => return Err(HandlerError::InputRequired),
        Err(e) => format!("Elicitation not supported or error: {e}"),
    };
    Ok(CallToolResult::text(text))
}

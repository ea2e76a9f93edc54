//! The fixture's prompts and its (empty) completions.

use async_trait::async_trait;
use mcp_protocol::{
    CompleteRequest, CompleteResult, CompletionProvider, Content, GetPromptResult, HandlerError,
    InputRequest, Prompt, PromptArgument, PromptMessage, PromptProvider, RequestContext,
    ResourceContents,
};
use serde_json::{Map, Value, json};

use crate::TEST_IMAGE_BASE64;

pub(crate) struct FixturePrompts;

fn prompt(name: &str, title: &str, description: &str, args: &[(&str, &str)]) -> Prompt {
    Prompt {
        name: name.into(),
        title: Some(title.into()),
        description: Some(description.into()),
        arguments: args
            .iter()
            .map(|(n, d)| PromptArgument {
                name: (*n).into(),
                description: Some((*d).into()),
                required: true,
            })
            .collect(),
    }
}

fn arg<'a>(args: &'a Map<String, Value>, key: &str) -> Result<&'a str, HandlerError> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| HandlerError::InvalidParams(format!("missing argument {key}")))
}

#[async_trait]
impl PromptProvider for FixturePrompts {
    async fn list_prompts(&self, _ctx: &RequestContext) -> Result<Vec<Prompt>, HandlerError> {
        Ok(vec![
            prompt(
                "test_simple_prompt",
                "Simple Test Prompt",
                "A simple prompt without arguments",
                &[],
            ),
            prompt(
                "test_prompt_with_arguments",
                "Prompt With Arguments",
                "A prompt with required arguments",
                &[
                    ("arg1", "First test argument"),
                    ("arg2", "Second test argument"),
                ],
            ),
            prompt(
                "test_prompt_with_embedded_resource",
                "Prompt With Embedded Resource",
                "A prompt that includes an embedded resource",
                &[("resourceUri", "URI of the resource to embed")],
            ),
            prompt(
                "test_prompt_with_image",
                "Prompt With Image",
                "A prompt that includes image content",
                &[],
            ),
            prompt(
                "test_input_required_result_prompt",
                "Input Required Prompt",
                "A prompt that asks the user for context first",
                &[],
            ),
        ])
    }

    async fn get_prompt(
        &self,
        name: &str,
        args: Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<GetPromptResult, HandlerError> {
        let messages = match name {
            "test_simple_prompt" => vec![PromptMessage::user(Content::text(
                "This is a simple prompt for testing.",
            ))],
            "test_prompt_with_arguments" => {
                let (a1, a2) = (arg(&args, "arg1")?, arg(&args, "arg2")?);
                vec![PromptMessage::user(Content::text(format!(
                    "Prompt with arguments: arg1='{a1}', arg2='{a2}'"
                )))]
            }
            "test_prompt_with_embedded_resource" => {
                let uri = arg(&args, "resourceUri")?;
                vec![
                    PromptMessage::user(Content::resource(ResourceContents::text(
                        uri,
                        "text/plain",
                        "Embedded resource content for testing.",
                    ))),
                    PromptMessage::user(Content::text(
                        "Please process the embedded resource above.",
                    )),
                ]
            }
            "test_prompt_with_image" => vec![
                PromptMessage::user(Content::image(TEST_IMAGE_BASE64, "image/png")),
                PromptMessage::user(Content::text("Please analyze the image above.")),
            ],
            "test_input_required_result_prompt" => {
                let schema = json!({"type": "object", "properties": {"context": {"type": "string"}}, "required": ["context"]});
                let answer = ctx
                    .ask(
                        "user_context",
                        InputRequest::elicit_form("What context should the prompt use?", schema),
                    )
                    .await?;
                let context = answer
                    .pointer("/content/context")
                    .and_then(Value::as_str)
                    .unwrap_or("none");
                vec![PromptMessage::user(Content::text(format!(
                    "Prompt rendered with context: {context}"
                )))]
            }
            other => {
                return Err(HandlerError::NotFound {
                    kind: "prompt",
                    name: other.into(),
                });
            }
        };
        Ok(GetPromptResult {
            description: None,
            messages,
        })
    }
}

pub(crate) struct FixtureCompletions;

#[async_trait]
impl CompletionProvider for FixtureCompletions {
    async fn complete(
        &self,
        _request: CompleteRequest,
        _ctx: &RequestContext,
    ) -> Result<CompleteResult, HandlerError> {
        Ok(CompleteResult {
            values: Vec::new(),
            total: Some(0),
            has_more: Some(false),
        })
    }
}

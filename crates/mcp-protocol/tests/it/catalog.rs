//! Prompts, resources and completion through the core, in both eras.

use std::sync::Arc;

use async_trait::async_trait;
use mcp_protocol::{
    CompleteRequest, CompleteResult, CompletionProvider, CompletionReference, Content,
    GetPromptResult, HandlerError, Implementation, Prompt, PromptMessage, PromptProvider,
    ReadResourceResult, RequestContext, Resource, ResourceContents, ResourceProvider,
    ResourceTemplate, Server,
};
use serde_json::{Map, Value, json};

use crate::support::{Client, meta};

struct Catalog;

#[async_trait]
impl PromptProvider for Catalog {
    async fn list_prompts(&self, _: &RequestContext) -> Result<Vec<Prompt>, HandlerError> {
        Ok(vec![Prompt {
            name: "greet".into(),
            title: None,
            description: Some("Greets".into()),
            arguments: vec![],
        }])
    }

    async fn get_prompt(
        &self,
        name: &str,
        args: Map<String, Value>,
        _: &RequestContext,
    ) -> Result<GetPromptResult, HandlerError> {
        match name {
            "greet" => {
                let who = args.get("who").and_then(Value::as_str).unwrap_or("world");
                Ok(GetPromptResult {
                    description: None,
                    messages: vec![PromptMessage::user(Content::text(format!("Hello, {who}")))],
                })
            }
            other => Err(HandlerError::NotFound {
                kind: "prompt",
                name: other.into(),
            }),
        }
    }
}

#[async_trait]
impl ResourceProvider for Catalog {
    async fn list_resources(&self, _: &RequestContext) -> Result<Vec<Resource>, HandlerError> {
        Ok(vec![Resource {
            uri: "mem://a".into(),
            name: "a".into(),
            title: None,
            description: None,
            mime_type: Some("text/plain".into()),
        }])
    }

    async fn list_resource_templates(
        &self,
        _: &RequestContext,
    ) -> Result<Vec<ResourceTemplate>, HandlerError> {
        Ok(vec![ResourceTemplate {
            uri_template: "mem://{id}".into(),
            name: "any".into(),
            title: None,
            description: None,
            mime_type: None,
        }])
    }

    async fn read_resource(
        &self,
        uri: &str,
        _: &RequestContext,
    ) -> Result<ReadResourceResult, HandlerError> {
        match uri {
            "mem://a" => Ok(ReadResourceResult {
                contents: vec![ResourceContents::text(uri, "text/plain", "A")],
            }),
            "mem://empty" => Ok(ReadResourceResult { contents: vec![] }),
            _ => Err(HandlerError::NotFound {
                kind: "resource",
                name: uri.into(),
            }),
        }
    }
}

#[async_trait]
impl CompletionProvider for Catalog {
    async fn complete(
        &self,
        request: CompleteRequest,
        _: &RequestContext,
    ) -> Result<CompleteResult, HandlerError> {
        let CompletionReference::Prompt { name } = &request.reference else {
            return Ok(CompleteResult::default());
        };
        let values = (0..150)
            .map(|i| format!("{name}-{}{i}", request.value))
            .collect();
        Ok(CompleteResult {
            values,
            total: Some(150),
            has_more: Some(true),
        })
    }
}

fn catalog_server() -> Server {
    let c = Arc::new(Catalog);
    Server::builder(Implementation::new("catalog", "1"))
        .prompts(c.clone())
        .resources(c.clone())
        .completions(c)
        .build()
}

#[tokio::test]
async fn legacy_prompts_resources_completion() {
    let mut c = Client::start(catalog_server());
    let init = c.initialize("2025-06-18", json!({})).await;
    assert!(init["result"]["capabilities"]["completions"].is_object());
    assert!(
        init["result"]["capabilities"].get("tools").is_none(),
        "no tools provider, no tools capability"
    );
    let p = c
        .request(
            1,
            "prompts/get",
            json!({"name": "greet", "arguments": {"who": "Ada"}}),
        )
        .await;
    assert_eq!(p["result"]["messages"][0]["content"]["text"], "Hello, Ada");
    assert_eq!(
        c.request(2, "prompts/get", json!({"name": "nope"})).await["error"]["code"],
        -32602
    );
    let r = c
        .request(3, "resources/read", json!({"uri": "mem://a"}))
        .await;
    assert_eq!(r["result"]["contents"][0]["text"], "A");
    for (id, uri) in [(4, "mem://missing"), (5, "mem://empty")] {
        let missing = c.request(id, "resources/read", json!({"uri": uri})).await;
        assert_eq!(
            missing["error"]["code"], -32002,
            "legacy resource-not-found code for {uri}"
        );
        assert_eq!(missing["error"]["data"]["uri"], uri);
    }
    let t = c.request(6, "resources/templates/list", json!({})).await;
    assert_eq!(
        t["result"]["resourceTemplates"][0]["uriTemplate"],
        "mem://{id}"
    );
    let done = c
        .request(7, "completion/complete", json!({"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "who", "value": "x"}}))
        .await;
    let values = done["result"]["completion"]["values"].as_array().unwrap();
    assert_eq!(values.len(), 100, "at most 100 values");
    assert_eq!(values[0], "greet-x0");
    assert_eq!(done["result"]["completion"]["hasMore"], true);
    assert_eq!(
        c.request(8, "tools/list", json!({})).await["error"]["code"],
        -32601
    );
}

#[tokio::test]
async fn stateless_resource_errors_and_cache_hints() {
    let mut c = Client::start(catalog_server());
    let read = c
        .request(
            1,
            "resources/read",
            json!({"uri": "mem://a", "_meta": meta(json!({}))}),
        )
        .await;
    assert_eq!(read["result"]["resultType"], "complete");
    assert!(read["result"]["ttlMs"].is_u64());
    let missing = c
        .request(
            2,
            "resources/read",
            json!({"uri": "mem://missing", "_meta": meta(json!({}))}),
        )
        .await;
    assert_eq!(
        missing["error"]["code"], -32602,
        "stateless era uses -32602"
    );
    assert_eq!(missing["error"]["data"]["uri"], "mem://missing");
    let sub = c
        .request(
            3,
            "resources/subscribe",
            json!({"uri": "mem://a", "_meta": meta(json!({}))}),
        )
        .await;
    assert_eq!(sub["error"]["code"], -32601);
    let discover = c
        .request(4, "server/discover", json!({"_meta": meta(json!({}))}))
        .await;
    assert!(
        discover["result"]["capabilities"]["resources"]
            .get("subscribe")
            .is_none()
    );
}

#[test]
fn tool_names_follow_the_2025_11_25_rule() {
    let long = "a".repeat(129);
    let max = "a".repeat(128);
    let cases = [
        ("get_vm", true),
        ("a.b-c_D9", true),
        (max.as_str(), true),
        ("", false),
        ("has space", false),
        ("slash/x", false),
        (long.as_str(), false),
        ("ünïcode", false),
    ];
    for (name, valid) in cases {
        assert_eq!(mcp_protocol::Tool::is_valid_name(name), valid, "{name:?}");
    }
}

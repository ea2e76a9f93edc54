//! The traits another crate implements to plug its catalog into the core.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::context::RequestContext;
use crate::error::HandlerError;
use crate::model::{
    CallToolResult, CompleteRequest, CompleteResult, GetPromptResult, Prompt, ReadResourceResult,
    Resource, ResourceTemplate, Tool,
};

/// Tools. The core paginates `list` in name order, so the list need not be sorted.
#[async_trait]
pub trait ToolProvider: Send + Sync + 'static {
    /// All tools visible to the client in front of `ctx`.
    async fn list_tools(&self, ctx: &RequestContext) -> Result<Vec<Tool>, HandlerError>;

    /// Runs one tool. Unknown name → [`HandlerError::NotFound`]; a failure the model
    /// should see → `Ok(CallToolResult::error(..))` or [`HandlerError::ToolFailed`].
    async fn call_tool(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<CallToolResult, HandlerError>;

    /// One tool's definition, used to check `Mcp-Param-*` headers against the
    /// `x-mcp-header` annotations of its input schema. The default searches
    /// [`ToolProvider::list_tools`]; override it when a lookup by name is cheaper.
    async fn find_tool(
        &self,
        name: &str,
        ctx: &RequestContext,
    ) -> Result<Option<Tool>, HandlerError> {
        Ok(self
            .list_tools(ctx)
            .await?
            .into_iter()
            .find(|t| t.name == name))
    }

    /// The `(argument, header)` pairs of a tool whose arguments the client mirrors in
    /// `Mcp-Param-{header}` headers (the `x-mcp-header` annotations of its input schema, see
    /// [`param_headers_of`]); `None` for an unknown tool. Asked on every stateless
    /// `tools/call`. The default reads them from [`ToolProvider::find_tool`]; override it when
    /// that copies a whole tool.
    async fn param_headers(
        &self,
        name: &str,
        ctx: &RequestContext,
    ) -> Result<Option<Vec<(String, String)>>, HandlerError> {
        Ok(self
            .find_tool(name, ctx)
            .await?
            .map(|t| param_headers_of(&t.input_schema)))
    }
}

/// The `(argument, header)` pairs of an input schema: every top-level property carrying a
/// string `x-mcp-header`, in schema order.
pub fn param_headers_of(input_schema: &Value) -> Vec<(String, String)> {
    input_schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(arg, schema)| {
            let header = schema.get("x-mcp-header")?.as_str()?;
            Some((arg.clone(), header.to_owned()))
        })
        .collect()
}

/// Prompts.
#[async_trait]
pub trait PromptProvider: Send + Sync + 'static {
    /// All prompts.
    async fn list_prompts(&self, ctx: &RequestContext) -> Result<Vec<Prompt>, HandlerError>;

    /// Renders one prompt.
    async fn get_prompt(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<GetPromptResult, HandlerError>;
}

/// Resources and resource templates.
#[async_trait]
pub trait ResourceProvider: Send + Sync + 'static {
    /// Concrete resources.
    async fn list_resources(&self, ctx: &RequestContext) -> Result<Vec<Resource>, HandlerError>;

    /// Templates.
    async fn list_resource_templates(
        &self,
        _ctx: &RequestContext,
    ) -> Result<Vec<ResourceTemplate>, HandlerError> {
        Ok(Vec::new())
    }

    /// Reads one resource; unknown URI → [`HandlerError::NotFound`] with kind `"resource"`.
    async fn read_resource(
        &self,
        uri: &str,
        ctx: &RequestContext,
    ) -> Result<ReadResourceResult, HandlerError>;

    /// Whether `resources/subscribe` is offered (legacy era).
    fn supports_subscribe(&self) -> bool {
        false
    }
}

/// Argument completion.
#[async_trait]
pub trait CompletionProvider: Send + Sync + 'static {
    /// Completes one argument.
    async fn complete(
        &self,
        request: CompleteRequest,
        ctx: &RequestContext,
    ) -> Result<CompleteResult, HandlerError>;
}

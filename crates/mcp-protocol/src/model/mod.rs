//! MCP data types handed between the core and the handlers.

mod completion;
mod content;
mod logging;
mod prompt;
mod resource;
mod tool;

pub use completion::{CompleteRequest, CompleteResult, CompletionReference};
pub use content::{Content, EmbeddedResource, ResourceContents};
pub use logging::LogLevel;
pub use prompt::{GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};
pub use resource::{ReadResourceResult, Resource, ResourceTemplate};
pub use tool::{CallToolResult, Tool, ToolAnnotations};

/// Who the server is, as sent in `initialize` and `server/discover` results.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Implementation {
    /// Machine name.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Human title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Implementation {
    /// A name and version.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Implementation {
            name: name.into(),
            version: version.into(),
            title: None,
        }
    }
}

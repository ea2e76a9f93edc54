//! Argument completion.

use serde::Serialize;
use serde_json::Value;

/// What is being completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompletionReference {
    /// A prompt argument.
    Prompt {
        /// The prompt name.
        name: String,
    },
    /// A resource template variable.
    Resource {
        /// The template URI.
        uri: String,
    },
}

/// A `completion/complete` request, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct CompleteRequest {
    /// The reference.
    pub reference: CompletionReference,
    /// The argument name.
    pub argument: String,
    /// What the user typed so far.
    pub value: String,
    /// Already resolved arguments (since 2025-06-18), as sent.
    pub context: Option<Value>,
}

/// The `completion` member of the result.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteResult {
    /// At most 100 values.
    pub values: Vec<String>,
    /// Total number of matches, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// More values exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
}

//! The verdict for one call and the reasons for a denial.

use std::fmt;
use std::time::SystemTime;

use serde::Serialize;
use serde_json::{Value, json};

use crate::args::CallArgs;
use crate::handle::HandleError;
use crate::mask::mask_pairs;

/// What the client in front of the server can do for this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallContext {
    /// The client can ask its user: the legacy elicitation capability, or a 2026-07-28 client
    /// that declared elicitation for `input_required`.
    pub can_elicit: bool,
    /// The current time (handles expire against it).
    pub now: SystemTime,
}

/// Why a call was refused. Every kind has its own clear message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DenialKind {
    /// No visible tool has this name (hidden by policy or absent).
    UnknownTool,
    /// `confirmed` was not a JSON boolean (e.g. the string "true" or the number 1).
    ConfirmedNotBoolean,
    /// `dry_run` was not a JSON boolean.
    DryRunNotBoolean,
    /// The approval handle was not a string.
    HandleNotString,
    /// `dry_run: true` together with `confirmed` or an approval handle.
    DryRunWithConfirmation,
    /// The approval handle is not one this server issued.
    HandleMalformed,
    /// The approval handle's signature does not match.
    HandleTampered,
    /// A handle of another purpose.
    HandleWrongPurpose,
    /// The approval handle expired.
    HandleExpired,
    /// The approval handle is for another tool.
    HandleOtherTool,
    /// The approval handle is for other arguments.
    HandleOtherArguments,
    /// The approval handle was already used.
    HandleReused,
    /// The arguments cannot form a request (dry run).
    InvalidArguments,
    /// The user declined.
    Declined,
    /// The user cancelled (or the client closed the question).
    Cancelled,
}

impl DenialKind {
    /// The snake_case code, as serialized.
    pub fn code(self) -> &'static str {
        match self {
            DenialKind::UnknownTool => "unknown_tool",
            DenialKind::ConfirmedNotBoolean => "confirmed_not_boolean",
            DenialKind::DryRunNotBoolean => "dry_run_not_boolean",
            DenialKind::HandleNotString => "handle_not_string",
            DenialKind::DryRunWithConfirmation => "dry_run_with_confirmation",
            DenialKind::HandleMalformed => "handle_malformed",
            DenialKind::HandleTampered => "handle_tampered",
            DenialKind::HandleWrongPurpose => "handle_wrong_purpose",
            DenialKind::HandleExpired => "handle_expired",
            DenialKind::HandleOtherTool => "handle_other_tool",
            DenialKind::HandleOtherArguments => "handle_other_arguments",
            DenialKind::HandleReused => "handle_reused",
            DenialKind::InvalidArguments => "invalid_arguments",
            DenialKind::Declined => "declined",
            DenialKind::Cancelled => "cancelled",
        }
    }
}

impl From<HandleError> for DenialKind {
    fn from(e: HandleError) -> Self {
        match e {
            HandleError::Malformed => DenialKind::HandleMalformed,
            HandleError::Tampered => DenialKind::HandleTampered,
            HandleError::WrongPurpose => DenialKind::HandleWrongPurpose,
            HandleError::Expired => DenialKind::HandleExpired,
            HandleError::OtherTool => DenialKind::HandleOtherTool,
            HandleError::OtherArguments => DenialKind::HandleOtherArguments,
            HandleError::Reused => DenialKind::HandleReused,
        }
    }
}

/// A refused call: a kind for programs and a message for the assistant and the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct Denial {
    /// The kind.
    pub kind: DenialKind,
    /// The message (never contains argument values that could be secrets).
    pub message: String,
}

impl Denial {
    pub(crate) fn new(kind: DenialKind, message: impl Into<String>) -> Denial {
        Denial {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn handle(e: HandleError) -> Denial {
        Denial::new(e.into(), format!("{e}; the call was not run"))
    }

    /// The denial of a tool that is not visible (hidden or absent): the same message either way,
    /// so a hidden tool cannot be told apart from a missing one.
    pub fn unknown_tool(name: &str) -> Denial {
        Denial::new(DenialKind::UnknownTool, format!("unknown tool: {name}"))
    }
}

/// The user's answer to an elicitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ElicitationAnswer {
    /// The user approved.
    Accept,
    /// The user refused.
    Decline,
    /// The user dismissed the question, or it timed out.
    Cancel,
}

/// A call the user must approve through the client's own UI before it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ElicitationRequest {
    /// The message to show: tool, method, path, why it is destructive, the exact arguments.
    pub message: String,
    /// The tool.
    pub tool: String,
    /// The HTTP method.
    pub method: &'static str,
    /// The path template.
    pub path: String,
    /// The arguments shown to the user (secret-looking fields masked).
    pub args_shown: Value,
    /// The arguments the call will run with once accepted.
    pub args: CallArgs,
}

impl ElicitationRequest {
    /// A form schema with no fields: the answer is the accept/decline/cancel action itself.
    /// (Never asks for secrets.)
    pub fn requested_schema(&self) -> Value {
        json!({ "type": "object", "properties": {} })
    }
}

/// The `confirmation_required` result of the two-step flow.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmationRequired {
    /// The text for the assistant: what to ask the user and how to retry.
    pub text: String,
    /// The same as structured content.
    pub structured: Value,
}

/// The request a dry run would have sent, secrets masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DryRunPlan {
    /// The tool.
    pub tool: String,
    /// The HTTP method.
    pub method: &'static str,
    /// The encoded path and query (secret-looking arguments masked).
    pub path_and_query: String,
    /// Headers from the arguments (secret-looking values masked).
    pub headers: Vec<(String, String)>,
    /// The body's content type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body (secret-looking fields masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl DryRunPlan {
    pub(crate) fn new(tool: &str, req: &openapi_ingest::HttpRequest) -> DryRunPlan {
        DryRunPlan {
            tool: tool.to_owned(),
            method: req.method.as_str(),
            path_and_query: req.path_and_query(),
            headers: mask_pairs(&req.headers),
            content_type: req.content_type.clone(),
            body: req.body.as_ref().map(crate::mask_secrets),
        }
    }

    /// The plan as JSON: `{"dry_run": true, "tool", "method", "path_and_query", …}`.
    pub fn to_value(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_else(|_| json!({}));
        if let Value::Object(m) = &mut v {
            m.insert("dry_run".into(), Value::Bool(true));
        }
        v
    }
}

/// The verdict for one call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Verdict {
    /// Run it, with these arguments (control arguments removed).
    Allow {
        /// The arguments for `Tool::validate` and `Tool::request`.
        args: CallArgs,
        /// Whether a user approval (handle or elicitation) was consumed for it.
        approved: bool,
    },
    /// Ask the user first (the client can elicit); run only on accept.
    NeedsElicitation(ElicitationRequest),
    /// Do not run; return this result so the assistant obtains approval and retries.
    NeedsConfirmation(ConfirmationRequired),
    /// Do not run; return the request that would have been sent.
    DryRun(DryRunPlan),
    /// Do not run.
    Deny(Denial),
}

impl Verdict {
    /// A short label for logs and audit records.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Allow { approved: true, .. } => "approved",
            Verdict::Allow { .. } => "allowed",
            Verdict::NeedsElicitation(_) => "elicitation_required",
            Verdict::NeedsConfirmation(_) => "confirmation_required",
            Verdict::DryRun(_) => "dry_run",
            Verdict::Deny(_) => "denied",
        }
    }

    /// Whether the call goes to PXCloud.
    pub fn runs(&self) -> bool {
        matches!(self, Verdict::Allow { .. })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Deny(d) => write!(f, "denied ({}): {}", d.kind.code(), d.message),
            other => f.write_str(other.label()),
        }
    }
}

//! Error types: [`IngestError`] for unusable documents, [`ArgError`] for bad tool arguments.

use std::fmt;

/// Why a document could not be turned into a catalog at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestError {
    kind: IngestErrorKind,
    message: String,
}

/// The category of an [`IngestError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IngestErrorKind {
    /// The bytes are neither JSON nor YAML.
    Parse,
    /// The document is not a JSON object.
    NotAnObject,
    /// Neither an `openapi` nor a `swagger` member: not an OpenAPI document.
    NotOpenApi,
    /// An `openapi`/`swagger` version this library does not understand.
    UnknownVersion,
    /// The [`IngestOptions`](crate::IngestOptions) are unusable.
    InvalidOptions,
}

impl IngestError {
    pub(crate) fn new(kind: IngestErrorKind, message: impl Into<String>) -> Self {
        IngestError {
            kind,
            message: message.into(),
        }
    }

    /// The category of the error.
    pub fn kind(&self) -> IngestErrorKind {
        self.kind
    }

    /// The explanation, without the category prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            IngestErrorKind::Parse => "cannot parse the document",
            IngestErrorKind::NotAnObject => "the document is not an object",
            IngestErrorKind::NotOpenApi => "not an OpenAPI or Swagger document",
            IngestErrorKind::UnknownVersion => "unsupported OpenAPI version",
            IngestErrorKind::InvalidOptions => "invalid ingest options",
        };
        write!(f, "{what}: {}", self.message)
    }
}

impl std::error::Error for IngestError {}

/// One problem with one argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgIssue {
    /// The argument concerned, as a JSON pointer into the arguments object
    /// (`/name`, `/tags/0`), or an empty string for the arguments object itself.
    pub field: String,
    /// What was expected. Never contains the argument's value, which may be a secret.
    pub message: String,
}

/// Tool arguments that do not fit the tool's input schema or cannot form a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    tool: String,
    issues: Vec<ArgIssue>,
}

impl ArgError {
    pub(crate) fn new(tool: &str, issues: Vec<ArgIssue>) -> Self {
        ArgError {
            tool: tool.to_owned(),
            issues,
        }
    }

    pub(crate) fn one(tool: &str, field: &str, message: impl Into<String>) -> Self {
        ArgError::new(
            tool,
            vec![ArgIssue {
                field: field.to_owned(),
                message: message.into(),
            }],
        )
    }

    /// The tool whose arguments were rejected.
    pub fn tool(&self) -> &str {
        &self.tool
    }

    /// Every failing field with what was expected (at least one).
    pub fn issues(&self) -> &[ArgIssue] {
        &self.issues
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid arguments for {}:", self.tool)?;
        for (i, issue) in self.issues.iter().enumerate() {
            let sep = if i == 0 { " " } else { "; " };
            let field = if issue.field.is_empty() {
                "(arguments)"
            } else {
                issue.field.as_str()
            };
            write!(f, "{sep}{field}: {}", issue.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ArgError {}

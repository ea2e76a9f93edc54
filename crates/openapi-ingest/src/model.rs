//! Small value types shared by the catalog and its tools: methods, body kinds,
//! spec information and warnings.

use std::fmt;

/// An HTTP method an OpenAPI operation can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
    /// `HEAD`
    Head,
    /// `PATCH`
    Patch,
    /// `TRACE`
    Trace,
}

impl Method {
    /// Every method, in the order OpenAPI lists them in a path item.
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Options,
        Method::Head,
        Method::Patch,
        Method::Trace,
    ];

    /// The upper-case wire name, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }

    /// The lower-case key used in an OpenAPI path item, e.g. `"get"`.
    pub fn key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Put => "put",
            Method::Post => "post",
            Method::Delete => "delete",
            Method::Options => "options",
            Method::Head => "head",
            Method::Patch => "patch",
            Method::Trace => "trace",
        }
    }

    /// Parses a path-item key (`"get"`, `"post"`, …). Case-sensitive, as in OpenAPI.
    pub fn from_key(key: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.key() == key)
    }

    /// `true` for methods that do not change state: `GET`, `HEAD` and `OPTIONS`.
    pub fn is_read_only(self) -> bool {
        matches!(self, Method::Get | Method::Head | Method::Options)
    }

    /// `true` for methods HTTP defines as idempotent (`GET`, `HEAD`, `OPTIONS`,
    /// `TRACE`, `PUT`, `DELETE`).
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The family of a request body media type, for policy decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BodyKind {
    /// `application/json` and every `+json` / `*json*` variant, and the media ranges that
    /// admit JSON (`*/*`, `application/*`).
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/*` (usually `multipart/form-data`).
    Multipart,
    /// `application/octet-stream` and other raw binary uploads (`application/x-tar`, …).
    OctetStream,
    /// Anything else (`application/xml`, `text/plain`, `text/*`, …).
    Other,
}

impl BodyKind {
    /// Classifies a media type (parameters such as `; charset=utf-8` are ignored).
    ///
    /// A range that admits any type (`*/*`, `application/*`) admits JSON and is `Json`; a
    /// [`Tool`](crate::Tool) whose body under such a range is a string (raw data) reports
    /// `OctetStream` instead, and a request never carries the range itself
    /// ([`Tool::request_content_type`](crate::Tool::request_content_type)). `text/*` does not
    /// admit JSON and is `Other`.
    pub fn of(content_type: &str) -> BodyKind {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence == "application/json"
            || essence.ends_with("+json")
            || essence.contains("json")
            || essence == "*/*"
            || essence == "*"
            || essence == "application/*"
        {
            BodyKind::Json
        } else if essence == "application/x-www-form-urlencoded" {
            BodyKind::Form
        } else if essence.starts_with("multipart/") {
            BodyKind::Multipart
        } else if essence == "application/octet-stream"
            || essence == "application/x-tar"
            || essence == "application/zip"
            || essence == "application/gzip"
            || essence == "application/x-gzip"
            || essence.starts_with("image/")
            || essence.starts_with("audio/")
            || essence.starts_with("video/")
        {
            BodyKind::OctetStream
        } else {
            BodyKind::Other
        }
    }

    /// A short lower-case label: `json`, `form`, `multipart`, `octet-stream`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            BodyKind::Json => "json",
            BodyKind::Form => "form",
            BodyKind::Multipart => "multipart",
            BodyKind::OctetStream => "octet-stream",
            BodyKind::Other => "other",
        }
    }
}

/// Which specification family a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecFamily {
    /// Swagger 2.0.
    Swagger2,
    /// OpenAPI 3.0.x.
    OpenApi30,
    /// OpenAPI 3.1.x (and 3.2.x, read with 3.1 rules).
    OpenApi31,
}

/// What the document says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecInfo {
    /// `info.title` (empty when missing).
    pub title: String,
    /// `info.version` (empty when missing).
    pub version: String,
    /// The `openapi` or `swagger` version string, e.g. `"3.0.3"` or `"2.0"`.
    pub spec_version: String,
    /// The specification family derived from `spec_version`.
    pub family: SpecFamily,
    /// `info.description`, if any.
    pub description: Option<String>,
}

/// A problem in the document that ingestion tolerated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// JSON pointer (RFC 6901) to the offending place in the document.
    pub pointer: String,
    /// What kind of problem it is.
    pub kind: WarningKind,
    /// A human-readable explanation.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}: {}",
            self.kind.as_str(),
            self.pointer,
            self.message
        )
    }
}

/// The kinds of spec-level problems ingestion reports instead of failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum WarningKind {
    /// The document has no `paths` object (or it is not an object).
    MissingPaths,
    /// Two or more operations share an `operationId`.
    DuplicateOperationId,
    /// A local `$ref` points at nothing.
    DanglingRef,
    /// A `$ref` points outside the document; it was not fetched.
    ExternalRef,
    /// `type: "null"` in an OpenAPI 3.0 or Swagger 2.0 document.
    NullTypeIn30,
    /// A `paths` key carries a query string (`/things?action=x`).
    QueryInPath,
    /// A path item, operation, parameter, body or response that is not shaped as expected.
    Malformed,
    /// A schema keyword with an unusable value was dropped.
    InvalidKeyword,
    /// A schema was nested too deeply and was cut.
    DepthLimit,
    /// A schema was too large to include whole and was cut.
    SizeLimit,
    /// A keyword ingestion does not support (`$recursiveRef`, `$dynamicRef`) was replaced by `{}`.
    Unsupported,
    /// A `{placeholder}` in a path has no parameter; a string parameter was assumed.
    UndeclaredPathParameter,
    /// A declared path parameter does not occur in the path template.
    UnusedPathParameter,
    /// Two arguments would have had the same name; one was renamed.
    RenamedArgument,
}

impl WarningKind {
    /// A stable kebab-case label for logs and tests.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::MissingPaths => "missing-paths",
            WarningKind::DuplicateOperationId => "duplicate-operation-id",
            WarningKind::DanglingRef => "dangling-ref",
            WarningKind::ExternalRef => "external-ref",
            WarningKind::NullTypeIn30 => "null-type-in-3.0",
            WarningKind::QueryInPath => "query-in-path",
            WarningKind::Malformed => "malformed",
            WarningKind::InvalidKeyword => "invalid-keyword",
            WarningKind::DepthLimit => "depth-limit",
            WarningKind::SizeLimit => "size-limit",
            WarningKind::Unsupported => "unsupported",
            WarningKind::UndeclaredPathParameter => "undeclared-path-parameter",
            WarningKind::UnusedPathParameter => "unused-path-parameter",
            WarningKind::RenamedArgument => "renamed-argument",
        }
    }
}

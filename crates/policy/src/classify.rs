//! Classification of operations (read-only, write, unclassified write, destructive) and the
//! MCP tool annotations derived from it.

use std::fmt;

use openapi_ingest::{Method, Tool};
use serde::Serialize;
use serde_json::Value;

use crate::config::{Pattern, PolicyConfig, contains_ignore_case};

/// The earlier server's destructive path fragments.
pub const DESTRUCTIVE_PATH_FRAGMENTS: &[&str] = &["/power", "/rollback", "/migrate", "/delete"];

/// Vendor extensions that mark an operation destructive (`true`) or a known safe write (`false`).
pub const DESTRUCTIVE_EXTENSIONS: &[&str] = &["x-pxcloud-destructive", "x-destructive"];

/// How dangerous an operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Class {
    /// GET, HEAD, OPTIONS (unless an extension marks it destructive).
    ReadOnly,
    /// A write a vendor extension declared non-destructive.
    Write,
    /// A write nothing classifies; destructive under `PXCLOUD_STRICT`.
    UnknownWrite,
    /// Needs the user's approval before it runs.
    Destructive,
}

impl Class {
    /// Whether calls need the user's approval.
    pub fn needs_confirmation(self) -> bool {
        self == Class::Destructive
    }

    /// Whether the operation changes anything (and so gets `dry_run` and an audit record).
    pub fn is_mutating(self) -> bool {
        self != Class::ReadOnly
    }
}

/// A class and the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// The class.
    pub class: Class,
    /// The rule, in words (`"DELETE method"`, `"path contains /power"`, …).
    pub reason: String,
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({})", self.class, self.reason)
    }
}

fn extension_flag(tool: &Tool) -> Option<(&'static str, bool)> {
    DESTRUCTIVE_EXTENSIONS.iter().find_map(|name| {
        let flag = match tool.extensions().get(*name)? {
            Value::Bool(b) => *b,
            Value::String(s) if s.eq_ignore_ascii_case("true") => true,
            Value::String(s) if s.eq_ignore_ascii_case("false") => false,
            _ => return None,
        };
        Some((*name, flag))
    })
}

/// Classifies one operation. Rules only ever add danger: an extension saying `false` makes an
/// unclassified write a known [`Class::Write`] but never overrides the built-in rules.
pub(crate) fn classify(cfg: &PolicyConfig, tool: &Tool) -> Classification {
    let rule = rule(cfg, tool);
    Classification {
        class: rule.class(),
        reason: rule.reason(),
    }
}

/// The class of [`classify`] without its reason (nothing is written or allocated: it is
/// asked on every call).
pub(crate) fn class(cfg: &PolicyConfig, tool: &Tool) -> Class {
    rule(cfg, tool).class()
}

/// The rule that decides an operation's class; the reason in words is made from it.
enum Rule<'c> {
    Extension(&'static str, bool),
    ReadMethod(Method),
    DeleteMethod,
    PathFragment(&'static str),
    Configured(&'c Pattern),
    Strict,
    Unclassified,
}

impl Rule<'_> {
    fn class(&self) -> Class {
        match self {
            Rule::Extension(_, true)
            | Rule::DeleteMethod
            | Rule::PathFragment(_)
            | Rule::Configured(_)
            | Rule::Strict => Class::Destructive,
            Rule::ReadMethod(_) => Class::ReadOnly,
            Rule::Extension(_, false) => Class::Write,
            Rule::Unclassified => Class::UnknownWrite,
        }
    }

    fn reason(&self) -> String {
        match self {
            Rule::Extension(name, flag) => format!("{name}: {flag}"),
            Rule::ReadMethod(method) => format!("{} method", method.as_str()),
            Rule::DeleteMethod => "DELETE method".to_owned(),
            Rule::PathFragment(frag) => format!("path contains {frag}"),
            Rule::Configured(p) => {
                let scope = p
                    .method
                    .as_deref()
                    .map(|m| format!("{m} "))
                    .unwrap_or_default();
                format!("configured pattern {scope}{}", p.fragment)
            }
            Rule::Strict => "unclassified write under PXCLOUD_STRICT".to_owned(),
            Rule::Unclassified => "write not classified by any rule".to_owned(),
        }
    }
}

fn rule<'c>(cfg: &'c PolicyConfig, tool: &Tool) -> Rule<'c> {
    let method = tool.method();
    let path = tool.path();
    let ext = extension_flag(tool);
    if let Some((name, true)) = ext {
        return Rule::Extension(name, true);
    }
    if method.is_read_only() {
        return Rule::ReadMethod(method);
    }
    if method == Method::Delete {
        return Rule::DeleteMethod;
    }
    if let Some(frag) = DESTRUCTIVE_PATH_FRAGMENTS
        .iter()
        .find(|f| contains_ignore_case(path, f))
    {
        return Rule::PathFragment(frag);
    }
    if let Some(p) = cfg
        .destructive_patterns
        .iter()
        .find(|p| p.matches(method.as_str(), path))
    {
        return Rule::Configured(p);
    }
    if let Some((name, false)) = ext {
        return Rule::Extension(name, false);
    }
    if cfg.strict {
        return Rule::Strict;
    }
    Rule::Unclassified
}

/// MCP tool annotations (`ToolAnnotations`), serialized with the protocol's member names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    /// The tool does not modify its environment.
    pub read_only_hint: bool,
    /// The tool may perform destructive updates (only meaningful for writes; `None` for reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    /// Repeating the call with the same arguments has no further effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    /// The tool interacts with an external system (PXCloud): always true.
    pub open_world_hint: bool,
}

impl Annotations {
    /// The annotations for a classified operation. Unclassified writes are hinted destructive
    /// (the protocol's safe default) even when they are not gated.
    pub fn new(class: Class, method: Method) -> Annotations {
        let read_only = class == Class::ReadOnly;
        Annotations {
            read_only_hint: read_only,
            destructive_hint: (!read_only)
                .then_some(matches!(class, Class::Destructive | Class::UnknownWrite)),
            idempotent_hint: (!read_only).then_some(matches!(method, Method::Put | Method::Delete)),
            open_world_hint: true,
        }
    }

    /// The annotations as a JSON object.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

//! Which tools `tools/list` shows: tags, profiles, delete, read-only, path and body exclusions.

use std::fmt;

use openapi_ingest::{BodyKind, Method, Tool};

use crate::config::{PolicyConfig, contains_ignore_case};

/// Why a tool is hidden. A hidden tool called by name is an unknown tool.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hidden {
    /// None of the tool's tags is in `PXCLOUD_TOOLS`.
    TagNotSelected,
    /// None of the tool's tags is in the profile.
    NotInProfile(crate::Profile),
    /// A write hidden by `PXCLOUD_READ_ONLY` or the `read_only` profile.
    ReadOnly,
    /// A DELETE hidden by `PXCLOUD_ALLOW_DELETE=false`.
    DeleteDisabled,
    /// The path contains an excluded fragment.
    ExcludedPath(String),
    /// The request body can only be multipart, binary or another type no tool can send.
    UnsendableBody(Vec<String>),
}

impl fmt::Display for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hidden::TagNotSelected => f.write_str("none of its tags is selected by PXCLOUD_TOOLS"),
            Hidden::NotInProfile(p) => write!(f, "none of its tags is in the {p} profile"),
            Hidden::ReadOnly => f.write_str("it writes and the configuration is read-only"),
            Hidden::DeleteDisabled => {
                f.write_str("it is a DELETE and PXCLOUD_ALLOW_DELETE is false")
            }
            Hidden::ExcludedPath(frag) => {
                write!(f, "its path contains the excluded fragment {frag:?}")
            }
            Hidden::UnsendableBody(types) => {
                write!(
                    f,
                    "its request body can only be sent as {}",
                    types.join(", ")
                )
            }
        }
    }
}

/// Tags asked for in `PXCLOUD_TOOLS` that no operation carries, with the real ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTags {
    /// The requested tags that matched nothing.
    pub unknown: Vec<String>,
    /// Every tag the catalog's operations use.
    pub known: Vec<String>,
}

impl fmt::Display for UnknownTags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PXCLOUD_TOOLS names unknown tag(s) {}; the spec's tags are: {}",
            self.unknown.join(", "),
            self.known.join(", ")
        )
    }
}

/// Requested tags (case-insensitive) that none of `known` matches; `None` when all match.
pub fn unknown_tags(requested: &[String], known: &[String]) -> Option<UnknownTags> {
    let unknown: Vec<String> = requested
        .iter()
        .filter(|r| !known.iter().any(|k| k.eq_ignore_ascii_case(r)))
        .cloned()
        .collect();
    (!unknown.is_empty()).then(|| UnknownTags {
        unknown,
        known: known.to_vec(),
    })
}

fn any_tag_in<S: AsRef<str>>(tool: &Tool, wanted: &[S]) -> bool {
    tool.tags()
        .iter()
        .any(|t| wanted.iter().any(|w| w.as_ref().eq_ignore_ascii_case(t)))
}

/// Whether a body kind can be produced from JSON tool arguments.
fn sendable(kind: BodyKind) -> bool {
    matches!(kind, BodyKind::Json | BodyKind::Form)
}

/// The first reason `tool` is hidden under `cfg`, or `None` when it is visible.
pub(crate) fn hidden_reason(cfg: &PolicyConfig, tool: &Tool) -> Option<Hidden> {
    if let Some(tags) = &cfg.tags
        && !any_tag_in(tool, tags)
    {
        return Some(Hidden::TagNotSelected);
    }
    if let Some(profile) = cfg.profile
        && !any_tag_in(tool, &profile.tags())
    {
        return Some(Hidden::NotInProfile(profile));
    }
    let method = tool.method();
    let read_only = cfg.read_only || cfg.profile.is_some_and(crate::Profile::is_read_only);
    if read_only && !matches!(method, Method::Get | Method::Head) {
        return Some(Hidden::ReadOnly);
    }
    if !cfg.allow_delete && method == Method::Delete {
        return Some(Hidden::DeleteDisabled);
    }
    if let Some(frag) = cfg
        .excluded_paths
        .iter()
        .find(|frag| contains_ignore_case(tool.path(), frag))
    {
        return Some(Hidden::ExcludedPath(frag.clone()));
    }
    let kinds = tool.body_kinds();
    if !kinds.is_empty() && !kinds.iter().copied().any(sendable) {
        return Some(Hidden::UnsendableBody(tool.body_content_types().to_vec()));
    }
    None
}

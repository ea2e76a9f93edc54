//! Guide resources: `pxcloud://guides/capabilities` and `pxcloud://guides/safety` (markdown).
//!
//! Both describe this server as configured, not a generic brochure: the counts, tags and
//! safety settings come from the running configuration.

use std::fmt::Write as _;

use crate::prompts::PromptContext;

/// URI of the capabilities guide.
pub const CAPABILITIES_URI: &str = "pxcloud://guides/capabilities";
/// URI of the safety guide.
pub const SAFETY_URI: &str = "pxcloud://guides/safety";

/// A guide resource's definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuideDef {
    /// Resource URI.
    pub uri: &'static str,
    /// Resource name.
    pub name: &'static str,
    /// Human title.
    pub title: &'static str,
    /// What it holds.
    pub description: &'static str,
}

/// Every guide, in listing order.
pub const GUIDES: &[GuideDef] = &[
    GuideDef {
        uri: CAPABILITIES_URI,
        name: "pxcloud-ai-capabilities",
        title: "PXCloud AI Capabilities",
        description: "What this MCP server exposes and how to use it well.",
    },
    GuideDef {
        uri: SAFETY_URI,
        name: "pxcloud-ai-safety",
        title: "PXCloud AI Safety Guide",
        description: "Rules for safe AI-assisted PXCloud operations, as enforced by this server.",
    },
];

/// Safety facts the guides state.
#[derive(Debug, Clone, Default)]
pub struct SafetyFacts {
    /// Whether unclassified writes count as destructive.
    pub strict: bool,
    /// Whether an audit log is written.
    pub audit: bool,
    /// Number of exposed tools classified destructive.
    pub destructive_tools: usize,
}

/// The markdown text of the guide at `uri`, or `None` for an unknown URI.
pub fn render(uri: &str, ctx: &PromptContext, safety: &SafetyFacts) -> Option<String> {
    match uri {
        CAPABILITIES_URI => Some(capabilities(ctx)),
        SAFETY_URI => Some(safety_guide(ctx, safety)),
        _ => None,
    }
}

fn capabilities(ctx: &PromptContext) -> String {
    let mut md = String::from("# PXCloud MCP Capabilities\n\n");
    let tags = if ctx.tags.is_empty() {
        "all".to_owned()
    } else {
        ctx.tags.join(", ")
    };
    let _ = writeln!(
        md,
        "- {} PXCloud operations from {} are exposed as MCP tools (tags: {tags}). Their descriptions carry PXCloud's own AI hints: read them before calling.",
        ctx.tool_count, ctx.endpoint
    );
    md.push_str(
        "- Every result has a short text summary and a structured envelope `{ok, tool, method, path, status, summary, dataType, data, hints}`. `hints` name ids worth remembering and, on failure, how to recover.\n\
         - Long operations (power, migrate, clone, backup, rollback) return a task id or UPID: `pxcloud_wait_task` follows it to completion with progress and returns the log tail on failure.\n\
         - Large results are cut to a budget with a note; pass `fields` (e.g. `[\"id\",\"name\",\"status\"]`) and the tool's pagination or filter parameters to ask for less.\n\
         - `pxcloud_confirm_change` asks the user to approve a risky change; `pxcloud_setup` builds a configuration profile without asking for secrets.\n\
         - Prompts: `pxcloud_operator`, `pxcloud_troubleshoot`, `pxcloud_batch`, `pxcloud_monitor`.\n\n\
         Start with read-only discovery (list, get, status) and act on ids you have seen.\n",
    );
    md
}

fn safety_guide(ctx: &PromptContext, safety: &SafetyFacts) -> String {
    let mut md = String::from("# PXCloud AI Safety Guide\n\n");
    md.push_str(
        "1. Prefer read-only discovery tools first; confirm the target's identity before changing it.\n\
         2. Destructive operations (DELETE, power, migrate, rollback and anything PXCloud marks destructive) never run on the model's word alone. If your client can ask its user, the call itself asks, showing the exact method, path and arguments, and runs only on approval. Otherwise the call returns `confirmation_required`: obtain approval with `pxcloud_confirm_change` (give it the tool and its exact arguments), then retry the call with the same arguments plus `confirmed: true` (a JSON boolean) and the `confirmation` handle it returned; `confirmed: true` alone is not an approval.\n\
         3. An approval is bound to the exact tool and arguments, used once, and expires quickly: changing an argument needs a new approval.\n\
         4. Never collect passwords or tokens through forms or chat; credentials belong in the server's environment.\n\
         5. When a call fails, read its recovery hints; verify state with a read-only tool before retrying a change.\n\n",
    );
    md.push_str("## This server's settings\n\n");
    let _ = writeln!(
        md,
        "- DELETE tools: {}",
        if ctx.allow_delete && !ctx.read_only {
            "exposed (guarded)"
        } else {
            "hidden"
        }
    );
    let _ = writeln!(
        md,
        "- Read-only mode: {}",
        if ctx.read_only { "on" } else { "off" }
    );
    let _ = writeln!(
        md,
        "- Dry run: {}",
        if ctx.dry_run {
            "on — mutating calls return the request they would send"
        } else {
            "off"
        }
    );
    let _ = writeln!(
        md,
        "- Guarded (destructive) tools: {}",
        safety.destructive_tools
    );
    let _ = writeln!(
        md,
        "- Unclassified writes: {}",
        if safety.strict {
            "treated as destructive (strict mode)"
        } else {
            "allowed, annotated as possibly destructive"
        }
    );
    let _ = writeln!(
        md,
        "- Audit log: {}",
        if safety.audit {
            "every non-read-only call is recorded"
        } else {
            "off"
        }
    );
    md
}

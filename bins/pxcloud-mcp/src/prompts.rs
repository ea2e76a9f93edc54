//! Workflow prompts: `pxcloud_operator`, `pxcloud_troubleshoot`, `pxcloud_batch`,
//! `pxcloud_monitor`, each opening with a block that describes this server at run time.

use std::fmt::Write as _;

/// What the prompts tell the model about this server.
#[derive(Debug, Clone, Default)]
pub struct PromptContext {
    /// PXCloud base URL.
    pub endpoint: String,
    /// Number of catalog tools exposed.
    pub tool_count: usize,
    /// Tags of the exposed tools (empty: all).
    pub tags: Vec<String>,
    /// Whether DELETE operations are exposed.
    pub allow_delete: bool,
    /// Whether only reads are exposed.
    pub read_only: bool,
    /// Whether mutating calls are only simulated.
    pub dry_run: bool,
}

/// One argument of a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptArg {
    /// Argument name.
    pub name: &'static str,
    /// What to put in it.
    pub description: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// Value used when it is not given.
    pub default: Option<&'static str>,
    /// Values offered by completion.
    pub suggestions: &'static [&'static str],
}

/// A workflow prompt's definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptDef {
    /// Prompt name.
    pub name: &'static str,
    /// Human title.
    pub title: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Its one argument.
    pub arg: PromptArg,
    body: &'static [&'static str],
    lead: &'static str,
}

/// Every workflow prompt, in listing order.
pub const PROMPTS: &[PromptDef] = &[
    PromptDef {
        name: "pxcloud_operator",
        title: "PXCloud Operator",
        description: "Guide the model to operate PXCloud safely and efficiently.",
        arg: PromptArg {
            name: "goal",
            description: "User goal to accomplish in PXCloud.",
            required: true,
            default: None,
            suggestions: &[
                "List all running VMs",
                "Create a console share link for a VM",
                "Migrate a VM to another node",
                "Show me nodes with high CPU usage",
            ],
        },
        body: &[
            "You are operating PXCloud through MCP tools.",
            "Start with read-only discovery unless the user already named the exact target.",
            "Destructive actions (delete, power, migrate, rollback) are guarded: the server asks the user to approve the exact request, or tells you to obtain approval with pxcloud_confirm_change and retry with the same arguments plus confirmed=true and the confirmation handle it returns (confirmed=true alone is not an approval). Never claim approval the user did not give.",
            "Long operations return a task id or UPID: follow it with pxcloud_wait_task and report the final status.",
            "Prefer the structured tool output over inferring from raw text; use `fields` to keep large results small.",
            "When a tool call fails, read the recovery hints in the response before retrying.",
        ],
        lead: "Current goal",
    },
    PromptDef {
        name: "pxcloud_troubleshoot",
        title: "PXCloud Troubleshoot",
        description: "Guide the model through systematic troubleshooting of PXCloud issues.",
        arg: PromptArg {
            name: "symptom",
            description: "Observed symptom or error message to diagnose.",
            required: true,
            default: None,
            suggestions: &[
                "VM does not start",
                "Node is offline",
                "Migration task failed",
                "Console link does not open",
            ],
        },
        body: &[
            "You are diagnosing a PXCloud issue. Follow this method:",
            "1. Scope: identify the affected resource type (VM, node, cluster, network, storage).",
            "2. State: use read-only tools to fetch current status, recent tasks (with their logs) and monitor alerts.",
            "3. Changes: look at task history for the affected resource.",
            "4. Root cause: compare expected and actual state, look for error patterns.",
            "5. Fix: propose the smallest corrective action and get the user's approval before executing it.",
            "",
            "Do NOT make changes until the root cause is identified.",
            "Check node connectivity and cluster health before blaming a single VM.",
        ],
        lead: "Symptom",
    },
    PromptDef {
        name: "pxcloud_batch",
        title: "PXCloud Batch Operations",
        description: "Guide the model through safe batch operations across multiple PXCloud resources.",
        arg: PromptArg {
            name: "operation",
            description: "Batch operation to perform, e.g. \"power off all VMs in cluster A\".",
            required: true,
            default: None,
            suggestions: &[
                "Shut down all stopped-state test VMs",
                "Snapshot every VM on node pve1",
                "Tag all VMs of a project",
            ],
        },
        body: &[
            "You are performing a batch operation on PXCloud resources. Safety protocol:",
            "1. List every target resource first and show the full list to the user.",
            "2. Classify the operation: read-only, state-changing or destructive.",
            "3. For destructive batches, have the user agree to the full scope before starting; each guarded call still needs its own approval (the call asks the user, or one pxcloud_confirm_change per call: a handle covers exactly one call with exactly those arguments).",
            "4. Execute sequentially, not in parallel; report progress after each item and follow task ids with pxcloud_wait_task.",
            "5. If one operation fails, pause and ask the user whether to continue or abort.",
            "6. Summarize at the end: succeeded / failed / skipped counts.",
            "",
            "Never assume resource ids: list and verify first.",
        ],
        lead: "Batch operation",
    },
    PromptDef {
        name: "pxcloud_monitor",
        title: "PXCloud Health Check",
        description: "Guide the model through a comprehensive PXCloud infrastructure health check.",
        arg: PromptArg {
            name: "scope",
            description: "Scope of the health check: \"full\", a cluster name, or a node name.",
            required: false,
            default: Some("full"),
            suggestions: &["full"],
        },
        body: &[
            "You are performing an infrastructure health check on PXCloud. Checklist:",
            "1. Clusters: list all clusters, check quorum and node membership.",
            "2. Nodes: online/offline, CPU, memory and storage use (flag anything above 85 %).",
            "3. VMs: running/stopped/error counts per node; flag VMs in error state.",
            "4. Storage: pool usage; alert when a pool exceeds 85 %.",
            "5. Network: IPAM allocations and conflicts.",
            "6. Tasks: stuck or failed recent tasks.",
            "",
            "Present findings as a structured summary with severity OK / WARNING / CRITICAL and remediation for each WARNING or CRITICAL.",
        ],
        lead: "Health check scope",
    },
];

/// Looks a prompt up by name.
pub fn find(name: &str) -> Option<&'static PromptDef> {
    PROMPTS.iter().find(|p| p.name == name)
}

impl PromptDef {
    /// The prompt's text for `value` of its argument (the default when `None`).
    pub fn render(&self, ctx: &PromptContext, value: Option<&str>) -> Result<String, String> {
        let value = match value.map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => v,
            None => self.arg.default.ok_or_else(|| {
                format!(
                    "argument `{}` is required: {}",
                    self.arg.name, self.arg.description
                )
            })?,
        };
        let mut text = context_block(ctx);
        text.push('\n');
        for line in self.body {
            text.push_str(line);
            text.push('\n');
        }
        let _ = write!(text, "{}: {value}", self.lead);
        Ok(text)
    }

    /// Completion candidates for a partial argument value, plus runtime values (tags).
    pub fn complete(&self, ctx: &PromptContext, partial: &str, extra: &[String]) -> Vec<String> {
        let partial = partial.to_ascii_lowercase();
        let mut out: Vec<String> = self
            .arg
            .suggestions
            .iter()
            .map(|s| (*s).to_owned())
            .chain(extra.iter().cloned())
            .filter(|s| s.to_ascii_lowercase().starts_with(&partial))
            .collect();
        if self.name == "pxcloud_monitor" {
            out.extend(
                ctx.tags
                    .iter()
                    .filter(|t| t.to_ascii_lowercase().starts_with(&partial))
                    .cloned(),
            );
        }
        out.dedup();
        out.truncate(100);
        out
    }
}

/// The runtime context block every prompt starts with.
pub fn context_block(ctx: &PromptContext) -> String {
    let tags = if ctx.tags.is_empty() {
        "(all)".to_owned()
    } else {
        ctx.tags.join(", ")
    };
    let mut block = String::from("--- PXCloud MCP Runtime Context ---\n");
    let _ = writeln!(block, "API endpoint: {}", ctx.endpoint);
    let _ = writeln!(block, "Discovered tools: {}", ctx.tool_count);
    let _ = writeln!(block, "Active tags: {tags}");
    // Read-only hides DELETE operations whatever PXCLOUD_ALLOW_DELETE says.
    let _ = writeln!(
        block,
        "DELETE tools: {}",
        if ctx.allow_delete && !ctx.read_only {
            "enabled"
        } else {
            "disabled"
        }
    );
    if ctx.read_only {
        block.push_str("Mode: read-only (no mutating tools are exposed)\n");
    }
    if ctx.dry_run {
        block.push_str("Mode: dry run (mutating calls return the request instead of sending it)\n");
    }
    block.push_str("-----------------------------------\n");
    block
}

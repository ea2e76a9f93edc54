//! Workflow prompts and guide resources.

use pxcloud_mcp::guides::{self, SafetyFacts};
use pxcloud_mcp::prompts::{self, PromptContext};

fn ctx() -> PromptContext {
    PromptContext {
        endpoint: "https://pxcloud.example:8443".into(),
        tool_count: 131,
        tags: vec!["VMs".into(), "Nodes".into()],
        allow_delete: false,
        read_only: false,
        dry_run: true,
    }
}

#[test]
fn the_four_prompts_of_the_earlier_server_exist_with_their_arguments() {
    let names: Vec<(&str, &str)> = prompts::PROMPTS
        .iter()
        .map(|p| (p.name, p.arg.name))
        .collect();
    assert_eq!(
        names,
        [
            ("pxcloud_operator", "goal"),
            ("pxcloud_troubleshoot", "symptom"),
            ("pxcloud_batch", "operation"),
            ("pxcloud_monitor", "scope"),
        ]
    );
}

#[test]
fn every_prompt_opens_with_the_runtime_context() {
    for prompt in prompts::PROMPTS {
        let text = prompt
            .render(&ctx(), Some("do the thing"))
            .expect("renders");
        assert!(
            text.starts_with("--- PXCloud MCP Runtime Context ---"),
            "{}",
            prompt.name
        );
        for fragment in [
            "API endpoint: https://pxcloud.example:8443",
            "Discovered tools: 131",
            "Active tags: VMs, Nodes",
            "DELETE tools: disabled",
            "Mode: dry run",
        ] {
            assert!(text.contains(fragment), "{}: lacks {fragment}", prompt.name);
        }
        assert!(text.ends_with(": do the thing"), "{}", prompt.name);
    }
}

#[test]
fn required_arguments_are_enforced_and_defaults_applied() {
    let operator = prompts::find("pxcloud_operator").expect("exists");
    let error = operator
        .render(&ctx(), Some("  "))
        .expect_err("goal is required");
    assert!(error.contains("`goal`"), "{error}");
    let monitor = prompts::find("pxcloud_monitor").expect("exists");
    assert!(
        monitor
            .render(&ctx(), None)
            .expect("default")
            .ends_with("Health check scope: full")
    );
    assert!(prompts::find("pxcloud_nope").is_none());
}

#[test]
fn completion_offers_matching_suggestions_and_runtime_names() {
    let monitor = prompts::find("pxcloud_monitor").expect("exists");
    assert_eq!(
        monitor.complete(&ctx(), "", &["cluster1".into()]),
        ["full", "cluster1", "VMs", "Nodes"]
    );
    assert_eq!(
        monitor.complete(&ctx(), "clu", &["cluster1".into(), "vc1".into()]),
        ["cluster1"]
    );
    let operator = prompts::find("pxcloud_operator").expect("exists");
    assert_eq!(
        operator.complete(&ctx(), "list", &[]),
        ["List all running VMs"]
    );
}

#[test]
fn guides_describe_the_running_configuration() {
    let facts = SafetyFacts {
        strict: true,
        audit: true,
        destructive_tools: 12,
    };
    let caps = guides::render(guides::CAPABILITIES_URI, &ctx(), &facts).expect("capabilities");
    assert!(caps.starts_with("# PXCloud MCP Capabilities"));
    assert!(caps.contains("131 PXCloud operations") && caps.contains("tags: VMs, Nodes"));
    assert!(caps.contains("pxcloud_wait_task"));
    let safety = guides::render(guides::SAFETY_URI, &ctx(), &facts).expect("safety");
    for fragment in [
        "DELETE tools: hidden",
        "Guarded (destructive) tools: 12",
        "strict mode",
        "every non-read-only call is recorded",
        "Dry run: on",
    ] {
        assert!(safety.contains(fragment), "safety guide lacks {fragment}");
    }
    assert!(guides::render("pxcloud://guides/other", &ctx(), &facts).is_none());
}

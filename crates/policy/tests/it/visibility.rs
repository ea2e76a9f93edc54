//! Which tools `tools/list` shows.

use policy::{Hidden, PolicyConfig, Profile};

use crate::support::{catalog, guard, tool};

/// The operationIds visible under `cfg`, in catalog order.
fn visible(cfg: PolicyConfig) -> Vec<String> {
    let cat = catalog();
    let g = guard(cfg);
    g.visible_tools(&cat)
        .iter()
        .filter_map(|t| t.operation_id().map(str::to_owned))
        .collect()
}

fn check(cfg: PolicyConfig, expected: &[&str]) {
    assert_eq!(visible(cfg), expected);
}

const ALL_SENDABLE: &[&str] = &[
    "vm_list",
    "vm_create",
    "vm_get",
    "vm_update",
    "vm_delete",
    "vm_power",
    "vm_rollback",
    "vm_migrate",
    "vm_bulk_delete",
    "vm_snapshot",
    "node_list",
    "node_reboot",
    "node_tag",
    "ipam_list",
    "ipam_allocate",
    "user_list",
    "user_create",
    "untagged",
    "task_head",
    "task_options",
];

#[test]
fn defaults_hide_consoles_system_websockets_and_unsendable_bodies() {
    check(PolicyConfig::default(), ALL_SENDABLE);
}

#[test]
fn hidden_reasons_name_the_rule() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let cases = [
        ("node_vnc", Hidden::ExcludedPath("/vnc/".into())),
        ("node_terminal", Hidden::ExcludedPath("/terminal/".into())),
        ("system_settings", Hidden::ExcludedPath("/system/".into())),
        ("ws_connect", Hidden::ExcludedPath("/ws".into())),
        (
            "iso_upload",
            Hidden::UnsendableBody(vec!["multipart/form-data".into()]),
        ),
        (
            "iso_raw",
            Hidden::UnsendableBody(vec!["application/octet-stream".into()]),
        ),
    ];
    for (id, expected) in cases {
        assert_eq!(g.hidden_reason(tool(&cat, id)), Some(expected), "{id}");
    }
    let msg = g
        .hidden_reason(tool(&cat, "iso_upload"))
        .map(|h| h.to_string());
    assert_eq!(
        msg.as_deref(),
        Some("its request body can only be sent as multipart/form-data")
    );
}

#[test]
fn tags_filter_case_insensitively_and_drop_untagged() {
    let mut cfg = PolicyConfig::default();
    cfg.tags = Some(vec!["nodes".into(), "IPAM".into()]);
    check(
        cfg,
        &[
            "node_list",
            "node_reboot",
            "node_tag",
            "ipam_list",
            "ipam_allocate",
        ],
    );
}

#[test]
fn allow_delete_false_hides_delete_only() {
    let mut cfg = PolicyConfig::default();
    cfg.allow_delete = false;
    let v = visible(cfg);
    assert!(!v.contains(&"vm_delete".to_string()));
    // A POST to a /delete path is still visible (and classified destructive).
    assert!(v.contains(&"vm_bulk_delete".to_string()));
    assert_eq!(v.len(), ALL_SENDABLE.len() - 1);
}

#[test]
fn read_only_keeps_get_and_head() {
    let mut cfg = PolicyConfig::default();
    cfg.read_only = true;
    check(
        cfg,
        &[
            "vm_list",
            "vm_get",
            "node_list",
            "ipam_list",
            "user_list",
            "untagged",
            "task_head",
        ],
    );
}

#[test]
fn profiles_have_the_wizard_tag_sets() {
    let cases: [(Profile, &[&str]); 3] = [
        (
            Profile::ReadOnly,
            &["vm_list", "vm_get", "node_list", "ipam_list", "task_head"],
        ),
        (
            Profile::Operator,
            &[
                "vm_list",
                "vm_create",
                "vm_get",
                "vm_update",
                "vm_delete",
                "vm_power",
                "vm_rollback",
                "vm_migrate",
                "vm_bulk_delete",
                "vm_snapshot",
                "node_list",
                "node_reboot",
                "node_tag",
                "task_head",
                "task_options",
            ],
        ),
        (
            Profile::Admin,
            &[
                "vm_list",
                "vm_create",
                "vm_get",
                "vm_update",
                "vm_delete",
                "vm_power",
                "vm_rollback",
                "vm_migrate",
                "vm_bulk_delete",
                "vm_snapshot",
                "node_list",
                "node_reboot",
                "node_tag",
                "ipam_list",
                "ipam_allocate",
                "user_list",
                "user_create",
                "task_head",
                "task_options",
            ],
        ),
    ];
    for (profile, expected) in cases {
        let mut cfg = PolicyConfig::default();
        cfg.profile = Some(profile);
        assert_eq!(visible(cfg), expected, "{profile}");
    }
}

#[test]
fn profile_and_tags_intersect() {
    let mut cfg = PolicyConfig::default();
    cfg.profile = Some(Profile::Operator);
    cfg.tags = Some(vec!["IPAM".into(), "Nodes".into()]);
    check(cfg, &["node_list", "node_reboot", "node_tag"]);
}

#[test]
fn configured_exclusions_replace_the_defaults() {
    let mut cfg = PolicyConfig::default();
    cfg.excluded_paths = vec!["/USERS".into()];
    let v = visible(cfg);
    assert!(!v.contains(&"user_list".to_string()));
    assert!(v.contains(&"node_vnc".to_string()));
}

#[test]
fn hidden_tool_called_by_name_is_unknown() {
    let cat = catalog();
    let mut cfg = PolicyConfig::default();
    cfg.allow_delete = false;
    let g = guard(cfg);
    let hidden = tool(&cat, "vm_delete").name().to_owned();
    let hidden_err = g.lookup(&cat, &hidden).err();
    let absent_err = g.lookup(&cat, "pxcloud_no_such_tool").err();
    assert_eq!(
        hidden_err.map(|d| d.message),
        Some(format!("unknown tool: {hidden}"))
    );
    assert_eq!(
        absent_err.map(|d| d.message),
        Some("unknown tool: pxcloud_no_such_tool".to_string())
    );
    assert!(g.lookup(&cat, tool(&cat, "vm_list").name()).is_ok());
}

#[test]
fn unknown_tags_are_reported_with_the_real_list() {
    let cat = catalog();
    let mut cfg = PolicyConfig::default();
    cfg.tags = Some(vec![
        "VMs".into(),
        "vmz".into(),
        "ipam".into(),
        "Storages".into(),
    ]);
    let report = guard(cfg).unknown_tags(&cat);
    let Some(report) = report else {
        panic!("unknown tags not reported")
    };
    assert_eq!(report.unknown, ["vmz", "Storages"]);
    assert_eq!(report.known, cat.tags());
    let text = report.to_string();
    assert!(
        text.starts_with("PXCLOUD_TOOLS names unknown tag(s) vmz, Storages; the spec's tags are: "),
        "{text}"
    );
    assert!(text.contains("IPAM") && text.contains("Nodes"), "{text}");

    let mut ok = PolicyConfig::default();
    ok.tags = Some(vec!["vms".into()]);
    assert_eq!(guard(ok).unknown_tags(&cat), None);
    assert_eq!(guard(PolicyConfig::default()).unknown_tags(&cat), None);
}

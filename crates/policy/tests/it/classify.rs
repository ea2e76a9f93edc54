//! Classification and annotations.

use policy::{Class, Pattern, PolicyConfig};
use serde_json::json;

use crate::support::{catalog, guard, tool};

fn check(cfg: PolicyConfig, cases: &[(&str, Class, &str)]) {
    let cat = catalog();
    let g = guard(cfg);
    for (id, class, reason) in cases {
        let c = g.classify(tool(&cat, id));
        assert_eq!((c.class, c.reason.as_str()), (*class, *reason), "{id}");
        // The class alone, as every call asks it, is the same.
        assert_eq!(g.class(tool(&cat, id)), c.class, "{id}");
    }
}

#[test]
fn earlier_rules_extensions_and_unknown_writes() {
    check(
        PolicyConfig::default(),
        &[
            ("vm_list", Class::ReadOnly, "GET method"),
            ("task_head", Class::ReadOnly, "HEAD method"),
            ("task_options", Class::ReadOnly, "OPTIONS method"),
            ("vm_delete", Class::Destructive, "DELETE method"),
            ("vm_power", Class::Destructive, "path contains /power"),
            ("vm_rollback", Class::Destructive, "path contains /rollback"),
            ("vm_migrate", Class::Destructive, "path contains /migrate"),
            (
                "vm_bulk_delete",
                Class::Destructive,
                "path contains /delete",
            ),
            (
                "node_reboot",
                Class::Destructive,
                "x-pxcloud-destructive: true",
            ),
            ("node_tag", Class::Write, "x-destructive: false"),
            (
                "vm_create",
                Class::UnknownWrite,
                "write not classified by any rule",
            ),
            (
                "vm_update",
                Class::UnknownWrite,
                "write not classified by any rule",
            ),
            (
                "vm_snapshot",
                Class::UnknownWrite,
                "write not classified by any rule",
            ),
        ],
    );
}

#[test]
fn strict_mode_and_patterns() {
    let mut cfg = PolicyConfig::default();
    cfg.strict = true;
    cfg.destructive_patterns = Pattern::parse("POST /SNAPSHOT").into_iter().collect();
    check(
        cfg,
        &[
            (
                "vm_snapshot",
                Class::Destructive,
                "configured pattern POST /SNAPSHOT",
            ),
            (
                "vm_create",
                Class::Destructive,
                "unclassified write under PXCLOUD_STRICT",
            ),
            // A known safe write stays a write under strict mode.
            ("node_tag", Class::Write, "x-destructive: false"),
            ("vm_list", Class::ReadOnly, "GET method"),
        ],
    );
    let mut put_only = PolicyConfig::default();
    put_only.destructive_patterns = Pattern::parse("PUT /snapshot").into_iter().collect();
    check(
        put_only,
        &[(
            "vm_snapshot",
            Class::UnknownWrite,
            "write not classified by any rule",
        )],
    );
}

#[test]
fn annotations_follow_the_class() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let cases = [
        (
            "vm_list",
            json!({"readOnlyHint": true, "openWorldHint": true}),
        ),
        (
            "vm_delete",
            json!({"readOnlyHint": false, "destructiveHint": true, "idempotentHint": true, "openWorldHint": true}),
        ),
        (
            "vm_update",
            json!({"readOnlyHint": false, "destructiveHint": true, "idempotentHint": true, "openWorldHint": true}),
        ),
        (
            "vm_power",
            json!({"readOnlyHint": false, "destructiveHint": true, "idempotentHint": false, "openWorldHint": true}),
        ),
        (
            "node_tag",
            json!({"readOnlyHint": false, "destructiveHint": false, "idempotentHint": false, "openWorldHint": true}),
        ),
    ];
    for (id, expected) in cases {
        assert_eq!(g.annotations(tool(&cat, id)).to_value(), expected, "{id}");
    }
}

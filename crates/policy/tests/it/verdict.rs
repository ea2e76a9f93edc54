//! Verdicts for well-behaved calls: reads, writes, elicitation, the two-step flow, dry runs.

use policy::{DenialKind, ElicitationAnswer, Nonce, PolicyConfig, Purpose, Verdict};
use serde_json::json;

use crate::support::{T0, at, catalog, ctx, guard, obj, tool};

#[test]
fn reads_run_with_their_arguments_untouched() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let args = obj(json!({"node": "n1"}));
    for can_elicit in [false, true] {
        match g.check(tool(&cat, "vm_list"), &args, &ctx(can_elicit, T0)) {
            Verdict::Allow { args: a, approved } => {
                assert_eq!(a.as_map(), &args);
                assert!(!approved);
            }
            other => panic!("read not allowed: {other}"),
        }
    }
}

#[test]
fn unguarded_writes_run_without_their_control_arguments() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let args = obj(json!({"id": 1, "dry_run": false, "name": "a"}));
    match g.check(tool(&cat, "vm_update"), &args, &ctx(false, T0)) {
        Verdict::Allow {
            args: a,
            approved: false,
        } => {
            assert_eq!(a.into_map(), obj(json!({"id": 1, "name": "a"})));
        }
        other => panic!("unknown write not allowed: {other}"),
    }
}

#[test]
fn strict_mode_guards_unclassified_writes() {
    let cat = catalog();
    let mut cfg = PolicyConfig::default();
    cfg.strict = true;
    let v = guard(cfg).check(tool(&cat, "vm_create"), &obj(json!({})), &ctx(false, T0));
    assert!(matches!(v, Verdict::NeedsConfirmation(_)), "{v}");
}

#[test]
fn two_step_flow_explains_how_to_get_approval() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_delete");
    let Verdict::NeedsConfirmation(c) = g.check(t, &obj(json!({"id": 5})), &ctx(false, T0)) else {
        panic!("no confirmation_required");
    };
    assert!(c.text.starts_with(&format!(
        "confirmation_required: {} (DELETE /api/vms/{{id}}) is destructive (DELETE method) and was not run.",
        t.name()
    )), "{}", c.text);
    for needle in [
        "pxcloud_confirm_change",
        "{\"id\":5}",
        "\"confirmed\": true",
        "\"confirmation\"",
        "valid once, for 300 seconds",
    ] {
        assert!(c.text.contains(needle), "{needle} missing from {}", c.text);
    }
    assert_eq!(c.structured["status"], "confirmation_required");
    assert_eq!(c.structured["method"], "DELETE");
    assert_eq!(c.structured["arguments"], json!({"id": 5}));
}

#[test]
fn approval_handle_runs_the_exact_call_once() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_delete");
    let args = obj(json!({"id": 5}));
    // Control arguments given to approve() are ignored: the approval binds the real arguments.
    let handle = match g.approve(
        t,
        &obj(json!({"id": 5, "confirmed": true})),
        at(T0),
        Nonce([1; 16]),
    ) {
        Ok(h) => h,
        Err(d) => panic!("{d}"),
    };
    // The handle alone, without confirmed: true, asks again without using it up.
    let mut retry = args.clone();
    retry.insert("confirmation".into(), json!(handle));
    assert!(matches!(
        g.check(t, &retry, &ctx(false, T0 + 1)),
        Verdict::NeedsConfirmation(_)
    ));
    retry.insert("confirmed".into(), json!(true));
    match g.check(t, &retry, &ctx(false, T0 + 2)) {
        Verdict::Allow {
            args: a,
            approved: true,
        } => assert_eq!(a.into_map(), args),
        other => panic!("approved call not allowed: {other}"),
    }
    // Member order does not matter for the digest.
    let cat2 = catalog();
    let t2 = tool(&cat2, "vm_rollback");
    let h2 = match g.approve(
        t2,
        &obj(json!({"id": 5, "snap": "s"})),
        at(T0),
        Nonce([2; 16]),
    ) {
        Ok(h) => h,
        Err(d) => panic!("{d}"),
    };
    let reordered = obj(json!({"confirmation": h2, "snap": "s", "confirmed": true, "id": 5}));
    assert!(g.check(t2, &reordered, &ctx(false, T0 + 299)).runs());
}

#[test]
fn eliciting_clients_ask_the_user_with_method_path_and_arguments() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_power");
    let args = obj(json!({"id": 5, "name": "s1", "password": "hunter2"}));
    let Verdict::NeedsElicitation(req) = g.check(t, &args, &ctx(true, T0)) else {
        panic!("no elicitation");
    };
    assert_eq!(
        (req.method, req.path.as_str()),
        ("POST", "/api/vms/{id}/power")
    );
    assert_eq!(
        req.args_shown,
        json!({"id": 5, "name": "s1", "password": "***"})
    );
    assert!(
        req.message.contains("POST /api/vms/{id}/power"),
        "{}",
        req.message
    );
    assert!(req.message.contains("\"name\": \"s1\""), "{}", req.message);
    assert!(!req.message.contains("hunter2"));
    assert!(!format!("{req:?}").contains("hunter2"));
    assert_eq!(
        req.requested_schema(),
        json!({"type": "object", "properties": {}})
    );

    match g.after_elicitation(req.clone(), ElicitationAnswer::Accept) {
        Verdict::Allow {
            args: a,
            approved: true,
        } => assert_eq!(a.into_map(), args),
        other => panic!("accept did not allow: {other}"),
    }
    let cases = [
        (
            ElicitationAnswer::Decline,
            DenialKind::Declined,
            "the user declined",
        ),
        (
            ElicitationAnswer::Cancel,
            DenialKind::Cancelled,
            "the user cancelled",
        ),
    ];
    for (answer, kind, text) in cases {
        match g.after_elicitation(req.clone(), answer) {
            Verdict::Deny(d) => {
                assert_eq!(d.kind, kind);
                assert!(
                    d.message.starts_with(text) && d.message.contains("not run"),
                    "{}",
                    d.message
                );
            }
            other => panic!("{answer:?} did not deny: {other}"),
        }
    }
}

#[test]
fn dry_run_returns_the_masked_request_and_sends_nothing() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_update");
    let args = obj(json!({"id": 7, "dry_run": true, "name": "web", "password": "hunter2"}));
    let Verdict::DryRun(plan) = g.check(t, &args, &ctx(false, T0)) else {
        panic!("no dry run");
    };
    assert_eq!(
        (plan.method, plan.path_and_query.as_str()),
        ("PUT", "/api/vms/7")
    );
    let v = plan.to_value();
    assert_eq!(v["dry_run"], true);
    assert!(!v.to_string().contains("hunter2"), "{v}");
    assert!(v.to_string().contains("web"), "{v}");
}

#[test]
fn global_dry_run_covers_destructive_calls_without_approval() {
    let cat = catalog();
    let mut cfg = PolicyConfig::default();
    cfg.dry_run = true;
    let g = guard(cfg);
    let v = g.check(
        tool(&cat, "vm_delete"),
        &obj(json!({"id": 9})),
        &ctx(false, T0),
    );
    let Verdict::DryRun(plan) = v else {
        panic!("no dry run: {v}")
    };
    assert_eq!(
        (plan.method, plan.path_and_query.as_str()),
        ("DELETE", "/api/vms/9")
    );
    // Reads are not affected.
    assert!(
        g.check(
            tool(&cat, "vm_get"),
            &obj(json!({"id": 9})),
            &ctx(false, T0)
        )
        .runs()
    );
}

#[test]
fn dry_run_of_arguments_that_form_no_request_is_denied() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_delete");
    let v = g.check(t, &obj(json!({"dry_run": true})), &ctx(false, T0));
    match v {
        Verdict::Deny(d) => {
            assert_eq!(d.kind, DenialKind::InvalidArguments);
            assert!(
                d.message.contains(t.name()) && d.message.contains("id"),
                "{}",
                d.message
            );
            assert!(d.message.ends_with("the call was not run"), "{}", d.message);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn invalid_arguments_are_refused_before_anyone_is_asked() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_delete");
    let bad = obj(json!({"id": "five"}));
    for can_elicit in [false, true] {
        let v = g.check(t, &bad, &ctx(can_elicit, T0));
        assert!(
            matches!(&v, Verdict::Deny(d) if d.kind == DenialKind::InvalidArguments),
            "elicit={can_elicit}: {v}"
        );
    }
    let approval = g.approve(t, &bad, at(T0), Nonce([8; 16]));
    assert_eq!(
        approval.err().map(|d| d.kind),
        Some(DenialKind::InvalidArguments)
    );
}

#[test]
fn confirm_change_shows_the_call_then_approves_it() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_delete");
    let args = obj(json!({"id": 3}));
    let req = match g.approval_request(t, &args) {
        Ok(r) => r,
        Err(d) => panic!("{d}"),
    };
    assert!(
        req.message
            .starts_with("Approve this destructive PXCloud call (DELETE method)?"),
        "{}",
        req.message
    );
    assert!(
        req.message.contains("DELETE /api/vms/{id}"),
        "{}",
        req.message
    );
    let bad = g
        .approval_request(t, &obj(json!({"id": "x"})))
        .err()
        .map(|d| d.kind);
    assert_eq!(bad, Some(DenialKind::InvalidArguments));

    let mut cfg = PolicyConfig::default();
    cfg.allow_delete = false;
    let hidden = guard(cfg);
    assert_eq!(
        hidden.approval_request(t, &args).err().map(|d| d.kind),
        Some(DenialKind::UnknownTool)
    );
    assert_eq!(
        hidden
            .approve(t, &args, at(T0), Nonce([1; 16]))
            .err()
            .map(|d| d.kind),
        Some(DenialKind::UnknownTool)
    );
}

#[test]
fn pending_handles_are_single_use_and_never_approvals() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_power");
    let args = obj(json!({"id": 3}));
    let pending = match g.pending(t, &args, at(T0), Nonce([4; 16])) {
        Ok(h) => h,
        Err(d) => panic!("{d}"),
    };
    let other = obj(json!({"id": 4}));
    let kind = |r: Result<(), policy::Denial>| r.err().map(|d| d.kind);
    assert_eq!(
        kind(g.redeem(&pending, Purpose::Approval, t, &args, at(T0))),
        Some(DenialKind::HandleWrongPurpose)
    );
    assert_eq!(
        kind(g.redeem(&pending, Purpose::Pending, t, &other, at(T0))),
        Some(DenialKind::HandleOtherArguments)
    );
    assert_eq!(
        kind(g.redeem(&pending, Purpose::Pending, t, &args, at(T0 + 300))),
        Some(DenialKind::HandleExpired)
    );
    assert_eq!(
        kind(g.redeem(&pending, Purpose::Pending, t, &args, at(T0 + 1))),
        None
    );
    assert_eq!(
        kind(g.redeem(&pending, Purpose::Pending, t, &args, at(T0 + 2))),
        Some(DenialKind::HandleReused)
    );
}

#[test]
fn guard_is_shareable_across_tasks() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<policy::Guard>();
    shareable::<Verdict>();
}

#[test]
fn no_verdict_prints_a_secret() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let secret = obj(json!({"id": 1, "name": "n", "password": "hunter2"}));
    let mut dry = secret.clone();
    dry.insert("dry_run".into(), json!(true));
    let cases = [
        (
            "user_create",
            obj(json!({"name": "n", "password": "hunter2"})),
            false,
        ),
        ("vm_power", secret.clone(), false),
        ("vm_power", secret, true),
        ("vm_power", dry, false),
    ];
    for (id, args, can_elicit) in cases {
        let v = g.check(tool(&cat, id), &args, &ctx(can_elicit, T0));
        let shown = format!("{v:?} {v}");
        assert!(!shown.contains("hunter2"), "{id}: {shown}");
        if let Verdict::NeedsConfirmation(c) = &v {
            assert!(!c.text.contains("hunter2") && !c.structured.to_string().contains("hunter2"));
        }
    }
}

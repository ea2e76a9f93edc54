//! The table of bypass attempts: each one is denied, with its own clear message, and
//! nothing runs.

use std::time::Duration;

use policy::{DenialKind, Guard, HandleSigner, Nonce, PolicyConfig, Purpose, SigningKey, Verdict};
use serde_json::{Map, Value, json};

use crate::support::{T0, at, catalog, ctx, guard, obj, tool};

struct Attempt {
    what: &'static str,
    tool: &'static str,
    args: Map<String, Value>,
    can_elicit: bool,
    now: u64,
    kind: DenialKind,
    message: &'static str,
}

fn with(mut args: Map<String, Value>, extra: Value) -> Map<String, Value> {
    args.extend(obj(extra));
    args
}

/// Flips one character in the middle of the handle's payload, keeping it base64url.
fn tamper_payload(handle: &str) -> String {
    let mut chars: Vec<char> = handle.chars().collect();
    let i = 12;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

fn tamper_signature(handle: &str) -> String {
    let mut s = handle.to_owned();
    let last = s.pop();
    // The last symbol of 32 bytes carries four bits (its low two must stay zero).
    s.push(if last == Some('A') { 'E' } else { 'A' });
    s
}

#[test]
fn every_bypass_attempt_is_denied_with_its_own_message() {
    let cat = catalog();
    let mut cfg = PolicyConfig::default();
    cfg.allow_delete = false;
    let hidden_guard = guard(cfg);
    let g = guard(PolicyConfig::default());
    let rollback = tool(&cat, "vm_rollback");
    let power = tool(&cat, "vm_power");
    let args = obj(json!({"id": 5, "snap": "before-upgrade"}));
    let mint = |g: &Guard, t, a: &Map<String, Value>, n: u8| {
        g.approve(t, a, at(T0), Nonce([n; 16]))
            .unwrap_or_else(|d| panic!("approve failed: {d}"))
    };
    let approved = |h: &str| with(args.clone(), json!({"confirmed": true, "confirmation": h}));

    // The reused handle is used once successfully first.
    let reused = mint(&g, rollback, &args, 1);
    let first = g.check(rollback, &approved(&reused), &ctx(false, T0 + 1));
    assert!(
        first.runs(),
        "first use of a valid handle must run: {first}"
    );

    let other_args = mint(
        &g,
        rollback,
        &obj(json!({"id": 6, "snap": "before-upgrade"})),
        2,
    );
    let other_tool = mint(&g, power, &obj(json!({"id": 5})), 3);
    let expiring = mint(&g, rollback, &args, 4);
    let valid = mint(&g, rollback, &args, 5);
    let foreign_key = match SigningKey::from_bytes(&[9; 32]) {
        Ok(k) => HandleSigner::new(k),
        Err(e) => panic!("{e}"),
    };
    let foreign = foreign_key.mint(
        Purpose::Approval,
        rollback.name(),
        &args,
        at(T0),
        Duration::from_secs(300),
        Nonce([6; 16]),
    );
    let pending = g.signer().mint(
        Purpose::Pending,
        rollback.name(),
        &args,
        at(T0),
        Duration::from_secs(300),
        Nonce([7; 16]),
    );

    let attempts = vec![
        Attempt {
            what: "confirmed as the string \"true\"",
            tool: "vm_rollback",
            args: with(args.clone(), json!({"confirmed": "true"})),
            can_elicit: false,
            now: T0,
            kind: DenialKind::ConfirmedNotBoolean,
            message: "`confirmed` must be the JSON boolean true or false, not the string \"true\"; the call was not run",
        },
        Attempt {
            what: "confirmed as 1",
            tool: "vm_rollback",
            args: with(args.clone(), json!({"confirmed": 1})),
            can_elicit: false,
            now: T0,
            kind: DenialKind::ConfirmedNotBoolean,
            message: "`confirmed` must be the JSON boolean true or false, not the number 1; the call was not run",
        },
        Attempt {
            what: "confirmed as \"true\" to an eliciting client",
            tool: "vm_rollback",
            args: with(args.clone(), json!({"confirmed": "true"})),
            can_elicit: true,
            now: T0,
            kind: DenialKind::ConfirmedNotBoolean,
            message: "not the string \"true\"",
        },
        Attempt {
            what: "a handle reused",
            tool: "vm_rollback",
            args: approved(&reused),
            can_elicit: false,
            now: T0 + 2,
            kind: DenialKind::HandleReused,
            message: "the confirmation handle was already used; each approval allows one call; the call was not run",
        },
        Attempt {
            what: "a handle reused by an eliciting client",
            tool: "vm_rollback",
            args: with(args.clone(), json!({"confirmation": reused})),
            can_elicit: true,
            now: T0 + 2,
            kind: DenialKind::HandleReused,
            message: "already used",
        },
        Attempt {
            what: "a handle for other arguments",
            tool: "vm_rollback",
            args: approved(&other_args),
            can_elicit: false,
            now: T0,
            kind: DenialKind::HandleOtherArguments,
            message: "the confirmation handle was issued for other arguments; approval covers only the exact arguments shown to the user; the call was not run",
        },
        Attempt {
            what: "a handle for another tool",
            tool: "vm_rollback",
            args: approved(&other_tool),
            can_elicit: false,
            now: T0,
            kind: DenialKind::HandleOtherTool,
            message: "the confirmation handle was issued for another tool; the call was not run",
        },
        Attempt {
            what: "an expired handle",
            tool: "vm_rollback",
            args: approved(&expiring),
            can_elicit: false,
            now: T0 + 300,
            kind: DenialKind::HandleExpired,
            message: "the confirmation handle has expired; ask the user to approve again; the call was not run",
        },
        Attempt {
            what: "a handle with a tampered payload",
            tool: "vm_rollback",
            args: approved(&tamper_payload(&valid)),
            can_elicit: false,
            now: T0,
            kind: DenialKind::HandleTampered,
            message: "the confirmation handle was tampered with or not issued by this server; the call was not run",
        },
        Attempt {
            what: "a handle with a tampered signature",
            tool: "vm_rollback",
            args: approved(&tamper_signature(&valid)),
            can_elicit: false,
            now: T0,
            kind: DenialKind::HandleTampered,
            message: "tampered with",
        },
        Attempt {
            what: "a handle signed with another key",
            tool: "vm_rollback",
            args: approved(&foreign),
            can_elicit: false,
            now: T0,
            kind: DenialKind::HandleTampered,
            message: "not issued by this server",
        },
        Attempt {
            what: "a made-up handle",
            tool: "vm_rollback",
            args: approved("approved-by-user"),
            can_elicit: false,
            now: T0,
            kind: DenialKind::HandleMalformed,
            message: "the confirmation handle is malformed; use the handle exactly as it was returned; the call was not run",
        },
        Attempt {
            what: "a pending-request handle passed as an approval",
            tool: "vm_rollback",
            args: approved(&pending),
            can_elicit: false,
            now: T0,
            kind: DenialKind::HandleWrongPurpose,
            message: "the handle is not an approval handle for this call",
        },
        Attempt {
            what: "a handle that is not a string",
            tool: "vm_rollback",
            args: with(
                args.clone(),
                json!({"confirmed": true, "confirmation": {"approved": true}}),
            ),
            can_elicit: false,
            now: T0,
            kind: DenialKind::HandleNotString,
            message: "`confirmation` must be the approval handle string returned by pxcloud_confirm_change, not an object; the call was not run",
        },
        Attempt {
            what: "dry_run combined with confirmed",
            tool: "vm_rollback",
            args: with(args.clone(), json!({"dry_run": true, "confirmed": true})),
            can_elicit: false,
            now: T0,
            kind: DenialKind::DryRunWithConfirmation,
            message: "`dry_run` cannot be combined with `confirmed` or `confirmation`: a dry run sends nothing and needs no approval; the call was not run",
        },
        Attempt {
            what: "dry_run combined with a handle",
            tool: "vm_rollback",
            args: with(
                args.clone(),
                json!({"dry_run": true, "confirmation": valid}),
            ),
            can_elicit: true,
            now: T0,
            kind: DenialKind::DryRunWithConfirmation,
            message: "cannot be combined",
        },
        Attempt {
            what: "dry_run as the string \"true\"",
            tool: "vm_rollback",
            args: with(args.clone(), json!({"dry_run": "true"})),
            can_elicit: false,
            now: T0,
            kind: DenialKind::DryRunNotBoolean,
            message: "`dry_run` must be the JSON boolean true or false, not the string \"true\"",
        },
    ];

    let mut seen: Vec<(DenialKind, String)> = Vec::new();
    for a in &attempts {
        let verdict = g.check(tool(&cat, a.tool), &a.args, &ctx(a.can_elicit, a.now));
        match &verdict {
            Verdict::Deny(d) => {
                assert_eq!(d.kind, a.kind, "{}: {}", a.what, d.message);
                assert!(
                    d.message.contains(a.message),
                    "{}: message {:?} lacks {:?}",
                    a.what,
                    d.message,
                    a.message
                );
                seen.push((d.kind, d.message.clone()));
            }
            other => panic!("{}: not denied but {other}", a.what),
        }
        assert!(!verdict.runs(), "{}", a.what);
    }

    // Different kinds never share a message.
    for (k1, m1) in &seen {
        for (k2, m2) in &seen {
            assert!(k1 == k2 || m1 != m2, "{k1:?} and {k2:?} share {m1:?}");
        }
    }

    // A hidden tool called by name, even with a well-formed approval.
    let delete = tool(&cat, "vm_delete");
    let hidden = hidden_guard.check(
        delete,
        &obj(json!({"id": 5, "confirmed": true})),
        &ctx(false, T0),
    );
    match hidden {
        Verdict::Deny(d) => {
            assert_eq!(d.kind, DenialKind::UnknownTool);
            assert_eq!(d.message, format!("unknown tool: {}", delete.name()));
        }
        other => panic!("hidden tool not denied: {other}"),
    }

    // None of the denied attempts consumed the valid handle: it still works, once.
    assert!(
        g.check(rollback, &approved(&valid), &ctx(false, T0 + 3))
            .runs()
    );
    assert!(
        !g.check(rollback, &approved(&valid), &ctx(false, T0 + 4))
            .runs()
    );
}

#[test]
fn confirmed_true_alone_is_not_an_approval() {
    let cat = catalog();
    let g = guard(PolicyConfig::default());
    let t = tool(&cat, "vm_delete");
    let args = obj(json!({"id": 5, "confirmed": true}));
    assert!(matches!(
        g.check(t, &args, &ctx(false, T0)),
        Verdict::NeedsConfirmation(_)
    ));
    // A client that can ask its user asks, whatever the assistant claims.
    assert!(matches!(
        g.check(t, &args, &ctx(true, T0)),
        Verdict::NeedsElicitation(_)
    ));
}

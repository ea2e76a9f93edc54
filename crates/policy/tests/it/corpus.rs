//! The policy over real-world documents (the repository's `specs/` corpus): invariants that
//! must hold for every operation of every document, whatever its shape.

use std::path::PathBuf;

use openapi_ingest::{BodyKind, Catalog, IngestOptions, Method, Tool};
use policy::{Class, DenialKind, Guard, Nonce, PolicyConfig, Verdict};
use serde_json::{Map, Value, json};

use crate::support::{T0, at, ctx, guard, obj};

const SPECS: &[&str] = &[
    "proxmox-ve.json",
    "hetzner-cloud.json",
    "vmware-vcf-sddc-manager.json",
    "swagger-petstore-3.0.yaml",
    "oai-petstore-expanded-swagger2.json",
    "docker-engine-swagger2.yaml",
];

fn load(name: &str) -> Catalog {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "specs", name]
        .iter()
        .collect();
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Catalog::from_slice(&bytes, &IngestOptions::default())
        .unwrap_or_else(|e| panic!("{name} did not ingest: {e}"))
}

fn prop_names(schema: &Value) -> Vec<String> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every invariant for one visible tool.
fn check_tool(spec: &str, g: &Guard, t: &Tool) {
    let who = format!("{spec}: {} {}", t.method().as_str(), t.path());
    let class = g.classify(t).class;
    assert_eq!(g.class(t), class, "{who}");
    let names = g.control_names(t);
    if t.method() == Method::Delete {
        assert_eq!(class, Class::Destructive, "{who}");
    }
    let ext_destructive = t.extensions().contains_key("x-pxcloud-destructive")
        || t.extensions().contains_key("x-destructive");
    if !ext_destructive {
        assert_eq!(class == Class::ReadOnly, t.method().is_read_only(), "{who}");
    }
    let ann = g.annotations(t);
    assert_eq!(ann.read_only_hint, class == Class::ReadOnly, "{who}");

    // Exposed schema: an object keeping every catalog property, plus the controls.
    for can_elicit in [false, true] {
        let s = g.input_schema(t, can_elicit);
        assert_eq!(s["type"], "object", "{who}");
        let exposed = prop_names(&s);
        for p in prop_names(t.input_schema()) {
            assert!(exposed.contains(&p), "{who}: lost {p}");
        }
        assert_eq!(
            exposed.contains(&names.dry_run),
            class.is_mutating(),
            "{who}"
        );
        let required_confirmed = s["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!(names.confirmed)));
        assert_eq!(
            required_confirmed,
            class == Class::Destructive && !can_elicit,
            "{who}"
        );
    }

    // A call without approval never runs when it is destructive.
    let empty = Map::new();
    let v = g.check(t, &empty, &ctx(false, T0));
    match (class, &v) {
        (Class::Destructive, Verdict::NeedsConfirmation(_)) => {}
        (Class::Destructive, Verdict::Deny(d)) => {
            assert_eq!(d.kind, DenialKind::InvalidArguments, "{who}")
        }
        (Class::Destructive, other) => panic!("{who}: destructive call got {other}"),
        (Class::ReadOnly, Verdict::Allow { .. }) => {}
        (_, Verdict::Allow { .. }) => {}
        (_, Verdict::Deny(d)) => assert_eq!(d.kind, DenialKind::InvalidArguments, "{who}"),
        (_, other) => panic!("{who}: unguarded call got {other}"),
    }
    if class == Class::Destructive {
        let v = g.check(
            t,
            &obj(json!({names.confirmed.as_str(): "true"})),
            &ctx(true, T0),
        );
        assert!(
            matches!(&v, Verdict::Deny(d) if d.kind == DenialKind::ConfirmedNotBoolean),
            "{who}: {v}"
        );
    }
}

#[test]
fn invariants_hold_for_every_operation_of_real_documents() {
    let g = guard(PolicyConfig::default());
    for spec in SPECS {
        let cat = load(spec);
        let mut counts = [0usize; 4];
        for t in cat.tools() {
            match g.hidden_reason(t) {
                None => {
                    let kinds = t.body_kinds();
                    assert!(
                        kinds.is_empty()
                            || kinds
                                .iter()
                                .any(|k| matches!(k, BodyKind::Json | BodyKind::Form)),
                        "{spec}: {} visible with {kinds:?}",
                        t.path()
                    );
                    check_tool(spec, &g, t);
                    let i = match g.classify(t).class {
                        Class::ReadOnly => 0,
                        Class::Write => 1,
                        Class::UnknownWrite => 2,
                        _ => 3,
                    };
                    counts[i] += 1;
                }
                Some(_) => {
                    let v = g.check(t, &Map::new(), &ctx(false, T0));
                    assert!(
                        matches!(&v, Verdict::Deny(d) if d.kind == DenialKind::UnknownTool),
                        "{spec}: {v}"
                    );
                }
            }
        }
        assert!(counts[0] > 0 && counts[3] > 0, "{spec}: {counts:?}");
    }
}

/// The classification of every document in one reviewable file: counts, then every
/// destructive and every hidden operation with its rule. `UPDATE_SNAPSHOTS=1` rewrites it.
#[test]
fn classification_snapshot() {
    let g = guard(PolicyConfig::default());
    let mut out = String::new();
    for spec in SPECS {
        let cat = load(spec);
        let mut lines = Vec::new();
        let mut counts = [0usize; 5];
        for t in cat.tools() {
            let op = format!("{} {}", t.method().as_str(), t.path());
            if let Some(h) = g.hidden_reason(t) {
                counts[4] += 1;
                lines.push(format!("  hidden       {op} — {h}"));
                continue;
            }
            let c = g.classify(t);
            let i = match c.class {
                Class::ReadOnly => 0,
                Class::Write => 1,
                Class::UnknownWrite => 2,
                _ => 3,
            };
            counts[i] += 1;
            if c.class == Class::Destructive {
                lines.push(format!("  destructive  {op} — {}", c.reason));
            }
        }
        out.push_str(&format!(
            "{spec}: {} read-only, {} write, {} unclassified write, {} destructive, {} hidden\n",
            counts[0], counts[1], counts[2], counts[3], counts[4]
        ));
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "it",
        "snapshots",
        "classification.txt",
    ]
    .iter()
    .collect();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        if let Err(e) = std::fs::write(&path, &out) {
            panic!("{}: {e}", path.display());
        }
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == out,
        "{} is out of date (UPDATE_SNAPSHOTS=1 rewrites it); first difference at line {}",
        path.display(),
        expected
            .lines()
            .zip(out.lines())
            .take_while(|(a, b)| a == b)
            .count()
            + 1
    );
}

#[test]
fn proxmox_power_actions_need_a_configured_pattern() {
    let cat = load("proxmox-ve.json");
    let stop = |g: &Guard| {
        cat.tools()
            .iter()
            .find(|t| {
                t.method() == Method::Post && t.path() == "/nodes/{node}/qemu/{vmid}/status/stop"
            })
            .map(|t| g.classify(t).class)
    };
    // The earlier rules know PXCloud's /power, not Proxmox's /status/stop ...
    assert_eq!(
        stop(&guard(PolicyConfig::default())),
        Some(Class::UnknownWrite)
    );
    // ... which a pattern (or strict mode) covers.
    let mut cfg = PolicyConfig::default();
    cfg.destructive_patterns = policy::parse_patterns("X", "POST /status/").unwrap_or_default();
    assert_eq!(stop(&guard(cfg)), Some(Class::Destructive));
    let mut strict = PolicyConfig::default();
    strict.strict = true;
    assert_eq!(stop(&guard(strict)), Some(Class::Destructive));
}

#[test]
fn approval_round_trip_on_a_real_destructive_operation() {
    let cat = load("hetzner-cloud.json");
    let g = guard(PolicyConfig::default());
    let Some(t) = cat
        .tools()
        .iter()
        .find(|t| t.method() == Method::Delete && t.path() == "/servers/{id}")
    else {
        panic!("hetzner: no DELETE /servers/{{id}}");
    };
    let args = obj(json!({"id": 42}));
    let handle = g
        .approve(t, &args, at(T0), Nonce([5; 16]))
        .unwrap_or_else(|d| panic!("{d}"));
    let mut retry = args.clone();
    retry.insert("confirmed".into(), json!(true));
    retry.insert("confirmation".into(), json!(handle));
    assert!(g.check(t, &retry, &ctx(false, T0 + 1)).runs());
    assert!(!g.check(t, &retry, &ctx(false, T0 + 2)).runs());
}

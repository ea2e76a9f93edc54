//! Proxmox VE's numbered parameters: `net[n]` stands for `net0`, `net1`, … (up to a limit the
//! description may state), each a value of the same schema.
//!
//! Such a parameter becomes one argument (its usual argument name, `net_n`, which cannot take
//! the name of a plain parameter of the family: Proxmox has both `numa` and `numa[n]`) whose
//! value is an object from the index to the value:
//!
//! ```text
//! {"net_n": {"0": "virtio,bridge=vmbr0", "1": "e1000,bridge=vmbr1"}}
//!     → net0=virtio,bridge=vmbr0 & net1=e1000,bridge=vmbr1
//! ```
//!
//! Its schema is `{"type": "object", "propertyNames": {"pattern": …}, "additionalProperties":
//! <the parameter's schema>}`: the indices are written without leading zeros (`01` would send
//! `net01`, which is no parameter), and bounded when the description says so in one of
//! Proxmox's two reliable phrasings, `(n is 0 to 3)` and `link0..link7`. The request sends one
//! parameter per entry in index order. Only query parameters are numbered this way: that is the
//! only place the convention occurs (51 parameters of `proxmox-ve.json`), and a path segment or
//! header could not carry several values anyway.
//!
//! In a result the family's members are properties of their own (`net0`, `net1`, …), so an
//! output schema's `net[n]` property becomes `patternProperties: {"^net(0|[1-9][0-9]*)$": …}`
//! ([`output_families`]), its schema and description kept. That pattern states no bound even
//! where the description does: a result is described, not policed, and Proxmox has raised
//! such bounds between versions (`usb[n]` is 0 to 4, or up to 14 on newer machines).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use crate::error::ArgIssue;
use crate::request::ParamBinding;

/// The largest index a stated bound may have; beyond it the pattern says no bound.
const MAX_BOUND: u32 = 99;

/// The argument schema of the numbered family `stem` whose members each match `item`;
/// `description` is the parameter's (for a stated bound).
pub(crate) fn argument_schema(
    stem: &str,
    item: Value,
    description: Option<&str>,
    required: bool,
) -> Value {
    let bound = description.and_then(|d| stated_bound(stem, d));
    // The bound is in the pattern, and in the parameter's own description that each value's
    // schema keeps.
    let line = format!("By index: {{\"0\": …, \"1\": …}} sends {stem}0, {stem}1.");
    let mut schema = Map::new();
    schema.insert("type".into(), Value::from("object"));
    schema.insert("description".into(), Value::from(line));
    schema.insert(
        "propertyNames".into(),
        json!({"pattern": index_pattern(bound)}),
    );
    if required {
        schema.insert("minProperties".into(), Value::from(1));
    }
    schema.insert("additionalProperties".into(), item);
    Value::Object(schema)
}

/// `true` when `schema` is an argument schema written by [`argument_schema`].
pub(crate) fn is_numbered(schema: &Map<String, Value>) -> bool {
    schema.contains_key("propertyNames")
        && schema
            .get("description")
            .and_then(Value::as_str)
            .is_some_and(|d| d.starts_with("By index: "))
}

/// The pattern of a family's member names: `^net(0|[1-9][0-9]*)$` for `net`.
pub(crate) fn member_pattern(stem: &str) -> String {
    let mut out = String::with_capacity(stem.len() + 20);
    out.push('^');
    for c in stem.chars() {
        // `names::numbered_stem` admits `.` and `-` beside letters, digits and `_`.
        if c == '.' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push_str(&index_pattern(None)[1..]);
    out
}

/// Turns the numbered families among an output object schema's `properties` (`net[n]`) into
/// `patternProperties` that match their members (`net0`, `net1`, …), each with the family's
/// schema; a `required` naming the family no longer does. A pattern the schema already has is
/// left alone, and so is the family then.
pub(crate) fn output_families(schema: &mut Map<String, Value>) {
    let Some(Value::Object(props)) = schema.get("properties") else {
        return;
    };
    if !props
        .keys()
        .any(|k| crate::names::numbered_stem(k).is_some())
    {
        return;
    }
    let Some(Value::Object(props)) = schema.remove("properties") else {
        return;
    };
    let mut patterns = match schema.remove("patternProperties") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    let mut kept = Map::new();
    let mut moved: Vec<String> = Vec::new();
    for (name, member) in props {
        let pattern = crate::names::numbered_stem(&name).map(member_pattern);
        match pattern {
            Some(pattern) if !patterns.contains_key(&pattern) => {
                patterns.insert(pattern, member);
                moved.push(name);
            }
            _ => {
                kept.insert(name, member);
            }
        }
    }
    if !kept.is_empty() {
        schema.insert("properties".into(), Value::Object(kept));
    }
    schema.insert("patternProperties".into(), Value::Object(patterns));
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.retain(|r| !r.as_str().is_some_and(|r| moved.iter().any(|m| m == r)));
        if required.is_empty() {
            schema.remove("required");
        }
    }
}

/// The largest index the description states reliably: `(n is 0 to N)` (not `(n is 0 to 4,
/// for machine version >= 7.1 … up to 14)`), or `<stem>0..<stem>N`.
fn stated_bound(stem: &str, description: &str) -> Option<u32> {
    let after = |marker: &str, end: &str| -> Option<u32> {
        let rest = &description[description.find(marker)? + marker.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 || !rest[digits..].starts_with(end) {
            return None;
        }
        rest[..digits].parse().ok()
    };
    after("(n is 0 to ", ")")
        .or_else(|| after(&format!("{stem}0..{stem}"), ""))
        .filter(|&n| n <= MAX_BOUND)
}

/// `Some(answer)` when `pattern` is one [`index_pattern`] writes: whether it admits `key`; `None`
/// for any other pattern (the quick check leaves it to the validator).
pub(crate) fn admits(pattern: &str, key: &str) -> Option<bool> {
    static PATTERNS: OnceLock<HashMap<String, Option<u32>>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        (0..=MAX_BOUND)
            .map(Some)
            .chain([None])
            .map(|bound| (index_pattern(bound), bound))
            .collect()
    });
    let bound = *patterns.get(pattern)?;
    let canonical = !key.is_empty()
        && key.bytes().all(|b| b.is_ascii_digit())
        && (key == "0" || !key.starts_with('0'));
    if !canonical {
        return Some(false);
    }
    Some(match bound {
        None => true,
        Some(max) => key.parse::<u32>().is_ok_and(|i| i <= max),
    })
}

/// The pattern of an index: a number without leading zeros, at most `bound` when given.
fn index_pattern(bound: Option<u32>) -> String {
    let Some(n) = bound else {
        return "^(0|[1-9][0-9]*)$".to_owned();
    };
    if n < 10 {
        return if n == 0 {
            "^0$".to_owned()
        } else {
            format!("^[0-{n}]$")
        };
    }
    let (tens, units) = (n / 10, n % 10);
    let mut out = String::from("^([0-9]|");
    match tens {
        1 => {}
        2 => out.push_str("1[0-9]|"),
        t => out.push_str(&format!("[1-{}][0-9]|", t - 1)),
    }
    if units == 0 {
        out.push_str(&format!("{tens}0)$"));
    } else {
        out.push_str(&format!("{tens}[0-{units}])$"));
    }
    out
}

/// The query pairs of a numbered argument: `<stem><index>=<value>` in index order. `None`
/// when the value is not an object of canonical indices (validation rejects that first).
pub(crate) fn pairs(stem: &str, value: &Value) -> Option<Vec<(String, String)>> {
    let Value::Object(map) = value else {
        return None;
    };
    let mut indexed: Vec<(u64, &Value)> = Vec::with_capacity(map.len());
    for (key, v) in map {
        if key.is_empty()
            || !key.bytes().all(|b| b.is_ascii_digit())
            || (key.len() > 1 && key.starts_with('0'))
        {
            return None;
        }
        if v.is_null() {
            continue;
        }
        indexed.push((key.parse().ok()?, v));
    }
    indexed.sort_by_key(|(i, _)| *i);
    Some(
        indexed
            .into_iter()
            .map(|(i, v)| (format!("{stem}{i}"), crate::request::scalar(v)))
            .collect(),
    )
}

/// Says what a numbered argument takes next to the validator's words for it, and names the
/// family's argument when the arguments have its members one by one (`net0` at the top).
pub(crate) fn explain(
    params: &[ParamBinding],
    properties: Option<&Map<String, Value>>,
    args: &Map<String, Value>,
    issues: &mut Vec<ArgIssue>,
) {
    for p in params.iter().filter(|p| p.numbered) {
        let Some(stem) = crate::names::numbered_stem(&p.name) else {
            continue;
        };
        let shape = format!(
            "{} takes an object of numbered values, e.g. {{\"0\": \"…\", \"1\": \"…\"}} for {stem}0 and {stem}1",
            p.arg
        );
        let field = format!("/{}", p.arg);
        for issue in issues.iter_mut().filter(|i| i.field == field) {
            issue.message = format!("{}; {shape}", issue.message);
        }
        let loose: Vec<&String> = args
            .keys()
            .filter(|k| !properties.is_some_and(|props| props.contains_key(*k)))
            .filter(|k| {
                k.strip_prefix(stem)
                    .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
            })
            .collect();
        for key in loose {
            let index = &key[stem.len()..];
            issues.push(ArgIssue {
                field: format!("/{key}"),
                message: format!(
                    "not an argument; give it as {{\"{}\": {{\"{index}\": \"…\"}}}}",
                    p.arg
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_read_only_from_the_two_reliable_phrasings() {
        let cases = [
            (
                "scsi",
                "Use volume as SCSI hard disk (n is 0 to 30).",
                Some(30),
            ),
            (
                "serial",
                "Create a serial device inside the VM (n is 0 to 3)",
                Some(3),
            ),
            (
                "link",
                "Address of a single corosync link. (up to 8 links supported; link0..link7)",
                Some(7),
            ),
            (
                "usb",
                "Configure an USB device (n is 0 to 4, for machine version >= 7.1 and ostype l26 or windows > 7, n can be up to 14).",
                None,
            ),
            ("net", "Specify network devices.", None),
            ("mp", "(n is 0 to 1000)", None),
            ("link", "net0..net7", None),
        ];
        for (stem, text, expected) in cases {
            assert_eq!(stated_bound(stem, text), expected, "{text}");
        }
    }

    #[test]
    fn index_patterns_admit_exactly_the_indices_up_to_the_bound() {
        for bound in [0, 1, 2, 3, 7, 9, 10, 15, 19, 20, 21, 30, 55, 99] {
            let pattern = index_pattern(Some(bound));
            let re = matcher(&pattern);
            for i in 0..=150u32 {
                assert_eq!(re(&i.to_string()), i <= bound, "{pattern} {i}");
                assert!(!re(&format!("0{i}")), "{pattern} 0{i}");
            }
        }
        for bound in (0..=MAX_BOUND).map(Some).chain([None]) {
            let pattern = index_pattern(bound);
            let re = matcher(&pattern);
            for key in [
                "0", "1", "9", "10", "30", "31", "99", "100", "1234", "01", "00", "", "x", "1a",
                "-1",
            ] {
                assert_eq!(admits(&pattern, key), Some(re(key)), "{pattern} {key:?}");
            }
        }
        assert_eq!(admits("^[0-9]+$", "1"), None);
        let any = matcher(&index_pattern(None));
        assert!(any("0") && any("7") && any("1234"));
        assert!(!any("01") && !any("") && !any("-1") && !any("x"));
    }

    /// The pattern as the validator reads it.
    fn matcher(pattern: &str) -> impl Fn(&str) -> bool + use<> {
        let validator = crate::validate::compile(&json!({"pattern": pattern})).expect("compiles");
        move |text: &str| validator.is_valid(&Value::from(text))
    }

    #[test]
    fn output_families_match_their_members_only() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "numa": {"type": "boolean"},
                "numa[n]": {"type": "string", "description": "NUMA topology."},
                "a.b[n]": {"type": "integer"}
            },
            "required": ["numa[n]", "numa"],
            "additionalProperties": false
        });
        let map = schema.as_object_mut().expect("object");
        output_families(map);
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "required": ["numa"],
                "additionalProperties": false,
                "properties": {"numa": {"type": "boolean"}},
                "patternProperties": {
                    "^numa(0|[1-9][0-9]*)$": {"type": "string", "description": "NUMA topology."},
                    "^a\\.b(0|[1-9][0-9]*)$": {"type": "integer"}
                }
            })
        );
        let validator = crate::validate::compile(&schema).expect("compiles");
        for (instance, ok) in [
            (
                json!({"numa": true, "numa0": "cpus=0", "numa12": "x", "a.b3": 1}),
                true,
            ),
            (json!({"numa": true}), true),
            (json!({"numa": true, "numa01": "x"}), false),
            (json!({"numa": true, "numa[n]": "x"}), false),
            (json!({"numa": true, "numa0": 1}), false),
            (json!({"numa": true, "aXb3": 1}), false),
        ] {
            assert_eq!(validator.is_valid(&instance), ok, "{instance}");
        }
        // Nothing numbered: untouched.
        let mut plain = json!({"type": "object", "properties": {"net": {"type": "string"}}});
        let before = plain.clone();
        output_families(plain.as_object_mut().expect("object"));
        assert_eq!(plain, before);
    }

    #[test]
    fn pairs_are_sent_in_index_order_without_nulls() {
        let value = json!({"10": "c", "2": "b", "0": "a", "3": null, "4": 5});
        assert_eq!(
            pairs("scsi", &value).expect("pairs"),
            [
                ("scsi0".to_owned(), "a".to_owned()),
                ("scsi2".to_owned(), "b".to_owned()),
                ("scsi4".to_owned(), "5".to_owned()),
                ("scsi10".to_owned(), "c".to_owned()),
            ]
        );
        for bad in [
            json!("virtio"),
            json!({"01": "a"}),
            json!({"net0": "a"}),
            json!({"": "a"}),
        ] {
            assert_eq!(pairs("net", &bad), None, "{bad}");
        }
    }
}

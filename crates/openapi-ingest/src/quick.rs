//! A fast path in front of the `jsonschema` validator: it accepts arguments that plainly
//! satisfy the simple keywords generated input schemas are made of, and says "don't know" to
//! everything else.
//!
//! It only ever answers "valid" when the full validator would too; any keyword it does not
//! implement, any number it cannot compare exactly and any failed check sends the call on to
//! the compiled validator, which has the last word and words the errors. Most calls never
//! compile a validator at all, which saves the compile (about a millisecond and a few hundred
//! kilobytes on first use of a tool) and keeps the validator's code out of memory.

use serde_json::{Map, Number, Value};

/// Deepest schema nesting followed before giving up (ingest already cuts schemas at 64).
const MAX_DEPTH: usize = 64;

/// `true` when `args`, as an object instance, certainly matches `schema`.
pub(crate) fn accepts_object(schema: &Value, args: &Map<String, Value>) -> bool {
    match schema {
        Value::Bool(b) => *b,
        Value::Object(s) => {
            let defs = s.get("$defs").and_then(Value::as_object);
            object_schema(s, None, Some(args), defs, 0) == Some(true)
        }
        _ => false,
    }
}

/// `Some(true)` when `value` (or, with `value` absent, the object `args`) certainly matches,
/// `None` when the full validator must decide. Never `Some(false)`.
fn object_schema(
    s: &Map<String, Value>,
    value: Option<&Value>,
    args: Option<&Map<String, Value>>,
    defs: Option<&Map<String, Value>>,
    depth: usize,
) -> Option<bool> {
    if depth > MAX_DEPTH {
        return None;
    }
    let object = match (value, args) {
        (Some(Value::Object(map)), _) => Some(map),
        (Some(_), _) => None,
        (None, Some(map)) => Some(map),
        (None, None) => return None,
    };
    for (key, kw) in s {
        let ok = match key.as_str() {
            // Annotations: no assertion.
            "description" | "title" | "default" | "examples" | "deprecated" | "readOnly"
            | "writeOnly" | "$comment" | "$defs" => true,
            "type" => type_ok(kw, value, object.is_some())?,
            "enum" => {
                let v = value?;
                kw.as_array()?.iter().any(|e| e == v)
            }
            "const" => value? == kw,
            "required" => {
                let Some(object) = object else {
                    // `required` applies to objects only.
                    continue;
                };
                kw.as_array()?
                    .iter()
                    .all(|name| name.as_str().is_some_and(|n| object.contains_key(n)))
            }
            "properties" => {
                let Some(object) = object else { continue };
                let props = kw.as_object()?;
                for (name, v) in object {
                    if let Some(sub) = props.get(name) {
                        sub_schema(sub, v, defs, depth)?;
                    }
                }
                true
            }
            "additionalProperties" => {
                let Some(object) = object else { continue };
                if s.contains_key("patternProperties") {
                    return None;
                }
                let props = s.get("properties").and_then(Value::as_object);
                for (name, v) in object {
                    if props.is_some_and(|p| p.contains_key(name)) {
                        continue;
                    }
                    sub_schema(kw, v, defs, depth)?;
                }
                true
            }
            "items" => {
                let Some(Value::Array(items)) = value else {
                    continue;
                };
                if s.contains_key("prefixItems") {
                    return None;
                }
                for item in items {
                    sub_schema(kw, item, defs, depth)?;
                }
                true
            }
            "minItems" | "maxItems" => {
                let Some(Value::Array(items)) = value else {
                    continue;
                };
                let bound = kw.as_u64()?;
                let len = items.len() as u64;
                if key == "minItems" {
                    len >= bound
                } else {
                    len <= bound
                }
            }
            "minLength" | "maxLength" => {
                let Some(Value::String(text)) = value else {
                    continue;
                };
                let bound = kw.as_u64()?;
                let len = text.chars().count() as u64;
                if key == "minLength" {
                    len >= bound
                } else {
                    len <= bound
                }
            }
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                let Some(Value::Number(n)) = value else {
                    continue;
                };
                let order = compare(n, kw.as_number()?)?;
                match key.as_str() {
                    "minimum" => order.is_ge(),
                    "maximum" => order.is_le(),
                    "exclusiveMinimum" => order.is_gt(),
                    _ => order.is_lt(),
                }
            }
            // A schema the tool writes once under `$defs` applies here as if written in place
            // (2020-12); a cycle ends at the depth bound.
            "$ref" => {
                let target = kw
                    .as_str()?
                    .strip_prefix("#/$defs/")
                    .filter(|name| !name.contains(['/', '~', '%']))
                    .and_then(|name| defs?.get(name))?;
                sub_schema(target, value?, defs, depth)?
            }
            // The index of a numbered argument (`net_n`), as numbered.rs writes it.
            "propertyNames" => {
                let Some(object) = object else { continue };
                let names = kw.as_object()?;
                let pattern = names.get("pattern")?.as_str()?;
                names.len() == 1
                    && object
                        .keys()
                        .all(|k| crate::numbered::admits(pattern, k) == Some(true))
            }
            "minProperties" => {
                let Some(object) = object else { continue };
                object.len() as u64 >= kw.as_u64()?
            }
            // Vendor extensions are not assertions.
            k if k.starts_with("x-") => true,
            // Anything else (other `$ref`s, `pattern`, `format`, `oneOf`, …): the full validator.
            _ => return None,
        };
        if !ok {
            return None;
        }
    }
    Some(true)
}

fn sub_schema(
    schema: &Value,
    value: &Value,
    defs: Option<&Map<String, Value>>,
    depth: usize,
) -> Option<bool> {
    match schema {
        Value::Bool(true) => Some(true),
        Value::Object(s) => object_schema(s, Some(value), None, defs, depth + 1),
        _ => None,
    }
}

/// Whether the instance has one of the listed types. `value` is `None` for the top-level
/// argument object.
fn type_ok(kw: &Value, value: Option<&Value>, is_object: bool) -> Option<bool> {
    let one = |name: &str| match (name, value) {
        ("object", _) => is_object,
        ("string", Some(Value::String(_))) => true,
        ("boolean", Some(Value::Bool(_))) => true,
        ("null", Some(Value::Null)) => true,
        ("array", Some(Value::Array(_))) => true,
        ("number", Some(Value::Number(_))) => true,
        ("integer", Some(Value::Number(n))) => n.is_i64() || n.is_u64(),
        _ => false,
    };
    match kw {
        Value::String(name) => Some(one(name)),
        Value::Array(names) => Some(names.iter().any(|n| n.as_str().is_some_and(one))),
        _ => None,
    }
}

/// The exact order of two JSON numbers, or `None` when a float comparison could be inexact.
fn compare(a: &Number, b: &Number) -> Option<std::cmp::Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    // Floats (or mixed): exact only while both are within the integers f64 represents exactly.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    let (x, y) = (a.as_f64()?, b.as_f64()?);
    if x.abs() > EXACT || y.abs() > EXACT {
        return None;
    }
    x.partial_cmp(&y)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(schema: Value, args: Value) -> bool {
        accepts_object(&schema, args.as_object().unwrap())
    }

    #[test]
    fn accepts_only_what_is_plainly_valid() {
        let schema = json!({
            "type": "object",
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 8, "examples": ["a"]},
                "n": {"type": "integer", "minimum": 1, "maximum": 10},
                "r": {"type": "number", "exclusiveMinimum": 0},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "opt": {"type": ["string", "null"]}
            },
            "required": ["id"],
            "additionalProperties": false
        });
        let cases = [
            (json!({"id": "x"}), true),
            (
                json!({"id": "x", "n": 10, "r": 0.5, "mode": "b", "tags": ["a"], "opt": null}),
                true,
            ),
            // Everything below goes on to the full validator.
            (json!({}), false),
            (json!({"id": ""}), false),
            (json!({"id": "123456789"}), false),
            (json!({"id": 1}), false),
            (json!({"id": "x", "n": 0}), false),
            (json!({"id": "x", "n": 2.0}), false),
            (json!({"id": "x", "r": 0}), false),
            (json!({"id": "x", "mode": "c"}), false),
            (json!({"id": "x", "tags": ["a", "b", "c"]}), false),
            (json!({"id": "x", "tags": [1]}), false),
            (json!({"id": "x", "extra": 1}), false),
        ];
        let full = crate::validate::compile(&schema).unwrap();
        for (args, want) in cases {
            assert_eq!(check(schema.clone(), args.clone()), want, "{args}");
            // The full validator agrees wherever the quick check accepts.
            if want {
                assert!(full.is_valid(&args), "{args}");
            }
        }
    }

    #[test]
    fn never_accepts_what_the_validator_refuses() {
        let schemas = [
            json!({"type": "object", "properties": {"v": {"type": "integer", "maximum": 9007199254740993_u64}}}),
            json!({"type": "object", "properties": {"v": {"type": "number", "minimum": 0.1}}}),
            json!({"type": "object", "properties": {"v": {"enum": [1, "1", null]}}}),
            json!({"type": "object", "properties": {"v": {"const": 1.5}}}),
            json!({"type": "object", "properties": {"v": {"type": "string", "maxLength": 2}}}),
            json!({"type": "object", "properties": {"v": {"type": "array", "minItems": 1, "items": {"type": "boolean"}}}}),
            json!({"type": "object", "properties": {"v": false}}),
            json!({"type": "object", "additionalProperties": {"type": "integer"}}),
            json!({"type": "object", "properties": {"v": {"$ref": "#/$defs/n", "minimum": 0}}, "$defs": {"n": {"type": "integer", "maximum": 1}}}),
            json!({"type": "object", "properties": {"v": {"type": "array", "items": {"$ref": "#/$defs/w"}}}, "$defs": {"w": {"type": "object", "required": ["w"]}}}),
            json!({"type": "object", "required": ["v"], "properties": {"v": {"type": ["null", "object"], "properties": {"w": {"type": "string"}}, "required": ["w"]}}}),
            json!({"type": "object", "properties": {"v": {"type": "object", "propertyNames": {"pattern": "^[0-1]$"}, "minProperties": 2, "additionalProperties": {"type": "string"}}}}),
            json!({"type": "object", "properties": {"v": {"type": "object", "propertyNames": {"pattern": "^(0|[1-9][0-9]*)$"}, "additionalProperties": {"type": "string"}}}}),
            json!({"type": "object", "properties": {"v": {"type": "object", "propertyNames": {"pattern": "^w$"}}}}),
        ];
        let values = [
            json!(null),
            json!(true),
            json!(0),
            json!(1),
            json!(-1),
            json!(1.0),
            json!(1.5),
            json!(0.1),
            json!(9007199254740993_u64),
            json!(-9007199254740993_i64),
            json!(1e300),
            json!("1"),
            json!("ab"),
            json!("äöü"),
            json!([]),
            json!([true]),
            json!([1]),
            json!({}),
            json!({"w": "x"}),
            json!({"w": 1}),
            json!({"0": "x"}),
            json!({"0": "x", "1": "y"}),
            json!({"0": "x", "2": "y"}),
            json!({"01": "x", "1": "y"}),
            json!({"10": "x", "1": 1}),
        ];
        for schema in &schemas {
            let full = crate::validate::compile(schema).unwrap();
            for v in &values {
                let args = json!({"v": v});
                if check(schema.clone(), args.clone()) {
                    assert!(full.is_valid(&args), "{schema} accepted {args}");
                }
            }
        }
    }

    /// A numbered argument (`net_n`) keeps the fast path for the indices numbered.rs writes.
    #[test]
    fn numbered_indices_are_checked_without_the_validator() {
        let schema = json!({"type": "object", "properties": {"scsi_n": {
            "type": "object", "propertyNames": {"pattern": "^([0-9]|[1-2][0-9]|30)$"},
            "minProperties": 1, "additionalProperties": {"type": "string"}
        }}});
        assert!(check(
            schema.clone(),
            json!({"scsi_n": {"0": "a", "30": "b"}})
        ));
        for refused in [
            json!({"scsi_n": {"31": "a"}}),
            json!({"scsi_n": {"01": "a"}}),
            json!({"scsi_n": {}}),
            json!({"scsi_n": {"0": 1}}),
            json!({"scsi_n": "a"}),
        ] {
            assert!(!check(schema.clone(), refused.clone()), "{refused}");
        }
    }

    /// A reference into the tool's `$defs` is checked as the referenced schema, so a tool
    /// whose repeated parts are shared keeps the fast path.
    #[test]
    fn references_into_defs_are_followed() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "object", "properties": {"x": {"$ref": "#/$defs/Mode"}}},
                "b": {"type": "array", "items": {"$ref": "#/$defs/Mode"}},
                "c": {"$ref": "#/$defs/Mode", "description": "Siblings apply too.", "maxLength": 3}
            },
            "additionalProperties": false,
            "$defs": {"Mode": {"type": "string", "enum": ["on", "off", "auto"]}}
        });
        let full = crate::validate::compile(&schema).unwrap();
        for (args, want) in [
            (
                json!({"a": {"x": "on"}, "b": ["off", "auto"], "c": "on"}),
                true,
            ),
            (json!({"a": {"x": "up"}}), false),
            (json!({"b": ["on", 1]}), false),
            (json!({"c": "auto"}), false),
        ] {
            assert_eq!(check(schema.clone(), args.clone()), want, "{args}");
            if want {
                assert!(full.is_valid(&args), "{args}");
            }
        }
    }

    #[test]
    fn unknown_keywords_defer_to_the_validator() {
        for schema in [
            json!({"type": "object", "properties": {"id": {"type": "string", "pattern": "^a"}}}),
            json!({"type": "object", "properties": {"id": {"$ref": "#/$defs/x"}}}),
            json!({"type": "object", "properties": {"id": {"$ref": "#/$defs/x"}}, "$defs": {"x": {"type": "integer"}}}),
            json!({"type": "object", "properties": {"id": {"$ref": "#/$defs/x"}}, "$defs": {"x": {"$ref": "#/$defs/x"}}}),
            json!({"type": "object", "properties": {"id": {"$ref": "#/$defs/a~1b"}}, "$defs": {"a/b": {}}}),
            json!({"type": "object", "properties": {"id": {"$ref": "#/components/x"}}, "$defs": {"x": {}}}),
            json!({"type": "object", "properties": {"id": {"oneOf": [{"type": "string"}]}}}),
            json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}}),
            json!({"type": "object", "patternProperties": {"^a": {}}, "additionalProperties": false}),
        ] {
            assert!(!check(schema.clone(), json!({"id": "abc"})), "{schema}");
        }
        // A keyword on a member the arguments do not use is never reached.
        let schema = json!({"type": "object", "properties": {"p": {"pattern": "^a"}, "id": {}}});
        assert!(check(schema, json!({"id": "abc"})));
    }
}

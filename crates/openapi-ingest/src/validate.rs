//! Argument validation with the `jsonschema` crate, compiled once per schema on first use.

use jsonschema::{Draft, Validator};
use serde_json::{Map, Value};

use crate::error::ArgIssue;

/// Compiles a 2020-12 validator. A schema the engine rejects (typically a `pattern` in a
/// regex dialect it does not support) is retried without `pattern`; `None` when even that fails.
pub(crate) fn compile(schema: &Value) -> Option<Validator> {
    let build = |s: &Value| {
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .build(s)
            .ok()
    };
    build(schema).or_else(|| {
        let mut relaxed = schema.clone();
        strip_patterns(&mut relaxed, 0);
        build(&relaxed)
    })
}

fn strip_patterns(value: &mut Value, depth: usize) {
    if depth > 256 {
        return;
    }
    match value {
        Value::Object(map) => {
            if map.get("pattern").is_some_and(Value::is_string) {
                map.remove("pattern");
            }
            if let Some(Value::Object(pp)) = map.remove("patternProperties") {
                // Keep the member schemas reachable as "any other property" would be too loose;
                // dropping them only loosens validation.
                drop(pp);
            }
            for (_, v) in map.iter_mut() {
                strip_patterns(v, depth + 1);
            }
        }
        Value::Array(items) => {
            for v in items {
                strip_patterns(v, depth + 1);
            }
        }
        _ => {}
    }
}

/// Every problem of `instance` against `validator`, without quoting argument values.
pub(crate) fn issues(validator: &Validator, instance: &Value) -> Vec<ArgIssue> {
    let mut out: Vec<ArgIssue> = Vec::new();
    for error in validator.iter_errors(instance) {
        let mut field = error.instance_path().to_string();
        if let jsonschema::error::ValidationErrorKind::Required { property } = error.kind()
            && let Some(p) = property.as_str()
        {
            crate::refs::push_token(&mut field, p);
        }
        let message = error.masked_with("value").to_string();
        let issue = ArgIssue { field, message };
        if !out.contains(&issue) {
            out.push(issue);
        }
    }
    out
}

/// Arguments as the JSON object the validator sees.
pub(crate) fn as_instance(args: &Map<String, Value>) -> Value {
    Value::Object(args.clone())
}

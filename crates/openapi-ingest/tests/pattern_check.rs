//! Which `pattern`s (and `patternProperties` names) ingest keeps: exactly those the
//! `jsonschema` crate builds a validator for. Checked over every pattern in the corpus
//! (`specs/`) and a list of tricky ones: lookaround, backreferences, `\p{..}`, ECMA-only
//! syntax, flags, huge repetitions and invalid patterns.

use openapi_ingest::{Catalog, IngestOptions, WarningKind, parse_document};
use serde_json::{Map, Value, json};

const SPECS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs");

/// Patterns chosen to reach every branch of the check and of the validator's regex
/// handling.
fn tricky() -> Vec<String> {
    let mut list: Vec<String> = [
        // Plain.
        "",
        "^$",
        "abc",
        "^abc$",
        "^[a-z][a-z0-9-]*$",
        "^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$",
        "^/",
        ".",
        "^.+$",
        "^\\s*$",
        "^[^\\s]+$",
        "^\\b\\w+\\b$",
        "\\B",
        "a|b|",
        "(a|)",
        "^(?:a|b)+?$",
        "^[\\w.-]+@[\\w-]+\\.[a-z]{2,}$",
        "^[A-Z]{2}\\d{2}[A-Z0-9]{1,30}$",
        // Lookaround.
        "^(?=.*[a-z]).+$",
        "^(?!foo).*$",
        "(?<=a)b",
        "(?<!a)b",
        "^(?=.*\\d)(?=.*[A-Z]).{8,}$",
        "^(?! )[a-zA-Z0-9. _-]+(?<! )$",
        "^(?!\\s*$).+",
        "(?=a)(?!b)",
        "(?=",
        "(?!a",
        "a(?=b",
        "(?<=a+)b",
        "(?<=\\1)(a)",
        // Backreferences.
        "^(a)\\1$",
        "(?<n>a)\\k<n>",
        "\\k<n>(?<n>a)",
        "(a)\\2",
        "\\1",
        "\\8",
        "(a)\\10",
        "\\k<missing>",
        "\\k",
        // Unicode properties.
        "^\\p{L}+$",
        "\\p{Lu}",
        "\\P{N}",
        "\\p{Letter}",
        "\\pL",
        "\\p{Script=Greek}",
        "\\p{sc=Latn}",
        "\\p{Foo}",
        "\\p{}",
        "\\p",
        "[\\p{L}\\d]",
        "\\p{L}{500}",
        "(?i)\\p{Lu}",
        "\\p{Emoji}",
        "\\p{ASCII}",
        "\\p{Any}",
        // ECMA-only or differently spelt syntax.
        "\\cA",
        "\\cJ",
        "\\c",
        "\\c1",
        "\\u00e9",
        "\\u{1F600}",
        "\\x41",
        "\\x4",
        "[\\b]",
        "\\0",
        "\\/",
        "[^]",
        "[]",
        "\\d\\D\\w\\W\\s\\S",
        "a{,3}",
        "a{",
        "a{1",
        "a{1,",
        "{",
        "}",
        "]",
        "x{2}{3}",
        "(?<name>x)",
        "(?P<name>x)",
        "(?<1>a)",
        "(?<n>a)(?<n>b)",
        "$^",
        "\\a",
        "\\e",
        "\\z",
        "\\A",
        "\\Z",
        "\\h",
        "\\K",
        "\\G",
        "\\Q.\\E",
        "\\v",
        "\\f",
        "\\t\\n\\r",
        "\\uD83D\\uDE00",
        "[\\uD800-\\uDFFF]",
        "^[\\u0000-\\uFFFF]*$",
        "^\u{e9}+$",
        "\u{1F600}",
        "[a-\\d]",
        "[\\d-z]",
        "[\\w--z]",
        "[a&&b]",
        "[a--b]",
        "[a~~b]",
        "[[:alpha:]]",
        "[[:foo:]]",
        "[[a]]",
        "[a-]",
        "[-a]",
        "[\\]]",
        "[\\\\]",
        "[\\-]",
        "\\-",
        "\\_",
        "\\ ",
        "[\\s\\S]",
        "[^\\n\\r]",
        // Possessive, atomic, conditionals, comments.
        "a*+",
        "a++",
        "a?+",
        "(?>a)",
        "(?(1)a|b)",
        "(?#comment)a",
        "(?:a)*",
        // Inline flags.
        "(?i)abc",
        "(?x) a b",
        "(?s).",
        "(?m)^a$",
        "(?-u:\\xFF)",
        "(?u)\\w",
        "(?U)a*",
        "(?i-s:a)",
        "(?y)a",
        "(?",
        // Invalid.
        "[",
        "(",
        ")",
        "a{2,1}",
        "*a",
        "+",
        "?",
        "a**",
        "[z-a]",
        "\\",
        "a\\",
        "(?:",
        "(a",
        "a)",
        "|*",
        "^*",
        "$+",
        "\\b+",
        "(?i",
        // Large.
        "^.{0,65535}$",
        "^[\\s\\S]{1,100000}$",
        "^\\w{1000}{1000}$",
        "(a{1000}){1000}",
        "^.{1,9999}$",
        "x{4294967295}",
        "x{4294967296}",
        "^[a-z]{1,10000}$",
        "\\w{100000}",
        "(?:\\p{L}|\\d){2000}",
        "^(?=.{1,64}$)[a-z]+$",
        "^(?=a{1000}{1000})",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // Deep nesting around the parsers' limits.
    for depth in [200, 249, 250, 251, 300, 1000] {
        list.push(format!("{}a{}", "(".repeat(depth), ")".repeat(depth)));
        list.push(format!("{}a{}", "(?:".repeat(depth), ")".repeat(depth)));
    }
    list
}

/// Every `pattern` value and `patternProperties` name in `doc` outside examples.
fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("pattern", Value::String(p)) => out.push(p.clone()),
                    ("patternProperties", Value::Object(pp)) => out.extend(pp.keys().cloned()),
                    ("example" | "examples", _) => continue,
                    _ => {}
                }
                collect(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

fn corpus_patterns() -> Vec<String> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(SPECS)
        .expect("specs dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "yaml"))
        .collect();
    entries.sort();
    assert!(entries.len() >= 17, "the corpus is incomplete");
    for path in entries {
        let bytes = std::fs::read(&path).expect("spec readable");
        let doc = parse_document(&bytes).expect("spec parses");
        collect(&doc, &mut out);
    }
    out
}

fn builds(schema: &Value) -> bool {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .is_ok()
}

/// What ingest keeps of each pattern: one body property per pattern, as `pattern` and as
/// the only `patternProperties` name of a nested object.
fn kept(patterns: &[String]) -> Vec<(bool, bool)> {
    let mut properties = Map::new();
    for (i, p) in patterns.iter().enumerate() {
        properties.insert(format!("p{i}"), json!({"type": "string", "pattern": p}));
        properties.insert(
            format!("q{i}"),
            json!({"type": "object", "patternProperties": {p: {"type": "string"}}}),
        );
    }
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "patterns", "version": "1"},
        "paths": {"/x": {"post": {
            "operationId": "x",
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "properties": properties
            }}}},
            "responses": {"204": {"description": "done"}}
        }}}
    });
    let catalog = Catalog::from_value(&doc, &IngestOptions::default()).expect("ingests");
    let tool = &catalog.tools()[0];
    let props = &tool.input_schema()["properties"];
    let dropped = catalog
        .warnings()
        .iter()
        .filter(|w| w.kind == WarningKind::InvalidKeyword)
        .count();
    let result: Vec<(bool, bool)> = (0..patterns.len())
        .map(|i| {
            let pattern = props[format!("p{i}")].get("pattern").is_some();
            let names = props[format!("q{i}")]
                .get("patternProperties")
                .and_then(Value::as_object)
                .is_some_and(|m| m.len() == 1);
            (pattern, names)
        })
        .collect();
    let refused = result
        .iter()
        .map(|(a, b)| usize::from(!a) + usize::from(!b));
    assert_eq!(
        refused.sum::<usize>(),
        dropped,
        "one warning per dropped pattern"
    );
    result
}

fn check(patterns: &[String]) -> usize {
    let mut unique: Vec<String> = patterns.to_vec();
    unique.sort();
    unique.dedup();
    let kept = kept(&unique);
    let mut wrong = Vec::new();
    for (p, (pattern, names)) in unique.iter().zip(kept) {
        let want_pattern = builds(&json!({"pattern": p}));
        let want_names = builds(&json!({"patternProperties": {p: {"type": "string"}}}));
        if pattern != want_pattern || names != want_names {
            wrong.push(format!(
                "{p:?}: kept as pattern {pattern} (validator: {want_pattern}), \
                 as patternProperties name {names} (validator: {want_names})"
            ));
        }
    }
    assert!(wrong.is_empty(), "disagreements:\n{}", wrong.join("\n"));
    unique.len()
}

#[test]
fn corpus_patterns_are_kept_exactly_when_the_validator_accepts_them() {
    let n = check(&corpus_patterns());
    assert!(n > 200, "only {n} distinct patterns found in the corpus");
}

#[test]
fn tricky_patterns_are_kept_exactly_when_the_validator_accepts_them() {
    check(&tricky());
}

#[test]
fn tools_with_kept_patterns_validate() {
    // A kept pattern works in the tool's own validator: it accepts and rejects by it.
    let doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/v/{id}": {"get": {
            "operationId": "get",
            "parameters": [
                {"name": "id", "in": "path", "required": true,
                 "schema": {"type": "string", "pattern": "^[a-z]+\\d?$"}},
                {"name": "pw", "in": "query",
                 "schema": {"type": "string", "pattern": "^(?=.*\\d).{4,}$"}},
                {"name": "bad", "in": "query", "schema": {"type": "string", "pattern": "(a"}}
            ],
            "responses": {"200": {"description": "ok"}}
        }}}
    });
    let catalog = Catalog::from_value(&doc, &IngestOptions::default()).expect("ingests");
    let tool = &catalog.tools()[0];
    assert!(tool.input_validator_compiles());
    let args = |v: Value| v.as_object().cloned().expect("object");
    assert!(
        tool.validate(&args(json!({"id": "abc1", "pw": "ab1c"})))
            .is_ok()
    );
    assert!(tool.validate(&args(json!({"id": "ABC"}))).is_err());
    assert!(
        tool.validate(&args(json!({"id": "abc", "pw": "abcd"})))
            .is_err()
    );
    assert!(
        tool.validate(&args(json!({"id": "abc", "bad": "(a"})))
            .is_ok()
    );
    assert!(
        tool.input_schema()["properties"]["bad"]
            .get("pattern")
            .is_none()
    );
}

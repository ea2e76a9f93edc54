//! `cargo xtask list-size`: what tools/list costs in bytes on real documents, against the
//! naive generator of `bench/naive.rs` (one tool per operation, every `$ref` inlined).
//!
//! For each document it runs `pxcloud-mcp tools --spec-file FILE --json` (the tools as
//! tools/list shows them), builds the naive tool of every listed operation, and prints both
//! sizes, the descriptions of the document that ours lost, the bytes per top-level member of
//! ours, and the bytes per schema keyword of both input schemas (where the difference is).
//! `--tool NAME` prints one tool both ways instead, for diffing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::args::Args;
use crate::bench::{self, naive};
use crate::{build, workspace};

/// The documents measured when no `--spec` is given (the simulator's own is added to them):
/// the big ones, and Proxmox VE's, the API PXCloud manages (its property strings).
const DEFAULT_SPECS: [&str; 5] = [
    "github-rest-v3-2021.json",
    "openai.json",
    "proxmox-ve.json",
    "stripe-2020-08-27.json",
    "vmware-vsphere-vcenter-swagger2.json",
];
/// The name the simulator's document is shown under.
const SIM: &str = "pxcloud-sim (--print-spec)";
/// Keywords whose value is a map of schemas.
const SCHEMA_MAPS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// Keywords whose value is one schema.
const SCHEMA_SLOTS: [&str; 10] = [
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
];
/// Keywords whose value is a list of schemas.
const SCHEMA_LISTS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];
/// Bytes of `{`, `}` and `,` of the schema objects.
const STRUCTURE: &str = "({ } ,)";
/// Bytes of the property (and `$defs`) names with their quotes and colon.
const NAMES: &str = "(member names)";

/// Runs the task.
pub(crate) fn run(argv: &[String]) -> Result<bool> {
    let mut args = Args::new(argv);
    let specs = args.values("--spec")?;
    let tool = args.value("--tool")?;
    let out_dir = args.value("--out-dir")?.map(PathBuf::from);
    let release = args.switch("--release");
    let server = args.value("--server-bin")?.map(PathBuf::from);
    args.finish()?;
    if out_dir.is_some() && tool.is_none() {
        bail!("--out-dir goes with --tool");
    }
    let server = match server {
        Some(path) => path,
        None => build::binary("pxcloud-mcp", "pxcloud-mcp", release)?,
    };
    let documents: Vec<Document> = if specs.is_empty() {
        let dir = workspace::root().join("specs");
        let mut list: Vec<Document> = DEFAULT_SPECS
            .iter()
            .map(|name| Document::file(dir.join(name)))
            .collect();
        list.push(Document::simulator()?);
        list
    } else {
        specs
            .iter()
            .map(|s| Document::file(PathBuf::from(s)))
            .collect()
    };

    let mut totals = (0_usize, 0_usize, 0_usize);
    let mut found = false;
    for document in &documents {
        let spec = document.spec()?;
        let tools = listed(&server, &document.path)?;
        if let Some(name) = &tool {
            found |= show_tool(&spec, &tools, name, &document.name, out_dir.as_deref())?;
            continue;
        }
        let compared = bench::compare(&spec, &tools);
        totals.0 += compared.ours_bytes;
        totals.1 += compared.naive_bytes;
        totals.2 += compared.lost.len();
        report(&document.name, &spec, &tools, &compared);
    }
    if let Some(name) = &tool {
        if !found {
            bail!("no listed tool is called {name:?} or has that operationId");
        }
        return Ok(true);
    }
    if documents.len() > 1 {
        println!(
            "all: ours {} B vs naive {} B = {}, {} missing description(s)",
            thousands(totals.0),
            thousands(totals.1),
            percent(totals.0, totals.1),
            totals.2
        );
    }
    Ok(totals.2 == 0)
}

/// One document to measure: a file, or the simulator's (written to a file for the server).
struct Document {
    name: String,
    path: PathBuf,
}

impl Document {
    fn file(path: PathBuf) -> Self {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Document { name, path }
    }

    fn simulator() -> Result<Self> {
        let path = workspace::cache_dir()?.join("list-size-pxcloud-sim.json");
        std::fs::write(&path, pxcloud_sim::openapi_json())
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Document {
            name: SIM.to_owned(),
            path,
        })
    }

    /// The document as JSON (the naive generator reads JSON only).
    fn spec(&self) -> Result<Value> {
        let text = std::fs::read_to_string(&self.path)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        let yaml = self
            .path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        if yaml {
            serde_norway::from_str(&text)
                .with_context(|| format!("{} is not a YAML document", self.path.display()))
        } else {
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a JSON document", self.path.display()))
        }
    }
}

/// `pxcloud-mcp tools --spec-file FILE --json`: the tools as tools/list shows them.
fn listed(server: &Path, spec: &Path) -> Result<Vec<Value>> {
    let (listed, _) = bench::tools_json(server, spec)?;
    match listed {
        Value::Array(tools) => Ok(tools),
        _ => bail!("tools --json printed no JSON array"),
    }
}

fn report(name: &str, spec: &Value, tools: &[Value], compared: &bench::Compared) {
    println!(
        "{name}: ours {} B vs naive {} B = {} ({} tools listed, {} operations compared), {} missing description(s)",
        thousands(compared.ours_bytes),
        thousands(compared.naive_bytes),
        percent(compared.ours_bytes, compared.naive_bytes),
        tools.len(),
        compared.ops,
        compared.lost.len()
    );
    for lost in &compared.lost {
        println!("  missing: {}", shorten(lost, 160));
    }
    let ours: Vec<Value> = tools
        .iter()
        .filter(|t| operation(t).is_some())
        .cloned()
        .collect();
    let naive_tools: Vec<Value> = ours
        .iter()
        .filter_map(|t| operation(t).and_then(|(m, p)| naive::naive_tool(spec, m, p)))
        .collect();
    for (which, tools) in [("ours", &ours), ("naive", &naive_tools)] {
        let members = bench::composition(tools);
        let total: usize = members.iter().map(|(_, n)| n).sum();
        let split: Vec<String> = members
            .iter()
            .map(|(member, n)| format!("{member} {} ({})", thousands(*n), percent(*n, total)))
            .collect();
        println!("  {which} by member: {}", split.join(", "));
    }
    print_keywords(&ours, &naive_tools, 14);
}

/// `(method, path)` of a listed catalog tool.
fn operation(tool: &Value) -> Option<(&str, &str)> {
    Some((
        tool.pointer("/_meta/method")?.as_str()?,
        tool.pointer("/_meta/path")?.as_str()?,
    ))
}

/// The bytes of the input schemas per keyword, ours against naive, largest difference first.
fn print_keywords(ours: &[Value], naive_tools: &[Value], rows: usize) {
    let mut a = BTreeMap::new();
    let mut b = BTreeMap::new();
    for tool in ours {
        if let Some(schema) = tool.get("inputSchema") {
            keyword_bytes(schema, &mut a);
        }
    }
    for tool in naive_tools {
        if let Some(schema) = tool.get("inputSchema") {
            keyword_bytes(schema, &mut b);
        }
    }
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let get = |m: &BTreeMap<String, usize>, k: &str| m.get(k).copied().unwrap_or(0);
    keys.sort_by_key(|k| std::cmp::Reverse((get(&a, k) as i64 - get(&b, k) as i64).unsigned_abs()));
    let (sum_a, sum_b): (usize, usize) = (a.values().sum(), b.values().sum());
    println!(
        "  inputSchema bytes by keyword, ours / naive (total {} / {}):",
        thousands(sum_a),
        thousands(sum_b)
    );
    let shown = keys.len().min(rows);
    for key in &keys[..shown] {
        let (x, y) = (get(&a, key), get(&b, key));
        let diff = x as i64 - y as i64;
        println!(
            "    {key:<24} {:>11} / {:>11}  {}{}",
            thousands(x),
            thousands(y),
            if diff >= 0 { "+" } else { "-" },
            thousands(diff.unsigned_abs() as usize)
        );
    }
    if keys.len() > shown {
        let rest: Vec<&str> = keys[shown..].iter().map(|k| k.as_str()).collect();
        println!("    (also: {})", shorten(&rest.join(", "), 300));
    }
}

/// Adds the compact-JSON bytes of `schema` to `out` by the keyword they belong to: a keyword
/// whose value is data (`description`, `enum`, `type`, …) counts whole; one that holds schemas
/// counts its name and brackets, and the schemas inside count by their own keywords. The sum
/// of all entries is the length of `schema.to_string()`.
pub(crate) fn keyword_bytes(schema: &Value, out: &mut BTreeMap<String, usize>) {
    fn add(out: &mut BTreeMap<String, usize>, key: &str, n: usize) {
        *out.entry(key.to_owned()).or_default() += n;
    }
    let Value::Object(map) = schema else {
        add(out, "(boolean schema)", schema.to_string().len());
        return;
    };
    add(out, STRUCTURE, 2 + map.len().saturating_sub(1));
    for (key, value) in map {
        let label = json_len(key) + 1;
        let k = key.as_str();
        match value {
            Value::Object(members) if SCHEMA_MAPS.contains(&k) => {
                add(out, k, label);
                add(out, STRUCTURE, 2 + members.len().saturating_sub(1));
                for (name, member) in members {
                    add(out, NAMES, json_len(name) + 1);
                    keyword_bytes(member, out);
                }
            }
            Value::Object(_) | Value::Bool(_) if SCHEMA_SLOTS.contains(&k) => {
                add(out, k, label);
                keyword_bytes(value, out);
            }
            Value::Array(items) if SCHEMA_LISTS.contains(&k) => {
                add(out, k, label + 2 + items.len().saturating_sub(1));
                for item in items {
                    keyword_bytes(item, out);
                }
            }
            _ => add(out, k, label + value.to_string().len()),
        }
    }
}

fn json_len(text: &str) -> usize {
    Value::from(text).to_string().len()
}

/// Prints (or writes) one tool as ours and as the naive generator makes it; `false` when
/// the document lists no such tool.
fn show_tool(
    spec: &Value,
    tools: &[Value],
    name: &str,
    document: &str,
    out_dir: Option<&Path>,
) -> Result<bool> {
    let Some(ours) = tools.iter().find(|t| {
        t.get("name").and_then(Value::as_str) == Some(name)
            || t.pointer("/_meta/operationId").and_then(Value::as_str) == Some(name)
    }) else {
        return Ok(false);
    };
    let naive_tool = operation(ours).and_then(|(m, p)| naive::naive_tool(spec, m, p));
    let tool_name = ours.get("name").and_then(Value::as_str).unwrap_or(name);
    let ours_text = serde_json::to_string_pretty(ours)?;
    let naive_text = match &naive_tool {
        Some(tool) => serde_json::to_string_pretty(tool)?,
        None => "(no operation of the document: not a catalog tool)".to_owned(),
    };
    println!(
        "{document}: {tool_name}: ours {} B, naive {} B (compact)",
        thousands(ours.to_string().len()),
        thousands(naive_tool.as_ref().map_or(0, |t| t.to_string().len()))
    );
    for text in naive_tool
        .as_ref()
        .map(|n| naive::lost_descriptions(n, ours))
        .unwrap_or_default()
    {
        println!("  missing: {}", shorten(&text, 160));
    }
    for (which, tool) in [
        ("ours", std::slice::from_ref(ours)),
        ("naive", naive_tool.as_slice()),
    ] {
        let members = bench::composition(tool);
        let split: Vec<String> = members
            .iter()
            .map(|(member, n)| format!("{member} {}", thousands(*n)))
            .collect();
        println!("  {which} by member: {}", split.join(", "));
    }
    print_keywords(
        std::slice::from_ref(ours),
        naive_tool.as_slice(),
        usize::MAX,
    );
    match out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for (which, text) in [("ours", &ours_text), ("naive", &naive_text)] {
                let path = dir.join(format!("{tool_name}.{which}.json"));
                std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("  wrote {}", path.display());
            }
        }
        None => println!("== ours ==\n{ours_text}\n== naive ==\n{naive_text}"),
    }
    Ok(true)
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "n/a".to_owned();
    }
    format!("{:.1} %", part as f64 * 100.0 / whole as f64)
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn shorten(text: &str, max: usize) -> String {
    let one = crate::text::one_line(text);
    match one.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &one[..cut]),
        None => one,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keyword_bytes_add_up_to_the_compact_json() {
        let schema = json!({
            "type": "object",
            "description": "A \"quoted\" thing.",
            "properties": {
                "a": {"type": "string", "enum": ["x", "y"]},
                "b\"c": {"type": "array", "items": {"$ref": "#/$defs/B"}},
                "d": {"anyOf": [{"type": "string"}, true], "additionalProperties": false},
                "e": {}
            },
            "required": ["a"],
            "$defs": {"B": {"type": "integer", "minimum": 0}}
        });
        let mut split = BTreeMap::new();
        keyword_bytes(&schema, &mut split);
        assert_eq!(split.values().sum::<usize>(), schema.to_string().len());
        assert_eq!(
            split["description"],
            r#""description":"A \"quoted\" thing.""#.len()
        );
        assert_eq!(split["enum"], r#""enum":["x","y"]"#.len());
        assert_eq!(split["$defs"], r#""$defs":"#.len());
    }

    #[test]
    fn numbers_are_readable() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_058_053), "1,058,053");
        assert_eq!(percent(1, 2), "50.0 %");
        assert_eq!(percent(1, 0), "n/a");
        assert_eq!(shorten("a  b\nc", 3), "a b…");
    }
}

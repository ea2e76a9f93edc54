//! Prints a catalog as MCP `tools/list` would show it.
//!
//! ```text
//! cargo run -p openapi-ingest --example catalog -- --spec-file specs/oai-petstore-3.0.json --json
//! ```
//! Without `--json` it prints one line per tool and the warnings. `--prefix P` changes the
//! name prefix.

use std::process::ExitCode;

use openapi_ingest::{Catalog, IngestOptions, Tool};
use serde_json::{Map, Value, json};

fn main() -> ExitCode {
    let mut spec_file = None;
    let mut as_json = false;
    let mut opts = IngestOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--spec-file" => spec_file = args.next(),
            "--json" => as_json = true,
            "--prefix" => opts.prefix = args.next().unwrap_or_default(),
            other => {
                eprintln!(
                    "unknown argument {other:?}; usage: catalog --spec-file FILE [--json] [--prefix P]"
                );
                return ExitCode::from(2);
            }
        }
    }
    let Some(spec_file) = spec_file else {
        eprintln!("usage: catalog --spec-file FILE [--json] [--prefix P]");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&spec_file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {spec_file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let catalog = match Catalog::from_slice(&bytes, &opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{spec_file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if as_json {
        let tools: Vec<Value> = catalog.tools().iter().map(listed).collect();
        let out = json!({ "tools": tools });
        match serde_json::to_string_pretty(&out) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("cannot print: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        for t in catalog.tools() {
            println!("{:<48} {:<7} {}", t.name(), t.method().as_str(), t.path());
        }
        println!("{} tools", catalog.tools().len());
    }
    for w in catalog.warnings() {
        eprintln!("warning: {w}");
    }
    ExitCode::SUCCESS
}

/// One tool as MCP `tools/list` shows it.
fn listed(tool: &Tool) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), Value::from(tool.name()));
    if let Some(title) = tool.title() {
        m.insert("title".into(), Value::from(title));
    }
    m.insert("description".into(), Value::from(tool.description()));
    m.insert("inputSchema".into(), tool.input_schema().clone());
    if let Some(out) = tool.output_schema() {
        m.insert("outputSchema".into(), out.clone());
    }
    let method = tool.method();
    m.insert(
        "annotations".into(),
        json!({
            "readOnlyHint": method.is_read_only(),
            "destructiveHint": matches!(method, openapi_ingest::Method::Delete),
            "idempotentHint": method.is_idempotent(),
            "openWorldHint": true,
        }),
    );
    Value::Object(m)
}

//! Fuzz target: any bytes (mutated OpenAPI documents, JSON or YAML) must ingest without a
//! panic or a stack overflow, and every tool must build requests and validate arguments
//! without panicking.
//!
//! ```text
//! cd crates/openapi-ingest/fuzz
//! mkdir -p corpus/ingest && cp ../../../specs/oai-*.json ../../../specs/swagger-petstore-3.1.json corpus/ingest/
//! RUSTC_BOOTSTRAP=1 cargo fuzz run ingest -- -max_total_time=600 -max_len=65536
//! ```
#![no_main]

use libfuzzer_sys::fuzz_target;
use openapi_ingest::{Catalog, IngestOptions};
use serde_json::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(catalog) = Catalog::from_slice(data, &IngestOptions::default()) else {
        return;
    };
    let _ = catalog.tags();
    for warning in catalog.warnings() {
        let _ = warning.to_string();
    }
    for tool in catalog.tools().iter().take(16) {
        assert!(openapi_ingest::is_valid_tool_name(tool.name()));
        assert!(catalog.get(tool.name()).is_some());
        let _ = tool.request(&Map::new());
        // Every declared argument with awkward values of several types.
        let mut args = Map::new();
        let mut typed = Map::new();
        if let Some(Value::Object(props)) = tool.input_schema().get("properties") {
            for (i, name) in props.keys().enumerate() {
                args.insert(name.clone(), Value::from("../a/b?c=d#e%"));
                let v = match i % 4 {
                    0 => Value::from(7),
                    1 => serde_json::json!(["x", 1, null]),
                    2 => serde_json::json!({"k": {"n": [true]}}),
                    _ => Value::Null,
                };
                typed.insert(name.clone(), v);
            }
        }
        for a in [&args, &typed] {
            let _ = tool.validate(a);
            if let Ok(r) = tool.request_unchecked(a) {
                let _ = r.path_and_query();
                let _ = format!("{r:?}");
            }
        }
        if tool.output_schema().is_some() {
            let _ = tool.structured_content(&Value::Null);
        }
    }
});

//! Proxmox VE's property strings: a `format` that is an object of keys (each with its own
//! description) reaches the tool as words in the argument's description, never as a `format`.
//!
//! The snippets are from `specs/proxmox-ve.json` (ramphy/proxmox-api `openapi.json` at
//! `bea50b93`), `POST /nodes/{node}/qemu`: `numa[n]` whole, `ide[n]` and `sata[n]` cut to a
//! few of their keys.

use openapi_ingest::{Catalog, IngestOptions, WarningKind};
use serde_json::{Value, json};

use crate::support::{SPECS, doc30, ingest, spec_bytes};

fn numa() -> Value {
    json!({
        "name": "numa[n]", "in": "query", "description": "NUMA topology.", "required": false,
        "schema": {"type": "string", "format": {
            "cpus": {"description": "CPUs accessing this NUMA node.", "format_description": "id[-id];...",
                     "pattern": "(?^:\\d+(?:-\\d+)?(?:;\\d+(?:-\\d+)?)*)", "type": "string"},
            "hostnodes": {"description": "Host NUMA nodes to use.", "format_description": "id[-id];...",
                          "optional": 1, "pattern": "(?^:\\d+(?:-\\d+)?(?:;\\d+(?:-\\d+)?)*)", "type": "string"},
            "memory": {"description": "Amount of memory this NUMA node provides.", "optional": 1, "type": "number"},
            "policy": {"description": "NUMA allocation policy.", "enum": ["preferred", "bind", "interleave"],
                       "optional": 1, "type": "string"}
        }}
    })
}

fn drive(name: &str, description: &str) -> Value {
    json!({
        "name": name, "in": "query", "description": description, "required": false,
        "schema": {"type": "string", "format": {
            "backup": {"description": "Whether the drive should be included when making backups.",
                       "optional": 1, "type": "boolean"},
            "file": {"default_key": 1, "description": "The drive's backing volume.",
                     "format": "pve-volume-id-or-qm-path", "format_description": "volume", "type": "string"},
            "media": {"default": "disk", "description": "The drive's media type.", "enum": ["cdrom", "disk"],
                      "optional": 1, "type": "string"},
            "ssd": {"description": "Whether to expose this drive as an SSD, rather than a rotational hard disk.",
                    "optional": 1, "type": "boolean"},
            "volume": {"alias": "file"}
        }}
    })
}

fn create_vm(parameters: Value) -> Catalog {
    ingest(&doc30(
        "/nodes/{node}/qemu",
        json!({"post": {"parameters": parameters, "responses": {"200": {"description": "ok"}}}}),
    ))
}

fn argument<'a>(catalog: &'a Catalog, name: &str) -> &'a Value {
    &catalog.tools()[0].input_schema()["properties"][name]
}

/// The schema of each value of a numbered argument (`numa_n` for `numa0`, `numa1`, …).
fn each<'a>(catalog: &'a Catalog, name: &str) -> &'a Value {
    &argument(catalog, name)["additionalProperties"]
}

#[test]
fn property_string_keys_go_into_the_description() {
    let c = create_vm(json!([numa()]));
    assert_eq!(
        each(&c, "numa_n"),
        &json!({"type": "string", "description": "NUMA topology.\n\n\
            Comma-separated key=value pairs:\n\
            cpus=<id[-id];...> (required): CPUs accessing this NUMA node.\n\
            hostnodes=<id[-id];...>: Host NUMA nodes to use.\n\
            memory=<number>: Amount of memory this NUMA node provides.\n\
            policy=<preferred|bind|interleave>: NUMA allocation policy."})
    );
    // Nothing was dropped, so nothing is reported about `format` (the Perl patterns inside
    // are the keys' own and never reach a schema).
    assert!(
        !c.warnings().iter().any(|w| w.pointer.ends_with("/format")),
        "{:?}",
        c.warnings()
    );
}

#[test]
fn keys_an_earlier_argument_said_are_named_not_repeated() {
    let c = create_vm(json!([
        drive(
            "ide[n]",
            "Use volume as IDE hard disk or CD-ROM (n is 0 to 3)."
        ),
        drive(
            "sata[n]",
            "Use volume as SATA hard disk or CD-ROM (n is 0 to 5)."
        )
    ]));
    assert_eq!(
        each(&c, "ide_n")["description"],
        "Use volume as IDE hard disk or CD-ROM (n is 0 to 3).\n\n\
         Comma-separated key=value pairs:\n\
         [file=]<volume> (required): The drive's backing volume.\n\
         backup=<1|0>: Whether the drive should be included when making backups.\n\
         media=<cdrom|disk> (default disk): The drive's media type.\n\
         ssd=<1|0>: Whether to expose this drive as an SSD, rather than a rotational hard disk.\n\
         volume: another name for file."
    );
    assert_eq!(
        each(&c, "sata_n")["description"],
        "Use volume as SATA hard disk or CD-ROM (n is 0 to 5).\n\n\
         Comma-separated key=value pairs:\n\
         file, backup, media, ssd, volume: as in ide_n."
    );
}

/// A Swagger 2.0 parameter carries its schema keywords itself; its description and the keys
/// both stay.
#[test]
fn a_swagger2_parameter_keeps_its_description_and_keys() {
    let mut parameter = numa();
    let schema = parameter["schema"].take();
    let map = parameter.as_object_mut().expect("object");
    map.remove("schema");
    for (k, v) in schema.as_object().expect("object") {
        map.insert(k.clone(), v.clone());
    }
    let c = ingest(&json!({
        "swagger": "2.0", "info": {"title": "t", "version": "1"},
        "paths": {"/nodes/{node}/qemu": {"post": {"parameters": [parameter],
            "responses": {"200": {"description": "ok"}}}}}
    }));
    let text = each(&c, "numa_n")["description"]
        .as_str()
        .expect("a description");
    assert!(
        text.starts_with("NUMA topology.\n\nComma-separated key=value pairs:\ncpus="),
        "{text}"
    );
}

#[test]
fn outputs_name_the_keys_and_a_format_without_keys_is_dropped_with_a_warning() {
    let c = ingest(&doc30(
        "/nodes/{node}/qemu/{vmid}/config",
        json!({"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"type": "object", "properties": {
                "numa[n]": numa()["schema"].clone(),
                "odd": {"type": "string", "description": "Odd.", "format": {"x": 1}}
            }}
        }}}}}}),
    ));
    let output = c.tools()[0].output_schema().expect("an output schema");
    assert_eq!(
        output["patternProperties"]["^numa(0|[1-9][0-9]*)$"],
        json!({"type": "string", "description":
            "Comma-separated key=value pairs; keys: cpus, hostnodes, memory, policy."})
    );
    assert_eq!(
        output["properties"]["odd"],
        json!({"type": "string", "description": "Odd."})
    );
    assert!(
        c.warnings().iter().any(|w| {
            w.kind == WarningKind::InvalidKeyword && w.pointer.ends_with("/odd/format")
        })
    );
}

/// What `cargo xtask list-size` found lost on proxmox-ve.json (394 descriptions): every key's
/// description of every property-string argument is in its tool, and no schema of any tool
/// has a `format` that is not a string.
#[test]
fn every_proxmox_key_description_reaches_its_tool() {
    let bytes = spec_bytes("proxmox-ve.json");
    let doc: Value = serde_json::from_slice(&bytes).expect("JSON");
    let catalog = Catalog::from_slice(&bytes, &IngestOptions::default()).expect("proxmox");
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut checked = 0;
    for tool in catalog.tools() {
        let input = tool.input_schema();
        assert!(
            !has_object_format(input),
            "{}: a format object is left",
            tool.name()
        );
        let text = words(&strings(input).join("\n"));
        let operation = &doc["paths"][tool.path()][tool.method().as_str().to_ascii_lowercase()];
        let parameters = operation["parameters"].as_array().into_iter().flatten();
        for parameter in parameters {
            let Some(keys) = parameter["schema"]["format"].as_object() else {
                continue;
            };
            for (key, spec) in keys {
                if let Some(description) = spec["description"].as_str() {
                    assert!(
                        text.contains(&words(description)),
                        "{} {}: key {key:?} of {} lost",
                        tool.method(),
                        tool.path(),
                        parameter["name"]
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(
        checked, 800,
        "keys of property strings in {SPECS}/proxmox-ve.json"
    );
}

/// `true` when a schema in `schema` has a `format` that is not a string.
fn has_object_format(schema: &Value) -> bool {
    let Value::Object(map) = schema else {
        return false;
    };
    map.iter().any(|(k, v)| match (k.as_str(), v) {
        ("format", v) => !v.is_string(),
        ("properties" | "patternProperties" | "$defs" | "dependentSchemas", Value::Object(m)) => {
            m.values().any(has_object_format)
        }
        (_, Value::Array(items)) => items.iter().any(has_object_format),
        (_, v) => has_object_format(v),
    })
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

//! Proxmox VE's numbered parameters (`net[n]` for `net0`, `net1`, …): one object argument per
//! family, keyed by the index, and one query parameter per entry; in output schemas, a
//! `patternProperties` entry that matches the members.
//!
//! The parameters are from `specs/proxmox-ve.json` (`POST /nodes/{node}/qemu` and
//! `POST /cluster/config`), their property-string keys left out.

use openapi_ingest::{Catalog, IngestOptions, Tool};
use serde_json::{Value, json};

use crate::support::{args, doc30, ingest, spec_bytes};

fn create_vm() -> Catalog {
    ingest(&doc30(
        "/nodes/{node}/qemu",
        json!({"post": {"parameters": [
            {"name": "node", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "numa", "in": "query", "description": "Enable NUMA.",
             "schema": {"type": "boolean"}},
            {"name": "numa[n]", "in": "query", "description": "NUMA topology.",
             "schema": {"type": "string"}},
            {"name": "scsi[n]", "in": "query",
             "description": "Use volume as SCSI hard disk or CD-ROM (n is 0 to 30).",
             "schema": {"type": "string"}},
            {"name": "link[n]", "in": "query",
             "description": "Address and priority information of a single corosync link. (up to 8 links supported; link0..link7)",
             "schema": {"type": "string"}}
        ], "responses": {"200": {"description": "ok"}}}}),
    ))
}

fn query(tool: &Tool, arguments: Value) -> Vec<(String, String)> {
    tool.request(&args(arguments)).expect("request").query
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The error text of a call that must fail.
fn refused(tool: &Tool, arguments: Value) -> String {
    tool.request(&args(arguments))
        .expect_err("invalid arguments")
        .to_string()
}

#[test]
fn a_numbered_family_is_one_object_argument_keyed_by_index() {
    let c = create_vm();
    let input = c.tools()[0].input_schema();
    assert_eq!(
        input["properties"]["scsi_n"],
        json!({
            "type": "object",
            "description": "By index: {\"0\": …, \"1\": …} sends scsi0, scsi1.",
            "propertyNames": {"pattern": "^([0-9]|[1-2][0-9]|30)$"},
            "additionalProperties": {
                "type": "string",
                "description": "Use volume as SCSI hard disk or CD-ROM (n is 0 to 30)."
            }
        })
    );
    // Proxmox has both `numa` (a switch) and `numa[n]` (the nodes): two arguments.
    assert_eq!(input["properties"]["numa"]["type"], "boolean");
    assert_eq!(
        input["properties"]["numa_n"]["propertyNames"],
        json!({"pattern": "^(0|[1-9][0-9]*)$"})
    );
    assert_eq!(
        input["properties"]["link_n"]["propertyNames"],
        json!({"pattern": "^[0-7]$"})
    );
}

#[test]
fn each_entry_is_sent_as_its_numbered_parameter_in_index_order() {
    let c = create_vm();
    let t = &c.tools()[0];
    assert_eq!(
        query(
            t,
            json!({"node": "pve", "numa": true,
                   "scsi_n": {"10": "local:8", "2": "local:32,ssd=1", "0": "local:4"},
                   "numa_n": {"0": "cpus=0-3,memory=2048"}})
        ),
        pairs(&[
            ("numa", "true"),
            ("numa0", "cpus=0-3,memory=2048"),
            ("scsi0", "local:4"),
            ("scsi2", "local:32,ssd=1"),
            ("scsi10", "local:8"),
        ])
    );
    let r = t
        .request(&args(
            json!({"node": "pve", "link_n": {"0": "10.0.0.1", "1": "10.0.1.1"}}),
        ))
        .expect("request");
    assert_eq!(
        r.path_and_query(),
        "/nodes/pve/qemu?link0=10.0.0.1&link1=10.0.1.1"
    );
    // An empty object sends nothing.
    assert_eq!(query(t, json!({"node": "pve", "scsi_n": {}})), pairs(&[]));
}

/// What a model may send instead of the object, and what it is told.
#[test]
fn a_wrong_shape_is_refused_naming_the_argument_and_the_expected_shape() {
    let c = create_vm();
    let t = &c.tools()[0];
    let shape = "scsi_n takes an object of numbered values, \
                 e.g. {\"0\": \"…\", \"1\": \"…\"} for scsi0 and scsi1";
    let plain = refused(t, json!({"node": "pve", "scsi_n": "local:32"}));
    assert!(
        plain.contains("/scsi_n: ") && plain.contains(shape),
        "{plain}"
    );
    assert!(
        !plain.contains("local:32"),
        "the value is not quoted: {plain}"
    );
    for index in ["01", "31", "scsi0", "-1"] {
        let text = refused(t, json!({"node": "pve", "scsi_n": {index: "local:32"}}));
        assert!(text.contains("/scsi_n: ") && text.contains(shape), "{text}");
    }
    let loose = refused(t, json!({"node": "pve", "scsi0": "local:32"}));
    assert!(
        loose.contains("/scsi0: not an argument; give it as {\"scsi_n\": {\"0\": \"…\"}}"),
        "{loose}"
    );
    let item = refused(t, json!({"node": "pve", "scsi_n": {"0": 32}}));
    assert!(item.contains("/scsi_n/0: "), "{item}");
    // Built without validation, a non-object is still refused, not sent as `scsi[n]`.
    let unchecked = t
        .request_unchecked(&args(json!({"node": "pve", "scsi_n": "local:32"})))
        .expect_err("not an object");
    assert!(
        unchecked
            .to_string()
            .contains("/scsi_n: expected an object"),
        "{unchecked}"
    );
}

#[test]
fn a_required_family_needs_one_entry_and_other_locations_are_not_numbered() {
    let c = ingest(&doc30(
        "/things/{id[n]}",
        json!({"put": {"parameters": [
            {"name": "id[n]", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "X-Net[n]", "in": "header", "schema": {"type": "string"}},
            {"name": "mp[n]", "in": "query", "required": true, "schema": {"type": "string"}},
            {"name": "a[b][n]", "in": "query", "schema": {"type": "string"}}
        ], "responses": {"200": {"description": "ok"}}}}),
    ));
    let t = &c.tools()[0];
    let props = &t.input_schema()["properties"];
    assert_eq!(props["mp_n"]["minProperties"], 1);
    assert_eq!(props["id_n"]["type"], "string");
    assert_eq!(props["X-Net_n"]["type"], "string");
    assert_eq!(props["a_b_n"]["type"], "string");
    assert!(
        refused(t, json!({"id_n": "1", "mp_n": {}})).contains("/mp_n: "),
        "an empty family is not enough when it is required"
    );
    let r = t
        .request(&args(
            json!({"id_n": "1", "mp_n": {"0": "local:8,mp=/a"}, "a_b_n": "x"}),
        ))
        .expect("request");
    assert_eq!(
        r.path_and_query(),
        "/things/1?mp0=local%3A8%2Cmp%3D%2Fa&a%5Bb%5D%5Bn%5D=x"
    );
}

/// Every `[n]` parameter of proxmox-ve.json (51, all in the query) is an object argument that
/// accepts two indices, and the request sends the two names.
#[test]
fn every_proxmox_numbered_parameter_is_callable() {
    let bytes = spec_bytes("proxmox-ve.json");
    let doc: Value = serde_json::from_slice(&bytes).expect("JSON");
    let catalog = Catalog::from_slice(&bytes, &IngestOptions::default()).expect("proxmox");
    let mut checked = 0;
    for tool in catalog.tools() {
        let operation = &doc["paths"][tool.path()][tool.method().as_str().to_ascii_lowercase()];
        let parameters = operation["parameters"].as_array().into_iter().flatten();
        let path_args: Vec<(String, Value)> = parameters
            .clone()
            .filter(|p| p["in"] == "path")
            .map(|p| (p["name"].as_str().expect("name").to_owned(), json!("x")))
            .collect();
        for parameter in parameters {
            let name = parameter["name"].as_str().expect("name");
            let Some(stem) = name.strip_suffix("[n]") else {
                continue;
            };
            assert_eq!(parameter["in"], "query", "{name}");
            let arg = format!("{stem}_n");
            let schema = &tool.input_schema()["properties"][&arg];
            assert_eq!(schema["type"], "object", "{} {arg}", tool.name());
            assert!(schema["propertyNames"]["pattern"].is_string());
            assert!(schema["additionalProperties"].is_object());
            // Two values the item schema accepts: the spec's property strings are strings.
            let mut arguments: serde_json::Map<String, Value> = path_args.iter().cloned().collect();
            arguments.insert(arg.clone(), json!({"1": "b", "0": "a"}));
            // The shape and the indices are accepted (other required arguments are missing
            // here, and "a" and "b" need not match each value's own pattern).
            let field = format!("/{arg}");
            let issues = tool.check(&arguments);
            assert!(
                !issues.iter().any(|i| i.field == field),
                "{} {arg}: {issues:?}",
                tool.name()
            );
            let mut wrong = arguments.clone();
            wrong.insert(arg.clone(), json!({"00": "a"}));
            assert!(
                tool.check(&wrong).iter().any(|i| i.field == field),
                "{} {arg}: index 00 accepted",
                tool.name()
            );
            let request = tool
                .request_unchecked(&arguments)
                .unwrap_or_else(|e| panic!("{} {arg}: {e}", tool.name()));
            let sent: Vec<&(String, String)> = request
                .query
                .iter()
                .filter(|(k, _)| k.starts_with(stem))
                .collect();
            assert_eq!(
                sent,
                [
                    &(format!("{stem}0"), "a".to_owned()),
                    &(format!("{stem}1"), "b".to_owned())
                ],
                "{} {arg}",
                tool.name()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 51, "numbered parameters in proxmox-ve.json");
}

/// Every `[n]` property of a proxmox-ve.json response (18, in the qemu, lxc and node configs)
/// is a `patternProperties` entry of its output schema matching `net0`, `net1`, … with the
/// property's description; no output schema names a `[n]` property any more.
#[test]
fn proxmox_output_families_match_their_members() {
    let bytes = spec_bytes("proxmox-ve.json");
    let doc: Value = serde_json::from_slice(&bytes).expect("JSON");
    let catalog = Catalog::from_slice(&bytes, &IngestOptions::default()).expect("proxmox");
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut checked = 0;
    for tool in catalog.tools() {
        let Some(output) = tool.output_schema() else {
            continue;
        };
        let text = output.to_string();
        assert!(!text.contains("[n]\":"), "{}: a [n] property", tool.name());
        let operation = &doc["paths"][tool.path()][tool.method().as_str().to_ascii_lowercase()];
        let source = &operation["responses"]["200"]["content"]["application/json"]["schema"];
        let Some(properties) = source["properties"].as_object() else {
            continue;
        };
        for (name, property) in properties {
            let Some(stem) = name.strip_suffix("[n]") else {
                continue;
            };
            let pattern = format!("^{stem}(0|[1-9][0-9]*)$");
            let member = &output["patternProperties"][&pattern];
            let description = member["description"].as_str().unwrap_or_default();
            let own = property["description"].as_str().expect("described");
            assert!(
                words(description).contains(&words(own)),
                "{} {pattern}: {description:?}",
                tool.name()
            );
            assert!(output["properties"].get(name).is_none());
            // A result with two members of the family is structured content (with a value
            // its own pattern admits: parallel[n] and serial[n] have one); a member that is not
            // of the family's type is not.
            let admitted = ["a", "/dev/parport0", "socket"].iter().any(|v| {
                let good = json!({ format!("{stem}0"): v, format!("{stem}12"): v });
                tool.structured_content(&good).is_some()
            });
            assert!(admitted, "{} {pattern}", tool.name());
            let bad = json!({ format!("{stem}0"): {"not": "a string"} });
            assert!(
                tool.structured_content(&bad).is_none(),
                "{} {pattern}",
                tool.name()
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked, 18,
        "numbered properties in proxmox-ve.json responses"
    );
}

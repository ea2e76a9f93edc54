//! Descriptions: summary, description, body description and deprecation without repeats.

use serde_json::json;

use crate::support::{doc30, ingest};

fn description_of(op: serde_json::Value) -> String {
    let mut op = op;
    op["responses"] = json!({"204": {"description": "ok"}});
    let c = ingest(&doc30("/x", json!({ "get": op })));
    c.tools()[0].description().to_owned()
}

#[test]
fn summary_description_and_deprecation_but_no_tags() {
    let cases = [
        (
            json!({"summary": "List pets", "description": "Returns all pets.\nAI hint: page with `limit`.", "tags": ["pets"]}),
            "List pets.\n\nReturns all pets.\nAI hint: page with `limit`.",
        ),
        (
            json!({"summary": "Add a new pet to the store.", "description": "Add a new pet to the store."}),
            "Add a new pet to the store.",
        ),
        (
            json!({"summary": "Get board", "description": "Get board.\nMore text.", "deprecated": true}),
            "Get board.\nMore text.\n\nDeprecated: avoid this operation unless nothing else works.",
        ),
        (json!({}), "GET /x."),
    ];
    for (op, expected) in cases {
        assert_eq!(description_of(op.clone()), expected, "{op}");
    }
}

#[test]
fn title_is_the_summary_and_parameter_descriptions_stay_on_parameters() {
    let c = ingest(&doc30(
        "/x",
        json!({"get": {
            "summary": "Find things",
            "parameters": [{"name": "q", "in": "query", "description": "Search text",
                            "schema": {"type": "string"}}],
            "responses": {"204": {"description": "ok"}}
        }}),
    ));
    let t = &c.tools()[0];
    assert_eq!(t.title(), Some("Find things"));
    assert_eq!(
        t.input_schema()["properties"]["q"]["description"],
        "Search text"
    );
    assert!(!t.description().contains("Search text"));
}

/// openai.json's `metadata` query parameter: its schema is `anyOf: [{object, description},
/// {null}]`, written as one nullable object, so the description came from a member, and the
/// parameter's own description must not replace it. A schema's own top-level description is
/// replaced, as a use site's description should.
#[test]
fn a_parameter_description_keeps_a_description_lifted_from_a_nullable_union() {
    let doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {
            "parameters": [
                {"name": "metadata", "in": "query", "description": "Keys to filter by.",
                 "schema": {"$ref": "#/components/schemas/Metadata"}},
                {"name": "tag", "in": "query", "description": "Tag to filter by.",
                 "schema": {"$ref": "#/components/schemas/Tag"}},
                {"name": "same", "in": "query", "description": "Free-form pairs.",
                 "schema": {"$ref": "#/components/schemas/Metadata2"}}
            ],
            "responses": {"204": {"description": "ok"}}
        }}},
        "components": {"schemas": {
            "Metadata": {"anyOf": [
                {"type": "object", "description": "Up to 16 pairs.", "additionalProperties": {"type": "string"}},
                {"type": "null"}
            ]},
            "Metadata2": {"anyOf": [
                {"type": "object", "description": "Free-form pairs", "additionalProperties": {"type": "string"}},
                {"type": "null"}
            ]},
            "Tag": {"type": "string", "description": "A tag."}
        }}
    });
    let c = ingest(&doc);
    let props = &c.tools()[0].input_schema()["properties"];
    assert_eq!(
        props["metadata"]["description"],
        "Keys to filter by.\n\nUp to 16 pairs."
    );
    assert_eq!(props["metadata"]["type"], json!(["object", "null"]));
    assert_eq!(props["tag"]["description"], "Tag to filter by.");
    assert_eq!(props["same"]["description"], "Free-form pairs.");
}

#[test]
fn a_flattened_body_keeps_its_own_description() {
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/shares": {"post": {
            "operationId": "share",
            "summary": "Share a console",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/ShareRequest"
            }}}},
            "responses": {"204": {"description": "ok"}}
        }}},
        "components": {"schemas": {"ShareRequest": {
            "type": "object",
            "description": "Settings of a share link.",
            "properties": {"mode": {"type": "string", "description": "What the link allows."}}
        }}}
    });
    let c = ingest(&doc);
    let tool = &c.tools()[0];
    assert_eq!(
        tool.description(),
        "Share a console.\n\nBody: Settings of a share link."
    );
    assert!(tool.input_schema()["properties"]["mode"].is_object());
}

#[test]
fn code_blocks_keep_their_repeated_lines() {
    let text = "Encrypt it:\n```\nputs x\n```\nor:\n```\nputs x\n```";
    let got = description_of(json!({"summary": "Set a secret", "description": text}));
    assert_eq!(got, format!("Set a secret.\n\n{text}"));
}

#[test]
fn a_title_has_no_full_stop() {
    for (summary, title) in [
        ("Get a virtual machine.", "Get a virtual machine"),
        ("List pets", "List pets"),
        ("Wait...", "Wait..."),
        ("Find things .", "Find things"),
    ] {
        let c = ingest(&doc30(
            "/x",
            json!({"get": {"summary": summary, "responses": {"204": {"description": "ok"}}}}),
        ));
        let t = &c.tools()[0];
        assert_eq!(t.title(), Some(title), "{summary}");
        assert!(
            t.description().starts_with(summary.trim_end_matches(" .")),
            "{summary}"
        );
    }
}

/// A title is a display name: the summary's first sentence, and none when even that is
/// longer than 100 characters (vmware-vsphere's summaries are whole paragraphs, which the
/// title repeated in full). The description keeps the whole summary.
#[test]
fn a_title_is_the_first_sentence_of_the_summary() {
    let long = "When a run has the `status: requires_action`, this endpoint can be used to submit the outputs from the tool calls once they are all completed";
    for (summary, title) in [
        (
            "Attaches tags to a virtual machine. Warning: This operation is part of a new feature.",
            Some("Attaches tags to a virtual machine"),
        ),
        ("Is it up? Asks the node.", Some("Is it up?")),
        (
            "Use a tool, e.g. Docker. Then stop.",
            Some("Use a tool, e.g. Docker"),
        ),
        ("Sizes in MiB vs. GiB", Some("Sizes in MiB vs. GiB")),
        ("version 2.0.1 only", Some("version 2.0.1 only")),
        (long, None),
    ] {
        let c = ingest(&doc30(
            "/x",
            json!({"get": {"summary": summary, "responses": {"204": {"description": "ok"}}}}),
        ));
        let t = &c.tools()[0];
        assert_eq!(t.title(), title, "{summary}");
        assert!(t.description().starts_with(summary), "{summary}");
    }
}

#[test]
fn descriptions_that_only_restate_the_name_are_left_out() {
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/users/{id}": {"put": {
            "parameters": [
                {"name": "id", "in": "path", "required": true, "description": "Id",
                 "schema": {"type": "string"}},
                {"name": "vm_id", "in": "query", "description": "ID of the VM to attach.",
                 "schema": {"type": "string"}}
            ],
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object",
                "properties": {
                    "full_name": {"type": "string", "description": "Full name."},
                    "size": {"type": "string", "description": "Größe"},
                    "grosse": {"type": "string", "description": "Größe"},
                    "tier": {"type": "string", "description": "Tier of the plan."},
                    "address": {"type": "object", "description": "Address.",
                                "properties": {"city": {"type": "string", "description": "City"}}},
                    "tags": {"type": "array", "items": {"type": "object",
                             "properties": {"key": {"type": "string", "description": "KEY"}}}}
                }
            }}}},
            "responses": {"204": {"description": "ok"}}
        }}}
    });
    let c = ingest(&doc);
    let props = &c.tools()[0].input_schema()["properties"];
    for gone in [
        "/id/description",
        "/full_name/description",
        "/address/description",
        "/address/properties/city/description",
        "/tags/items/properties/key/description",
    ] {
        assert!(
            props.pointer(gone).is_none(),
            "{gone} should be left out: {props}"
        );
    }
    assert_eq!(props["vm_id"]["description"], "ID of the VM to attach.");
    assert_eq!(props["size"]["description"], "Größe");
    assert_eq!(props["grosse"]["description"], "Größe");
    assert_eq!(props["tier"]["description"], "Tier of the plan.");
}

/// docker-engine-swagger2.yaml (moby/moby `api/swagger.yaml`, cut down): `HostConfig` is
/// `allOf: [Resources, {…}]` with a description of its own, and both descriptions say
/// something; `Mount.Type` is `{description, allOf: [{$ref: MountType}]}`, Swagger 2.0's way
/// to give a reference a description of its own, which replaces `MountType`'s.
#[test]
fn a_composed_schema_keeps_the_description_of_each_part() {
    let c = ingest(&json!({
        "swagger": "2.0", "info": {"title": "t", "version": "1"},
        "paths": {"/containers/create": {"post": {
            "parameters": [{"name": "body", "in": "body", "schema": {"type": "object", "properties": {
                "HostConfig": {"$ref": "#/definitions/HostConfig"},
                "Mount": {"$ref": "#/definitions/Mount"}
            }}}],
            "responses": {"201": {"description": "ok"}}
        }}},
        "definitions": {
            "Resources": {"type": "object",
                "description": "A container's resources (cgroups config, ulimits, etc)",
                "properties": {"CpuShares": {"type": "integer"}}},
            "HostConfig": {"description": "Container configuration that depends on the host we are running on",
                "allOf": [{"$ref": "#/definitions/Resources"},
                          {"type": "object", "properties": {"Binds": {"type": "array", "items": {"type": "string"}}}}]},
            "MountType": {"description": "The mount type. Available types:\n\n- `bind` a mount of a file or directory from the host into the container.",
                "type": "string", "enum": ["bind", "volume"]},
            "Mount": {"type": "object", "properties": {"Type": {
                "description": "The mount type. Available types:\n\n- `bind` Mounts a file or directory from the host into the container.",
                "allOf": [{"$ref": "#/definitions/MountType"}]}}}
        }
    }));
    let props = &c.tools()[0].input_schema()["properties"];
    assert_eq!(
        props["HostConfig"]["description"],
        "Container configuration that depends on the host we are running on\n\n\
         A container's resources (cgroups config, ulimits, etc)"
    );
    assert_eq!(
        props["Mount"]["properties"]["Type"]["description"],
        "The mount type. Available types:\n\n\
         - `bind` Mounts a file or directory from the host into the container."
    );
}

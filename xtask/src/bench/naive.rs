//! The minimal "naive generator" baseline for tools/list size: the least a straightforward
//! OpenAPI→MCP generator emits for the same operations — one tool per operation named by its
//! `operationId`, the summary and full description, and an input schema with every `$ref`
//! inlined (dereferenced) in place: each parameter's schema (a Swagger 2.0 parameter's own
//! type keywords) with its description, and the request body (JSON, else its first media
//! type) under `body` (Swagger 2.0: under the body parameter's name). No title, no output
//! schema, no annotations, no `_meta`: a lower bound, stricter than the earlier TypeScript
//! server (see `earlier.rs`), which emits all of those.
//!
//! A `$ref` with sibling members (OpenAPI 3.1) becomes the referenced schema with the
//! siblings laid over it, so a property's own `description` wins over the referenced type's,
//! as the OpenAPI 3.1 Reference Object rules say.
//!
//! Also the check that no description of the document is lost in the server's listing.

use serde_json::{Map, Value, json};

/// How deep `$ref`s are followed before a cycle or a monster is cut to `{}`.
const MAX_DEPTH: usize = 32;
/// How many JSON nodes one naive tool may expand to before the rest is cut.
const MAX_NODES: usize = 50_000;

/// The naive tool for the operation `method path` of `spec`, if the document has it.
pub(crate) fn naive_tool(spec: &Value, method: &str, path: &str) -> Option<Value> {
    let raw = spec.get("paths")?.get(path)?;
    let mut walk = Deref {
        spec,
        stack: Vec::new(),
        nodes_left: MAX_NODES,
    };
    // Only this operation and the path-level parameters: the other methods are other tools.
    let mut item = Map::new();
    for key in [method.to_ascii_lowercase().as_str(), "parameters"] {
        if let Some(part) = raw.get(key) {
            item.insert(key.to_owned(), walk.value(part));
        }
    }
    let item = Value::Object(item);
    let operation = item.get(method.to_ascii_lowercase())?;
    let mut properties = Map::new();
    let mut required = Vec::new();
    let swagger2 = spec
        .get("swagger")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with('2'));
    let parameters = item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .chain(operation.get("parameters").and_then(Value::as_array))
        .flatten();
    for parameter in parameters {
        let Some(name) = parameter.get("name").and_then(Value::as_str) else {
            continue;
        };
        let mut schema = parameter_schema(parameter, swagger2);
        if let (Some(map), Some(text)) = (schema.as_object_mut(), parameter.get("description")) {
            map.insert("description".to_owned(), text.clone());
        }
        if parameter.get("required") == Some(&Value::Bool(true)) {
            required.push(json!(name));
        }
        properties.insert(name.to_owned(), schema);
    }
    let body = operation.get("requestBody");
    // JSON when offered, else the first media type (Stripe's bodies are form-encoded).
    let content = body
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object);
    let schema = content.and_then(|c| {
        c.get("application/json")
            .or_else(|| c.values().next())
            .and_then(|media| media.get("schema"))
    });
    if let Some(schema) = schema {
        properties.insert("body".to_owned(), schema.clone());
        if body.and_then(|b| b.get("required")) == Some(&Value::Bool(true)) {
            required.push(json!("body"));
        }
    }
    let summary = operation
        .get("summary")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let description = operation
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = operation
        .get("operationId")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{method}_{path}"), str::to_owned);
    let text: Vec<&str> = [summary, description]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    Some(json!({
        "name": name,
        "description": text.join("\n\n"),
        "inputSchema": {"type": "object", "properties": properties, "required": required},
    }))
}

/// The schema of one (dereferenced) parameter. OpenAPI 3 gives it as `schema`; a Swagger 2.0
/// parameter other than the body carries its schema keywords (`type`, `format`, `items`,
/// `enum`, …) on itself, so a generator copies the parameter without the members that only
/// say where and how it is sent.
fn parameter_schema(parameter: &Value, swagger2: bool) -> Value {
    let inline = swagger2 && parameter.get("in").and_then(Value::as_str) != Some("body");
    match (inline, parameter) {
        (true, Value::Object(map)) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "name"
                            | "in"
                            | "required"
                            | "description"
                            | "collectionFormat"
                            | "allowEmptyValue"
                    )
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        _ => parameter
            .get("schema")
            .cloned()
            .unwrap_or_else(|| json!({})),
    }
}

/// Walks a value, replacing every local `$ref` by what it points to, recursively; a cycle
/// or a chain deeper than [`MAX_DEPTH`] becomes `{}`, and so does everything after
/// [`MAX_NODES`] nodes (real documents can expand to gigabytes; the baseline is then a
/// lower bound, which only flatters it).
struct Deref<'a> {
    spec: &'a Value,
    stack: Vec<String>,
    nodes_left: usize,
}

impl Deref<'_> {
    fn value(&mut self, value: &Value) -> Value {
        if self.nodes_left == 0 {
            return json!({});
        }
        self.nodes_left -= 1;
        match value {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                    if self.stack.len() >= MAX_DEPTH || self.stack.iter().any(|r| r == reference) {
                        return json!({});
                    }
                    let target = reference
                        .strip_prefix('#')
                        .and_then(|pointer| self.spec.pointer(pointer))
                        .cloned()
                        .unwrap_or_else(|| json!({}));
                    self.stack.push(reference.to_owned());
                    let mut resolved = self.value(&target);
                    self.stack.pop();
                    if let Value::Object(merged) = &mut resolved {
                        for (key, sibling) in map.iter().filter(|(k, _)| *k != "$ref") {
                            let sibling = self.value(sibling);
                            merged.insert(key.clone(), sibling);
                        }
                    }
                    return resolved;
                }
                Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), self.value(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            other => other.clone(),
        }
    }
}

/// The descriptions in `naive` (the tool's own, and every `description` in its schema)
/// that appear nowhere in `ours`, compared with whitespace collapsed.
pub(crate) fn lost_descriptions(naive: &Value, ours: &Value) -> Vec<String> {
    let mut ours_text = Vec::new();
    strings(ours, &mut ours_text);
    let haystack = collapse(&ours_text.join("\n"));
    let mut wanted = Vec::new();
    if let Some(text) = naive.get("description").and_then(Value::as_str) {
        // Summary and description are separate paragraphs; each must survive.
        wanted.extend(text.split("\n\n").map(str::to_owned));
    }
    if let Some(schema) = naive.get("inputSchema") {
        descriptions(schema, &mut wanted);
    }
    // A sentence whose words all survive is not lost for its final full stop (a summary that
    // begins the description goes once, as "Summary text based on ...").
    let mut lost: Vec<String> = wanted
        .into_iter()
        .map(|text| collapse(&text))
        .filter(|text| {
            let words = text.strip_suffix('.').unwrap_or(text);
            !words.is_empty() && !haystack.contains(words)
        })
        .collect();
    lost.sort();
    lost.dedup();
    lost
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// Every `description` in `value`, except one that only restates its property's name
/// (`id`: "Id"), those of read-only properties, and that of a schema referenced through a
/// one-member `allOf` beside a description of its own: the server leaves those out (as
/// repeated text, as nothing a request may carry, and as replaced by the use site's own
/// words), so they are not "lost".
fn descriptions(value: &Value, out: &mut Vec<String>) {
    described(value, None, out);
}

fn described(value: &Value, owner: Option<&str>, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| described(v, None, out)),
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("description", Value::String(text)) => {
                        if !owner.is_some_and(|name| echoes_name(name, text)) {
                            out.push(text.clone());
                        }
                    }
                    // Swagger 2.0's only way to give a reference a description of its own:
                    // `{description, allOf: [{$ref}]}`, which replaces the referenced schema's,
                    // as the siblings of a `$ref` do (see `Deref`).
                    ("allOf", Value::Array(items))
                        if items.len() == 1 && map.contains_key("description") =>
                    {
                        if let Value::Object(member) = &items[0] {
                            let rest: Map<String, Value> = member
                                .iter()
                                .filter(|(k, _)| *k != "description")
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect();
                            described(&Value::Object(rest), None, out);
                        }
                    }
                    ("properties", Value::Object(props)) => {
                        // A read-only property is never sent (OpenAPI: it SHOULD NOT be part
                        // of a request), so the server leaves it out of input schemas.
                        let sent = props
                            .iter()
                            .filter(|(_, s)| s.get("readOnly") != Some(&Value::Bool(true)));
                        for (name, schema) in sent {
                            described(schema, Some(name), out);
                        }
                    }
                    _ => described(child, None, out),
                }
            }
        }
        _ => {}
    }
}

/// `true` when `description` is `name` again, ignoring case, punctuation and spacing
/// (the same rule as openapi-ingest's).
fn echoes_name(name: &str, description: &str) -> bool {
    let letters = |s: &str| {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
    };
    let name = letters(name);
    !name.is_empty()
        && name == letters(description)
        && description
            .chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control())
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        json!({
            "paths": {"/api/vms/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "put": {
                    "operationId": "update_vm", "summary": "Update a VM.", "description": "Changes   settings.",
                    "parameters": [{"name": "force", "in": "query", "schema": {"type": "boolean"}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Vm"}}}}
                }
            }},
            "components": {
                "parameters": {"Id": {"name": "id", "in": "path", "required": true, "description": "VM id", "schema": {"type": "string"}}},
                "schemas": {
                    "Vm": {"type": "object", "properties": {"name": {"type": "string", "description": "The name."}, "parent": {"$ref": "#/components/schemas/Vm"}}}
                }
            }
        })
    }

    #[test]
    fn naive_tools_inline_everything() {
        let tool = naive_tool(&spec(), "PUT", "/api/vms/{id}").unwrap();
        assert_eq!(tool["name"], "update_vm");
        assert_eq!(tool["description"], "Update a VM.\n\nChanges   settings.");
        let props = &tool["inputSchema"]["properties"];
        assert_eq!(
            props["id"],
            json!({"type": "string", "description": "VM id"})
        );
        assert_eq!(props["force"], json!({"type": "boolean"}));
        assert_eq!(
            props["body"]["properties"]["name"]["description"],
            "The name."
        );
        // The cycle is cut where it closes, not followed forever.
        assert_eq!(props["body"]["properties"]["parent"], json!({}));
        assert_eq!(tool["inputSchema"]["required"], json!(["id", "body"]));
        assert!(naive_tool(&spec(), "GET", "/api/vms/{id}").is_none());
        assert!(naive_tool(&spec(), "PUT", "/nope").is_none());
    }

    #[test]
    fn siblings_of_a_ref_are_laid_over_it() {
        let spec = json!({
            "paths": {"/s": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                    "mode": {"$ref": "#/components/schemas/Mode", "description": "What the link allows."}
                }}}}}
            }}},
            "components": {"schemas": {"Mode": {"type": "string", "enum": ["view"], "description": "A mode."}}}
        });
        let tool = naive_tool(&spec, "POST", "/s").unwrap();
        assert_eq!(
            tool["inputSchema"]["properties"]["body"]["properties"]["mode"],
            json!({"type": "string", "enum": ["view"], "description": "What the link allows."})
        );
    }

    #[test]
    fn swagger2_parameters_keep_their_types() {
        let spec = json!({
            "swagger": "2.0",
            "paths": {"/vms": {"get": {"operationId": "list", "parameters": [
                {"name": "state", "in": "query", "type": "array", "items": {"type": "string"},
                 "collectionFormat": "multi", "description": "Filter."},
                {"name": "spec", "in": "body", "required": true, "schema": {"type": "object"}}
            ]}}}
        });
        let tool = naive_tool(&spec, "GET", "/vms").unwrap();
        assert_eq!(
            tool["inputSchema"]["properties"],
            json!({
                "state": {"type": "array", "items": {"type": "string"}, "description": "Filter."},
                "spec": {"type": "object"}
            })
        );
    }

    #[test]
    fn lost_descriptions_are_named() {
        let naive = naive_tool(&spec(), "PUT", "/api/vms/{id}").unwrap();
        let complete = json!({"description": "Update a VM.\n\nChanges settings.", "inputSchema": {"properties": {
            "id": {"description": "VM id"}, "name": {"description": "The  name."}}}});
        assert!(lost_descriptions(&naive, &complete).is_empty());
        let echoes = json!({"properties": {"id": {"description": "Id"},
            "full_name": {"description": "Full name."}, "tier": {"description": "Tier of it."}}});
        assert_eq!(
            lost_descriptions(&json!({"inputSchema": echoes}), &json!({})),
            ["Tier of it."]
        );
        let read_only = json!({"properties": {"id": {"readOnly": true, "description": "Set by the server."},
            "note": {"type": "object", "properties": {"at": {"readOnly": true, "description": "When."}}}}});
        assert!(lost_descriptions(&json!({"inputSchema": read_only}), &json!({})).is_empty());
        let said_once = json!({"description": "Update a VM with these changes.\n\nChanges settings.",
            "inputSchema": {"properties": {"id": {"description": "VM id"}, "name": {"description": "The name."}}}});
        assert!(lost_descriptions(&naive, &said_once).is_empty());
        let replaced = json!({"properties": {"mode": {"description": "What the link allows.",
            "allOf": [{"description": "A mode.", "type": "string"}]},
            "kinds": {"allOf": [{"description": "A kind."}, {"description": "Of two."}]}}});
        assert_eq!(
            lost_descriptions(&json!({"inputSchema": replaced}), &json!({})),
            ["A kind.", "Of two.", "What the link allows."]
        );
        let partial = json!({"description": "Update a VM.", "inputSchema": {}});
        assert_eq!(
            lost_descriptions(&naive, &partial),
            ["Changes settings.", "The name.", "VM id"]
        );
    }
}

//! Tools and tool results.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::Content;

/// Behaviour hints (since 2025-03-26).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    /// A human title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Does not modify its environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    /// May destroy data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    /// Repeating has no further effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    /// Talks to an open world.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_world_hint: Option<bool>,
}

/// A tool definition as listed by `tools/list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    /// Unique name.
    pub name: String,
    /// Human title (since 2025-06-18).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description for the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments (an object schema).
    pub input_schema: Value,
    /// JSON Schema of `structuredContent` (since 2025-06-18).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// Hints (since 2025-03-26).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<ToolAnnotations>,
    /// Free-form metadata.
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
}

impl Tool {
    /// A tool with an empty object input schema.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Tool {
            name: name.into(),
            title: None,
            description: Some(description.into()),
            input_schema: serde_json::json!({"type": "object", "properties": {}}),
            output_schema: None,
            annotations: None,
            meta: None,
        }
    }

    /// Whether `name` is a valid tool name (2025-11-25): 1–128 characters of
    /// `[A-Za-z0-9_.-]`. Many clients cut names at 64 characters including their own
    /// prefix, so keeping names to about 48 is wise.
    pub fn is_valid_name(name: &str) -> bool {
        (1..=128).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    }

    /// Sets the input schema.
    #[must_use]
    pub fn with_input_schema(mut self, schema: Value) -> Self {
        self.input_schema = schema;
        self
    }

    /// The same JSON as serialising the tool, built by moving its members instead of
    /// copying them (the schemas are most of a tool's size).
    pub(crate) fn into_value(self) -> Value {
        let mut map = Map::new();
        map.insert("name".into(), Value::String(self.name));
        if let Some(title) = self.title {
            map.insert("title".into(), Value::String(title));
        }
        if let Some(description) = self.description {
            map.insert("description".into(), Value::String(description));
        }
        map.insert("inputSchema".into(), self.input_schema);
        if let Some(schema) = self.output_schema {
            map.insert("outputSchema".into(), schema);
        }
        if let Some(annotations) = self.annotations {
            let value = serde_json::to_value(annotations).unwrap_or(Value::Null);
            map.insert("annotations".into(), value);
        }
        if let Some(meta) = self.meta {
            map.insert("_meta".into(), meta);
        }
        Value::Object(map)
    }
}

/// The result of `tools/call`.
///
/// `structuredContent` comes from either [`structured_content`](Self::structured_content), a
/// value, or [`structured_json`](Self::structured_json), JSON text already written (set with
/// [`with_structured_json`](Self::with_structured_json)); the text wins when both are set.
#[derive(Debug, Clone, Default)]
pub struct CallToolResult {
    /// Unstructured content.
    pub content: Vec<Content>,
    /// Structured content (since 2025-06-18).
    pub structured_content: Option<Value>,
    /// Structured content as JSON text (a JSON object), sent as it is: for a result made from
    /// JSON text it already holds (an upstream body), which then needs no value tree and is
    /// not serialised again. Sent instead of `structured_content` when set.
    pub structured_json: Option<Box<RawValue>>,
    /// The tool failed; the content says why.
    pub is_error: Option<bool>,
    /// Free-form metadata.
    pub meta: Option<Map<String, Value>>,
}

/// `structuredContent` in whichever form the result holds it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StructuredRef<'a> {
    /// A value tree.
    Value(&'a Value),
    /// JSON text, written as it is.
    Json(&'a RawValue),
}

impl Serialize for StructuredRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StructuredRef::Value(v) => v.serialize(serializer),
            StructuredRef::Json(j) => j.serialize(serializer),
        }
    }
}

impl PartialEq for CallToolResult {
    /// JSON text is compared as text: `{"a":1}` and `{ "a": 1 }` differ.
    fn eq(&self, other: &Self) -> bool {
        self.content == other.content
            && self.structured_content == other.structured_content
            && self.structured_json.as_deref().map(RawValue::get)
                == other.structured_json.as_deref().map(RawValue::get)
            && self.is_error == other.is_error
            && self.meta == other.meta
    }
}

impl Serialize for CallToolResult {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("content", &self.content)?;
        if let Some(s) = self.structured_ref() {
            map.serialize_entry("structuredContent", &s)?;
        }
        if let Some(e) = &self.is_error {
            map.serialize_entry("isError", e)?;
        }
        if let Some(m) = &self.meta {
            map.serialize_entry("_meta", m)?;
        }
        map.end()
    }
}

impl CallToolResult {
    /// A successful result with the given content.
    pub fn new(content: Vec<Content>) -> Self {
        CallToolResult {
            content,
            ..Default::default()
        }
    }

    /// A successful single-text result.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(vec![Content::text(text)])
    }

    /// A tool-level failure (`isError: true`) with a message for the model.
    pub fn error(text: impl Into<String>) -> Self {
        CallToolResult {
            content: vec![Content::text(text)],
            is_error: Some(true),
            ..Default::default()
        }
    }

    /// A structured result, mirrored as text for older clients.
    pub fn structured(value: Value) -> Self {
        // Straight into a byte buffer: cheaper than `Display`, which goes through
        // `fmt::Write` piece by piece. A `Value` always serialises.
        let text = serde_json::to_string(&value).unwrap_or_default();
        CallToolResult {
            content: vec![Content::text(text)],
            structured_content: Some(value),
            ..Default::default()
        }
    }

    /// Sets the structured content to JSON text that is already written (it must be a JSON
    /// object); it is sent as it is, never parsed or serialised again.
    #[must_use]
    pub fn with_structured_json(mut self, json: Box<RawValue>) -> Self {
        self.structured_content = None;
        self.structured_json = Some(json);
        self
    }

    /// The structured content as a value, whichever form holds it (the JSON text is parsed;
    /// `None` also when it does not parse).
    pub fn structured_value(&self) -> Option<Cow<'_, Value>> {
        match self.structured_ref()? {
            StructuredRef::Value(v) => Some(Cow::Borrowed(v)),
            StructuredRef::Json(j) => serde_json::from_str(j.get()).ok().map(Cow::Owned),
        }
    }

    /// What `structuredContent` carries: the JSON text when set, else the value.
    pub(crate) fn structured_ref(&self) -> Option<StructuredRef<'_>> {
        match (&self.structured_json, &self.structured_content) {
            (Some(j), _) => Some(StructuredRef::Json(j)),
            (None, Some(v)) => Some(StructuredRef::Value(v)),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    impl Content {
        fn clone_text(&self) -> String {
            match self {
                Content::Text { text } => text.clone(),
                _ => String::new(),
            }
        }
    }

    #[test]
    fn structured_json_serialises_like_the_value() {
        let value = json!({"ok": true, "data": {"b": [1, 2.5, "é\n"], "a": null}});
        let text = RawValue::from_string(value.to_string()).unwrap();
        for (is_error, meta) in [(None, None), (Some(true), Some(Map::new()))] {
            let mut tree = CallToolResult::structured(value.clone());
            tree.is_error = is_error;
            tree.meta = meta.clone();
            let mut raw = CallToolResult::text(tree.content[0].clone_text())
                .with_structured_json(text.clone());
            raw.is_error = is_error;
            raw.meta = meta;
            assert_eq!(
                serde_json::to_string(&raw).unwrap(),
                serde_json::to_string(&tree).unwrap()
            );
            assert_eq!(raw.structured_value().as_deref(), Some(&value));
            assert_eq!(tree.structured_value().as_deref(), Some(&value));
            assert_ne!(raw, tree, "the two forms are told apart");
        }
        // The text wins over a value set next to it.
        let mut both = CallToolResult::text("t");
        both.structured_content = Some(json!({"other": 1}));
        both.structured_json = Some(text);
        assert_eq!(both.structured_value().as_deref(), Some(&value));
        assert_eq!(
            serde_json::to_value(&both).unwrap()["structuredContent"],
            value
        );
        assert_eq!(CallToolResult::text("t").structured_value(), None);
    }

    #[test]
    fn into_value_is_the_serialised_tool() {
        for mask in 0u8..32 {
            let mut tool = Tool::new(format!("t{mask}"), "d");
            if mask & 1 != 0 {
                tool.title = Some("T".into());
            }
            if mask & 2 != 0 {
                tool.description = None;
            }
            if mask & 4 != 0 {
                tool.output_schema =
                    Some(json!({"type": "object", "properties": {"b": {}, "a": {}}}));
            }
            if mask & 8 != 0 {
                tool.annotations = Some(ToolAnnotations {
                    title: Some("A".into()),
                    read_only_hint: Some(true),
                    destructive_hint: None,
                    idempotent_hint: Some(false),
                    open_world_hint: None,
                });
            }
            if mask & 16 != 0 {
                tool.meta = Some(json!({"z": 1, "a": [2]}));
            }
            let serialised = serde_json::to_value(&tool).unwrap();
            let moved = tool.into_value();
            assert_eq!(moved, serialised);
            // Equal maps may differ in order; the wire must not.
            assert_eq!(moved.to_string(), serialised.to_string());
        }
    }
}

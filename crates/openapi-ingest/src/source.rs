//! Bytes to a JSON value (JSON first, then YAML), and version detection.

use serde_json::{Map, Number, Value};

use crate::error::{IngestError, IngestErrorKind};
use crate::model::SpecFamily;

/// YAML nesting deeper than this is refused (JSON has serde_json's own limit of 128).
const MAX_YAML_DEPTH: usize = 128;

/// Parses a document from JSON, or YAML when the bytes are not JSON, without ingesting it
/// (for a caller that prepares the document first; [`crate::Catalog::from_slice`] does both).
pub fn parse_document(bytes: &[u8]) -> Result<Value, IngestError> {
    parse(bytes)
}

/// Parses JSON, or YAML when the bytes are not JSON.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, IngestError> {
    let json_err = match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let looks_json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[');
    match serde_norway::from_slice::<serde_norway::Value>(bytes) {
        Ok(mut yaml) => {
            // `<<` merge keys are a YAML feature documents rely on; failure leaves them as is.
            let _ = yaml.apply_merge();
            yaml_to_json(&yaml, 0).ok_or_else(|| {
                IngestError::new(
                    IngestErrorKind::Parse,
                    format!("YAML nested deeper than {MAX_YAML_DEPTH} levels"),
                )
            })
        }
        Err(yaml_err) => {
            let message = if looks_json {
                format!("invalid JSON: {json_err}")
            } else {
                format!("neither JSON ({json_err}) nor YAML ({yaml_err})")
            };
            Err(IngestError::new(IngestErrorKind::Parse, message))
        }
    }
}

fn yaml_to_json(value: &serde_norway::Value, depth: usize) -> Option<Value> {
    use serde_norway::Value as Y;
    if depth > MAX_YAML_DEPTH {
        return None;
    }
    Some(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => Value::Array(
            items
                .iter()
                .map(|v| yaml_to_json(v, depth + 1))
                .collect::<Option<Vec<_>>>()?,
        ),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(key_text(k), yaml_to_json(v, depth + 1)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => yaml_to_json(&tagged.value, depth + 1)?,
    })
}

/// YAML keys may be numbers (`200:` response codes) or booleans; JSON keys are text.
fn key_text(key: &serde_norway::Value) -> String {
    use serde_norway::Value as Y;
    match key {
        Y::String(s) => s.clone(),
        Y::Bool(b) => b.to_string(),
        Y::Number(n) => n.to_string(),
        Y::Null => "null".to_owned(),
        other => serde_norway::to_string(other)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default(),
    }
}

/// The specification family and version string of a document.
pub(crate) fn detect(root: &Map<String, Value>) -> Result<(SpecFamily, String), IngestError> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Some(v) = root.get("openapi") {
        let Some(version) = text(v) else {
            return Err(IngestError::new(
                IngestErrorKind::UnknownVersion,
                "the `openapi` member must be a version string such as \"3.0.3\"",
            ));
        };
        let family = if version.starts_with("3.0") {
            SpecFamily::OpenApi30
        } else if version.starts_with("3.1") || version.starts_with("3.2") {
            SpecFamily::OpenApi31
        } else {
            return Err(IngestError::new(
                IngestErrorKind::UnknownVersion,
                format!(
                    "openapi {version:?}: supported are 3.0.x, 3.1.x (and 3.2.x) and Swagger 2.0"
                ),
            ));
        };
        return Ok((family, version));
    }
    if let Some(v) = root.get("swagger") {
        let version = text(v).unwrap_or_default();
        if version == "2.0" || version == "2" {
            return Ok((SpecFamily::Swagger2, version));
        }
        return Err(IngestError::new(
            IngestErrorKind::UnknownVersion,
            format!("swagger {version:?}: only Swagger 2.0 is supported"),
        ));
    }
    Err(IngestError::new(
        IngestErrorKind::NotOpenApi,
        "the document has neither an `openapi` nor a `swagger` member",
    ))
}

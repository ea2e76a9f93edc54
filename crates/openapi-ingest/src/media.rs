//! Media types of bodies: the kind of each one an operation lists, which one its request is
//! sent as, and the concrete type put on the wire when the spec names a media range.
//!
//! A range says what the server accepts, not what a request carries: `*/*` and `application/*`
//! accept JSON, so a body under them is a JSON body sent as `application/json` (Kubernetes gives
//! 75 create, replace and delete bodies the type `*/*`). The exception is a range whose schema is
//! a string: that is how a spec describes raw data of whatever type it has (GitHub's release
//! asset upload, `*/*` with `{"type": "string", "description": "The raw file data"}`;
//! Kubernetes' exec, attach and proxy responses), which a JSON string would corrupt, so it is
//! raw (`OctetStream`, sent as `application/octet-stream`). `text/*` does not accept JSON
//! (`application/json` is not a text type); it stays `Other` and would be sent as
//! `text/plain`. A `charset` parameter of a range is dropped for JSON, which defines none
//! (RFC 8259, section 11).

use serde_json::Value;

use crate::model::BodyKind;

/// The media type without parameters, trimmed (not lower-cased).
fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// `true` when `content_type` is a media range (`*/*`, `application/*`, `text/*`, …) rather
/// than a type a request can carry.
pub(crate) fn is_range(content_type: &str) -> bool {
    essence(content_type).contains('*')
}

/// `true` for the ranges that admit any type, JSON among them: `*/*` (and the bare `*` some
/// documents write) and `application/*`.
fn admits_any_application_type(content_type: &str) -> bool {
    let e = essence(content_type);
    e == "*" || e == "*/*" || e.eq_ignore_ascii_case("application/*")
}

/// The kind of a body (or response) of type `content_type` whose schema is `raw_string`
/// (a string: raw data, see the module documentation).
pub(crate) fn kind(content_type: &str, raw_string: bool) -> BodyKind {
    if raw_string && admits_any_application_type(content_type) {
        BodyKind::OctetStream
    } else {
        BodyKind::of(content_type)
    }
}

/// The type a request of kind `kind` listed as `content_type` carries: `content_type` itself,
/// or a concrete member of the range.
pub(crate) fn concrete(content_type: &str, kind: BodyKind) -> String {
    if !is_range(content_type) {
        return content_type.to_owned();
    }
    match kind {
        BodyKind::Json => "application/json".to_owned(),
        BodyKind::Multipart => "multipart/form-data".to_owned(),
        BodyKind::Form => "application/x-www-form-urlencoded".to_owned(),
        BodyKind::Other
            if essence(content_type)
                .to_ascii_lowercase()
                .starts_with("text/") =>
        {
            // `text/*; charset=utf-8` → `text/plain; charset=utf-8`.
            let params = &content_type[content_type.find(';').unwrap_or(content_type.len())..];
            format!("text/plain{params}")
        }
        BodyKind::OctetStream | BodyKind::Other => "application/octet-stream".to_owned(),
    }
}

/// The index of the type a request body is sent as, among `(content type, kind)` pairs in spec
/// order: JSON first (a concrete JSON type before a range that admits it), then a form, then
/// multipart, and otherwise the first listed (a concrete type before a range).
pub(crate) fn choose(types: &[(String, BodyKind)]) -> Option<usize> {
    let rank = |kind: BodyKind| match kind {
        BodyKind::Json => 0,
        BodyKind::Form => 1,
        BodyKind::Multipart => 2,
        BodyKind::OctetStream | BodyKind::Other => 3,
    };
    types
        .iter()
        .enumerate()
        .min_by_key(|(i, (ct, kind))| (rank(*kind), is_range(ct), *i))
        .map(|(i, _)| i)
}

/// `true` when `schema` (already past any `$ref`) describes a string: `type: "string"`, or a
/// list of types that is `"string"` with at most `"null"` beside it.
pub(crate) fn is_string_schema(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(types)) => {
            let mut non_null = types.iter().filter(|t| t.as_str() != Some("null"));
            non_null.next().and_then(Value::as_str) == Some("string") && non_null.next().is_none()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ranges_that_admit_json_are_json_unless_the_schema_is_a_string() {
        for ct in [
            "*/*",
            "*",
            "application/*",
            "*/*; charset=utf-8",
            "Application/*",
        ] {
            assert_eq!(kind(ct, false), BodyKind::Json, "{ct}");
            assert_eq!(kind(ct, true), BodyKind::OctetStream, "{ct}");
        }
        assert_eq!(kind("text/*", false), BodyKind::Other);
        assert_eq!(kind("multipart/*", false), BodyKind::Multipart);
        assert_eq!(kind("image/*", false), BodyKind::OctetStream);
        // A concrete JSON type is JSON whatever its schema.
        assert_eq!(kind("application/json", true), BodyKind::Json);
    }

    #[test]
    fn a_range_is_never_sent_as_such() {
        let cases = [
            ("*/*", BodyKind::Json, "application/json"),
            ("*/*; charset=utf-8", BodyKind::Json, "application/json"),
            ("application/*", BodyKind::Json, "application/json"),
            ("application/*+json", BodyKind::Json, "application/json"),
            ("*/*", BodyKind::OctetStream, "application/octet-stream"),
            ("text/*", BodyKind::Other, "text/plain"),
            (
                "text/*; charset=utf-8",
                BodyKind::Other,
                "text/plain; charset=utf-8",
            ),
            ("multipart/*", BodyKind::Multipart, "multipart/form-data"),
            ("image/*", BodyKind::OctetStream, "application/octet-stream"),
            // Concrete types are sent as written.
            (
                "application/json; charset=utf-8",
                BodyKind::Json,
                "application/json; charset=utf-8",
            ),
            (
                "application/merge-patch+json",
                BodyKind::Json,
                "application/merge-patch+json",
            ),
            ("text/plain", BodyKind::Other, "text/plain"),
        ];
        for (ct, k, wire) in cases {
            assert_eq!(concrete(ct, k), wire, "{ct}");
        }
    }

    #[test]
    fn a_concrete_json_type_beats_a_range_and_json_beats_the_rest() {
        let pick = |list: &[&'static str]| -> Option<&'static str> {
            let types: Vec<(String, BodyKind)> = list
                .iter()
                .map(|ct| ((*ct).to_owned(), kind(ct, false)))
                .collect();
            choose(&types).map(|i| list[i])
        };
        assert_eq!(pick(&["*/*", "application/json"]), Some("application/json"));
        assert_eq!(
            pick(&["application/*", "application/merge-patch+json"]),
            Some("application/merge-patch+json")
        );
        assert_eq!(
            pick(&["application/x-www-form-urlencoded", "*/*"]),
            Some("*/*")
        );
        assert_eq!(pick(&["application/xml", "*/*"]), Some("*/*"));
        assert_eq!(pick(&["text/*", "text/plain"]), Some("text/plain"));
        assert_eq!(
            pick(&["multipart/form-data", "application/x-www-form-urlencoded"]),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            pick(&["application/xml", "text/plain"]),
            Some("application/xml")
        );
        assert_eq!(pick(&[]), None);
    }

    #[test]
    fn string_schemas() {
        assert!(is_string_schema(&json!({"type": "string"})));
        assert!(is_string_schema(
            &json!({"type": "string", "format": "binary"})
        ));
        assert!(is_string_schema(&json!({"type": ["string", "null"]})));
        assert!(!is_string_schema(&json!({"type": ["string", "integer"]})));
        assert!(!is_string_schema(&json!({"type": "object"})));
        assert!(!is_string_schema(&json!({})));
    }
}

//! Methods and body kinds.

use openapi_ingest::{BodyKind, Method};

#[test]
fn body_kinds_of_media_types() {
    let cases = [
        ("application/json", BodyKind::Json),
        ("application/json; charset=utf-8", BodyKind::Json),
        ("application/merge-patch+json", BodyKind::Json),
        ("application/vnd.github.v3.star+json", BodyKind::Json),
        ("application/json-patch+json", BodyKind::Json),
        ("application/x-www-form-urlencoded", BodyKind::Form),
        ("multipart/form-data", BodyKind::Multipart),
        ("application/octet-stream", BodyKind::OctetStream),
        ("application/x-tar", BodyKind::OctetStream),
        ("image/png", BodyKind::OctetStream),
        ("application/xml", BodyKind::Other),
        ("text/plain", BodyKind::Other),
        ("application/apply-patch+yaml", BodyKind::Other),
        ("*/*", BodyKind::Json),
        ("*/*; charset=utf-8", BodyKind::Json),
        ("application/*", BodyKind::Json),
        ("text/*", BodyKind::Other),
        ("multipart/*", BodyKind::Multipart),
        ("image/*", BodyKind::OctetStream),
    ];
    for (ct, kind) in cases {
        assert_eq!(BodyKind::of(ct), kind, "{ct}");
    }
}

#[test]
fn methods() {
    for m in Method::ALL {
        assert_eq!(Method::from_key(m.key()), Some(m));
        assert_eq!(m.as_str().to_ascii_lowercase(), m.key());
    }
    let read_only: Vec<Method> = Method::ALL
        .into_iter()
        .filter(|m| m.is_read_only())
        .collect();
    assert_eq!(read_only, [Method::Get, Method::Options, Method::Head]);
    assert_eq!(Method::from_key("GET"), None);
    assert_eq!(Method::from_key("parameters"), None);
}

//! Arguments back to an HTTP request: the exact inverse of the input-schema flattening.
//!
//! Path parameters are percent-encoded so that each value is exactly one path segment: `/`,
//! `?`, `#` and `%` are escaped and a value made only of dots is escaped too, so `..` cannot
//! climb the path. Query values are kept raw in [`HttpRequest::query`] and encoded by
//! [`HttpRequest::path_and_query`].

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

use crate::error::ArgError;
use crate::model::Method;
use crate::numbered;

/// Everything except RFC 3986 unreserved characters is escaped in a parameter value.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Literal path text from the spec: keep the characters a path may carry unescaped.
const PATH_LITERAL: &AsciiSet = &COMPONENT
    .remove(b'/')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@')
    .remove(b'%');

/// Values nested deeper than this in `deepObject` query arguments are sent as JSON text.
const MAX_DEEP_OBJECT_DEPTH: usize = 16;

/// An HTTP request ready for a client: relative to the API's base URL.
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The percent-encoded path, without the query string.
    pub path: String,
    /// Query pairs, not yet encoded, in order.
    pub query: Vec<(String, String)>,
    /// Header parameters (and a `Cookie` header for cookie parameters).
    pub headers: Vec<(String, String)>,
    /// The body. For JSON media types it is the JSON to send; for
    /// `application/x-www-form-urlencoded` and `multipart/form-data` it is an object whose
    /// members are the form fields; for other media types it is the raw body as a string.
    pub body: Option<Value>,
    /// The media type of `body`, when there is one.
    pub content_type: Option<String>,
}

impl HttpRequest {
    /// The path followed by the encoded query string, e.g. `/pets/a%2Fb?limit=10`.
    pub fn path_and_query(&self) -> String {
        let mut out = self.path.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.extend(utf8_percent_encode(k, COMPONENT));
            out.push('=');
            out.extend(utf8_percent_encode(v, COMPONENT));
        }
        out
    }
}

fn sensitive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "auth",
        "token",
        "key",
        "secret",
        "password",
        "passwd",
        "cookie",
        "session",
        "credential",
        "signature",
    ]
    .iter()
    .any(|s| n.contains(s))
}

impl fmt::Debug for HttpRequest {
    /// Values of headers and query parameters whose names look secret are redacted, and the
    /// body is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |pairs: &[(String, String)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| {
                    let v = if sensitive(k) {
                        "<redacted>".to_owned()
                    } else {
                        v.clone()
                    };
                    (k.clone(), v)
                })
                .collect()
        };
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &redact(&self.query))
            .field("headers", &redact(&self.headers))
            .field("body", &self.body.as_ref().map(|_| "<body>"))
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// Where one argument goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Path,
    Query,
    Header,
    Cookie,
}

/// OpenAPI parameter serialisation styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Simple,
    Label,
    Matrix,
    Form,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
}

/// One parameter: which argument feeds which spec parameter.
#[derive(Debug, Clone)]
pub(crate) struct ParamBinding {
    pub(crate) arg: String,
    pub(crate) name: String,
    pub(crate) location: Location,
    pub(crate) style: Style,
    pub(crate) explode: bool,
    /// A Proxmox numbered family (`net[n]`): the argument is an object from index to value,
    /// sent as `net0`, `net1`, … ([`crate::numbered`]).
    pub(crate) numbered: bool,
}

/// How the body is assembled from the arguments.
#[derive(Debug, Clone)]
pub(crate) enum BodyBinding {
    None,
    /// Object body flattened to top-level arguments: `(argument, body property)`.
    Flat(Vec<(String, String)>),
    /// The whole body under one argument.
    Whole(String),
}

/// Everything needed to turn arguments into a request.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    /// The path template without any query string.
    pub(crate) path: String,
    /// Query pairs written into the spec's path key (`/things?action=x`).
    pub(crate) fixed_query: Vec<(String, String)>,
    pub(crate) params: Vec<ParamBinding>,
    pub(crate) body: BodyBinding,
    pub(crate) body_required: bool,
    pub(crate) content_type: Option<String>,
}

impl Binding {
    pub(crate) fn build(
        &self,
        tool: &str,
        method: Method,
        args: &Map<String, Value>,
    ) -> Result<HttpRequest, ArgError> {
        let path = self.render_path(tool, args)?;
        let mut query = self.fixed_query.clone();
        let mut headers = Vec::new();
        let mut cookies: Vec<String> = Vec::new();
        for p in &self.params {
            let Some(value) = args.get(&p.arg).filter(|v| !v.is_null()) else {
                continue;
            };
            match p.location {
                Location::Path => {}
                Location::Query if p.numbered => {
                    let stem = crate::names::numbered_stem(&p.name).unwrap_or(&p.name);
                    let Some(pairs) = numbered::pairs(stem, value) else {
                        return Err(ArgError::one(
                            tool,
                            &format!("/{}", p.arg),
                            format!(
                                "expected an object of numbered values, e.g. {{\"0\": \"…\"}} for {stem}0"
                            ),
                        ));
                    };
                    query.extend(pairs);
                }
                Location::Query => query_pairs(&p.name, value, p.style, p.explode, &mut query),
                Location::Header => {
                    let text = simple(value, p.explode);
                    // CR, LF and other controls would split or corrupt the header block.
                    if text.chars().any(|c| c.is_control() && c != '\t') {
                        return Err(ArgError::one(
                            tool,
                            &format!("/{}", p.arg),
                            "a header value cannot contain control characters",
                        ));
                    }
                    headers.push((p.name.clone(), text));
                }
                Location::Cookie => {
                    // Encoded so `;` or `,` in a value cannot add cookies.
                    let text = simple(value, false);
                    let encoded = utf8_percent_encode(&text, COMPONENT);
                    cookies.push(format!("{}={encoded}", p.name));
                }
            }
        }
        if !cookies.is_empty() {
            headers.push(("Cookie".to_owned(), cookies.join("; ")));
        }
        let body = match &self.body {
            BodyBinding::None => None,
            BodyBinding::Whole(arg) => args.get(arg).cloned(),
            BodyBinding::Flat(props) => {
                let mut obj = Map::new();
                for (arg, prop) in props {
                    if let Some(v) = args.get(arg) {
                        obj.insert(prop.clone(), v.clone());
                    }
                }
                (self.body_required || !obj.is_empty()).then_some(Value::Object(obj))
            }
        };
        let content_type = body.as_ref().and(self.content_type.clone());
        Ok(HttpRequest {
            method,
            path,
            query,
            headers,
            body,
            content_type,
        })
    }

    fn render_path(&self, tool: &str, args: &Map<String, Value>) -> Result<String, ArgError> {
        let mut out = String::with_capacity(self.path.len() + 16);
        let mut rest = self.path.as_str();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|c| c + open) else {
                break;
            };
            out.extend(utf8_percent_encode(&rest[..open], PATH_LITERAL));
            let name = &rest[open + 1..close];
            let binding = self
                .params
                .iter()
                .find(|p| p.location == Location::Path && p.name == name);
            let value = binding.and_then(|b| args.get(&b.arg).map(|v| (b, v)));
            match value {
                Some((b, v)) if !v.is_null() => {
                    let seg = path_value(&b.name, v, b.style, b.explode);
                    if seg.is_empty() {
                        return Err(ArgError::one(
                            tool,
                            &format!("/{}", b.arg),
                            "a path parameter cannot be empty",
                        ));
                    }
                    out.push_str(&seg);
                }
                _ => {
                    let arg = binding.map_or(name, |b| b.arg.as_str());
                    return Err(ArgError::one(
                        tool,
                        &format!("/{arg}"),
                        "required path parameter is missing",
                    ));
                }
            }
            rest = &rest[close + 1..];
        }
        out.extend(utf8_percent_encode(rest, PATH_LITERAL));
        Ok(out)
    }
}

/// A scalar as parameter text (strings unquoted, everything else as JSON).
pub(crate) fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Percent-encodes one value so it cannot leave its path segment.
fn encode_segment(text: &str) -> String {
    if !text.is_empty() && text.bytes().all(|b| b == b'.') {
        return "%2E".repeat(text.len());
    }
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// Path parameter serialisation (simple, label, matrix), each piece encoded.
fn path_value(name: &str, value: &Value, style: Style, explode: bool) -> String {
    let pieces: Vec<(Option<String>, String)> = match value {
        Value::Array(items) => items.iter().map(|v| (None, scalar(v))).collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (Some(k.clone()), scalar(v)))
            .collect(),
        v => vec![(None, scalar(v))],
    };
    let is_object = value.is_object();
    let enc_name = encode_segment(name);
    let join = |sep: &str, kv_sep: &str| -> String {
        pieces
            .iter()
            .map(|(k, v)| match k {
                Some(k) if is_object => {
                    if explode {
                        format!("{}{kv_sep}{}", encode_segment(k), encode_segment(v))
                    } else {
                        format!("{},{}", encode_segment(k), encode_segment(v))
                    }
                }
                _ => encode_segment(v),
            })
            .collect::<Vec<_>>()
            .join(sep)
    };
    match style {
        Style::Label => {
            let sep = if explode { "." } else { "," };
            format!(".{}", join(sep, "="))
        }
        Style::Matrix => {
            if explode && value.is_array() {
                pieces
                    .iter()
                    .map(|(_, v)| format!(";{enc_name}={}", encode_segment(v)))
                    .collect()
            } else if explode && is_object {
                format!(";{}", join(";", "="))
            } else {
                format!(";{enc_name}={}", join(",", "="))
            }
        }
        _ => join(",", "="),
    }
}

/// Header (simple style) text.
fn simple(value: &Value, explode: bool) -> String {
    match value {
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                if explode {
                    format!("{k}={}", scalar(v))
                } else {
                    format!("{k},{}", scalar(v))
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        v => scalar(v),
    }
}

/// Query serialisation by style and explode.
fn query_pairs(
    name: &str,
    value: &Value,
    style: Style,
    explode: bool,
    out: &mut Vec<(String, String)>,
) {
    match (value, style) {
        (Value::Object(_), Style::DeepObject) => deep_object(name, value, out, 0),
        (Value::Array(items), _) => {
            let sep = match style {
                Style::SpaceDelimited => " ",
                Style::PipeDelimited => "|",
                _ => ",",
            };
            if explode && style == Style::Form {
                for item in items {
                    out.push((name.to_owned(), scalar(item)));
                }
            } else {
                let joined = items.iter().map(scalar).collect::<Vec<_>>().join(sep);
                out.push((name.to_owned(), joined));
            }
        }
        (Value::Object(map), _) => {
            if explode {
                for (k, v) in map {
                    out.push((k.clone(), scalar(v)));
                }
            } else {
                let joined = map
                    .iter()
                    .flat_map(|(k, v)| [k.clone(), scalar(v)])
                    .collect::<Vec<_>>()
                    .join(",");
                out.push((name.to_owned(), joined));
            }
        }
        (v, _) => out.push((name.to_owned(), scalar(v))),
    }
}

fn deep_object(prefix: &str, value: &Value, out: &mut Vec<(String, String)>, depth: usize) {
    match value {
        Value::Object(map) if depth < MAX_DEEP_OBJECT_DEPTH => {
            for (k, v) in map {
                deep_object(&format!("{prefix}[{k}]"), v, out, depth + 1);
            }
        }
        Value::Array(items) if depth < MAX_DEEP_OBJECT_DEPTH => {
            for (i, v) in items.iter().enumerate() {
                deep_object(&format!("{prefix}[{i}]"), v, out, depth + 1);
            }
        }
        v => out.push((prefix.to_owned(), scalar(v))),
    }
}

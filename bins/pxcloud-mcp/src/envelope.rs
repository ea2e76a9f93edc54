//! The result envelope every catalog tool returns, and the hints that go with it.
//!
//! `{ok, tool, method, path, status, summary, dataType, data, hints}` is the earlier server's
//! shape, kept so prompts and clients written for it keep working. What is new: PXCloud's own
//! `{code, message, data}` wrapper is unwrapped so `data` is the payload, the hints name task
//! ids and the tool that follows them, failures carry a recovery hint for every status, and a
//! result larger than the budget is cut at a clean boundary with a note saying how to narrow it.
//!
//! A success that needs no shaping (no `fields`, within the budget, an object or array) is
//! written from PXCloud's body text without a value tree: the payload is copied compactly
//! while it is read (`transcode`), the same JSON a value would give, and goes into the text
//! and, as written, into the structured envelope. Everything else goes through a value.

mod scan;
mod transcode;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use self::transcode::{Kind, Shape as Noted, Top};

/// What the envelope needs to know about the tool that ran.
#[derive(Debug, Clone, Copy)]
pub struct ToolFacts<'a> {
    /// MCP tool name.
    pub name: &'a str,
    /// Human title (summary) of the tool.
    pub title: &'a str,
    /// HTTP method, uppercase.
    pub method: &'a str,
    /// Path template from the spec.
    pub path: &'a str,
    /// GET/HEAD: reads only.
    pub read_only: bool,
    /// Classified destructive.
    pub destructive: bool,
}

/// Why a call failed, as far as the envelope cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// PXCloud answered with a non-2xx status.
    Status {
        /// HTTP status.
        status: u16,
        /// PXCloud's error code (`"not_found"`, `"token_expired"`…), when it sent one.
        code: Option<String>,
        /// PXCloud's message, or a short description of the body.
        message: String,
    },
    /// PXCloud could not be reached or the connection broke.
    Network(String),
    /// The call did not finish in time.
    Timeout(String),
    /// TLS verification failed; `fingerprint` is the certificate PXCloud presented.
    Tls {
        /// What went wrong.
        message: String,
        /// SHA-256 fingerprint of the presented certificate, when known.
        fingerprint: Option<String>,
    },
    /// A 401 that a fresh login could not fix, or a static token that expired.
    Auth {
        /// What went wrong.
        message: String,
        /// Whether the server holds a password and could log in again.
        can_relogin: bool,
    },
    /// PXCloud answered something that is not what it should be.
    Garbage(String),
    /// The answer was larger than the client accepts.
    TooLarge(String),
}

impl Failure {
    /// The HTTP status for the envelope; 0 when no HTTP answer arrived.
    pub fn status(&self) -> u16 {
        match self {
            Failure::Status { status, .. } => *status,
            Failure::Auth { .. } => 401,
            _ => 0,
        }
    }

    /// A one-line description.
    pub fn message(&self) -> String {
        match self {
            Failure::Status {
                status,
                code: Some(code),
                message,
            } => {
                format!("HTTP {status} {code}: {message}")
            }
            Failure::Status {
                status,
                code: None,
                message,
            } => format!("HTTP {status}: {message}"),
            Failure::Network(m) => format!("network error: {m}"),
            Failure::Timeout(m) => format!("timed out: {m}"),
            Failure::Tls { message, .. } => format!("TLS error: {message}"),
            Failure::Auth { message, .. } => format!("authentication failed: {message}"),
            Failure::Garbage(m) => format!("unexpected answer from PXCloud: {m}"),
            Failure::TooLarge(m) => format!("answer too large: {m}"),
        }
    }
}

/// The tool result: text for the model and the structured envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// Text content (summary, hints and the data as JSON).
    pub text: String,
    /// The envelope, also the `structuredContent`.
    pub structured: Value,
    /// `isError`.
    pub is_error: bool,
}

/// A tool result on its way to the wire: a [`ToolOutput`], or a success whose structured
/// envelope is JSON text already written.
#[derive(Debug, Clone)]
pub enum CallOutput {
    /// Text and a structured value.
    Tree(ToolOutput),
    /// Text and the structured envelope as JSON text (a success, never an error).
    Json(JsonOutput),
}

/// A success written from PXCloud's body text: no value tree was built for it.
#[derive(Debug, Clone)]
pub struct JsonOutput {
    /// Text content (summary, hints and the data as JSON).
    pub text: String,
    /// The envelope as JSON text, the `structuredContent`.
    pub structured: Box<RawValue>,
}

impl CallOutput {
    /// The result with its structured part as a value (the JSON text is parsed).
    pub fn into_tool_output(self) -> ToolOutput {
        match self {
            CallOutput::Tree(out) => out,
            CallOutput::Json(out) => ToolOutput {
                // Written by serde_json from a parsed body: it parses.
                structured: serde_json::from_str(out.structured.get()).unwrap_or(Value::Null),
                text: out.text,
                is_error: false,
            },
        }
    }
}

impl From<ToolOutput> for CallOutput {
    fn from(out: ToolOutput) -> Self {
        CallOutput::Tree(out)
    }
}

/// Shaping options of one result.
#[derive(Debug, Clone, Default)]
pub struct Shape<'a> {
    /// Fields to keep (the `fields` argument), dotted paths allowed.
    pub fields: Option<&'a [String]>,
    /// Size budget of the text in bytes.
    pub max_bytes: usize,
    /// Query parameters of the tool that narrow results (pagination, filters), for the note.
    pub narrowing_params: &'a [String],
}

/// The JSON Schema of the envelope, the `outputSchema` of every catalog tool.
///
/// Deliberately minimal: it is repeated on every tool of `tools/list` (about 140 times), so it
/// names the members every result carries and no more. The whole envelope (`tool`, `method`,
/// `path`, `dataType`, `hints`, `truncated` too) is described once, in the
/// `pxcloud://guides/capabilities` resource and in docs/ARCHITECTURE.md.
pub fn output_schema() -> Value {
    json!({"type": "object", "required": ["ok", "status", "summary", "data"]})
}

/// PXCloud wraps successes as `{"code":0,"message":"ok","data":…}`: return the payload.
pub fn unwrap_pxcloud(body: Value) -> Value {
    match body {
        Value::Object(mut map) if map.len() <= 3 && map.get("code").is_some_and(|c| c == 0) => {
            // Nothing is removed when there is no `data`, so the body is returned as it came.
            match map.remove("data") {
                Some(data) => data,
                None => Value::Object(map),
            }
        }
        other => other,
    }
}

/// The success body as JSON; text when it is not JSON (a success never becomes a failure
/// because of its body), `null` when it is empty.
pub fn decode_body(body: &[u8]) -> Value {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => Value::String(String::from_utf8_lossy(body).into_owned()),
    }
}

/// A successful call, from PXCloud's body as it came: the same result as [`success`] of
/// [`decode_body`], written without a value tree when no shaping is needed.
pub fn success_body(
    tool: ToolFacts<'_>,
    status: u16,
    body: &[u8],
    shape: &Shape<'_>,
) -> CallOutput {
    // A body four times the budget will not fit even compacted (its whitespace would have
    // to be most of it): the value path cuts it without a copy made first for nothing.
    let surely_cut = shape.max_bytes != 0 && body.len() / 4 > shape.max_bytes;
    if shape.fields.is_none_or(<[String]>::is_empty)
        && !surely_cut
        && let Some(out) = success_json(tool, status, body, shape)
    {
        return CallOutput::Json(out);
    }
    CallOutput::Tree(success(tool, status, decode_body(body), shape))
}

/// The keys whose values the hints show.
const HINT_KEYS: [&str; 4] = ["id", "task_id", "taskId", "upid"];

/// [`success`] written from the body's text: `None` when the data is not an object or array,
/// is not JSON, does not fit the budget, repeats a top-level key or has an escaped id to show
/// (the value path handles those).
fn success_json(
    tool: ToolFacts<'_>,
    status: u16,
    body: &[u8],
    shape: &Shape<'_>,
) -> Option<JsonOutput> {
    let text = match body.iter().find(|b| !b.is_ascii_whitespace())? {
        b'{' | b'[' => std::str::from_utf8(body).ok()?,
        _ => return None,
    };
    // PXCloud writes its answers as serde_json does: the payload is then its own copy, taken
    // as it stands. Otherwise it is copied compactly, one level more for the envelope around
    // it, so the envelope parses too (as `CallOutput::into_tool_output` does); deeper data
    // goes through the value.
    let copied;
    let (data, top) = match scan::payload(text) {
        Some(found) => found,
        None => {
            let (data, top) = transcode::copy_payload(text, 1)?;
            copied = data;
            (copied.get(), top)
        }
    };
    if top.kind == Kind::Scalar
        || top.repeats_a_key()
        || top
            .members
            .iter()
            .any(|m| matches!(m.value, Noted::EscapedStr) && HINT_KEYS.contains(&m.key.as_ref()))
    {
        return None;
    }
    let hints = result_hints(tool, &top);
    let summary = summarize_top(&top);
    if shape.max_bytes != 0 && data.len() > data_budget(tool, &hints, &summary, shape) {
        return None;
    }
    let text = render_text(tool.title, "success", &summary, &hints, Some(data));
    let data_type = if top.kind == Kind::Array {
        "array"
    } else {
        "object"
    };
    let envelope = json_envelope(tool, status, &summary, data_type, data, &hints)?;
    let structured = serde_json::value::to_raw_value(&Verbatim(&envelope)).ok()?;
    Some(JsonOutput { text, structured })
}

/// The envelope of [`success`] as serde_json writes it (its members in the same order),
/// around `data`, JSON text as serde_json writes it. Written by hand: the member names need
/// no escaping, and the strings seldom do (`None` if one cannot be written).
fn json_envelope(
    tool: ToolFacts<'_>,
    status: u16,
    summary: &str,
    data_type: &str,
    data: &str,
    hints: &[String],
) -> Option<String> {
    let strings = [tool.name, tool.method, tool.path, summary, data_type];
    let hints_len: usize = hints.iter().map(|h| h.len() + 3).sum();
    let len = strings.iter().map(|s| s.len() + 2).sum::<usize>() + data.len() + hints_len + 96;
    let mut out = String::with_capacity(len);
    out.push_str(r#"{"ok":true,"tool":"#);
    push_json_str(&mut out, tool.name)?;
    out.push_str(r#","method":"#);
    push_json_str(&mut out, tool.method)?;
    out.push_str(r#","path":"#);
    push_json_str(&mut out, tool.path)?;
    out.push_str(r#","status":"#);
    push_decimal(&mut out, usize::from(status));
    out.push_str(r#","summary":"#);
    push_json_str(&mut out, summary)?;
    out.push_str(r#","dataType":"#);
    push_json_str(&mut out, data_type)?;
    out.push_str(r#","data":"#);
    out.push_str(data);
    if let Some((first, rest)) = hints.split_first() {
        out.push_str(r#","hints":["#);
        push_json_str(&mut out, first)?;
        for hint in rest {
            out.push(',');
            push_json_str(&mut out, hint)?;
        }
        out.push(']');
    }
    out.push('}');
    Some(out)
}

/// `s` as a JSON string, as serde_json writes it.
fn push_json_str(out: &mut String, s: &str) -> Option<()> {
    if scan::plain_prefix(s.as_bytes()) == s.len() {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).ok()?);
    }
    Some(())
}

/// `n` in decimal, without the formatting machinery.
fn push_decimal(out: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[start..] {
        out.push(char::from(d));
    }
}

/// JSON text written as serde_json writes it, taken as it stands, as a `RawValue` is, without
/// the parse that makes one from text: the envelope was written around data that was checked
/// (`scan`) or written by serde_json (`transcode`) already.
///
/// It goes the way `RawValue` itself serialises (serde_json's raw-value struct name and
/// field), which serde_json's serializer writes unescaped; `the_data_is_written_as_it_stands`
/// checks that it still does.
struct Verbatim<'a>(&'a str);

/// serde_json's name for the struct and field of a raw value (`serde_json::raw::TOKEN`).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

impl Serialize for Verbatim<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut raw = serializer.serialize_struct(RAW_VALUE_TOKEN, 1)?;
        raw.serialize_field(RAW_VALUE_TOKEN, self.0)?;
        raw.end()
    }
}

/// The bytes the data's JSON may take in the text part: the budget is for the whole text,
/// and the title line, summary, hints and a possible truncation note come out of it first.
fn data_budget(tool: ToolFacts<'_>, hints: &[String], summary: &str, shape: &Shape<'_>) -> usize {
    let header = tool.title.len()
        + 16
        + hints.iter().map(|h| h.len() + 3).sum::<usize>()
        + summary.len().max(64)
        + 160
        + shape
            .narrowing_params
            .iter()
            .map(|p| p.len() + 4)
            .sum::<usize>();
    shape
        .max_bytes
        .saturating_sub(header)
        .max(shape.max_bytes / 2)
}

/// A successful call.
pub fn success(tool: ToolFacts<'_>, status: u16, body: Value, shape: &Shape<'_>) -> ToolOutput {
    let mut data = unwrap_pxcloud(body);
    if let Some(fields) = shape.fields.filter(|f| !f.is_empty()) {
        data = project(&data, fields);
    }
    let mut hints = result_hints(tool, &data);
    let summary = summarize(&data, None);
    let data_budget = data_budget(tool, &hints, &summary, shape);
    // Most results fit: the text is written once, the data's JSON straight after the
    // summary and hints, and its length decides whether the result must be cut.
    let (text, summary, data, truncated) =
        match render_fitting(tool.title, &summary, &hints, &data, data_budget) {
            Some(text) => (text, summary, data, None),
            None => {
                let (data, truncated, data_text) = fit(data, data_budget);
                if let Some(t) = &truncated {
                    hints.push(truncation_note(t, shape.narrowing_params));
                }
                let summary = summarize(&data, truncated.as_ref());
                let shown = (!data.is_null()).then_some(data_text.as_str());
                let text = render_text(tool.title, "success", &summary, &hints, shown);
                (text, summary, data, truncated)
            }
        };
    let data_type = data_type(&data);
    let hints = (!hints.is_empty()).then_some(hints);
    let mut envelope = envelope(tool, true, status, summary, data_type, data, hints);
    if let Some(t) = truncated {
        let mut cut = Map::with_capacity(3);
        cut.insert("shownItems".into(), t.shown.into());
        cut.insert("totalItems".into(), t.total.into());
        cut.insert("omittedBytes".into(), t.omitted_bytes.into());
        envelope.insert("truncated".into(), Value::Object(cut));
    }
    ToolOutput {
        text,
        structured: Value::Object(envelope),
        is_error: false,
    }
}

/// The text of a success whose data's JSON fits in `max_bytes` (or when there is no
/// budget), with the JSON written in place; `None` when the data must be cut first.
fn render_fitting(
    title: &str,
    summary: &str,
    hints: &[String],
    data: &Value,
    max_bytes: usize,
) -> Option<String> {
    if data.is_null() {
        return Some(render_head(title, "success", summary, hints, 0));
    }
    // Room for a typical single-object answer without regrowing the buffer.
    let mut text = render_head(title, "success", summary, hints, 1024).into_bytes();
    text.push(b'\n');
    let start = text.len();
    serde_json::to_writer(&mut text, data).ok()?;
    if max_bytes != 0 && text.len() - start > max_bytes {
        return None;
    }
    String::from_utf8(text).ok()
}

/// A failed call.
pub fn failure(tool: ToolFacts<'_>, failure: &Failure) -> ToolOutput {
    let message = failure.message();
    let hints = recovery_hints(tool, failure);
    let mut data = Map::new();
    data.insert("error".into(), Value::String(message.clone()));
    if let Failure::Status {
        code: Some(code), ..
    } = failure
    {
        data.insert("code".into(), Value::String(code.clone()));
    }
    if let Failure::Tls {
        fingerprint: Some(fp),
        ..
    } = failure
    {
        data.insert("certificateFingerprint".into(), Value::String(fp.clone()));
    }
    let text = render_text(tool.title, "failed", &message, &hints, None);
    let envelope = envelope(
        tool,
        false,
        failure.status(),
        message,
        "object",
        Value::Object(data),
        Some(hints),
    );
    ToolOutput {
        text,
        structured: Value::Object(envelope),
        is_error: true,
    }
}

/// The envelope's members in their documented order. Built member by member rather than
/// with `json!`, which would copy `data` (the largest part) once more.
fn envelope(
    tool: ToolFacts<'_>,
    ok: bool,
    status: u16,
    summary: String,
    data_type: &str,
    data: Value,
    hints: Option<Vec<String>>,
) -> Map<String, Value> {
    let mut map = Map::with_capacity(10);
    map.insert("ok".into(), Value::Bool(ok));
    map.insert("tool".into(), Value::String(tool.name.to_owned()));
    map.insert("method".into(), Value::String(tool.method.to_owned()));
    map.insert("path".into(), Value::String(tool.path.to_owned()));
    map.insert("status".into(), Value::from(status));
    map.insert("summary".into(), Value::String(summary));
    map.insert("dataType".into(), Value::String(data_type.to_owned()));
    map.insert("data".into(), data);
    if let Some(hints) = hints {
        map.insert(
            "hints".into(),
            Value::Array(hints.into_iter().map(Value::String).collect()),
        );
    }
    map
}

fn render_text(
    title: &str,
    outcome: &str,
    summary: &str,
    hints: &[String],
    data: Option<&str>,
) -> String {
    let mut text = render_head(
        title,
        outcome,
        summary,
        hints,
        data.map_or(0, |d| d.len() + 1),
    );
    if let Some(data) = data {
        text.push('\n');
        text.push_str(data);
    }
    text
}

/// The title line, summary and hints, with room for `extra` more bytes.
fn render_head(
    title: &str,
    outcome: &str,
    summary: &str,
    hints: &[String],
    extra: usize,
) -> String {
    let title = title.trim_end_matches('.');
    let hints_len: usize = hints.iter().map(|h| h.len() + 3).sum();
    let mut text =
        String::with_capacity(title.len() + outcome.len() + summary.len() + hints_len + extra + 16);
    text.push_str(title);
    text.push_str(": ");
    text.push_str(outcome);
    text.push('\n');
    text.push_str(summary);
    if let Some((first, rest)) = hints.split_first() {
        text.push_str("\nHints: ");
        text.push_str(first);
        for hint in rest {
            text.push_str(" | ");
            text.push_str(hint);
        }
    }
    text
}

/// `object`, `array`, `string`, `number`, `boolean` or `null`.
pub fn data_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn summarize(value: &Value, truncated: Option<&Truncation>) -> String {
    match (value, truncated) {
        (Value::Array(items), Some(t)) if t.total > 0 => {
            format!(
                "Returned {} item(s); showing the first {}.",
                t.total,
                items.len()
            )
        }
        (Value::Null, _) => "No payload returned.".to_owned(),
        (Value::Array(_) | Value::Object(_), _) => summarize_top(value),
        (Value::String(s), _) => {
            let shown: String = s.chars().take(120).collect();
            let more = if s.chars().count() > 120 { "…" } else { "" };
            format!("Returned string: {shown}{more}")
        }
        (other, _) => format!("Returned {}: {other}", data_type(other)),
    }
}

/// The summary of an array or object that was not cut.
fn summarize_top(data: &impl TopLevel) -> String {
    if let Some(n) = data.array_len() {
        let mut text = String::with_capacity(32);
        text.push_str("Returned ");
        push_decimal(&mut text, n);
        text.push_str(" item(s).");
        return text;
    }
    let len = data.object_len();
    if len == 0 {
        return "Returned an empty object.".to_owned();
    }
    // A page object (`{items: [...], total}`) is summarized by its list; looked up once.
    match page_items(data) {
        Some((n, Some(total))) if total as usize > n => {
            format!("Returned {n} item(s) of {total}; use the pagination parameters for more.")
        }
        Some((n, _)) => format!("Returned {n} item(s)."),
        None => {
            // Written in place: this runs on every call that returns an object.
            let keys = data.keys().take(6);
            let mut text =
                String::with_capacity(56 + keys.clone().map(|k| k.len() + 2).sum::<usize>());
            text.push_str("Returned object with ");
            push_decimal(&mut text, len);
            text.push_str(" top-level field(s): ");
            for (i, key) in keys.enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                text.push_str(key);
            }
            if len > 6 {
                text.push_str(", ...");
            }
            text.push('.');
            text
        }
    }
}

/// Hints for a success: what kind of call it was, the ids worth remembering, what follows.
fn result_hints(tool: ToolFacts<'_>, data: &impl TopLevel) -> Vec<String> {
    let mut hints = Vec::new();
    if tool.read_only {
        hints.push("Read-only operation completed.".to_owned());
    } else if tool.destructive {
        hints.push("This operation changed PXCloud state.".to_owned());
    }
    if data.array_len() == Some(0) {
        hints.push("No records matched the query.".to_owned());
    }
    if let Some(id) = data.scalar("id") {
        hints.push(id.after("Primary id: "));
    }
    let task = data.scalar("task_id").or_else(|| data.scalar("taskId"));
    let upid = data.scalar("upid");
    if let Some(task) = task {
        hints.push(task.after("Task id: "));
    }
    if let Some(upid) = upid {
        hints.push(upid.after("UPID: "));
    }
    if let Some(follow) = task.or(upid) {
        hints.push(format!(
            "The operation runs asynchronously: follow it with pxcloud_wait_task (task_id: {follow}) before reporting the outcome."
        ));
    }
    hints
}

/// The top level of a result's data as the summary and hints read it: a value, or what was
/// noted while PXCloud's text was copied.
trait TopLevel {
    /// The items of an array; `None` for anything else.
    fn array_len(&self) -> Option<usize>;
    /// The members of an object; 0 for anything else.
    fn object_len(&self) -> usize;
    /// An object's keys, in order.
    fn keys(&self) -> impl Iterator<Item = &str> + Clone;
    /// The items of member `key` when it is an array.
    fn member_array_len(&self, key: &str) -> Option<usize>;
    /// Member `key` when it is a number.
    fn member_number(&self, key: &str) -> Option<&serde_json::Number>;
    /// Member `key` when it is a non-empty string or a number.
    fn scalar(&self, key: &str) -> Option<Scalar<'_>>;
}

impl TopLevel for Value {
    fn array_len(&self) -> Option<usize> {
        self.as_array().map(Vec::len)
    }

    fn object_len(&self) -> usize {
        self.as_object().map_or(0, Map::len)
    }

    fn keys(&self) -> impl Iterator<Item = &str> + Clone {
        self.as_object()
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str))
    }

    fn member_array_len(&self, key: &str) -> Option<usize> {
        self.get(key)?.as_array().map(Vec::len)
    }

    fn member_number(&self, key: &str) -> Option<&serde_json::Number> {
        match self.as_object()?.get(key)? {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    fn scalar(&self, key: &str) -> Option<Scalar<'_>> {
        match self.as_object()?.get(key)? {
            Value::String(s) if !s.is_empty() => Some(Scalar::Str(s)),
            Value::Number(n) => Some(Scalar::Number(n)),
            _ => None,
        }
    }
}

impl TopLevel for Top<'_> {
    fn array_len(&self) -> Option<usize> {
        (self.kind == Kind::Array).then_some(self.items)
    }

    fn object_len(&self) -> usize {
        self.members.len()
    }

    fn keys(&self) -> impl Iterator<Item = &str> + Clone {
        self.members.iter().map(|m| m.key.as_ref())
    }

    fn member_array_len(&self, key: &str) -> Option<usize> {
        match self.member(key)? {
            Noted::Array(n) => Some(*n),
            _ => None,
        }
    }

    fn member_number(&self, key: &str) -> Option<&serde_json::Number> {
        match self.member(key)? {
            Noted::Number(n) => Some(n),
            _ => None,
        }
    }

    fn scalar(&self, key: &str) -> Option<Scalar<'_>> {
        match self.member(key)? {
            Noted::Str(s) if !s.is_empty() => Some(Scalar::Str(s)),
            Noted::Number(n) => Some(Scalar::Number(n)),
            _ => None,
        }
    }
}

/// A non-empty string or a number, shown without quotes; borrowed from the data.
#[derive(Clone, Copy)]
enum Scalar<'a> {
    Str(&'a str),
    Number(&'a serde_json::Number),
}

impl Scalar<'_> {
    /// `prefix` followed by the scalar (written without `format!`: a hint made on every
    /// call that returns an id).
    fn after(self, prefix: &str) -> String {
        match self {
            Scalar::Str(s) => {
                let mut text = String::with_capacity(prefix.len() + s.len());
                text.push_str(prefix);
                text.push_str(s);
                text
            }
            Scalar::Number(n) => format!("{prefix}{n}"),
        }
    }
}

impl std::fmt::Display for Scalar<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Str(s) => f.write_str(s),
            Scalar::Number(n) => n.fmt(f),
        }
    }
}

/// Recovery hints for a failure, by status and kind.
pub fn recovery_hints(tool: ToolFacts<'_>, failure: &Failure) -> Vec<String> {
    let mut hints = Vec::new();
    match failure {
        Failure::Status {
            status,
            message,
            code,
            ..
        } => match status {
            401 => hints.push(
                "Authentication was refused even after a fresh login; check that PXCLOUD_USER still exists and PXCLOUD_PASS is current.".to_owned(),
            ),
            403 => hints.push(
                "Permission denied: the PXCloud user lacks the privilege for this operation (see the tool description for the privilege it needs). Ask an administrator for the role, or use a read-only tool.".to_owned(),
            ),
            404 => hints.push(
                "Resource not found. List the resources first (e.g. the matching list tool) and use an id from that list; VM ids look like cluster:node:vmid.".to_owned(),
            ),
            409 if code.as_deref().is_some_and(|c| c.to_ascii_lowercase().contains("lock")) => hints.push(
                "The resource is locked by another operation; check its tasks and retry when they finish.".to_owned(),
            ),
            409 => hints.push(
                "Conflict: the resource's current state does not allow this (e.g. starting a running VM, an address already allocated). Read the current state, then choose a valid action.".to_owned(),
            ),
            422 => hints.push(format!(
                "Validation failed: {message}. Fix the named field(s) against the tool's input schema and retry."
            )),
            423 => hints.push(
                "The resource is locked by another operation; check its tasks and retry when they finish.".to_owned(),
            ),
            429 => hints.push(
                "Rate limited by PXCloud (already retried within the allowed wait). Wait a little, then retry; avoid parallel bursts.".to_owned(),
            ),
            500 => hints.push(
                "PXCloud reported an internal error. Retry once; if it persists, check the PXCloud server logs.".to_owned(),
            ),
            502..=504 => hints.push(
                "PXCloud or the node behind it is unavailable (already retried where safe). Check node health with a nodes/cluster status tool before retrying.".to_owned(),
            ),
            _ => hints.push(format!("Unexpected HTTP status {status}; check the PXCloud server logs.")),
        },
        Failure::Auth { can_relogin: true, .. } => hints.push(
            "Login failed: the credentials in PXCLOUD_USER / PXCLOUD_PASS were refused; correct them and restart the server.".to_owned(),
        ),
        Failure::Auth { can_relogin: false, .. } => hints.push(
            "The token in PXCLOUD_TOKEN expired or was revoked and cannot be renewed: set a fresh PXCLOUD_TOKEN, or use PXCLOUD_USER and PXCLOUD_PASS so the server can log in again by itself.".to_owned(),
        ),
        Failure::Network(_) => hints.push(
            "Network error: PXCloud could not be reached. Check that PXCLOUD_URL is right and the server is running (`pxcloud-mcp check` diagnoses this).".to_owned(),
        ),
        Failure::Timeout(_) => hints.push(
            "PXCloud did not answer in time (PXCLOUD_TIMEOUT_SECS). Long operations return a task id; if this one did not, check its state before retrying.".to_owned(),
        ),
        Failure::Tls { fingerprint, .. } => {
            let pin = fingerprint
                .as_deref()
                .map(|fp| format!(" (PXCLOUD_TLS_FINGERPRINT={fp})"))
                .unwrap_or_default();
            hints.push(format!(
                "TLS verification failed. Trust PXCloud's self-signed certificate with PXCLOUD_CA_FILE (its PEM) or pin it with PXCLOUD_TLS_FINGERPRINT{pin}; PXCLOUD_TLS_VERIFY=false works but is unsafe."
            ));
        }
        Failure::TooLarge(_) => hints.push(
            "PXCloud's answer exceeded the size limit; ask for less with the tool's pagination or filter parameters.".to_owned(),
        ),
        Failure::Garbage(_) => hints.push(
            "PXCloud answered with something that is not its API's JSON; check PXCLOUD_URL points at PXCloud itself, not a proxy or login page.".to_owned(),
        ),
    }
    if !tool.read_only && failure.status() != 409 {
        hints.push(
            "Verify the resource's state with a read-only tool before retrying the change."
                .to_owned(),
        );
    }
    hints
}

/// Keeps only `fields` (dotted paths allowed) of an object, or of each object in an array.
///
/// A page object (`{items: [...], total: 42}`) whose top level has none of the fields is
/// projected inside: its list members are projected item by item and its other members
/// (totals, cursors) are kept, so pagination stays visible.
pub fn project(value: &Value, fields: &[String]) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| project(v, fields)).collect()),
        Value::Object(map) if is_page(map, fields) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_object_list(v) {
                        project(v, fields)
                    } else {
                        v.clone()
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for field in fields {
                let mut parts = field.splitn(2, '.');
                let head = parts.next().unwrap_or_default();
                let Some(inner) = map.get(head) else { continue };
                match parts.next() {
                    None => {
                        out.insert(head.to_owned(), inner.clone());
                    }
                    Some(rest) => {
                        let projected = project(inner, &[rest.to_owned()]);
                        match (out.get_mut(head), projected) {
                            (Some(Value::Object(existing)), Value::Object(more)) => {
                                existing.extend(more);
                            }
                            (_, projected) => {
                                out.insert(head.to_owned(), projected);
                            }
                        }
                    }
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn is_object_list(v: &Value) -> bool {
    v.as_array()
        .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_object))
}

fn is_page(map: &Map<String, Value>, fields: &[String]) -> bool {
    let heads = || {
        fields
            .iter()
            .map(|f| f.split('.').next().unwrap_or_default())
    };
    map.values().any(is_object_list) && !heads().any(|h| map.contains_key(h))
}

/// The list inside a page object (`items`, `data`, `results`…) and the total, if any.
fn page_items(data: &impl TopLevel) -> Option<(usize, Option<u64>)> {
    let items = ["items", "data", "results", "entries"]
        .iter()
        .find_map(|k| data.member_array_len(k))?;
    let total = ["total", "total_count", "count"]
        .iter()
        .find_map(|k| data.member_number(k)?.as_u64());
    Some((items, total))
}

/// How a result was cut to fit the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Truncation {
    shown: usize,
    total: usize,
    omitted_bytes: usize,
}

fn truncation_note(t: &Truncation, narrowing: &[String]) -> String {
    let how = if narrowing.is_empty() {
        "ask for less (use the `fields` argument to keep only the fields you need)".to_owned()
    } else {
        format!(
            "narrow the query with {} or the `fields` argument",
            narrowing
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if t.total > 0 {
        format!(
            "Result cut to fit the response budget: showing {} of {} items ({} bytes left out); {how}.",
            t.shown, t.total, t.omitted_bytes
        )
    } else {
        format!(
            "Result cut to fit the response budget ({} bytes left out); {how}.",
            t.omitted_bytes
        )
    }
}

/// Cuts `data` so its JSON fits in `max_bytes`: whole array items, or a string at a char
/// boundary. Objects are cut in their largest array member. Returns what was cut, and the
/// compact JSON text of what is kept.
fn fit(data: Value, max_bytes: usize) -> (Value, Option<Truncation>, String) {
    let text = data.to_string();
    let size = text.len();
    if max_bytes == 0 || size <= max_bytes {
        return (data, None, text);
    }
    let (data, truncated) = match data {
        Value::Array(items) => {
            let (kept, t) = fit_items(items, max_bytes, size);
            (Value::Array(kept), Some(t))
        }
        Value::Object(mut map) => 'object: {
            // Cut the largest array inside the object, keeping every other field intact.
            let largest = map
                .iter()
                .filter(|(_, v)| v.is_array())
                .max_by_key(|(_, v)| json_len(v))
                .map(|(k, _)| k.clone());
            if let Some(key) = largest {
                let rest = size - map.get(&key).map_or(0, json_len);
                if rest < max_bytes
                    && let Some(Value::Array(items)) = map.remove(&key)
                {
                    let own = size - rest;
                    let (kept, t) = fit_items(items, max_bytes - rest, own);
                    map.insert(key, Value::Array(kept));
                    break 'object (Value::Object(map), Some(t));
                }
            }
            // No array to cut: fall back to the JSON text cut at a character boundary.
            let cut = cut_str(&text, max_bytes);
            let omitted = text.len() - cut.len();
            (
                Value::String(cut.to_owned()),
                Some(Truncation {
                    shown: 0,
                    total: 0,
                    omitted_bytes: omitted,
                }),
            )
        }
        Value::String(s) => {
            let cut = cut_str(&s, max_bytes);
            let omitted = s.len() - cut.len();
            (
                Value::String(cut.to_owned()),
                Some(Truncation {
                    shown: 0,
                    total: 0,
                    omitted_bytes: omitted,
                }),
            )
        }
        other => (other, None),
    };
    let text = data.to_string();
    (data, truncated, text)
}

fn fit_items(items: Vec<Value>, budget: usize, total_size: usize) -> (Vec<Value>, Truncation) {
    let total = items.len();
    let mut used = 2; // the brackets
    let mut kept = Vec::new();
    for item in items {
        let len = json_len(&item) + 1;
        if used + len > budget {
            break;
        }
        used += len;
        kept.push(item);
    }
    let shown = kept.len();
    (
        kept,
        Truncation {
            shown,
            total,
            omitted_bytes: total_size.saturating_sub(used),
        },
    )
}

/// The longest prefix of `s` within `max` bytes, preferring to end at a line break.
fn cut_str(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    let prefix = &s[..end];
    match prefix.rfind('\n') {
        Some(nl) if nl > end / 2 => &prefix[..nl],
        _ => prefix,
    }
}

fn json_len(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(0, |v| v.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_is_written_as_it_stands() {
        for data in [r#"{"a":[1,"x\"y"],"b":null}"#, "[]", r#""\u0001é""#] {
            let raw = serde_json::value::to_raw_value(&Verbatim(data)).unwrap();
            assert_eq!(raw.get(), data);
            let mut written = Vec::new();
            serde_json::to_writer(&mut written, &[Verbatim(data), Verbatim("1")]).unwrap();
            assert_eq!(written, format!("[{data},1]").into_bytes());
        }
    }

    #[test]
    fn the_envelope_is_written_as_serde_json_writes_it() {
        let tool = ToolFacts {
            name: "pxcloud_get_vm",
            title: "Get VM",
            method: "GET",
            path: "/api/vms/{id}",
            read_only: true,
            destructive: false,
        };
        let odd = ToolFacts {
            name: "tool \"q\" \\ \u{1}",
            path: "/a/\n/é",
            ..tool
        };
        for (tool, status, summary, hints) in [
            (tool, 200, "Returned 2 item(s).", vec![]),
            (
                odd,
                0,
                "tab\there",
                vec!["Primary id: \"x\"".to_owned(), "two".to_owned()],
            ),
            (tool, 65535, "", vec!["only".to_owned()]),
        ] {
            let data = r#"{"a":[1,2]}"#;
            let written = json_envelope(tool, status, summary, "object", data, &hints).unwrap();
            let mut expected = json!({
                "ok": true,
                "tool": tool.name,
                "method": tool.method,
                "path": tool.path,
                "status": status,
                "summary": summary,
                "dataType": "object",
                "data": {"a": [1, 2]},
            });
            if !hints.is_empty() {
                expected["hints"] = json!(hints);
            }
            assert_eq!(written, expected.to_string());
        }
        for n in [0, 7, 10, 99, 100, 65535, usize::MAX] {
            let mut text = String::new();
            push_decimal(&mut text, n);
            assert_eq!(text, n.to_string());
        }
    }
}

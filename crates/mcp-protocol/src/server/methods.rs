//! The methods both eras share: lists with pagination, tools, prompts, resources,
//! completion. Era-specific decoration of the results happens in the callers.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{Reply, Server};
use crate::context::RequestContext;
use crate::error::HandlerError;
use crate::jsonrpc::{ErrorObject, RequestId};
use crate::model::{CallToolResult, CompleteRequest, CompletionReference, Content, Tool};
use crate::version::ProtocolVersion;

impl Server {
    /// The capabilities object for `initialize` / `server/discover`.
    pub(crate) fn capabilities(&self, version: ProtocolVersion) -> Value {
        let inner = &self.inner;
        let mut caps = Map::new();
        if inner.tools.is_some() {
            caps.insert("tools".into(), json!({"listChanged": true}));
        }
        if inner.prompts.is_some() {
            caps.insert("prompts".into(), json!({"listChanged": true}));
        }
        if let Some(r) = &inner.resources {
            let subscribe = r.supports_subscribe() && !version.is_stateless();
            let mut res = Map::new();
            if subscribe {
                res.insert("subscribe".into(), json!(true));
            }
            res.insert("listChanged".into(), json!(true));
            caps.insert("resources".into(), Value::Object(res));
        }
        if inner.completions.is_some() && version >= ProtocolVersion::V2025_03_26 {
            caps.insert("completions".into(), json!({}));
        }
        caps.insert("logging".into(), json!({}));
        Value::Object(caps)
    }

    /// Runs a method both eras share; `None` when the method is not one of them. With
    /// `keep_params` false the handler's `arguments` are moved out of `params` rather
    /// than copied (the caller has no further use for them).
    pub(crate) async fn run_common(
        &self,
        method: &str,
        params: &mut Map<String, Value>,
        keep_params: bool,
        ctx: &RequestContext,
    ) -> Option<Result<ResultBody, HandlerError>> {
        let value = match method {
            "tools/list" => self.tools_list(params, ctx).await,
            "tools/call" => return Some(self.tools_call(params, keep_params, ctx).await),
            "prompts/list" => self.prompts_list(params, ctx).await,
            "prompts/get" => self.prompts_get(params, keep_params, ctx).await,
            "resources/list" => self.resources_list(params, ctx).await,
            "resources/templates/list" => self.templates_list(params, ctx).await,
            "resources/read" => self.resources_read(params, ctx).await,
            "completion/complete" => self.complete(params, ctx).await,
            _ => return None,
        };
        Some(value.map(ResultBody::Value))
    }

    async fn tools_list(
        &self,
        params: &Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<Value, HandlerError> {
        let tools = self
            .inner
            .tools
            .as_ref()
            .ok_or_else(|| not_found("tools/list"))?;
        let mut list = tools.list_tools(ctx).await?;
        list.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(bad) = list.iter().find(|t| !Tool::is_valid_name(&t.name)) {
            tracing::warn!(name = %bad.name, "tool name is not 1-128 characters of [A-Za-z0-9_.-]");
        }
        // Page first and turn only the page into JSON, moving each tool's members rather
        // than copying them: the rest of the list is never converted.
        let version = ctx.protocol_version();
        let (start, end) = self.page_bounds(list.len(), params)?;
        let more = end < list.len();
        let page = list
            .drain(start..end)
            .map(|t| {
                let mut v = t.into_value();
                shape_tool(&mut v, version);
                v
            })
            .collect();
        drop(list);
        Ok(page_object("tools", page, more.then_some(end)))
    }

    async fn tools_call(
        &self,
        params: &mut Map<String, Value>,
        keep_params: bool,
        ctx: &RequestContext,
    ) -> Result<ResultBody, HandlerError> {
        let tools = self
            .inner
            .tools
            .as_ref()
            .ok_or_else(|| not_found("tools/call"))?;
        required_str(params, "name")?;
        let arguments = arguments(params, keep_params)?;
        let name = required_str(params, "name")?;
        let result = match tools.call_tool(name, arguments, ctx).await {
            Ok(r) => r,
            Err(HandlerError::ToolFailed(m)) => CallToolResult::error(m),
            Err(e) => return Err(e),
        };
        Ok(ResultBody::Tool(ToolResultOut {
            structured: ctx.protocol_version() >= ProtocolVersion::V2025_06_18,
            result,
            result_type: None,
        }))
    }

    async fn prompts_list(
        &self,
        params: &Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<Value, HandlerError> {
        let prompts = self
            .inner
            .prompts
            .as_ref()
            .ok_or_else(|| not_found("prompts/list"))?;
        let mut list = prompts.list_prompts(ctx).await?;
        list.sort_by(|a, b| a.name.cmp(&b.name));
        self.page("prompts", &list, params)
    }

    async fn prompts_get(
        &self,
        params: &mut Map<String, Value>,
        keep_params: bool,
        ctx: &RequestContext,
    ) -> Result<Value, HandlerError> {
        let prompts = self
            .inner
            .prompts
            .as_ref()
            .ok_or_else(|| not_found("prompts/get"))?;
        required_str(params, "name")?;
        let arguments = arguments(params, keep_params)?;
        let name = required_str(params, "name")?;
        Ok(to_json(&prompts.get_prompt(name, arguments, ctx).await?))
    }

    async fn resources_list(
        &self,
        params: &Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<Value, HandlerError> {
        let res = self
            .inner
            .resources
            .as_ref()
            .ok_or_else(|| not_found("resources/list"))?;
        let mut list = res.list_resources(ctx).await?;
        list.sort_by(|a, b| a.uri.cmp(&b.uri));
        self.page("resources", &list, params)
    }

    async fn templates_list(
        &self,
        params: &Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<Value, HandlerError> {
        let res = self
            .inner
            .resources
            .as_ref()
            .ok_or_else(|| not_found("resources/templates/list"))?;
        let mut list = res.list_resource_templates(ctx).await?;
        list.sort_by(|a, b| a.uri_template.cmp(&b.uri_template));
        self.page("resourceTemplates", &list, params)
    }

    async fn resources_read(
        &self,
        params: &Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<Value, HandlerError> {
        let res = self
            .inner
            .resources
            .as_ref()
            .ok_or_else(|| not_found("resources/read"))?;
        let uri = required_str(params, "uri")?;
        let result = res.read_resource(uri, ctx).await?;
        if result.contents.is_empty() {
            return Err(HandlerError::NotFound {
                kind: "resource",
                name: uri.to_owned(),
            });
        }
        Ok(to_json(&result))
    }

    async fn complete(
        &self,
        params: &Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<Value, HandlerError> {
        let completions = self
            .inner
            .completions
            .as_ref()
            .ok_or_else(|| not_found("completion/complete"))?;
        let reference = params
            .get("ref")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("ref must be an object"))?;
        let reference = match reference.get("type").and_then(Value::as_str) {
            Some("ref/prompt") => CompletionReference::Prompt {
                name: required_str(reference, "name")?.to_owned(),
            },
            Some("ref/resource") => CompletionReference::Resource {
                uri: required_str(reference, "uri")?.to_owned(),
            },
            _ => return Err(bad("ref.type must be ref/prompt or ref/resource")),
        };
        let argument = params
            .get("argument")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("argument must be an object"))?;
        let request = CompleteRequest {
            reference,
            argument: required_str(argument, "name")?.to_owned(),
            value: argument
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            context: params.get("context").cloned(),
        };
        let mut result = completions.complete(request, ctx).await?;
        result.values.truncate(100);
        Ok(json!({ "completion": to_json(&result) }))
    }

    /// One page of `items` under `key`, each converted to JSON only when it is on the page.
    fn page<T: Serialize>(
        &self,
        key: &str,
        items: &[T],
        params: &Map<String, Value>,
    ) -> Result<Value, HandlerError> {
        let (start, end) = self.page_bounds(items.len(), params)?;
        let page = items.get(start..end).unwrap_or_default();
        let next = (end < items.len()).then_some(end);
        Ok(page_object(key, page.iter().map(to_json).collect(), next))
    }

    /// The range of a list of `len` items that the request's `cursor` asks for.
    fn page_bounds(
        &self,
        len: usize,
        params: &Map<String, Value>,
    ) -> Result<(usize, usize), HandlerError> {
        let start = match params.get("cursor") {
            None | Some(Value::Null) => 0,
            Some(Value::String(c)) => decode_cursor(c).ok_or_else(|| bad("invalid cursor"))?,
            Some(_) => return Err(bad("cursor must be a string")),
        };
        if start > len {
            return Err(bad("invalid cursor"));
        }
        let size = self.inner.config.page_size.max(1);
        Ok((start, start.saturating_add(size).min(len)))
    }
}

/// `{key: page, "nextCursor": …}`, the cursor present when items follow at `next`.
fn page_object(key: &str, page: Vec<Value>, next: Option<usize>) -> Value {
    let mut out = Map::new();
    out.insert(key.into(), Value::Array(page));
    if let Some(next) = next {
        out.insert("nextCursor".into(), Value::String(encode_cursor(next)));
    }
    Value::Object(out)
}

fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = std::str::from_utf8(&raw).ok()?;
    text.strip_prefix("o:")?.parse().ok()
}

/// Removes fields a client of an older revision does not know.
fn shape_tool(tool: &mut Value, version: ProtocolVersion) {
    let Some(obj) = tool.as_object_mut() else {
        return;
    };
    if version < ProtocolVersion::V2025_03_26 {
        obj.remove("annotations");
    }
    if version < ProtocolVersion::V2025_06_18 {
        obj.remove("title");
        obj.remove("outputSchema");
    }
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn not_found(method: &str) -> HandlerError {
    HandlerError::Rpc(ErrorObject::method_not_found(method))
}

fn bad(why: &str) -> HandlerError {
    HandlerError::InvalidParams(why.to_owned())
}

fn required_str<'a>(params: &'a Map<String, Value>, key: &str) -> Result<&'a str, HandlerError> {
    params
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(&format!("{key} must be a string")))
}

/// The `arguments` object (empty when absent or `null`): copied when the caller keeps
/// `params`, moved out otherwise.
fn arguments(
    params: &mut Map<String, Value>,
    keep_params: bool,
) -> Result<Map<String, Value>, HandlerError> {
    match params.get("arguments") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) if keep_params => Ok(m.clone()),
        Some(Value::Object(_)) => match params.remove("arguments") {
            Some(Value::Object(m)) => Ok(m),
            _ => Ok(Map::new()),
        },
        Some(_) => Err(bad("arguments must be an object")),
    }
}

/// A method's result before the era adds its members: a JSON value, or a `tools/call`
/// result serialised straight from the handler's struct (no intermediate value tree).
#[derive(Debug)]
pub(crate) enum ResultBody {
    Value(Value),
    Tool(ToolResultOut),
}

impl ResultBody {
    /// The success response carrying this result.
    pub(crate) fn reply(&self, id: &RequestId) -> Reply {
        match self {
            ResultBody::Value(v) => Reply::ok_with(id, v, 0),
            ResultBody::Tool(t) => match t.encode_response(id) {
                Some(body) => Reply { body, status: 200 },
                None => Reply::ok_with(id, t, t.size_hint()),
            },
        }
    }
}

/// A [`CallToolResult`] as the client's revision sees it.
#[derive(Debug)]
pub(crate) struct ToolResultOut {
    result: CallToolResult,
    /// Whether the revision knows `structuredContent` (2025-06-18 on).
    structured: bool,
    /// `resultType`, added in the stateless era.
    pub(crate) result_type: Option<&'static str>,
}

impl ToolResultOut {
    /// A guess of the encoded size: the text blocks, escaped, and `structuredContent`,
    /// which is usually the same data as the text (its length when it is JSON text).
    fn size_hint(&self) -> usize {
        let text: usize = self
            .result
            .content
            .iter()
            .map(|c| match c {
                Content::Text { text } => text.len(),
                Content::Image { data, .. } | Content::Audio { data, .. } => data.len(),
                _ => 0,
            })
            .sum();
        let structured = match (self.structured, &self.result.structured_json) {
            (false, _) => 0,
            (true, Some(json)) => json.get().len(),
            (true, None) => text,
        };
        text.saturating_add(structured)
            .saturating_add(text / 4 + 128)
    }
}

impl ToolResultOut {
    /// The success response carrying this result: the bytes `Reply::ok_with` writes (a test
    /// compares them), with text blocks escaped here rather than by serde_json, which costs
    /// about three times as much on text full of quotes (a tool's JSON mirrored as text).
    /// `None` if a part does not serialise (the caller then goes through serde for all of it).
    fn encode_response(&self, id: &RequestId) -> Option<Vec<u8>> {
        let r = &self.result;
        let mut out = Vec::with_capacity(self.size_hint().saturating_add(64).min(1 << 20));
        out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
        serde_json::to_writer(&mut out, id).ok()?;
        out.extend_from_slice(br#","result":{"content":["#);
        for (i, block) in r.content.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match block {
                Content::Text { text } => {
                    out.extend_from_slice(br#"{"type":"text","text":""#);
                    escape_json_str(&mut out, text);
                    out.extend_from_slice(br#""}"#);
                }
                other => serde_json::to_writer(&mut out, other).ok()?,
            }
        }
        out.push(b']');
        if self.structured
            && let Some(s) = r.structured_ref()
        {
            out.extend_from_slice(br#","structuredContent":"#);
            serde_json::to_writer(&mut out, &s).ok()?;
        }
        if let Some(e) = r.is_error {
            out.extend_from_slice(if e {
                br#","isError":true"#
            } else {
                br#","isError":false"#
            });
        }
        if let Some(m) = &r.meta {
            out.extend_from_slice(br#","_meta":"#);
            serde_json::to_writer(&mut out, m).ok()?;
        }
        if let Some(t) = self.result_type {
            out.extend_from_slice(br#","resultType":"#);
            serde_json::to_writer(&mut out, t).ok()?;
        }
        out.extend_from_slice(b"}}");
        Some(out)
    }
}

/// Appends `text` as the inside of a JSON string, escaped exactly as serde_json escapes:
/// `"` and `\`, control characters as `\b \t \n \f \r` or `\u00xx`, nothing else.
///
/// Eight bytes at a time: each word is appended whole (one store, not a copy call) and cut
/// back to just before the first byte that needs escaping, if any. A JSON text mirrored in
/// a text block has a quote every five or six bytes, where serde_json makes two copy calls
/// per escape.
fn escape_json_str(out: &mut Vec<u8>, text: &str) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // The high bit of each byte that is zero (exact: no carry crosses bytes).
    let zero = |v: u64| !(((v & LOW7) + LOW7) | v) & HIGH;
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + bytes.len() / 4 + 8);
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let found = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (!(((w & LOW7) + ONES * 0x60) | w) & HIGH);
        out.extend_from_slice(&word);
        if found == 0 {
            i += 8;
            continue;
        }
        let keep = (found.trailing_zeros() / 8) as usize;
        out.truncate(out.len() - (8 - keep));
        i += keep;
        if let Some(&byte) = bytes.get(i) {
            push_escape(out, byte);
        }
        i += 1;
    }
    for &byte in bytes.get(i..).unwrap_or_default() {
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            push_escape(out, byte);
        } else {
            out.push(byte);
        }
    }
}

/// Appends the escape of `"`, `\` or a control character, as serde_json writes it.
fn push_escape(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        b'\t' => b't',
        b'\n' => b'n',
        0x0c => b'f',
        b'\r' => b'r',
        _ => {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

impl Serialize for ToolResultOut {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let r = &self.result;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("content", &r.content)?;
        if self.structured
            && let Some(s) = r.structured_ref()
        {
            map.serialize_entry("structuredContent", &s)?;
        }
        if let Some(e) = &r.is_error {
            map.serialize_entry("isError", e)?;
        }
        if let Some(m) = &r.meta {
            map.serialize_entry("_meta", m)?;
        }
        if let Some(t) = self.result_type {
            map.serialize_entry("resultType", t)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::value::RawValue;

    use super::*;
    use crate::model::ResourceContents;

    /// The hand-written response is the one serde_json writes, byte for byte.
    fn check(result: CallToolResult, id: &RequestId) {
        for structured in [false, true] {
            for result_type in [None, Some("complete")] {
                let out = ToolResultOut {
                    result: result.clone(),
                    structured,
                    result_type,
                };
                let hand = out.encode_response(id).expect("encodes");
                let serde = Reply::ok_with(id, &out, 0).body;
                assert_eq!(
                    String::from_utf8_lossy(&hand),
                    String::from_utf8_lossy(&serde)
                );
            }
        }
    }

    #[test]
    fn tool_responses_are_the_bytes_serde_writes() {
        let mut every_byte = String::new();
        for b in 0u8..0x80 {
            every_byte.push(char::from(b));
        }
        let texts = [
            String::new(),
            "plain".to_owned(),
            every_byte.clone(),
            format!("{every_byte}{every_byte}x"),
            r#"{"id":"cluster1:pve1:100","name":"web \"01\"","path":"C:\\vm"}"#.to_owned(),
            "é ☃ 😀 \u{2028}\u{2029}\u{7f} \u{1}\u{1f}\"\\".to_owned(),
            "\"\"\"\"\"\"\"\"\"\\\\\\\\\\\\\\\\\n\n\n\n\n\n\n\n\n".to_owned(),
        ];
        let ids = [
            RequestId::Number(7),
            RequestId::Number(-1),
            RequestId::String("a \"b\" \u{1}".to_owned()),
        ];
        let value = json!({"ok": true, "data": {"x": [1, 2.5, "é\n"], "y": null}});
        for text in &texts {
            for id in &ids {
                check(CallToolResult::text(text.clone()), id);
                check(CallToolResult::error(text.clone()), id);
                let mut r = CallToolResult::structured(value.clone());
                r.content.push(Content::text(text.clone()));
                r.is_error = Some(false);
                r.meta = Some(Map::from_iter([("k".to_owned(), json!(text))]));
                check(r, id);
                let json = RawValue::from_string(value.to_string()).unwrap();
                check(
                    CallToolResult::text(text.clone()).with_structured_json(json),
                    id,
                );
            }
        }
        let others = CallToolResult::new(vec![
            Content::image("aGk=", "image/png"),
            Content::audio("aGk=", "audio/wav"),
            Content::resource(ResourceContents::text("file:///a", "text/plain", "t\"")),
            Content::ResourceLink {
                uri: "file:///b".into(),
                name: "b".into(),
                mime_type: None,
            },
            Content::text("last"),
        ]);
        check(others, &ids[0]);
        check(CallToolResult::new(Vec::new()), &ids[0]);
    }

    proptest! {
        #[test]
        fn text_is_escaped_as_serde_escapes(text in "\\PC*|[\\x00-\\x7f]*|[\"\\\\a\\n\\x01]*") {
            let mut out = Vec::new();
            escape_json_str(&mut out, &text);
            let serde = serde_json::to_string(&text).unwrap();
            prop_assert_eq!(format!("\"{}\"", String::from_utf8(out).unwrap()), serde);
        }
    }
}

//! The stateless era (2026-07-28): per-request `_meta`, the checks in their exact order
//! (envelope `-32602`, headers `-32020`, version `-32022`, method `-32601`), `resultType`
//! and caching hints on results, multi-round-trip input via signed `requestState`, and
//! `subscriptions/listen`.

use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use super::dispatch::HttpHeaders;
use super::methods::ResultBody;
use super::{Reply, Server};
use crate::context::{ContextParts, RequestContext};
use crate::error::HandlerError;
use crate::jsonrpc::{ErrorCode, ErrorObject, Message, Notification, Request};
use crate::model::LogLevel;
use crate::notify::ServerEvent;
use crate::session::Sink;
use crate::version::{ProtocolVersion, meta_keys};

/// Methods that may answer `input_required`.
const MRTR_METHODS: [&str; 3] = ["tools/call", "prompts/get", "resources/read"];
/// Methods whose results carry `ttlMs` and `cacheScope`.
const CACHEABLE: [&str; 6] = [
    "server/discover",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
];

fn http_status(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::METHOD_NOT_FOUND => 404,
        ErrorCode::HEADER_MISMATCH
        | ErrorCode::MISSING_CLIENT_CAPABILITY
        | ErrorCode::UNSUPPORTED_PROTOCOL_VERSION
        | ErrorCode::PARSE_ERROR
        | ErrorCode::INVALID_REQUEST => 400,
        _ => 200,
    }
}

impl Server {
    pub(crate) async fn serve_stateless(
        &self,
        req: Request,
        mut params: Map<String, Value>,
        sink: Sink,
        headers: Option<&HttpHeaders>,
        cancel: CancellationToken,
    ) -> Reply {
        let id = req.id.clone();
        let fail = |e: ErrorObject, status: u16| Reply::error(Some(id.clone()), e, status);

        // 1. Envelope. `_meta` moves into the context; nothing else reads it from the
        // params (the requestState digest leaves it out).
        let meta = match params.remove("_meta") {
            Some(Value::Object(meta)) => meta,
            _ => return fail(ErrorObject::invalid_params("Missing params._meta"), 400),
        };
        let Some(version) = meta
            .get(meta_keys::PROTOCOL_VERSION)
            .and_then(Value::as_str)
        else {
            return fail(
                ErrorObject::invalid_params(format!(
                    "Missing _meta[\"{}\"]",
                    meta_keys::PROTOCOL_VERSION
                )),
                400,
            );
        };
        if !meta
            .get(meta_keys::CLIENT_CAPABILITIES)
            .is_some_and(Value::is_object)
        {
            return fail(
                ErrorObject::invalid_params(format!(
                    "Missing _meta[\"{}\"]",
                    meta_keys::CLIENT_CAPABILITIES
                )),
                400,
            );
        }

        // 2. HTTP headers.
        if let Some(h) = headers
            && let Some(e) = check_headers(h, version, &req.method, &params)
        {
            return fail(e, 400);
        }

        // 3. Version.
        let Some(version) = ProtocolVersion::parse(version).filter(|v| v.is_stateless()) else {
            let supported: Vec<&str> = ProtocolVersion::STATELESS
                .iter()
                .map(|v| v.as_str())
                .collect();
            return fail(
                ErrorObject::new(
                    ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
                    "Unsupported protocol version",
                )
                .with_data(json!({"supported": supported, "requested": version})),
                400,
            );
        };

        // 4. Method.
        let method = req.method.as_str();
        let log_level = meta
            .get(meta_keys::LOG_LEVEL)
            .and_then(Value::as_str)
            .and_then(|l| l.parse::<LogLevel>().ok());
        let mrtr = MRTR_METHODS.contains(&method);
        let mut answers = Map::new();
        if mrtr {
            match self.gather_answers(method, &params) {
                Ok(a) => answers = a,
                Err(e) => return fail(e, 200),
            }
        }
        let ctx = RequestContext::new(ContextParts {
            request_id: id.clone(),
            method: method.to_owned(),
            version,
            client: None,
            meta,
            cancel: cancel.clone(),
            sink: sink.clone(),
            session: None,
            log_level,
            answers,
            notifier: self.inner.notifier.clone(),
            ask_timeout: self.inner.config.ask_timeout,
        });
        if method == "tools/call"
            && let Some(h) = headers
            && let Some(e) = self.check_param_headers(h, &params, &ctx).await
        {
            return fail(e, 400);
        }
        let outcome = match method {
            "server/discover" => Ok(ResultBody::Value(self.discover_result(version))),
            "subscriptions/listen" => self
                .listen(&params, &sink, &cancel)
                .await
                .map(ResultBody::Value),
            // A method that may answer `input_required` keeps its params to seal them.
            _ => match self.run_common(method, &mut params, mrtr, &ctx).await {
                Some(r) => r,
                None => return fail(ErrorObject::method_not_found(method), 404),
            },
        };
        match outcome {
            Ok(mut result) => {
                self.decorate(method, &mut result);
                result.reply(&id)
            }
            Err(HandlerError::InputRequired) if mrtr => {
                let asked = ctx.take_asked();
                let mut requests = Map::new();
                for (key, r) in asked {
                    requests.insert(key, json!({"method": r.method, "params": r.params}));
                }
                let state = self.inner.signer.seal(method, &params, ctx.answers());
                Reply::ok(
                    id,
                    json!({"resultType": "input_required", "inputRequests": requests, "requestState": state}),
                )
            }
            Err(e) => {
                let err = e.to_error_object(true);
                let status = http_status(err.code);
                Reply::error(Some(id), err, status)
            }
        }
    }

    /// Checks `Mcp-Param-*` headers against the arguments the tool's schema marks with
    /// `x-mcp-header`: each such argument must be mirrored, and the header must decode
    /// (plain or `=?base64?…?=`) to the argument's value.
    async fn check_param_headers(
        &self,
        h: &HttpHeaders,
        params: &Map<String, Value>,
        ctx: &RequestContext,
    ) -> Option<ErrorObject> {
        let tools = self.inner.tools.as_ref()?;
        let name = params.get("name")?.as_str()?;
        let headers = tools.param_headers(name, ctx).await.ok()??;
        let args = params.get("arguments").and_then(Value::as_object);
        let mismatch = |why: String| {
            Some(ErrorObject::new(
                ErrorCode::HEADER_MISMATCH,
                format!("Header mismatch: {why}"),
            ))
        };
        for (prop, header) in &headers {
            let value = args.and_then(|a| a.get(prop)).filter(|v| !v.is_null());
            let given = h
                .params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(header))
                .map(|(_, v)| v.as_str());
            let expected = match value {
                None => continue,
                Some(Value::String(s)) => s.clone(),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
                Some(_) => continue,
            };
            let Some(raw) = given else {
                return mismatch(format!("Mcp-Param-{header} is missing for argument {prop}"));
            };
            match decode_header_value(raw) {
                Some(decoded) if decoded == expected => {}
                Some(_) => {
                    return mismatch(format!("Mcp-Param-{header} does not match argument {prop}"));
                }
                None => return mismatch(format!("Mcp-Param-{header} is not valid Base64")),
            }
        }
        None
    }

    /// Answers from a verified `requestState` plus the new `inputResponses`.
    fn gather_answers(
        &self,
        method: &str,
        params: &Map<String, Value>,
    ) -> Result<Map<String, Value>, ErrorObject> {
        let mut answers = match params.get("requestState") {
            None => Map::new(),
            Some(Value::String(token)) => {
                self.inner.signer.open(token, method, params).map_err(|e| {
                    ErrorObject::invalid_params(format!("Invalid requestState: {e}"))
                })?
            }
            Some(_) => return Err(ErrorObject::invalid_params("requestState must be a string")),
        };
        match params.get("inputResponses") {
            None => {}
            Some(Value::Object(responses)) => {
                for (key, value) in responses {
                    if !value.is_object() {
                        return Err(ErrorObject::invalid_params(format!(
                            "inputResponses.{key} must be an object"
                        )));
                    }
                    answers.insert(key.clone(), value.clone());
                }
            }
            Some(_) => {
                return Err(ErrorObject::invalid_params(
                    "inputResponses must be an object",
                ));
            }
        }
        Ok(answers)
    }

    fn discover_result(&self, version: ProtocolVersion) -> Value {
        let supported: Vec<&str> = ProtocolVersion::STATELESS
            .iter()
            .map(|v| v.as_str())
            .collect();
        let mut result = Map::new();
        result.insert("supportedVersions".into(), json!(supported));
        result.insert("capabilities".into(), self.capabilities(version));
        if let Some(i) = &self.inner.config.instructions {
            result.insert("instructions".into(), json!(i));
        }
        result.insert(
            "_meta".into(),
            json!({ meta_keys::SERVER_INFO: self.inner.info }),
        );
        Value::Object(result)
    }

    fn decorate(&self, method: &str, result: &mut ResultBody) {
        let obj = match result {
            ResultBody::Tool(t) => {
                t.result_type = Some("complete");
                return;
            }
            ResultBody::Value(v) => match v.as_object_mut() {
                Some(obj) => obj,
                None => return,
            },
        };
        obj.insert("resultType".into(), json!("complete"));
        if CACHEABLE.contains(&method) {
            obj.insert("ttlMs".into(), json!(self.inner.config.cache_ttl_ms));
            obj.insert(
                "cacheScope".into(),
                json!(self.inner.config.cache_scope.as_str()),
            );
        }
    }

    /// `subscriptions/listen`: acknowledge, then forward matching events until the
    /// client goes away (cancellation drops this future).
    async fn listen(
        &self,
        params: &Map<String, Value>,
        sink: &Sink,
        cancel: &CancellationToken,
    ) -> Result<Value, HandlerError> {
        let Some(filter) = params.get("notifications").and_then(Value::as_object) else {
            return Err(HandlerError::InvalidParams(
                "notifications must be an object".into(),
            ));
        };
        let flag = |k: &str| filter.get(k).and_then(Value::as_bool).unwrap_or(false);
        let inner = &self.inner;
        let tools = flag("toolsListChanged") && inner.tools.is_some();
        let prompts = flag("promptsListChanged") && inner.prompts.is_some();
        let resources = flag("resourcesListChanged") && inner.resources.is_some();
        let uris: Vec<String> = if inner.resources.is_some() {
            filter
                .get("resourceSubscriptions")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut honored = Map::new();
        if tools {
            honored.insert("toolsListChanged".into(), json!(true));
        }
        if prompts {
            honored.insert("promptsListChanged".into(), json!(true));
        }
        if resources {
            honored.insert("resourcesListChanged".into(), json!(true));
        }
        if !uris.is_empty() {
            honored.insert("resourceSubscriptions".into(), json!(uris));
        }
        let sub_id = hex::encode(rand::random::<[u8; 12]>());
        let tag = json!({ meta_keys::SUBSCRIPTION_ID: sub_id });
        let mut rx = inner.notifier.subscribe();
        let ack = Notification {
            method: "notifications/subscriptions/acknowledged".into(),
            params: Some(json!({"notifications": honored, "_meta": tag})),
        };
        if sink.send(Message::Notification(ack).encode()).is_err() {
            return Err(HandlerError::Cancelled);
        }
        loop {
            let event = tokio::select! {
                () = cancel.cancelled() => return Err(HandlerError::Cancelled),
                () = sink.closed() => return Err(HandlerError::Cancelled),
                e = rx.recv() => e,
            };
            let event = match event {
                Ok(e) => e,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return Ok(json!({"_meta": tag}));
                }
            };
            let params = match &event {
                ServerEvent::ToolsListChanged if tools => json!({"_meta": tag}),
                ServerEvent::PromptsListChanged if prompts => json!({"_meta": tag}),
                ServerEvent::ResourcesListChanged if resources => json!({"_meta": tag}),
                ServerEvent::ResourceUpdated(uri) if uris.contains(uri) => {
                    json!({"uri": uri, "_meta": tag})
                }
                _ => continue,
            };
            let n = Notification {
                method: event.method().into(),
                params: Some(params),
            };
            if sink.send(Message::Notification(n).encode()).is_err() {
                return Err(HandlerError::Cancelled);
            }
        }
    }
}

fn check_headers(
    h: &HttpHeaders,
    version: &str,
    method: &str,
    params: &Map<String, Value>,
) -> Option<ErrorObject> {
    let mismatch = |what: &str| {
        Some(ErrorObject::new(
            ErrorCode::HEADER_MISMATCH,
            format!("Header mismatch: {what}"),
        ))
    };
    match h.protocol_version() {
        Some(v) if v == version => {}
        Some(_) => return mismatch("MCP-Protocol-Version does not match _meta protocolVersion"),
        None => return mismatch("MCP-Protocol-Version header is missing"),
    }
    match h.method() {
        Some(m) if m == method => {}
        Some(_) => return mismatch("Mcp-Method does not match the body method"),
        None => return mismatch("Mcp-Method header is missing"),
    }
    let name_key = match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    };
    if let Some(key) = name_key {
        let expected = params.get(key).and_then(Value::as_str);
        match (h.name(), expected) {
            (Some(n), Some(e)) if n == e => {}
            (None, _) => return mismatch("Mcp-Name header is missing"),
            _ => return mismatch("Mcp-Name does not match the body"),
        }
    }
    None
}

/// A header value: literal, or `=?base64?…?=` holding UTF-8; `None` for bad Base64.
pub(crate) fn decode_header_value(raw: &str) -> Option<String> {
    use base64::Engine as _;
    match raw
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            String::from_utf8(bytes).ok()
        }
        None => Some(raw.to_owned()),
    }
}

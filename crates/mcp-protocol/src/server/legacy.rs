//! The legacy era (2024-11-05 … 2025-11-25): `initialize`, a session, server-to-client
//! requests for elicitation.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use super::{Reply, Server};
use crate::context::{ContextParts, RequestContext};
use crate::jsonrpc::{ErrorObject, Request};
use crate::model::LogLevel;
use crate::session::{ClientIdentity, Session, Sink};
use crate::version::ProtocolVersion;

impl Server {
    pub(crate) async fn serve_legacy(
        &self,
        session: Option<Arc<Session>>,
        req: Request,
        mut params: Map<String, Value>,
        sink: Sink,
        cancel: CancellationToken,
    ) -> Reply {
        let state = session.as_ref().map(|s| s.state());
        let version = state
            .as_ref()
            .and_then(|s| s.version)
            .unwrap_or(ProtocolVersion::LATEST_LEGACY);
        let id = req.id.clone();
        match req.method.as_str() {
            "initialize" => {
                let requested = params.get("protocolVersion").and_then(Value::as_str);
                let negotiated = requested
                    .and_then(ProtocolVersion::parse)
                    .filter(|v| !v.is_stateless())
                    .unwrap_or(ProtocolVersion::LATEST_LEGACY);
                if let Some(s) = &session {
                    let caps = params
                        .get("capabilities")
                        .cloned()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({}));
                    let info = params.get("clientInfo").cloned();
                    s.update(|st| {
                        st.version = Some(negotiated);
                        st.client = Arc::new(ClientIdentity {
                            info,
                            capabilities: caps,
                        });
                    });
                }
                let mut result = Map::new();
                result.insert("protocolVersion".into(), json!(negotiated.as_str()));
                result.insert("capabilities".into(), self.capabilities(negotiated));
                result.insert("serverInfo".into(), json!(self.inner.info));
                if let Some(i) = &self.inner.config.instructions {
                    result.insert("instructions".into(), json!(i));
                }
                Reply::ok(id, Value::Object(result))
            }
            "ping" => Reply::ok(id, json!({})),
            "logging/setLevel" => {
                let level = params
                    .get("level")
                    .and_then(Value::as_str)
                    .and_then(|l| l.parse::<LogLevel>().ok());
                match (level, &session) {
                    (Some(level), Some(s)) => {
                        s.update(|st| st.log_level = level);
                        Reply::ok(id, json!({}))
                    }
                    (Some(_), None) => Reply::ok(id, json!({})),
                    (None, _) => Reply::error(
                        Some(id),
                        ErrorObject::invalid_params("level must be a valid log level"),
                        200,
                    ),
                }
            }
            "resources/subscribe" | "resources/unsubscribe" => {
                let supported = self
                    .inner
                    .resources
                    .as_ref()
                    .is_some_and(|r| r.supports_subscribe());
                let Some(uri) = params.get("uri").and_then(Value::as_str) else {
                    return Reply::error(
                        Some(id),
                        ErrorObject::invalid_params("uri must be a string"),
                        200,
                    );
                };
                if !supported {
                    return Reply::error(Some(id), ErrorObject::method_not_found(&req.method), 200);
                }
                if let Some(s) = &session {
                    if req.method == "resources/subscribe" {
                        s.subscribe(uri.to_owned());
                    } else {
                        s.unsubscribe(uri);
                    }
                }
                Reply::ok(id, json!({}))
            }
            method => {
                let meta = match params.remove("_meta") {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                let client = state.map_or_else(
                    || {
                        Arc::new(ClientIdentity {
                            info: None,
                            capabilities: json!({}),
                        })
                    },
                    |s| s.client,
                );
                let ctx = RequestContext::new(ContextParts {
                    request_id: id.clone(),
                    method: method.to_owned(),
                    version,
                    client: Some(client),
                    meta,
                    cancel,
                    sink,
                    session: session.clone(),
                    log_level: None,
                    answers: Map::new(),
                    notifier: self.inner.notifier.clone(),
                    ask_timeout: self.inner.config.ask_timeout,
                });
                match self.run_common(method, &mut params, false, &ctx).await {
                    None => Reply::error(Some(id), ErrorObject::method_not_found(method), 200),
                    Some(Ok(result)) => result.reply(&id),
                    Some(Err(e)) => Reply::error(Some(id), e.to_error_object(false), 200),
                }
            }
        }
    }
}

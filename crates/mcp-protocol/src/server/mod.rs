//! The server core: configuration, the handler registry and the dispatcher.

mod dispatch;
mod legacy;
mod methods;
mod stateless;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::handler::{CompletionProvider, PromptProvider, ResourceProvider, ToolProvider};
use crate::jsonrpc::DEFAULT_MAX_MESSAGE_BYTES;
use crate::model::Implementation;
use crate::notify::Notifier;
use crate::state::StateSigner;

pub(crate) use dispatch::{HttpHeaders, Reply, is_stateless_request};

/// Who may cache a stateless list or read result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheScope {
    /// Any client or intermediary.
    Public,
    /// Only the requesting client (the default: results may depend on who asks).
    Private,
}

impl CacheScope {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CacheScope::Public => "public",
            CacheScope::Private => "private",
        }
    }
}

/// Tunables of the core.
#[derive(Clone)]
pub struct ServerConfig {
    /// Items per page of `tools/list` and the other lists.
    pub page_size: usize,
    /// How long a legacy server-to-client request (elicitation) waits for its answer.
    pub ask_timeout: Duration,
    /// Key for `requestState` signatures; random when `None` (set it to share state
    /// across replicas).
    pub state_key: Option<[u8; 32]>,
    /// How long a `requestState` stays valid.
    pub state_ttl: Duration,
    /// `ttlMs` of cacheable stateless results.
    pub cache_ttl_ms: u64,
    /// `cacheScope` of cacheable stateless results.
    pub cache_scope: CacheScope,
    /// Largest accepted message in bytes (a stdio line, an HTTP body).
    pub max_message_bytes: usize,
    /// `instructions` for the client.
    pub instructions: Option<String>,
    /// On end of input or shutdown, how long in-flight requests may still run before
    /// they are cancelled.
    pub shutdown_grace: Duration,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("page_size", &self.page_size)
            .field("ask_timeout", &self.ask_timeout)
            .field("state_key", &self.state_key.map(|_| "<redacted>"))
            .field("state_ttl", &self.state_ttl)
            .field("cache_ttl_ms", &self.cache_ttl_ms)
            .field("cache_scope", &self.cache_scope)
            .field("max_message_bytes", &self.max_message_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            page_size: 100,
            ask_timeout: Duration::from_secs(300),
            state_key: None,
            state_ttl: Duration::from_secs(600),
            cache_ttl_ms: 0,
            cache_scope: CacheScope::Private,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            instructions: None,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

pub(crate) struct Inner {
    pub(crate) info: Implementation,
    pub(crate) config: ServerConfig,
    pub(crate) tools: Option<Arc<dyn ToolProvider>>,
    pub(crate) prompts: Option<Arc<dyn PromptProvider>>,
    pub(crate) resources: Option<Arc<dyn ResourceProvider>>,
    pub(crate) completions: Option<Arc<dyn CompletionProvider>>,
    pub(crate) signer: StateSigner,
    pub(crate) notifier: Notifier,
}

/// An MCP server: handlers plus configuration. Cheap to clone; serve it with
/// [`crate::stdio::serve_stdio`], [`crate::stdio::serve_stream`] or [`crate::http`].
#[derive(Clone)]
pub struct Server {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("info", &self.inner.info)
            .field("config", &self.inner.config)
            .field("tools", &self.inner.tools.is_some())
            .field("prompts", &self.inner.prompts.is_some())
            .field("resources", &self.inner.resources.is_some())
            .field("completions", &self.inner.completions.is_some())
            .finish()
    }
}

impl Server {
    /// Starts building a server that identifies itself as `info`.
    pub fn builder(info: Implementation) -> ServerBuilder {
        ServerBuilder {
            info,
            config: ServerConfig::default(),
            tools: None,
            prompts: None,
            resources: None,
            completions: None,
        }
    }

    /// The handle to announce list changes and resource updates.
    pub fn notifier(&self) -> Notifier {
        self.inner.notifier.clone()
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }
}

/// Builds a [`Server`].
pub struct ServerBuilder {
    info: Implementation,
    config: ServerConfig,
    tools: Option<Arc<dyn ToolProvider>>,
    prompts: Option<Arc<dyn PromptProvider>>,
    resources: Option<Arc<dyn ResourceProvider>>,
    completions: Option<Arc<dyn CompletionProvider>>,
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl ServerBuilder {
    /// Sets the configuration.
    #[must_use]
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Serves tools.
    #[must_use]
    pub fn tools(mut self, tools: Arc<dyn ToolProvider>) -> Self {
        self.tools = Some(tools);
        self
    }

    /// Serves prompts.
    #[must_use]
    pub fn prompts(mut self, prompts: Arc<dyn PromptProvider>) -> Self {
        self.prompts = Some(prompts);
        self
    }

    /// Serves resources.
    #[must_use]
    pub fn resources(mut self, resources: Arc<dyn ResourceProvider>) -> Self {
        self.resources = Some(resources);
        self
    }

    /// Serves completions.
    #[must_use]
    pub fn completions(mut self, completions: Arc<dyn CompletionProvider>) -> Self {
        self.completions = Some(completions);
        self
    }

    /// Builds the server.
    pub fn build(self) -> Server {
        let signer = match self.config.state_key {
            Some(key) => StateSigner::new(key, self.config.state_ttl),
            None => StateSigner::random(self.config.state_ttl),
        };
        Server {
            inner: Arc::new(Inner {
                info: self.info,
                config: self.config,
                tools: self.tools,
                prompts: self.prompts,
                resources: self.resources,
                completions: self.completions,
                signer,
                notifier: Notifier::new(),
            }),
        }
    }
}

//! The application: catalog tools, workflow tools, prompts and resources over one PXCloud.
//!
//! [`App`] is independent of the MCP transport: it lists tools as [`ToolEntry`] values and
//! runs calls against a [`Caller`] (the MCP client in front of the call). The protocol
//! adapter in [`crate::serve`] maps both onto `mcp-protocol`.

mod audit;
mod call;
mod caller;
mod dynamic;
pub mod startup;
mod workflow;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use openapi_ingest::{Catalog, Tool};
use policy::{Guard, MemoryNonceStore, SigningKey};
use pxcloud_client::Client;
use serde_json::{Map, Value, json};

pub use audit::AuditSink;
pub use caller::{Caller, Elicited, Interrupt, NoClient};
pub use dynamic::{DESCRIBE, INVOKE, SEARCH};
pub use workflow::{CONFIRM_CHANGE, SETUP, WAIT_TASK};

use crate::config::{AuthSetting, Config, ToolMode};
use crate::envelope::{self, CallOutput, ToolOutput};
use crate::guides::SafetyFacts;
use crate::prompts::PromptContext;

/// One tool as `tools/list` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolEntry {
    /// Name.
    pub name: String,
    /// Human title.
    pub title: Option<String>,
    /// Description.
    pub description: String,
    /// JSON Schema of the arguments.
    pub input_schema: Value,
    /// JSON Schema of `structuredContent`.
    pub output_schema: Option<Value>,
    /// MCP annotations (`readOnlyHint`, …).
    pub annotations: Value,
    /// `_meta` (method, path, tags, operationId for catalog tools).
    pub meta: Option<Value>,
}

impl ToolEntry {
    /// The tool as a `tools/list` JSON object.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema,
        });
        if let Some(title) = &self.title {
            v["title"] = json!(title);
        }
        if let Some(schema) = &self.output_schema {
            v["outputSchema"] = schema.clone();
        }
        if self.annotations.as_object().is_some_and(|a| !a.is_empty()) {
            v["annotations"] = self.annotations.clone();
        }
        if let Some(meta) = &self.meta {
            v["_meta"] = meta.clone();
        }
        v
    }
}

/// Why a call could not even start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No visible tool has this name (hidden by policy or absent): `-32602`.
    UnknownTool(String),
    /// The handler was interrupted.
    Interrupted(Interrupt),
}

impl From<Interrupt> for CallError {
    fn from(i: Interrupt) -> Self {
        CallError::Interrupted(i)
    }
}

/// The catalog as the policy exposes it; replaced as a whole when the spec is refreshed.
///
/// `tools/list` entries are made when asked for rather than kept: making one costs about
/// what copying a kept one would (the protocol takes them by value), and a listing held for
/// the life of the process would be the largest thing in memory after the catalog itself.
#[derive(Debug)]
pub(crate) struct CatalogState {
    catalog: Catalog,
    /// Visible catalog tools by name.
    visible: HashMap<String, Visible>,
    mode: ToolMode,
}

/// A visible catalog tool: where it is, and what each of its calls needs to know beyond the
/// tool itself, worked out once when the catalog is loaded rather than on every call.
#[derive(Debug)]
pub(crate) struct Visible {
    /// Index into `catalog.tools()`.
    index: usize,
    /// The policy's class of the tool.
    pub(crate) class: policy::Class,
    /// The name of the result-projection argument ([`fields_arg`]).
    pub(crate) fields_arg: &'static str,
    /// The tool's query parameters that narrow a listing, named when a result is cut.
    pub(crate) narrowing: Vec<String>,
}

impl CatalogState {
    fn build(catalog: Catalog, guard: &Guard, mode: ToolMode) -> CatalogState {
        let visible: HashMap<String, Visible> = catalog
            .tools()
            .iter()
            .enumerate()
            .filter(|(_, t)| guard.is_visible(t))
            .map(|(index, t)| {
                let facts = Visible {
                    index,
                    class: guard.class(t),
                    fields_arg: fields_arg(t),
                    narrowing: call::narrowing_params(t),
                };
                (t.name().to_owned(), facts)
            })
            .collect();
        CatalogState {
            catalog,
            visible,
            mode,
        }
    }

    /// The `tools/list` entries for a client that can (or cannot) ask its user.
    fn listing(&self, guard: &Guard, can_elicit: bool) -> Vec<ToolEntry> {
        let mut entries = Vec::with_capacity(self.visible.len() + 6);
        match self.mode {
            ToolMode::Full => entries.extend(
                self.visible_tools()
                    .map(|tool| catalog_entry(guard, tool, can_elicit)),
            ),
            ToolMode::Dynamic => entries.extend_from_slice(dynamic::entries()),
        }
        entries.extend_from_slice(workflow::entries());
        entries
    }

    /// Where the listed tool called `name` is, if listed.
    fn locate(&self, name: &str) -> Option<Listed> {
        let listed = match self.mode {
            ToolMode::Full => self.visible.get(name).map(|v| Listed::Catalog(v.index)),
            ToolMode::Dynamic => dynamic::entries()
                .iter()
                .find(|e| e.name == name)
                .map(Listed::Fixed),
        };
        listed.or_else(|| {
            workflow::entries()
                .iter()
                .find(|e| e.name == name)
                .map(Listed::Fixed)
        })
    }

    fn tool(&self, name: &str) -> Option<&Tool> {
        self.visible_tool(name).map(|(tool, _)| tool)
    }

    /// A visible catalog tool and what its calls need to know.
    fn visible_tool(&self, name: &str) -> Option<(&Tool, &Visible)> {
        let visible = self.visible.get(name)?;
        Some((self.catalog.tools().get(visible.index)?, visible))
    }

    fn visible_tools(&self) -> impl Iterator<Item = &Tool> {
        self.catalog
            .tools()
            .iter()
            .filter(|t| self.visible.contains_key(t.name()))
    }
}

/// Where a listed tool is: in the catalog, or one of the fixed workflow and dynamic-mode tools.
#[derive(Debug, Clone, Copy)]
enum Listed {
    /// Index into the catalog's tools.
    Catalog(usize),
    /// A workflow or dynamic-mode tool.
    Fixed(&'static ToolEntry),
}

/// One listed tool, borrowed rather than copied: a handle on the catalog in use (a spec
/// refresh meanwhile does not pull the tool away) that makes nothing until asked.
///
/// For look-ups on every call, where [`App::find_tool`] would copy the whole definition,
/// schemas included, to read a part of it.
#[derive(Debug, Clone)]
pub struct ToolRef {
    app: App,
    state: Arc<CatalogState>,
    listed: Listed,
}

/// What a [`ToolRef`] points at.
enum View<'a> {
    Catalog(&'a Tool),
    Fixed(&'a ToolEntry),
}

impl ToolRef {
    fn view(&self) -> View<'_> {
        match self.listed {
            Listed::Fixed(entry) => View::Fixed(entry),
            // `App::tool` checked the index against this very catalog, which the handle holds.
            Listed::Catalog(i) => self
                .state
                .catalog
                .tools()
                .get(i)
                .map_or(View::Fixed(&workflow::entries()[0]), View::Catalog),
        }
    }

    /// The catalog tool, or `None` for a workflow or dynamic-mode tool.
    pub fn catalog_tool(&self) -> Option<&Tool> {
        match self.view() {
            View::Catalog(tool) => Some(tool),
            View::Fixed(_) => None,
        }
    }

    /// The name, as listed.
    pub fn name(&self) -> &str {
        match self.view() {
            View::Catalog(tool) => tool.name(),
            View::Fixed(entry) => &entry.name,
        }
    }

    /// The JSON Schema of the tool's own arguments, borrowed. For a workflow or dynamic-mode
    /// tool it is the listed `inputSchema`; a catalog tool's listed schema
    /// ([`ToolRef::to_entry`]) is this one plus the server's control arguments, added beside
    /// these properties without changing them: `confirmed`, `confirmation` and the dry-run
    /// flag on writes, `fields` on reads.
    pub fn arguments_schema(&self) -> &Value {
        match self.view() {
            View::Catalog(tool) => tool.input_schema(),
            View::Fixed(entry) => &entry.input_schema,
        }
    }

    /// The `properties` of [`ToolRef::arguments_schema`], if it has any.
    pub fn argument_properties(&self) -> Option<&Map<String, Value>> {
        self.arguments_schema()
            .get("properties")
            .and_then(Value::as_object)
    }

    /// The `tools/list` entry for a client that can (or cannot) ask its user, as
    /// [`App::find_tool`] returns it (made, so the schemas are copied).
    pub fn to_entry(&self, can_elicit: bool) -> ToolEntry {
        match self.view() {
            View::Catalog(tool) => catalog_entry(&self.app.inner.guard, tool, can_elicit),
            View::Fixed(entry) => entry.clone(),
        }
    }
}

/// The name of the result-projection argument for `tool` (`fields`, or `_fields` when the
/// tool has its own `fields` parameter).
pub(crate) fn fields_arg(tool: &Tool) -> &'static str {
    let taken = tool
        .input_schema()
        .get("properties")
        .and_then(|p| p.get("fields"))
        .is_some();
    if taken { "_fields" } else { "fields" }
}

fn catalog_entry(guard: &Guard, tool: &Tool, can_elicit: bool) -> ToolEntry {
    let mut input_schema = guard.input_schema(tool, can_elicit);
    if tool.method().is_read_only()
        && let Some(props) = input_schema
            .get_mut("properties")
            .and_then(Value::as_object_mut)
    {
        props.insert(
            fields_arg(tool).to_owned(),
            // Explained once, in the server's instructions, not on every read tool.
            json!({"type": "array", "items": {"type": "string"}}),
        );
    }
    let mut meta =
        json!({"method": tool.method().as_str(), "path": tool.path(), "tags": tool.tags()});
    if let Some(op) = tool.operation_id() {
        meta["operationId"] = json!(op);
    }
    ToolEntry {
        name: tool.name().to_owned(),
        title: tool.title().map(str::to_owned),
        description: tool.description().to_owned(),
        input_schema,
        output_schema: Some(envelope::output_schema()),
        annotations: compact_annotations(guard.annotations(tool)),
        meta: Some(meta),
    }
}

/// The annotations without the members that only repeat the protocol's defaults
/// (`readOnlyHint: false`, `destructiveHint: true`, `idempotentHint: false`,
/// `openWorldHint: true`): they would be on nearly every tool of `tools/list`. Reads say
/// `readOnlyHint: true`; a write that is not destructive says `destructiveHint: false`; a
/// destructive write says nothing, which the protocol defines as the worst case (may destroy,
/// not idempotent, open world). An empty object is left out of the tool altogether.
fn compact_annotations(a: policy::Annotations) -> Value {
    let mut map = Map::new();
    if a.read_only_hint {
        map.insert("readOnlyHint".into(), Value::Bool(true));
    }
    if a.destructive_hint == Some(false) {
        map.insert("destructiveHint".into(), Value::Bool(false));
    }
    if a.idempotent_hint == Some(true) {
        map.insert("idempotentHint".into(), Value::Bool(true));
    }
    if !a.open_world_hint {
        map.insert("openWorldHint".into(), Value::Bool(false));
    }
    Value::Object(map)
}

/// Lists what `config` would expose from `catalog`, without PXCloud: `(operations, exposed
/// catalog tools, document warnings)`.
pub fn offline_listing(config: &Config, catalog: Catalog) -> anyhow::Result<(usize, usize, usize)> {
    let (total, warnings) = (catalog.len(), catalog.warnings().len());
    let state = CatalogState::build(catalog, &offline_guard(config)?, ToolMode::Full);
    Ok((total, state.visible.len(), warnings))
}

/// The `tools/list` entries `config` would expose from `catalog`, without PXCloud.
pub fn offline_tools(
    config: &Config,
    catalog: Catalog,
    can_elicit: bool,
) -> anyhow::Result<Vec<ToolEntry>> {
    let guard = offline_guard(config)?;
    let state = CatalogState::build(catalog, &guard, config.tool_mode);
    Ok(state.listing(&guard, can_elicit))
}

fn offline_guard(config: &Config) -> anyhow::Result<Guard> {
    let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>())
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let guard = Guard::new(
        config.policy.clone(),
        key,
        Arc::new(MemoryNonceStore::new()),
    );
    Ok(guard)
}

/// The running application.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    client: Client,
    guard: Guard,
    state: RwLock<Arc<CatalogState>>,
    audit: Option<AuditSink>,
    _demo: Option<startup::Demo>,
}

impl App {
    /// Start-up: (demo simulator,) client, login, spec, ingest, policy. Fails with a message
    /// that says what to fix; never hangs (every step has a deadline).
    pub async fn start(mut config: Config) -> anyhow::Result<App> {
        // A local mistake is reported before any network work, however PXCloud is doing.
        let audit = AuditSink::open_configured(&config)?;
        let demo = if config.demo {
            Some(startup::start_demo(&mut config).await?)
        } else {
            None
        };
        let client = Client::new(startup::client_config(&config)?).map_err(|e| {
            // Its configuration errors name the setting (`PXCLOUD_CA_FILE /x cannot be read`).
            if e.message().contains("PXCLOUD_") {
                anyhow::anyhow!("{}", e.message())
            } else {
                anyhow::anyhow!("cannot set up the PXCloud client: {}", e.message())
            }
        })?;
        // `Client::new` has logged its warnings (TLS off, clear text) already.
        let mut spec = startup::connect(&client, &config).await?;
        startup::drop_responses(&mut spec);
        let catalog = startup::ingest(&spec, &config.tool_prefix)?;
        drop(spec);
        App::build(config, client, catalog, demo, audit)
    }

    /// Builds the application from parts (used by tests and embedders that bring their own
    /// catalog); opens `PXCLOUD_AUDIT_LOG` like [`App::start`] does.
    pub fn assemble(
        config: Config,
        client: Client,
        catalog: Catalog,
        demo: Option<startup::Demo>,
    ) -> anyhow::Result<App> {
        let audit = AuditSink::open_configured(&config)?;
        App::build(config, client, catalog, demo, audit)
    }

    fn build(
        config: Config,
        client: Client,
        catalog: Catalog,
        demo: Option<startup::Demo>,
        audit: Option<AuditSink>,
    ) -> anyhow::Result<App> {
        let key = match &config.secret {
            Some(secret) => SigningKey::from_bytes(secret.expose().as_bytes()),
            None => SigningKey::from_bytes(&rand::random::<[u8; 32]>()),
        }
        .map_err(|e| anyhow::anyhow!("PXCLOUD_SECRET is unusable: {e:?}"))?;
        let guard = Guard::new(
            config.policy.clone(),
            key,
            Arc::new(MemoryNonceStore::new()),
        );
        if let Some(unknown) = guard.unknown_tags(&catalog) {
            tracing::warn!("PXCLOUD_TOOLS: {unknown}");
        }
        let state = CatalogState::build(catalog, &guard, config.tool_mode);
        tracing::info!(
            tools = state.visible.len(),
            total = state.catalog.len(),
            mode = ?config.tool_mode,
            "catalog ready"
        );
        Ok(App {
            inner: Arc::new(Inner {
                config,
                client,
                guard,
                state: RwLock::new(Arc::new(state)),
                audit,
                _demo: demo,
            }),
        })
    }

    /// The configuration (after `--demo` pointed it at the simulator).
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The PXCloud client.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The running demo simulator, if any.
    pub fn demo(&self) -> Option<&pxcloud_sim::Sim> {
        self.inner._demo.as_ref().map(|d| &d.sim)
    }

    pub(crate) fn state(&self) -> Arc<CatalogState> {
        self.inner
            .state
            .read()
            .map(|s| Arc::clone(&s))
            .unwrap_or_else(|p| Arc::clone(&p.into_inner()))
    }

    /// Replaces the catalog (spec refresh); returns whether the tool list changed.
    pub fn replace_catalog(&self, catalog: Catalog) -> bool {
        let guard = &self.inner.guard;
        let fresh = CatalogState::build(catalog, guard, self.inner.config.tool_mode);
        let current = self.state();
        // The listing a client without elicitation sees stands for both: the other differs
        // only in the control arguments derived from the same tools.
        let changed = current.listing(guard, false) != fresh.listing(guard, false);
        if changed {
            let mut slot = self
                .inner
                .state
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *slot = Arc::new(fresh);
        }
        changed
    }

    /// Re-fetches and re-ingests the spec; returns whether the tool list changed. The ingest
    /// runs on Tokio's blocking pool, so calls in flight keep being served meanwhile.
    pub async fn refresh(&self) -> anyhow::Result<bool> {
        let mut spec = self
            .inner
            .client
            .fetch_spec_with(startup::parse_spec)
            .await
            .map_err(|e| anyhow::anyhow!("spec refresh failed: {e}"))?;
        let app = self.clone();
        tokio::task::spawn_blocking(move || {
            startup::drop_responses(&mut spec);
            let catalog = startup::ingest(&spec, &app.inner.config.tool_prefix)?;
            drop(spec);
            Ok(app.replace_catalog(catalog))
        })
        .await
        .map_err(|e| anyhow::anyhow!("spec refresh failed: {e}"))?
    }

    /// The tools to list for a client that can (or cannot) ask its user.
    pub fn list_tools(&self, can_elicit: bool) -> Vec<ToolEntry> {
        self.state().listing(&self.inner.guard, can_elicit)
    }

    /// One listed tool by name, without copying the whole list (but copying this tool's
    /// schemas: [`App::tool`] borrows them instead).
    pub fn find_tool(&self, name: &str, can_elicit: bool) -> Option<ToolEntry> {
        self.tool(name).map(|tool| tool.to_entry(can_elicit))
    }

    /// One listed tool by name, borrowed: nothing is copied or made (a name look-up and a
    /// reference count), whatever is read from it.
    pub fn tool(&self, name: &str) -> Option<ToolRef> {
        let state = self.state();
        let listed = state.locate(name)?;
        if let Listed::Catalog(i) = listed {
            state.catalog.tools().get(i)?;
        }
        Some(ToolRef {
            app: self.clone(),
            state,
            listed,
        })
    }

    /// Runs one tool.
    pub async fn call_tool(
        &self,
        name: &str,
        args: Map<String, Value>,
        caller: &dyn Caller,
    ) -> Result<ToolOutput, CallError> {
        self.call_tool_output(name, args, caller)
            .await
            .map(CallOutput::into_tool_output)
    }

    /// What the prompts and guides say about this server: read-only when the policy limits the
    /// tools to reads, by `PXCLOUD_READ_ONLY` or by the `read_only` profile.
    pub fn prompt_context(&self) -> PromptContext {
        let state = self.state();
        let mut tags: Vec<String> = state
            .visible_tools()
            .flat_map(|t| t.tags().iter().cloned())
            .collect();
        tags.sort();
        tags.dedup();
        let policy = &self.inner.config.policy;
        PromptContext {
            endpoint: self.inner.config.url.clone(),
            tool_count: state.visible.len(),
            tags,
            allow_delete: policy.allow_delete,
            read_only: policy.read_only
                || policy.profile.is_some_and(policy::Profile::is_read_only),
            dry_run: policy.dry_run,
        }
    }

    /// Safety facts for the guides.
    pub fn safety_facts(&self) -> SafetyFacts {
        let state = self.state();
        SafetyFacts {
            strict: self.inner.config.policy.strict,
            audit: self.inner.audit.is_some(),
            destructive_tools: state
                .visible_tools()
                .filter(|t| self.inner.guard.class(t).needs_confirmation())
                .count(),
        }
    }

    /// Whether the server can log in again by itself (it holds a password).
    pub(crate) fn can_relogin(&self) -> bool {
        matches!(self.inner.config.auth, Some(AuthSetting::Password { .. }))
    }

    pub(crate) fn guard(&self) -> &Guard {
        &self.inner.guard
    }

    pub(crate) fn audit(&self) -> Option<&AuditSink> {
        self.inner.audit.as_ref()
    }
}

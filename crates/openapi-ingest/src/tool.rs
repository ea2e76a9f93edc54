//! One tool: what a model sees (name, description, schemas), what policy needs (method, tags,
//! body media types, extensions) and how arguments become a request.

use std::fmt;
use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::{Map, Value};

use crate::error::{ArgError, ArgIssue};
use crate::model::{BodyKind, Method};
use crate::request::{Binding, HttpRequest};
use crate::{numbered, quick, validate};

/// The member that carries a non-object response in a wrapped output schema.
pub const OUTPUT_WRAP_KEY: &str = "result";

/// One operation of the document as an MCP tool.
pub struct Tool {
    pub(crate) name: String,
    pub(crate) title: Option<String>,
    pub(crate) description: String,
    pub(crate) operation_id: Option<String>,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) tags: Vec<String>,
    pub(crate) deprecated: bool,
    pub(crate) body_kinds: Vec<BodyKind>,
    pub(crate) body_content_types: Vec<String>,
    pub(crate) body_required: bool,
    pub(crate) extensions: Map<String, Value>,
    pub(crate) input_schema: Value,
    pub(crate) output_schema: Option<Value>,
    pub(crate) output_wrapped: bool,
    pub(crate) pointer: String,
    pub(crate) binding: Binding,
    pub(crate) input_validator: OnceLock<Option<Validator>>,
    pub(crate) output_validator: OnceLock<Option<Validator>>,
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.name)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("operation_id", &self.operation_id)
            .finish_non_exhaustive()
    }
}

impl Tool {
    /// The MCP tool name (unique in the catalog, `^[A-Za-z0-9_.-]{1,64}$`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A short human title for display: the first sentence of the operation's summary, without
    /// its full stop; `None` without a summary or when that sentence is longer than 100
    /// characters (the description always has the whole summary).
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The description shown to the model.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The spec's `operationId`, unchanged.
    pub fn operation_id(&self) -> Option<&str> {
        self.operation_id.as_deref()
    }

    /// The HTTP method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The path template exactly as the spec's `paths` key (including any `?query`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The operation's tags, in spec order.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// `true` when the operation is marked deprecated.
    pub fn deprecated(&self) -> bool {
        self.deprecated
    }

    /// The kinds of the request body media types (deduplicated, spec order).
    pub fn body_kinds(&self) -> &[BodyKind] {
        &self.body_kinds
    }

    /// Every request body media type the operation accepts, as written in the spec.
    pub fn body_content_types(&self) -> &[String] {
        &self.body_content_types
    }

    /// `true` when the request body is required.
    pub fn body_required(&self) -> bool {
        self.body_required
    }

    /// The media type [`request`](Self::request) uses for the body, if the tool has one.
    pub fn request_content_type(&self) -> Option<&str> {
        self.binding.content_type.as_deref()
    }

    /// The operation's vendor extensions (`x-*` members).
    pub fn extensions(&self) -> &Map<String, Value> {
        &self.extensions
    }

    /// The JSON Schema 2020-12 object describing the arguments.
    pub fn input_schema(&self) -> &Value {
        &self.input_schema
    }

    /// The JSON Schema 2020-12 object describing the structured result, when the spec has a
    /// JSON 2xx response schema. Non-object responses are wrapped: see
    /// [`output_wrapped`](Self::output_wrapped).
    pub fn output_schema(&self) -> Option<&Value> {
        self.output_schema.as_ref()
    }

    /// `true` when the response schema is not an object and the output schema wraps it as
    /// `{"result": <response>}` ([`OUTPUT_WRAP_KEY`]).
    pub fn output_wrapped(&self) -> bool {
        self.output_wrapped
    }

    /// JSON pointer of the operation in the document.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// Checks arguments against the input schema. The validator is compiled on first use,
    /// and only for arguments a quick check of the simple keywords cannot accept by itself.
    pub fn validate(&self, args: &Map<String, Value>) -> Result<(), ArgError> {
        if quick::accepts_object(&self.input_schema, args) {
            return Ok(());
        }
        let validator = self
            .input_validator
            .get_or_init(|| validate::compile(&self.input_schema));
        let Some(validator) = validator else {
            // Only when the schema cannot be compiled at all; the corpus test proves
            // this does not happen for real documents.
            return Ok(());
        };
        let instance = validate::as_instance(args);
        // The common case, valid arguments, without collecting errors.
        if validator.is_valid(&instance) {
            return Ok(());
        }
        let mut issues = validate::issues(validator, &instance);
        if !issues.is_empty() {
            let properties = self
                .input_schema
                .get("properties")
                .and_then(Value::as_object);
            numbered::explain(&self.binding.params, properties, args, &mut issues);
        }
        if issues.is_empty() {
            Ok(())
        } else {
            Err(ArgError::new(&self.name, issues))
        }
    }

    /// `true` when the input schema compiles into a validator.
    pub fn input_validator_compiles(&self) -> bool {
        self.input_validator
            .get_or_init(|| validate::compile(&self.input_schema))
            .is_some()
    }

    /// `true` when there is an output schema and it compiles into a validator.
    pub fn output_validator_compiles(&self) -> bool {
        let Some(schema) = self.output_schema.as_ref() else {
            return false;
        };
        self.output_validator
            .get_or_init(|| validate::compile(schema))
            .is_some()
    }

    /// Validates the arguments and builds the HTTP request.
    pub fn request(&self, args: &Map<String, Value>) -> Result<HttpRequest, ArgError> {
        self.validate(args)?;
        self.binding.build(&self.name, self.method, args)
    }

    /// Builds the HTTP request without validating the arguments first.
    pub fn request_unchecked(&self, args: &Map<String, Value>) -> Result<HttpRequest, ArgError> {
        self.binding.build(&self.name, self.method, args)
    }

    /// The MCP `structuredContent` for a successful response body: the response (wrapped if
    /// [`output_wrapped`](Self::output_wrapped)) when it matches the output schema, else
    /// `None`. A mismatch never turns a success into a failure; the caller just sends text.
    pub fn structured_content(&self, response: &Value) -> Option<Value> {
        let schema = self.output_schema.as_ref()?;
        let content = if self.output_wrapped {
            let mut m = Map::new();
            m.insert(OUTPUT_WRAP_KEY.to_owned(), response.clone());
            Value::Object(m)
        } else {
            response.clone()
        };
        let validator = self
            .output_validator
            .get_or_init(|| validate::compile(schema))
            .as_ref()?;
        validator.is_valid(&content).then_some(content)
    }

    /// Argument issues as a list, for callers that report them one by one.
    pub fn check(&self, args: &Map<String, Value>) -> Vec<ArgIssue> {
        match self.validate(args) {
            Ok(()) => Vec::new(),
            Err(e) => e.issues().to_vec(),
        }
    }
}

//! OpenAPI 3.0 / 3.1 and Swagger 2.0 documents to a catalog of MCP-ready tools.
//!
//! A pure library: no I/O, no async, no panics on any input. A [`Catalog`] holds one [`Tool`]
//! per operation. Each tool carries what a model sees (a unique name, a description, a
//! self-contained JSON Schema 2020-12 input schema and, when the spec has one, an output
//! schema), what policy needs (method, tags, body media types, deprecation, `x-*`
//! extensions), and the binding that turns validated arguments back into the exact HTTP
//! request ([`Tool::request`]).
//!
//! Problems in the document (duplicate operationIds, dangling `$ref`s, `type: "null"` in 3.0,
//! query strings in path keys, a missing `paths`) are tolerated and reported as
//! [`Warning`]s with a JSON pointer; only a document that is not OpenAPI at all, or of an
//! unknown version, is an [`IngestError`].
//!
//! # Rules other crates can rely on
//!
//! - **Names**: `prefix + operationId` with every run of characters outside `[A-Za-z0-9]`
//!   turned into one `_` (leading/trailing `_` trimmed); without an operationId,
//!   `method_path` (e.g. `get_nodes_node_qemu`). Repeats get `_2`, `_3`, … in document order.
//!   Names longer than [`IngestOptions::max_name_len`] (48) keep their head and end in `_` +
//!   8 hex digits of SHA-256 of the full name. Every name matches `^[A-Za-z0-9_.-]{1,64}$`.
//! - **Input schema**: `{"type": "object", "properties": …, "required": …,
//!   "additionalProperties": false, "$defs": …}`. Path, query, header and cookie parameters
//!   keep their spec names when those match `^[A-Za-z0-9_.-]{1,64}$` and are otherwise
//!   rewritten (`StartTime<` → `StartTime_lt`, `include[]` → `include`, `net[n]` → `net_n`);
//!   a repeat in another location becomes `<in>_<name>`. Requests always use the spec names.
//!   A query parameter named with Proxmox's `[n]` convention (`net[n]` for `net0`, `net1`, …)
//!   is one object argument from index to value (`{"net_n": {"0": "virtio", "1": "e1000"}}`,
//!   `propertyNames` a canonical index, bounded when the description says `(n is 0 to 3)`
//!   or `link0..link7`), sent as `net0=virtio&net1=e1000` in index order.
//!   An object
//!   JSON/form body is flattened: each body property is an argument, renamed `body_<name>`
//!   when a parameter already has the name. Any other body (array, primitive, `oneOf`, map)
//!   is the single argument `body` (`request_body` if a parameter is called `body`). Only the body's required properties of a required body
//!   are required; path parameters are always required.
//! - **Output schema**: from the first 2xx response with a JSON media type. An object schema
//!   is used as is; anything else is wrapped as `{"result": …}` ([`Tool::output_wrapped`]).
//!   A Proxmox `net[n]` property is `patternProperties: {"^net(0|[1-9][0-9]*)$": …}`, as
//!   results carry `net0`, `net1`, ….
//!   Use [`Tool::structured_content`]: it returns `None` (send text only) when a response does
//!   not match, so a mismatch never turns a success into a failure.
//! - **Schemas** are JSON Schema 2020-12, self-contained (`$ref` only to `#/$defs/…`), with
//!   size and depth bounds: a schema inlines referenced schemas up to a node budget, cycles
//!   and large targets go to `$defs`, a tool's `$defs` stop at a node budget (the rest becomes
//!   `{}` with a [`WarningKind::SizeLimit`] warning) and nesting deeper than 64 levels inside
//!   one schema is cut to `{}` ([`WarningKind::DepthLimit`]). A subschema of 100 bytes or
//!   more that occurs several times in one input schema (below the arguments) is written
//!   once, under `$defs` (named after its component, else the property it first sits under),
//!   when that makes the schema smaller; top-level argument schemas are never references.
//!   A `format` that is an object (Proxmox VE's property strings, `key=value,…`) is said in
//!   the description instead, each key with its type and description once per tool.
//! - **Requests**: [`Tool::request`] validates, then builds an [`HttpRequest`] relative to the
//!   API base URL. For form and multipart bodies, `body` is a JSON object of fields that the
//!   HTTP client encodes according to `content_type`.
//! - **Body media type**: of those an operation lists, a JSON type, then a form, then
//!   multipart, else the first; a concrete type before a media range. A range that admits JSON
//!   (`*/*`, `application/*`) is a JSON body sent as `application/json`, unless its schema is a
//!   string (raw data: `application/octet-stream`); `text/*` is not JSON. A request never
//!   carries a range ([`Tool::request_content_type`]). Responses: a concrete JSON type first,
//!   then such a range.
//!
//! ```
//! use openapi_ingest::{Catalog, IngestOptions};
//! use serde_json::json;
//!
//! let doc = json!({
//!     "openapi": "3.0.3",
//!     "info": {"title": "Pets", "version": "1"},
//!     "paths": {"/pets/{petId}": {"get": {
//!         "operationId": "showPetById",
//!         "parameters": [{"name": "petId", "in": "path", "required": true,
//!                         "schema": {"type": "string"}}],
//!         "responses": {"200": {"description": "ok"}}
//!     }}}
//! });
//! let catalog = Catalog::from_value(&doc, &IngestOptions::default()).unwrap();
//! let tool = catalog.get("pxcloud_showPetById").unwrap();
//! let args = json!({"petId": "../../admin"});
//! let request = tool.request(args.as_object().unwrap()).unwrap();
//! assert_eq!(request.path, "/pets/..%2F..%2Fadmin");
//! ```
#![deny(missing_docs)]

mod catalog;
mod describe;
mod error;
mod keywords;
mod media;
mod model;
mod names;
mod numbered;
mod operation;
mod options;
mod property_string;
mod quick;
mod refs;
mod request;
mod schema;
mod share;
mod source;
mod tool;
mod validate;
mod warnings;

pub use catalog::Catalog;
pub use error::{ArgError, ArgIssue, IngestError, IngestErrorKind};
pub use model::{BodyKind, Method, SpecFamily, SpecInfo, Warning, WarningKind};
pub use names::{is_valid_tool_name, sanitize};
pub use options::IngestOptions;
pub use request::HttpRequest;
pub use source::parse_document;
pub use tool::{OUTPUT_WRAP_KEY, Tool};

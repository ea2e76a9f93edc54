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
mod model;
mod names;
mod operation;
mod options;
mod refs;
mod request;
mod schema;
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
pub use tool::{OUTPUT_WRAP_KEY, Tool};

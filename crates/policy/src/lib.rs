//! Which tools are visible and the verdict for one call: allow, ask, confirm, dry run or deny.
//!
//! A pure library over `openapi-ingest`'s tools: no I/O, no async, no clock or environment
//! reads (time comes in a [`CallContext`], randomness as a [`Nonce`], configuration as a
//! [`PolicyConfig`] the server builds, e.g. with [`PolicyConfig::from_lookup`]).
//!
//! - Visibility: tags, profiles, delete, read-only, excluded paths, unsendable bodies
//!   ([`Guard::visible_tools`], [`Guard::lookup`]).
//! - Classification and annotations ([`Guard::classify`], [`Guard::annotations`]).
//! - Verdicts ([`Guard::check`]): destructive calls ask the user through elicitation when the
//!   client can, or return `confirmation_required`; an approval is a signed, single-use,
//!   short-lived handle bound to the tool and its exact arguments ([`Guard::approve`]).
//! - Audit records ([`Guard::audit`]) and secret masking ([`mask_secrets`]).
//!
//! # How the server uses it
//!
//! - Start-up: build a [`PolicyConfig`], a [`SigningKey`] (32 random bytes, or a shared secret
//!   across replicas) and a [`NonceStore`]; report [`Guard::unknown_tags`].
//! - `tools/list`: [`Guard::visible_tools`]; for each, [`Guard::input_schema`] (depends on
//!   whether the client can elicit) and [`Guard::annotations`].
//! - `tools/call`: [`Guard::lookup`] (a hidden tool is an unknown tool), then
//!   [`Guard::check`] with the arguments as received, and on the [`Verdict`]:
//!   - `Allow { args }`: send `tool.request(args)`; the control arguments are already removed.
//!   - `NeedsElicitation(req)`: ask the user `req.message` (legacy `elicitation/create` or a
//!     2026 `input_required` round trip), then [`Guard::after_elicitation`].
//!   - `NeedsConfirmation(c)`: return `c.text` / `c.structured` as the tool result.
//!   - `DryRun(plan)`: return `plan.to_value()`; nothing is sent.
//!   - `Deny(d)`: return `d.message` as an error result.
//! - `pxcloud_confirm_change`: [`Guard::approval_request`] shows the exact call; when the user
//!   approves, [`Guard::approve`] returns the single-use handle the retry must carry.
//! - Audit: [`Guard::audit`] for every call, [`AuditRecord::with_outcome`] once it ran,
//!   [`AuditRecord::to_json_line`] to the log.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, UNIX_EPOCH};
//! use openapi_ingest::{Catalog, IngestOptions};
//! use policy::{CallContext, Guard, MemoryNonceStore, Nonce, PolicyConfig, SigningKey, Verdict};
//! use serde_json::json;
//!
//! let catalog = Catalog::from_value(&json!({
//!     "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
//!     "paths": {"/vms/{id}": {"delete": {"operationId": "vm_delete", "tags": ["VMs"],
//!         "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
//!         "responses": {"204": {"description": "gone"}}}}}
//! }), &IngestOptions::default()).unwrap();
//! let guard = Guard::new(PolicyConfig::default(), SigningKey::from_bytes(&[7; 32]).unwrap(),
//!     Arc::new(MemoryNonceStore::new()));
//! let tool = &catalog.tools()[0];
//! let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
//! let ctx = CallContext { can_elicit: false, now };
//! let args = json!({"id": 5}).as_object().unwrap().clone();
//!
//! // Without approval: the two-step flow's confirmation_required result.
//! assert!(matches!(guard.check(tool, &args, &ctx), Verdict::NeedsConfirmation(_)));
//!
//! // The user approved through pxcloud_confirm_change: the retry carries the handle, once.
//! let handle = guard.approve(tool, &args, now, Nonce([1; 16])).unwrap();
//! let mut retry = args.clone();
//! retry.insert("confirmed".into(), json!(true));
//! retry.insert("confirmation".into(), json!(handle));
//! assert!(guard.check(tool, &retry, &ctx).runs());
//! assert!(matches!(guard.check(tool, &retry, &ctx), Verdict::Deny(_)));
//! ```
#![deny(missing_docs)]

mod args;
mod audit;
mod canonical;
mod classify;
mod config;
mod guard;
mod handle;
mod mask;
mod nonce_store;
mod render;
mod verdict;
mod visibility;

pub use args::{CONFIRMATION, CONFIRMED, CONTROLS_HELP, CallArgs, ControlNames, DRY_RUN};
pub use audit::{AuditRecord, rfc3339};
pub use canonical::canonical_json;
pub use classify::{
    Annotations, Class, Classification, DESTRUCTIVE_EXTENSIONS, DESTRUCTIVE_PATH_FRAGMENTS,
};
pub use config::{
    ConfigError, DEFAULT_CONFIRM_TTL, DEFAULT_EXCLUDED_PATHS, Pattern, PolicyConfig, Profile,
    parse_bool, parse_list, parse_patterns, parse_profile, parse_secs, vars,
};
pub use guard::Guard;
pub use handle::{Claims, HandleError, HandleSigner, KeyTooShort, Nonce, Purpose, SigningKey};
pub use mask::{MASK, is_secret_key, mask_map, mask_pairs, mask_secrets};
pub use nonce_store::{AlreadyUsed, MemoryNonceStore, NonceStore};
pub use verdict::{
    CallContext, ConfirmationRequired, Denial, DenialKind, DryRunPlan, ElicitationAnswer,
    ElicitationRequest, Verdict,
};
pub use visibility::{Hidden, UnknownTags, unknown_tags};

//! The control arguments a guarded tool adds (`confirmed`, `confirmation`, `dry_run`): their
//! names, the exposed input schema, and their removal before the arguments reach
//! `Tool::request`.
//!
//! Control arguments are stripped only on tools that expose them, so a read-only tool's own
//! parameters are never touched. When the operation already has a parameter of the same name,
//! the control argument takes a `pxcloud_` prefix instead of shadowing it.
//!
//! The exposed schemas carry no per-tool description of `dry_run` and `confirmation`: the same
//! sentence on every tool of `tools/list` is repeated text. [`CONTROLS_HELP`] says it once, for
//! the server's instructions; only `confirmed` keeps a short description where it is required.

use std::fmt;

use openapi_ingest::Tool;
use serde_json::{Map, Value, json};

use crate::classify::Class;
use crate::mask::mask_map;
use crate::verdict::{Denial, DenialKind};

/// The preferred name of the approval flag.
pub const CONFIRMED: &str = "confirmed";
/// The preferred name of the approval handle argument.
pub const CONFIRMATION: &str = "confirmation";
/// The preferred name of the dry-run flag.
pub const DRY_RUN: &str = "dry_run";

/// What the control arguments mean, once for every tool (for a server's `instructions`).
pub const CONTROLS_HELP: &str = "Writes take `dry_run: true` to get the exact HTTP request \
back instead of sending it. Guarded (destructive) tools ask the user first when the client \
supports it; otherwise call pxcloud_confirm_change with the exact call, then call the tool \
with `confirmed: true` and the `confirmation` handle it returned (one handle, one call; never \
with `dry_run`).";

/// The control argument names of one tool (the preferred names unless the operation uses them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlNames {
    /// Name of the approval flag.
    pub confirmed: String,
    /// Name of the approval handle.
    pub confirmation: String,
    /// Name of the dry-run flag.
    pub dry_run: String,
}

impl ControlNames {
    /// The names for `tool`, avoiding its own parameter names.
    pub fn for_tool(tool: &Tool) -> ControlNames {
        let props = tool
            .input_schema()
            .get("properties")
            .and_then(Value::as_object);
        let free = |preferred: &str| {
            let mut name = preferred.to_owned();
            while props.is_some_and(|p| p.contains_key(&name)) {
                name = format!("pxcloud_{name}");
            }
            name
        };
        ControlNames {
            confirmed: free(CONFIRMED),
            confirmation: free(CONFIRMATION),
            dry_run: free(DRY_RUN),
        }
    }
}

/// Tool arguments with the control arguments removed, ready for `Tool::validate` and
/// `Tool::request`. `Debug` masks secret-looking fields.
#[derive(Clone, PartialEq, Default)]
pub struct CallArgs(Map<String, Value>);

impl CallArgs {
    /// Wraps a map.
    pub fn new(map: Map<String, Value>) -> CallArgs {
        CallArgs(map)
    }

    /// The arguments.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The arguments, owned.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// The arguments with secret-looking fields masked, for display.
    pub fn masked(&self) -> Value {
        Value::Object(mask_map(&self.0))
    }
}

impl fmt::Debug for CallArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallArgs({})", self.masked())
    }
}

/// The control arguments of one call, type-checked.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Controls {
    pub(crate) confirmed: Option<bool>,
    pub(crate) confirmation: Option<String>,
    pub(crate) dry_run: Option<bool>,
}

fn json_type(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(_) => "a boolean".to_owned(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.len() <= 16 => format!("the string {s:?}"),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

fn take_bool(
    args: &mut Map<String, Value>,
    name: &str,
    kind: DenialKind,
) -> Result<Option<bool>, Denial> {
    match args.remove(name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(other) => Err(Denial::new(
            kind,
            format!(
                "`{name}` must be the JSON boolean true or false, not {}; the call was not run",
                json_type(&other)
            ),
        )),
    }
}

/// Removes the control arguments `class` exposes from `args`, checking their JSON types.
pub(crate) fn split(
    names: &ControlNames,
    class: Class,
    args: Map<String, Value>,
) -> Result<(Controls, CallArgs), Denial> {
    let mut rest = args;
    let mut controls = Controls::default();
    if !class.is_mutating() {
        return Ok((controls, CallArgs(rest)));
    }
    controls.dry_run = take_bool(&mut rest, &names.dry_run, DenialKind::DryRunNotBoolean)?;
    if class.needs_confirmation() {
        controls.confirmed =
            take_bool(&mut rest, &names.confirmed, DenialKind::ConfirmedNotBoolean)?;
        controls.confirmation = match rest.remove(&names.confirmation) {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                return Err(Denial::new(
                    DenialKind::HandleNotString,
                    format!(
                        "`{}` must be the approval handle string returned by pxcloud_confirm_change, not {}; the call was not run",
                        names.confirmation,
                        json_type(&other)
                    ),
                ));
            }
        };
    }
    Ok((controls, CallArgs(rest)))
}

/// The input schema a client sees: the catalog's schema plus the control arguments.
pub(crate) fn exposed_schema(
    tool: &Tool,
    names: &ControlNames,
    class: Class,
    can_elicit: bool,
) -> Value {
    let base = tool.input_schema();
    if !class.is_mutating() {
        return base.clone();
    }
    let mut schema = match base {
        Value::Object(map) if map.get("type").and_then(Value::as_str) == Some("object") => {
            map.clone()
        }
        other => {
            let mut m = Map::new();
            m.insert("type".into(), json!("object"));
            if !other.is_null() && *other != json!({}) {
                m.insert("allOf".into(), json!([other]));
            }
            m
        }
    };
    let mut props = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    props.insert(names.dry_run.clone(), json!({"type": "boolean"}));
    let mut required: Vec<Value> = schema
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if class.needs_confirmation() {
        let confirmed = if can_elicit {
            json!({"type": "boolean"})
        } else {
            json!({
                "type": "boolean",
                "description": "Only after the user approved via pxcloud_confirm_change.",
            })
        };
        props.insert(names.confirmed.clone(), confirmed);
        props.insert(names.confirmation.clone(), json!({"type": "string"}));
        if !can_elicit {
            required.push(Value::String(names.confirmed.clone()));
        }
    }
    schema.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    Value::Object(schema)
}

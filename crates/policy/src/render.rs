//! What the user and the assistant are shown: the `confirmation_required` result, the
//! elicitation message, the dry-run plan.

use std::time::Duration;

use openapi_ingest::Tool;
use serde_json::{Value, json};

use crate::args::{CallArgs, ControlNames};
use crate::classify::{Class, Classification};
use crate::verdict::{
    ConfirmationRequired, Denial, DenialKind, DryRunPlan, ElicitationRequest, Verdict,
};

/// The two-step flow's result: what was blocked and exactly how to obtain approval.
pub(crate) fn confirmation_required(
    tool: &Tool,
    cls: &Classification,
    names: &ControlNames,
    rest: &CallArgs,
    ttl: Duration,
) -> ConfirmationRequired {
    let method = tool.method().as_str();
    let text = format!(
        "confirmation_required: {name} ({method} {path}) is destructive ({reason}) and was not run. \
             Ask the user to approve it: call pxcloud_confirm_change with \"tool\": \"{name}\" and \"arguments\": exactly the arguments you sent \
             (shown here with secrets masked: {shown}). \
             Only after the user approves, call {name} again with the same arguments plus \"{confirmed}\": true and \
             \"{confirmation}\": the handle pxcloud_confirm_change returned. The handle is valid once, for {ttl} seconds.",
        name = tool.name(),
        path = tool.path(),
        reason = cls.reason,
        shown = rest.masked(),
        confirmed = names.confirmed,
        confirmation = names.confirmation,
        ttl = ttl.as_secs(),
    );
    let structured = json!({
        "status": "confirmation_required",
        "tool": tool.name(),
        "method": method,
        "path": tool.path(),
        "reason": cls.reason,
        "arguments": rest.masked(),
        "next": {
            "tool": "pxcloud_confirm_change",
            "then": {"retry": tool.name(), "add": {names.confirmed.as_str(): true, names.confirmation.as_str(): "<handle>"}},
        },
    });
    ConfirmationRequired { text, structured }
}

/// The question for the user: method, path, why it is dangerous, the exact arguments.
pub(crate) fn elicitation(tool: &Tool, cls: &Classification, rest: CallArgs) -> ElicitationRequest {
    let method = tool.method().as_str();
    let shown = rest.masked();
    let pretty = serde_json::to_string_pretty(&shown).unwrap_or_default();
    let kind = match cls.class {
        Class::Destructive => format!("destructive PXCloud call ({})", cls.reason),
        Class::ReadOnly => "read-only PXCloud call".to_owned(),
        _ => "PXCloud call, which changes state".to_owned(),
    };
    let message = format!(
        "Approve this {kind}?\n\n{method} {path}\ntool: {name}\narguments:\n{pretty}",
        path = tool.path(),
        name = tool.name(),
    );
    ElicitationRequest {
        message,
        tool: tool.name().to_owned(),
        method,
        path: tool.path().to_owned(),
        args_shown: shown,
        args: rest,
    }
}

/// The request a dry run would send, secrets masked.
pub(crate) fn dry_run_plan(tool: &Tool, rest: &CallArgs) -> Result<Verdict, Denial> {
    let real = tool.request(rest.as_map()).map_err(|e| {
        Denial::new(
            DenialKind::InvalidArguments,
            format!(
                "dry run of {}: the arguments do not form a request: {e}",
                tool.name()
            ),
        )
    })?;
    // Built again from masked arguments, so a secret that lands in the path, query or a header
    // is masked there too; falls back to the real request (body and pairs masked) when the
    // masked value does not fit the parameter.
    let shown = match rest.masked() {
        Value::Object(m) => tool.request(&m).unwrap_or(real),
        _ => real,
    };
    Ok(Verdict::DryRun(DryRunPlan::new(tool.name(), &shown)))
}

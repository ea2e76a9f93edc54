//! The guard: one object holding the configuration, the handle key and the nonce store, which
//! answers every policy question the server asks.

use std::sync::Arc;
use std::time::SystemTime;

use openapi_ingest::{Catalog, Tool};
use serde_json::{Map, Value};

use crate::args::{self, CallArgs, ControlNames, Controls};
use crate::audit::AuditRecord;
use crate::classify::{self, Annotations, Class, Classification};
use crate::config::PolicyConfig;
use crate::handle::{HandleError, HandleSigner, Nonce, Purpose, SigningKey};
use crate::nonce_store::NonceStore;
use crate::render;
use crate::verdict::{
    CallContext, Denial, DenialKind, ElicitationAnswer, ElicitationRequest, Verdict,
};
use crate::visibility::{self, Hidden, UnknownTags};

/// The policy for one server: visibility, classification, verdicts, handles and audit records.
#[derive(Debug, Clone)]
pub struct Guard {
    config: PolicyConfig,
    signer: HandleSigner,
    nonces: Arc<dyn NonceStore>,
}

impl Guard {
    /// A guard over `config`, signing handles with `key` and remembering used ones in `nonces`.
    pub fn new(config: PolicyConfig, key: SigningKey, nonces: Arc<dyn NonceStore>) -> Guard {
        Guard {
            config,
            signer: HandleSigner::new(key),
            nonces,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Why `tool` is hidden, or `None` when `tools/list` shows it.
    pub fn hidden_reason(&self, tool: &Tool) -> Option<Hidden> {
        visibility::hidden_reason(&self.config, tool)
    }

    /// Whether `tools/list` shows `tool`.
    pub fn is_visible(&self, tool: &Tool) -> bool {
        self.hidden_reason(tool).is_none()
    }

    /// The visible tools, in catalog order.
    pub fn visible_tools<'c>(&self, catalog: &'c Catalog) -> Vec<&'c Tool> {
        catalog
            .tools()
            .iter()
            .filter(|t| self.is_visible(t))
            .collect()
    }

    /// The visible tool called `name`; a hidden tool is an unknown tool, like an absent one.
    pub fn lookup<'c>(&self, catalog: &'c Catalog, name: &str) -> Result<&'c Tool, Denial> {
        catalog
            .get(name)
            .filter(|t| self.is_visible(t))
            .ok_or_else(|| Denial::unknown_tool(name))
    }

    /// Tags in `PXCLOUD_TOOLS` that the catalog does not use, with the real list (report at
    /// start-up).
    pub fn unknown_tags(&self, catalog: &Catalog) -> Option<UnknownTags> {
        let requested = self.config.tags.as_deref()?;
        visibility::unknown_tags(requested, &catalog.tags())
    }

    /// The class of `tool` and the rule that decided it.
    pub fn classify(&self, tool: &Tool) -> Classification {
        classify::classify(&self.config, tool)
    }

    /// The class of `tool`, as [`Guard::classify`] says, without the reason in words.
    pub fn class(&self, tool: &Tool) -> Class {
        classify::class(&self.config, tool)
    }

    /// The MCP annotations for `tool`.
    pub fn annotations(&self, tool: &Tool) -> Annotations {
        Annotations::new(self.class(tool), tool.method())
    }

    /// The names of `tool`'s control arguments.
    pub fn control_names(&self, tool: &Tool) -> ControlNames {
        ControlNames::for_tool(tool)
    }

    /// The input schema to advertise for `tool`: the catalog's plus `dry_run` on writes, plus
    /// `confirmed` and `confirmation` on tools needing approval (`confirmed` required when the
    /// client cannot elicit).
    pub fn input_schema(&self, tool: &Tool, can_elicit: bool) -> Value {
        let class = self.class(tool);
        args::exposed_schema(tool, &ControlNames::for_tool(tool), class, can_elicit)
    }

    /// Removes `tool`'s control arguments from `args` (type-checking them) without deciding
    /// anything; [`Guard::check`] does this itself.
    pub fn strip_controls(
        &self,
        tool: &Tool,
        args: &Map<String, Value>,
    ) -> Result<CallArgs, Denial> {
        let class = self.class(tool);
        if !class.is_mutating() {
            return Ok(CallArgs::new(args.clone()));
        }
        args::split(&ControlNames::for_tool(tool), class, args.clone()).map(|(_, rest)| rest)
    }

    /// The verdict for one call of `tool` with `args` (as the client sent them).
    ///
    /// Order: visibility; control argument types; reads run (the caller validates them, e.g.
    /// through `Tool::request`); `dry_run` with approval is refused; writes are validated
    /// against the tool's schema; dry run; unguarded writes run; an approval handle is verified
    /// (tamper, purpose, expiry, tool, arguments) and consumed (reuse); without one the user is
    /// asked (elicitation) or the two-step `confirmation_required` result is returned.
    pub fn check(&self, tool: &Tool, args: &Map<String, Value>, ctx: &CallContext) -> Verdict {
        self.check_owned(tool, args.clone(), ctx)
    }

    /// [`Guard::check`] of arguments the caller gives away: a read's arguments become the
    /// verdict's as they are, without a copy.
    pub fn check_owned(&self, tool: &Tool, args: Map<String, Value>, ctx: &CallContext) -> Verdict {
        match self.decide(tool, args, ctx) {
            Ok(v) => v,
            Err(d) => Verdict::Deny(d),
        }
    }

    fn decide(
        &self,
        tool: &Tool,
        args: Map<String, Value>,
        ctx: &CallContext,
    ) -> Result<Verdict, Denial> {
        if !self.is_visible(tool) {
            return Err(Denial::unknown_tool(tool.name()));
        }
        // The class alone decides a read; the rule in words is for what the user is shown.
        let class = self.class(tool);
        if !class.is_mutating() {
            return Ok(Verdict::Allow {
                args: CallArgs::new(args),
                approved: false,
            });
        }
        let cls = self.classify(tool);
        let names = ControlNames::for_tool(tool);
        let (controls, rest) = args::split(&names, cls.class, args)?;
        let Controls {
            confirmed,
            confirmation,
            dry_run,
        } = controls;
        if dry_run == Some(true) && (confirmed.is_some() || confirmation.is_some()) {
            return Err(Denial::new(
                DenialKind::DryRunWithConfirmation,
                format!(
                    "`{}` cannot be combined with `{}` or `{}`: a dry run sends nothing and needs no approval; the call was not run",
                    names.dry_run, names.confirmed, names.confirmation
                ),
            ));
        }
        // Before anything is shown or approved: the user never approves a call that cannot run.
        validate(tool, &rest)?;
        if dry_run == Some(true) || self.config.dry_run {
            return render::dry_run_plan(tool, &rest);
        }
        if !cls.class.needs_confirmation() {
            return Ok(Verdict::Allow {
                args: rest,
                approved: false,
            });
        }
        if let Some(handle) = confirmation {
            let claims = self
                .signer
                .verify(
                    &handle,
                    Purpose::Approval,
                    tool.name(),
                    rest.as_map(),
                    ctx.now,
                )
                .map_err(Denial::handle)?;
            if !ctx.can_elicit && confirmed != Some(true) {
                return Ok(Verdict::NeedsConfirmation(render::confirmation_required(
                    tool,
                    &cls,
                    &names,
                    &rest,
                    self.config.confirm_ttl,
                )));
            }
            self.nonces
                .consume(&claims.nonce, claims.expires_at, ctx.now)
                .map_err(|_| Denial::handle(HandleError::Reused))?;
            return Ok(Verdict::Allow {
                args: rest,
                approved: true,
            });
        }
        if ctx.can_elicit {
            return Ok(Verdict::NeedsElicitation(render::elicitation(
                tool, &cls, rest,
            )));
        }
        Ok(Verdict::NeedsConfirmation(render::confirmation_required(
            tool,
            &cls,
            &names,
            &rest,
            self.config.confirm_ttl,
        )))
    }

    /// The verdict once the user answered a [`Verdict::NeedsElicitation`].
    pub fn after_elicitation(
        &self,
        request: ElicitationRequest,
        answer: ElicitationAnswer,
    ) -> Verdict {
        match answer {
            ElicitationAnswer::Accept => Verdict::Allow {
                args: request.args,
                approved: true,
            },
            ElicitationAnswer::Decline => Verdict::Deny(Denial::new(
                DenialKind::Declined,
                format!(
                    "the user declined {}; it was not run. Do not retry unless the user asks.",
                    request.tool
                ),
            )),
            ElicitationAnswer::Cancel => Verdict::Deny(Denial::new(
                DenialKind::Cancelled,
                format!("the user cancelled {}; it was not run.", request.tool),
            )),
        }
    }

    /// An approval handle for exactly `tool` with `args` (control arguments, if any, are
    /// removed first), to hand back after the user approved through `pxcloud_confirm_change`.
    /// Valid for the configured TTL, once. Arguments the tool's schema rejects get no handle.
    pub fn approve(
        &self,
        tool: &Tool,
        args: &Map<String, Value>,
        now: SystemTime,
        nonce: Nonce,
    ) -> Result<String, Denial> {
        let rest = self.prepare(tool, args)?;
        Ok(self.signer.mint(
            Purpose::Approval,
            tool.name(),
            rest.as_map(),
            now,
            self.config.confirm_ttl,
            nonce,
        ))
    }

    /// What `pxcloud_confirm_change` shows the user before [`Guard::approve`]: the tool's
    /// method, path and the exact arguments (secret-looking fields masked), in the same form
    /// as a destructive call's own elicitation. Hidden tools and invalid arguments are refused.
    pub fn approval_request(
        &self,
        tool: &Tool,
        args: &Map<String, Value>,
    ) -> Result<ElicitationRequest, Denial> {
        let rest = self.prepare(tool, args)?;
        Ok(render::elicitation(tool, &self.classify(tool), rest))
    }

    /// A handle for a call waiting on an answer (e.g. carried in state across a round trip),
    /// bound to `tool` and `args` like an approval, but never accepted as one.
    pub fn pending(
        &self,
        tool: &Tool,
        args: &Map<String, Value>,
        now: SystemTime,
        nonce: Nonce,
    ) -> Result<String, Denial> {
        let rest = self.prepare(tool, args)?;
        Ok(self.signer.mint(
            Purpose::Pending,
            tool.name(),
            rest.as_map(),
            now,
            self.config.confirm_ttl,
            nonce,
        ))
    }

    /// Verifies a handle minted by [`Guard::pending`] (or [`Guard::approve`] with
    /// [`Purpose::Approval`]) for exactly `tool` and `args` and consumes it: a second redemption
    /// is [`DenialKind::HandleReused`].
    pub fn redeem(
        &self,
        handle: &str,
        purpose: Purpose,
        tool: &Tool,
        args: &Map<String, Value>,
        now: SystemTime,
    ) -> Result<(), Denial> {
        let rest = self.strip_controls(tool, args)?;
        let claims = self
            .signer
            .verify(handle, purpose, tool.name(), rest.as_map(), now)
            .map_err(Denial::handle)?;
        self.nonces
            .consume(&claims.nonce, claims.expires_at, now)
            .map_err(|_| Denial::handle(HandleError::Reused))
    }

    /// The handle signer, for handles of the caller's own design.
    pub fn signer(&self) -> &HandleSigner {
        &self.signer
    }

    /// Visible tool, control arguments stripped and type-checked, arguments valid.
    fn prepare(&self, tool: &Tool, args: &Map<String, Value>) -> Result<CallArgs, Denial> {
        if !self.is_visible(tool) {
            return Err(Denial::unknown_tool(tool.name()));
        }
        let rest = self.strip_controls(tool, args)?;
        validate(tool, &rest)?;
        Ok(rest)
    }

    /// The audit record of a call, or `None` for read-only tools (which are not audited).
    /// `args` are the arguments as received; secret-looking fields and the approval handle
    /// (a bearer credential until it is used) are masked.
    pub fn audit(
        &self,
        tool: &Tool,
        args: &Map<String, Value>,
        verdict: &Verdict,
        now: SystemTime,
    ) -> Option<AuditRecord> {
        if !self.class(tool).is_mutating() {
            return None;
        }
        let handle = ControlNames::for_tool(tool).confirmation;
        let mut shown = args.clone();
        if let Some(v) = shown.get_mut(&handle) {
            *v = Value::String(crate::MASK.to_owned());
        }
        Some(AuditRecord::new(now, tool, &shown, verdict))
    }
}

fn validate(tool: &Tool, args: &CallArgs) -> Result<(), Denial> {
    tool.validate(args.as_map()).map_err(|e| {
        Denial::new(
            DenialKind::InvalidArguments,
            format!("{e}; the call was not run"),
        )
    })
}

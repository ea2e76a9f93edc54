//! More VM endpoints: firewall rules, tags (with a bulk array body) and metrics.

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::Deleted;
use super::vms::{find, find_mut};
use crate::envelope::{
    ApiError, ApiResult, Envelope, ErrorBody, ValidJson, ValidQuery, Validate, ok,
};
use crate::model::{Direction, FirewallAction, FirewallRule, VmStatus};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(paths(
    list_firewall_rules,
    create_firewall_rule,
    delete_firewall_rule,
    bulk_assign_tags,
    list_tags,
    get_vm_metrics
))]
pub(super) struct Doc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/vms/{id}/firewall/rules",
            get(list_firewall_rules).post(create_firewall_rule),
        )
        .route(
            "/api/vms/{id}/firewall/rules/{pos}",
            delete(delete_firewall_rule),
        )
        .route("/api/vms/tags", post(bulk_assign_tags))
        .route("/api/tags", get(list_tags))
        .route("/api/vms/{id}/metrics", get(get_vm_metrics))
}

/// List a VM's firewall rules.
///
/// In evaluation order (`pos`).
#[utoipa::path(
    get, path = "/api/vms/{id}/firewall/rules", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    responses(
        (status = 200, description = "Rules", body = Envelope<Vec<FirewallRule>>),
        (status = 404, description = "No such VM", body = ErrorBody),
    )
)]
pub(crate) async fn list_firewall_rules(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Vec<FirewallRule>> {
    let store = state.store();
    find(&store, &id)?;
    ok(store.firewall.get(&id).cloned().unwrap_or_default())
}

/// A new firewall rule.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct FirewallRuleInput {
    /// Direction.
    direction: Direction,
    /// Action.
    action: FirewallAction,
    /// Protocol: tcp, udp or icmp; any when omitted.
    proto: Option<String>,
    /// Destination port or range (`443`, `8000:8100`); needs tcp or udp.
    dport: Option<String>,
    /// Source CIDR.
    source: Option<String>,
    /// Enabled.
    #[serde(default = "yes")]
    enable: bool,
    /// Comment.
    #[schema(max_length = 128)]
    comment: Option<String>,
    /// Position to insert at; appended when omitted.
    #[schema(minimum = 0)]
    pos: Option<u32>,
}

fn yes() -> bool {
    true
}

fn valid_port(p: &str) -> bool {
    let ok = |x: &str| x.parse::<u16>().is_ok_and(|n| n > 0);
    match p.split_once(':') {
        Some((a, b)) => ok(a) && ok(b),
        None => ok(p),
    }
}

impl Validate for FirewallRuleInput {
    fn validate(&self) -> Result<(), ApiError> {
        if let Some(p) = &self.proto
            && !["tcp", "udp", "icmp"].contains(&p.as_str())
        {
            return Err(ApiError::invalid("proto", "must be tcp, udp or icmp"));
        }
        if let Some(d) = &self.dport {
            if !matches!(self.proto.as_deref(), Some("tcp" | "udp")) {
                return Err(ApiError::invalid("dport", "needs proto tcp or udp"));
            }
            if !valid_port(d) {
                return Err(ApiError::invalid(
                    "dport",
                    "must be a port (1-65535) or range a:b",
                ));
            }
        }
        if let Some(s) = &self.source
            && super::ipam::Net::parse(s).is_none()
            && s.parse::<std::net::Ipv4Addr>().is_err()
        {
            return Err(ApiError::invalid(
                "source",
                "must be an IPv4 address or network",
            ));
        }
        Ok(())
    }
}

/// Add a firewall rule.
///
/// Inserts at `pos` (later rules move down) or appends.
#[utoipa::path(
    post, path = "/api/vms/{id}/firewall/rules", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`")),
    request_body = FirewallRuleInput,
    responses(
        (status = 200, description = "The rules afterwards", body = Envelope<Vec<FirewallRule>>),
        (status = 404, description = "No such VM", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    )
)]
pub(crate) async fn create_firewall_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<FirewallRuleInput>,
) -> ApiResult<Vec<FirewallRule>> {
    let mut store = state.store();
    find(&store, &id)?;
    let rules = store.firewall.entry(id).or_default();
    let at = body
        .pos
        .map_or(rules.len(), |p| (p as usize).min(rules.len()));
    rules.insert(
        at,
        FirewallRule {
            pos: 0,
            direction: body.direction,
            action: body.action,
            proto: body.proto,
            dport: body.dport,
            source: body.source,
            enable: body.enable,
            comment: body.comment,
        },
    );
    for (i, r) in rules.iter_mut().enumerate() {
        r.pos = i as u32;
    }
    ok(rules.clone())
}

/// Delete a firewall rule.
///
/// Removes the rule at `pos`; later rules move up.
#[utoipa::path(
    delete, path = "/api/vms/{id}/firewall/rules/{pos}", tag = "VMs",
    params(("id" = String, Path, description = "VM id"), ("pos" = u32, Path, description = "Rule position")),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        (status = 404, description = "No such VM or rule", body = ErrorBody),
    )
)]
pub(crate) async fn delete_firewall_rule(
    State(state): State<AppState>,
    Path((id, pos)): Path<(String, String)>,
) -> ApiResult<Deleted> {
    let pos: usize = pos
        .parse()
        .map_err(|_| ApiError::invalid("pos", "must be a non-negative integer"))?;
    let mut store = state.store();
    find(&store, &id)?;
    let rules = store.firewall.entry(id).or_default();
    if pos >= rules.len() {
        return Err(ApiError::not_found("firewall rule", &pos.to_string()));
    }
    rules.remove(pos);
    for (i, r) in rules.iter_mut().enumerate() {
        r.pos = i as u32;
    }
    ok(Deleted {
        id: pos.to_string(),
        deleted: true,
    })
}

/// Tags for one VM in a bulk assignment.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct TagAssignment {
    /// VM id.
    vm_id: String,
    /// Tags to set.
    tags: Vec<String>,
    /// Replace the VM's tags (true) or add to them (false).
    #[serde(default)]
    replace: bool,
}

impl Validate for TagAssignment {
    fn validate(&self) -> Result<(), ApiError> {
        for t in &self.tags {
            if t.is_empty()
                || t.len() > 32
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(ApiError::invalid(
                    "tags",
                    format!("invalid tag '{t}': 1-32 letters, digits, '-' or '_'"),
                ));
            }
        }
        Ok(())
    }
}

/// Outcome of a bulk assignment for one VM.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TagResult {
    /// VM id.
    vm_id: String,
    /// Tags afterwards.
    tags: Vec<String>,
}

/// Assign tags to many VMs.
///
/// The body is an array: one entry per VM. All or nothing: an unknown VM answers 422 naming
/// its index and nothing changes.
#[utoipa::path(
    post, path = "/api/vms/tags", tag = "VMs",
    request_body = Vec<TagAssignment>,
    responses(
        (status = 200, description = "Tags afterwards", body = Envelope<Vec<TagResult>>),
        (status = 422, description = "Unknown VM or invalid tag", body = ErrorBody),
    )
)]
pub(crate) async fn bulk_assign_tags(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<Vec<TagAssignment>>,
) -> ApiResult<Vec<TagResult>> {
    let mut store = state.store();
    if body.is_empty() {
        return Err(ApiError::invalid(
            "body",
            "must contain at least one assignment",
        ));
    }
    for (i, a) in body.iter().enumerate() {
        if !store.vms.contains_key(&a.vm_id) {
            return Err(ApiError::invalid(
                &format!("[{i}].vm_id"),
                format!("unknown VM '{}'", a.vm_id),
            ));
        }
    }
    let mut out = Vec::new();
    for a in body {
        let vm = find_mut(&mut store, &a.vm_id)?;
        if a.replace {
            vm.tags.clear();
        }
        for t in a.tags {
            if !vm.tags.contains(&t) {
                vm.tags.push(t);
            }
        }
        out.push(TagResult {
            vm_id: vm.id.clone(),
            tags: vm.tags.clone(),
        });
    }
    ok(out)
}

/// A tag and how many VMs carry it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TagCount {
    /// Tag.
    tag: String,
    /// VMs carrying it.
    vms: usize,
}

/// List tags.
///
/// Every tag in use, with counts.
#[utoipa::path(
    get, path = "/api/tags", tag = "VMs",
    responses((status = 200, description = "Tags", body = Envelope<Vec<TagCount>>))
)]
pub(crate) async fn list_tags(State(state): State<AppState>) -> ApiResult<Vec<TagCount>> {
    let store = state.store();
    let tags: BTreeSet<&String> = store.vms.values().flat_map(|v| v.tags.iter()).collect();
    ok(tags
        .into_iter()
        .map(|t| TagCount {
            tag: t.clone(),
            vms: store.vms.values().filter(|v| v.tags.contains(t)).count(),
        })
        .collect())
}

/// Time window of metrics.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Timeframe {
    /// Last hour, one point per minute.
    #[default]
    Hour,
    /// Last day, one point per 30 minutes.
    Day,
    /// Last week, one point per 3 hours.
    Week,
}

/// Metrics query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MetricsQuery {
    /// Window.
    #[serde(default)]
    #[param(inline)]
    timeframe: Timeframe,
}

impl Validate for MetricsQuery {}

/// One sample.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MetricPoint {
    /// Unix seconds.
    time: u64,
    /// CPU, percent.
    cpu_percent: f64,
    /// Memory used, MiB.
    memory_mb: u32,
    /// Network in, bytes/s.
    net_in: u64,
    /// Network out, bytes/s.
    net_out: u64,
}

/// Get VM metrics.
///
/// CPU, memory and network samples over a window. A stopped VM reports zeros.
#[utoipa::path(
    get, path = "/api/vms/{id}/metrics", tag = "VMs",
    params(("id" = String, Path, description = "VM id `cluster:node:vmid`"), MetricsQuery),
    responses(
        (status = 200, description = "Samples, oldest first", body = Envelope<Vec<MetricPoint>>),
        (status = 404, description = "No such VM", body = ErrorBody),
        (status = 422, description = "Bad timeframe", body = ErrorBody),
    )
)]
pub(crate) async fn get_vm_metrics(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidQuery(q): ValidQuery<MetricsQuery>,
) -> ApiResult<Vec<MetricPoint>> {
    let store = state.store();
    let vm = find(&store, &id)?;
    let (points, step) = match q.timeframe {
        Timeframe::Hour => (60u64, 60u64),
        Timeframe::Day => (48, 1800),
        Timeframe::Week => (56, 10800),
    };
    let now = crate::auth::now_ms() / 1000 / step * step;
    let on = vm.status == VmStatus::Running;
    ok((0..points)
        .map(|i| {
            let wave = ((i as f64) / 5.0).sin().abs();
            MetricPoint {
                time: now - (points - 1 - i) * step,
                cpu_percent: if on {
                    (vm.cpu_percent * (0.6 + 0.8 * wave)).min(100.0)
                } else {
                    0.0
                },
                memory_mb: if on {
                    vm.hardware.memory_mb / 2 + (wave * 256.0) as u32
                } else {
                    0
                },
                net_in: if on {
                    120_000 + (wave * 80_000.0) as u64
                } else {
                    0
                },
                net_out: if on {
                    40_000 + (wave * 30_000.0) as u64
                } else {
                    0
                },
            }
        })
        .collect())
}

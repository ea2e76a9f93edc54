//! IPAM: IPv4 pools, subnets, and address assignment with conflict detection.

use std::net::Ipv4Addr;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::crud::{Resource, crud};
use super::{Deleted, Page, PageQuery};
use crate::auth::now_ms;
use crate::envelope::{
    ApiError, ApiResult, Envelope, ErrorBody, ValidJson, ValidQuery, Validate, ok,
};
use crate::state::{AppState, Store};

/// An IPv4 pool groups subnets (e.g. per tenant or VRF).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct IpPool {
    /// Id.
    pub(crate) id: String,
    /// Unique name.
    pub(crate) name: String,
    /// Description.
    pub(crate) description: Option<String>,
    /// VRF name.
    pub(crate) vrf: Option<String>,
}

/// Fields of a pool.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct IpPoolInput {
    /// Unique name.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// Description.
    description: Option<String>,
    /// VRF name.
    vrf: Option<String>,
}

impl Validate for IpPoolInput {
    fn validate(&self) -> Result<(), ApiError> {
        super::check_name("name", &self.name)
    }
}

impl Resource for IpPool {
    const COLLECTION: &'static str = "ip_pools";
    const KIND: &'static str = "IP pool";
    const ID_PREFIX: &'static str = "pool";
    type Input = IpPoolInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn create(id: String, i: IpPoolInput, _: &Store) -> Result<Self, ApiError> {
        Ok(IpPool {
            id,
            name: i.name,
            description: i.description,
            vrf: i.vrf,
        })
    }
    fn update(&mut self, i: IpPoolInput, _: &Store) -> Result<(), ApiError> {
        *self = IpPool {
            id: self.id.clone(),
            name: i.name,
            description: i.description,
            vrf: i.vrf,
        };
        Ok(())
    }
    fn check_delete(&self, store: &Store) -> Result<(), ApiError> {
        let n = store
            .extra
            .crud
            .all::<Subnet>()
            .iter()
            .filter(|s| s.pool_id == self.id)
            .count();
        if n > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!("pool {} still has {n} subnets", self.id),
            ));
        }
        Ok(())
    }
}

/// An IPv4 subnet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Subnet {
    /// Id.
    pub(crate) id: String,
    /// Unique name.
    pub(crate) name: String,
    /// Pool id.
    pub(crate) pool_id: String,
    /// Network in CIDR notation.
    #[schema(example = "10.0.10.0/24")]
    pub(crate) cidr: String,
    /// Gateway (inside the subnet, never assigned).
    pub(crate) gateway: Option<String>,
    /// VLAN tag.
    pub(crate) vlan: Option<u16>,
    /// DNS servers.
    pub(crate) dns: Vec<String>,
}

/// Fields of a subnet.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SubnetInput {
    /// Unique name.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// Pool id (must exist).
    pool_id: String,
    /// Network in CIDR notation, prefix /8 to /30.
    #[schema(pattern = r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$", example = "10.0.20.0/24")]
    cidr: String,
    /// Gateway inside the subnet.
    #[schema(format = Ipv4)]
    gateway: Option<String>,
    /// VLAN tag.
    #[schema(minimum = 1, maximum = 4094)]
    vlan: Option<u16>,
    /// DNS servers.
    #[serde(default)]
    dns: Vec<String>,
}

/// A parsed network.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Net {
    base: u32,
    prefix: u8,
}

impl Net {
    pub(crate) fn parse(cidr: &str) -> Option<Net> {
        let (addr, prefix) = cidr.split_once('/')?;
        let addr: Ipv4Addr = addr.parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        if !(8..=30).contains(&prefix) {
            return None;
        }
        let mask = u32::MAX << (32 - prefix);
        let base = u32::from(addr);
        (base & mask == base).then_some(Net { base, prefix })
    }

    fn last(self) -> u32 {
        self.base | (u32::MAX >> self.prefix)
    }

    fn contains(self, ip: Ipv4Addr) -> bool {
        let ip = u32::from(ip);
        ip >= self.base && ip <= self.last()
    }

    /// Usable host addresses (network and broadcast excluded).
    fn hosts(self) -> impl Iterator<Item = Ipv4Addr> {
        (self.base + 1..self.last()).map(Ipv4Addr::from)
    }

    fn overlaps(self, other: Net) -> bool {
        self.base <= other.last() && other.base <= self.last()
    }
}

impl Validate for SubnetInput {
    fn validate(&self) -> Result<(), ApiError> {
        super::check_name("name", &self.name)?;
        let net = Net::parse(&self.cidr).ok_or_else(|| {
            ApiError::invalid(
                "cidr",
                "must be an IPv4 network like 10.0.20.0/24 with prefix /8 to /30",
            )
        })?;
        if let Some(gw) = &self.gateway {
            let ip: Ipv4Addr = gw
                .parse()
                .map_err(|_| ApiError::invalid("gateway", "must be an IPv4 address"))?;
            if !net.contains(ip) {
                return Err(ApiError::invalid(
                    "gateway",
                    format!("{gw} is not inside {}", self.cidr),
                ));
            }
        }
        if let Some(v) = self.vlan {
            super::check_range("vlan", v, 1, 4094)?;
        }
        for (i, d) in self.dns.iter().enumerate() {
            if d.parse::<Ipv4Addr>().is_err() {
                return Err(ApiError::invalid(
                    &format!("dns[{i}]"),
                    "must be an IPv4 address",
                ));
            }
        }
        Ok(())
    }
}

fn build_subnet(id: String, i: SubnetInput, store: &Store) -> Result<Subnet, ApiError> {
    if store.extra.crud.find::<IpPool>(&i.pool_id).is_none() {
        return Err(ApiError::invalid(
            "pool_id",
            format!("unknown pool '{}'", i.pool_id),
        ));
    }
    let net = Net::parse(&i.cidr).ok_or_else(|| ApiError::invalid("cidr", "invalid network"))?;
    let clash = store
        .extra
        .crud
        .all::<Subnet>()
        .into_iter()
        .filter(|s| s.id != id && s.pool_id == i.pool_id)
        .find(|s| Net::parse(&s.cidr).is_some_and(|n| n.overlaps(net)));
    if let Some(s) = clash {
        return Err(ApiError::conflict(
            "subnet_overlap",
            format!("{} overlaps subnet {} ({})", i.cidr, s.id, s.cidr),
        ));
    }
    Ok(Subnet {
        id,
        name: i.name,
        pool_id: i.pool_id,
        cidr: i.cidr,
        gateway: i.gateway,
        vlan: i.vlan,
        dns: i.dns,
    })
}

impl Resource for Subnet {
    const COLLECTION: &'static str = "subnets";
    const KIND: &'static str = "subnet";
    const ID_PREFIX: &'static str = "sn";
    type Input = SubnetInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn has_parent(&self, parent: &str) -> bool {
        self.pool_id == parent
    }
    fn create(id: String, i: SubnetInput, store: &Store) -> Result<Self, ApiError> {
        build_subnet(id, i, store)
    }
    fn update(&mut self, i: SubnetInput, store: &Store) -> Result<(), ApiError> {
        if i.cidr != self.cidr
            && store
                .extra
                .ip_assignments
                .iter()
                .any(|a| a.subnet_id == self.id)
        {
            return Err(ApiError::conflict(
                "in_use",
                "the network of a subnet with assignments cannot change",
            ));
        }
        *self = build_subnet(self.id.clone(), i, store)?;
        Ok(())
    }
    fn check_delete(&self, store: &Store) -> Result<(), ApiError> {
        let n = store
            .extra
            .ip_assignments
            .iter()
            .filter(|a| a.subnet_id == self.id)
            .count();
        if n > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!("subnet {} still has {n} assigned addresses", self.id),
            ));
        }
        Ok(())
    }
}

pub(crate) mod pools {
    use super::{IpPool, IpPoolInput};
    super::crud! {
        type = IpPool, input = IpPoolInput, tag = "IPAM",
        collection = "/api/ipam/pools", item = "/api/ipam/pools/{id}",
        list = list_ip_pools "List IP pools." "IPv4 pools with pagination.",
        get = get_ip_pool "Get an IP pool." "One pool.",
        create = create_ip_pool "Create an IP pool." "Names are unique (409 otherwise).",
        update = update_ip_pool "Update an IP pool." "Replaces every field.",
        delete = delete_ip_pool "Delete an IP pool." "A pool that still has subnets answers 409.",
    }
}

pub(crate) mod subnets {
    use super::{Subnet, SubnetInput};
    super::crud! {
        type = Subnet, input = SubnetInput, tag = "IPAM",
        collection = "/api/ipam/subnets", item = "/api/ipam/subnets/{id}",
        list = list_subnets "List subnets." "Filter by pool with `parent=<pool id>`.",
        get = get_subnet "Get a subnet." "One subnet.",
        create = create_subnet "Create a subnet." "Overlapping networks in one pool answer 409; the gateway must lie inside the network (422).",
        update = update_subnet "Update a subnet." "The network of a subnet with assignments cannot change (409).",
        delete = delete_subnet "Delete a subnet." "A subnet with assigned addresses answers 409.",
    }
}

/// An assigned address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct IpAssignment {
    /// The address.
    #[schema(format = Ipv4)]
    pub(crate) ip: String,
    /// Subnet id.
    pub(crate) subnet_id: String,
    /// VM the address belongs to.
    pub(crate) vm_id: Option<String>,
    /// DNS name.
    pub(crate) hostname: Option<String>,
    /// Description.
    pub(crate) description: Option<String>,
    /// Assignment time, Unix seconds.
    pub(crate) allocated_at: u64,
}

/// What to assign.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct AllocateRequest {
    /// A specific address; the first free one when omitted.
    #[schema(format = Ipv4)]
    ip: Option<String>,
    /// VM to assign to (must exist).
    vm_id: Option<String>,
    /// DNS name.
    #[schema(max_length = 253)]
    hostname: Option<String>,
    /// Description.
    description: Option<String>,
}

impl Validate for AllocateRequest {
    fn validate(&self) -> Result<(), ApiError> {
        if let Some(ip) = &self.ip
            && ip.parse::<Ipv4Addr>().is_err()
        {
            return Err(ApiError::invalid("ip", "must be an IPv4 address"));
        }
        if self
            .hostname
            .as_ref()
            .is_some_and(|h| h.is_empty() || h.len() > 253)
        {
            return Err(ApiError::invalid("hostname", "must be 1 to 253 characters"));
        }
        Ok(())
    }
}

#[derive(OpenApi)]
#[openapi(paths(
    list_subnet_addresses,
    allocate_ip,
    release_ip,
    get_next_free_ip,
    search_ip_addresses
))]
pub(crate) struct Doc;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/ipam/subnets/{id}/addresses",
            get(list_subnet_addresses).post(allocate_ip),
        )
        .route("/api/ipam/subnets/{id}/addresses/{ip}", delete(release_ip))
        .route("/api/ipam/subnets/{id}/next-free", get(get_next_free_ip))
        .route("/api/ipam/addresses", get(search_ip_addresses))
}

fn subnet(store: &Store, id: &str) -> Result<(Subnet, Net), ApiError> {
    let s = store
        .extra
        .crud
        .find::<Subnet>(id)
        .ok_or_else(|| ApiError::not_found("subnet", id))?;
    let net = Net::parse(&s.cidr)
        .ok_or_else(|| ApiError::conflict("invalid_state", "subnet has an invalid network"))?;
    Ok((s, net))
}

fn next_free(store: &Store, s: &Subnet, net: Net) -> Option<Ipv4Addr> {
    net.hosts().find(|ip| {
        let text = ip.to_string();
        s.gateway.as_deref() != Some(text.as_str())
            && !store
                .extra
                .ip_assignments
                .iter()
                .any(|a| a.subnet_id == s.id && a.ip == text)
    })
}

/// Addresses of a subnet with usage.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SubnetAddresses {
    /// Assigned addresses (one page).
    page: Page<IpAssignment>,
    /// Usable addresses in the subnet (gateway excluded).
    capacity: u32,
    /// Assigned addresses.
    used: usize,
}

/// List a subnet's assigned addresses.
///
/// Assigned addresses with pagination, and how full the subnet is.
#[utoipa::path(
    get, path = "/api/ipam/subnets/{id}/addresses", tag = "IPAM",
    params(("id" = String, Path, description = "Subnet id"), PageQuery),
    responses(
        (status = 200, description = "Addresses", body = Envelope<SubnetAddresses>),
        (status = 404, description = "No such subnet", body = ErrorBody),
    )
)]
pub(crate) async fn list_subnet_addresses(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidQuery(q): ValidQuery<PageQuery>,
) -> ApiResult<SubnetAddresses> {
    let store = state.store();
    let (s, net) = subnet(&store, &id)?;
    let assigned: Vec<IpAssignment> = store
        .extra
        .ip_assignments
        .iter()
        .filter(|a| a.subnet_id == id)
        .cloned()
        .collect();
    let capacity = net.hosts().count() as u32 - u32::from(s.gateway.is_some());
    let used = assigned.len();
    ok(SubnetAddresses {
        page: q.apply(assigned),
        capacity,
        used,
    })
}

/// Assign an address.
///
/// Assigns a given address or the first free one. A taken address answers 409
/// `ip_conflict`, a full subnet 409 `subnet_exhausted`, an address outside the subnet 422.
#[utoipa::path(
    post, path = "/api/ipam/subnets/{id}/addresses", tag = "IPAM",
    params(("id" = String, Path, description = "Subnet id")),
    request_body = AllocateRequest,
    responses(
        (status = 200, description = "Assigned", body = Envelope<IpAssignment>),
        (status = 404, description = "No such subnet", body = ErrorBody),
        (status = 409, description = "Address taken or subnet full", body = ErrorBody),
        (status = 422, description = "Address outside the subnet or unknown VM", body = ErrorBody),
    )
)]
pub(crate) async fn allocate_ip(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<AllocateRequest>,
) -> ApiResult<IpAssignment> {
    let mut store = state.store();
    let (s, net) = subnet(&store, &id)?;
    if let Some(vm) = &body.vm_id
        && !store.vms.contains_key(vm)
    {
        return Err(ApiError::invalid("vm_id", format!("unknown VM '{vm}'")));
    }
    let ip = match &body.ip {
        Some(text) => {
            let ip: Ipv4Addr = text
                .parse()
                .map_err(|_| ApiError::invalid("ip", "must be an IPv4 address"))?;
            if !net.contains(ip) || u32::from(ip) == net.base || u32::from(ip) == net.last() {
                return Err(ApiError::invalid(
                    "ip",
                    format!("{ip} is not a host address of {}", s.cidr),
                ));
            }
            if s.gateway.as_deref() == Some(text.as_str()) {
                return Err(ApiError::conflict(
                    "ip_conflict",
                    format!("{ip} is the gateway of {}", s.cidr),
                ));
            }
            if let Some(a) = store
                .extra
                .ip_assignments
                .iter()
                .find(|a| a.subnet_id == id && a.ip == ip.to_string())
            {
                let owner = a
                    .vm_id
                    .clone()
                    .or_else(|| a.hostname.clone())
                    .unwrap_or_else(|| "another owner".to_owned());
                return Err(ApiError::conflict(
                    "ip_conflict",
                    format!("{ip} is already assigned to {owner}"),
                ));
            }
            ip
        }
        None => next_free(&store, &s, net).ok_or_else(|| {
            ApiError::conflict(
                "subnet_exhausted",
                format!("no free address left in {}", s.cidr),
            )
        })?,
    };
    let assignment = IpAssignment {
        ip: ip.to_string(),
        subnet_id: id,
        vm_id: body.vm_id,
        hostname: body.hostname,
        description: body.description,
        allocated_at: now_ms() / 1000,
    };
    store.extra.ip_assignments.push(assignment.clone());
    ok(assignment)
}

/// Release an address.
///
/// Frees an assigned address; an unassigned one answers 404.
#[utoipa::path(
    delete, path = "/api/ipam/subnets/{id}/addresses/{ip}", tag = "IPAM",
    params(("id" = String, Path, description = "Subnet id"), ("ip" = String, Path, description = "The address")),
    responses(
        (status = 200, description = "Released", body = Envelope<Deleted>),
        (status = 404, description = "No such subnet or not assigned", body = ErrorBody),
    )
)]
pub(crate) async fn release_ip(
    State(state): State<AppState>,
    Path((id, ip)): Path<(String, String)>,
) -> ApiResult<Deleted> {
    let mut store = state.store();
    subnet(&store, &id)?;
    let before = store.extra.ip_assignments.len();
    store
        .extra
        .ip_assignments
        .retain(|a| !(a.subnet_id == id && a.ip == ip));
    if store.extra.ip_assignments.len() == before {
        return Err(ApiError::not_found("assigned address", &ip));
    }
    ok(Deleted {
        id: ip,
        deleted: true,
    })
}

/// The next free address.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FreeIp {
    /// The address, or null when the subnet is full.
    ip: Option<String>,
    /// Subnet id.
    subnet_id: String,
}

/// Get the next free address of a subnet.
///
/// Does not assign it; use `POST …/addresses` for that.
#[utoipa::path(
    get, path = "/api/ipam/subnets/{id}/next-free", tag = "IPAM",
    params(("id" = String, Path, description = "Subnet id")),
    responses(
        (status = 200, description = "The address", body = Envelope<FreeIp>),
        (status = 404, description = "No such subnet", body = ErrorBody),
    )
)]
pub(crate) async fn get_next_free_ip(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<FreeIp> {
    let store = state.store();
    let (s, net) = subnet(&store, &id)?;
    ok(FreeIp {
        ip: next_free(&store, &s, net).map(|ip| ip.to_string()),
        subnet_id: id,
    })
}

/// Search query for addresses.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AddressQuery {
    /// Only addresses of this VM.
    vm_id: Option<String>,
    /// Substring of address or hostname.
    search: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page.
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<u32>,
}

impl Validate for AddressQuery {
    fn validate(&self) -> Result<(), ApiError> {
        PageQuery {
            page: self.page,
            per_page: self.per_page,
        }
        .validate()
    }
}

/// Search assigned addresses.
///
/// Across every subnet, by VM or by substring of address or hostname.
#[utoipa::path(
    get, path = "/api/ipam/addresses", tag = "IPAM",
    params(AddressQuery),
    responses((status = 200, description = "Addresses", body = Envelope<Page<IpAssignment>>))
)]
pub(crate) async fn search_ip_addresses(
    State(state): State<AppState>,
    ValidQuery(q): ValidQuery<AddressQuery>,
) -> ApiResult<Page<IpAssignment>> {
    let store = state.store();
    let found: Vec<IpAssignment> = store
        .extra
        .ip_assignments
        .iter()
        .filter(|a| q.vm_id.as_ref().is_none_or(|v| a.vm_id.as_ref() == Some(v)))
        .filter(|a| {
            q.search.as_ref().is_none_or(|s| {
                a.ip.contains(s.as_str())
                    || a.hostname.as_ref().is_some_and(|h| h.contains(s.as_str()))
            })
        })
        .cloned()
        .collect();
    ok(PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .apply(found))
}

/// Seed: two pools, three subnets, a few assignments.
pub(crate) fn seed(extra: &mut super::Extra) {
    let c = &mut extra.crud;
    c.seed(&IpPool {
        id: "pool-prod".into(),
        name: "production".into(),
        description: Some("Production VLANs".into()),
        vrf: None,
    });
    c.seed(&IpPool {
        id: "pool-lab".into(),
        name: "lab".into(),
        description: None,
        vrf: Some("lab".into()),
    });
    c.seed(&Subnet {
        id: "sn-web".into(),
        name: "web".into(),
        pool_id: "pool-prod".into(),
        cidr: "10.0.10.0/24".into(),
        gateway: Some("10.0.10.1".into()),
        vlan: Some(100),
        dns: vec!["10.0.0.53".into()],
    });
    c.seed(&Subnet {
        id: "sn-db".into(),
        name: "db".into(),
        pool_id: "pool-prod".into(),
        cidr: "10.0.20.0/28".into(),
        gateway: Some("10.0.20.1".into()),
        vlan: Some(200),
        dns: vec![],
    });
    c.seed(&Subnet {
        id: "sn-lab".into(),
        name: "lab-net".into(),
        pool_id: "pool-lab".into(),
        cidr: "192.168.50.0/29".into(),
        gateway: None,
        vlan: None,
        dns: vec![],
    });
    for (ip, vm, host) in [
        ("10.0.10.100", "cluster1:pve1:100", "web-01"),
        ("10.0.10.200", "cluster1:pve2:200", "app-01"),
        ("10.0.10.201", "cluster1:pve2:201", "worker-01"),
    ] {
        extra.ip_assignments.push(IpAssignment {
            ip: ip.into(),
            subnet_id: "sn-web".into(),
            vm_id: Some(vm.into()),
            hostname: Some(host.into()),
            description: None,
            allocated_at: 1_700_000_000,
        });
    }
}

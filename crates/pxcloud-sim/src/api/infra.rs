//! Infrastructure: regions → datacenters → cabinets, and the recursive tree of a datacenter.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::crud::{Resource, crud};
use super::{check_range, physical::PhysicalServer};
use crate::auth::now_ms;
use crate::envelope::{ApiError, ApiResult, Envelope, ErrorBody, Validate, ok};
use crate::state::{AppState, Store};

/// Geographic position.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct GeoLocation {
    /// Latitude in degrees.
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub(crate) lat: f64,
    /// Longitude in degrees.
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub(crate) lon: f64,
}

/// A region groups datacenters.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Region {
    /// Id.
    pub(crate) id: String,
    /// Unique name.
    pub(crate) name: String,
    /// Description.
    pub(crate) description: Option<String>,
    /// Where it is.
    pub(crate) location: Option<GeoLocation>,
    /// Creation time, Unix seconds.
    pub(crate) created_at: u64,
}

/// Fields of a region.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct RegionInput {
    /// Unique name.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// Description.
    description: Option<String>,
    /// Where it is.
    location: Option<GeoLocation>,
}

fn check_location(loc: Option<&GeoLocation>) -> Result<(), ApiError> {
    if let Some(l) = loc {
        check_range("location.lat", l.lat, -90.0, 90.0)?;
        check_range("location.lon", l.lon, -180.0, 180.0)?;
    }
    Ok(())
}

impl Validate for RegionInput {
    fn validate(&self) -> Result<(), ApiError> {
        super::check_name("name", &self.name)?;
        check_location(self.location.as_ref())
    }
}

impl Resource for Region {
    const COLLECTION: &'static str = "regions";
    const KIND: &'static str = "region";
    const ID_PREFIX: &'static str = "rg";
    type Input = RegionInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn create(id: String, i: RegionInput, _: &Store) -> Result<Self, ApiError> {
        Ok(Region {
            id,
            name: i.name,
            description: i.description,
            location: i.location,
            created_at: now_ms() / 1000,
        })
    }
    fn update(&mut self, i: RegionInput, _: &Store) -> Result<(), ApiError> {
        self.name = i.name;
        self.description = i.description;
        self.location = i.location;
        Ok(())
    }
    fn check_delete(&self, store: &Store) -> Result<(), ApiError> {
        let n = store
            .extra
            .crud
            .all::<Datacenter>()
            .iter()
            .filter(|d| d.region_id == self.id)
            .count();
        if n > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!("region {} still has {n} datacenters", self.id),
            ));
        }
        Ok(())
    }
}

/// Uptime Institute tier.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Tier {
    /// Tier I.
    Tier1,
    /// Tier II.
    Tier2,
    /// Tier III.
    Tier3,
    /// Tier IV.
    Tier4,
}

/// A datacenter.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Datacenter {
    /// Id.
    pub(crate) id: String,
    /// Unique name.
    pub(crate) name: String,
    /// Region id.
    pub(crate) region_id: String,
    /// Postal address.
    pub(crate) address: Option<String>,
    /// Tier.
    pub(crate) tier: Tier,
    /// Contracted power, kW.
    pub(crate) power_capacity_kw: f64,
}

/// Fields of a datacenter.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct DatacenterInput {
    /// Unique name.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// Region id (must exist).
    region_id: String,
    /// Postal address.
    address: Option<String>,
    /// Tier.
    tier: Tier,
    /// Contracted power, kW.
    #[schema(minimum = 0.0, maximum = 100000.0)]
    power_capacity_kw: f64,
}

impl Validate for DatacenterInput {
    fn validate(&self) -> Result<(), ApiError> {
        super::check_name("name", &self.name)?;
        check_range("power_capacity_kw", self.power_capacity_kw, 0.0, 100_000.0)
    }
}

fn check_region(store: &Store, id: &str) -> Result<(), ApiError> {
    match store.extra.crud.find::<Region>(id) {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid(
            "region_id",
            format!("unknown region '{id}'"),
        )),
    }
}

impl Resource for Datacenter {
    const COLLECTION: &'static str = "datacenters";
    const KIND: &'static str = "datacenter";
    const ID_PREFIX: &'static str = "dc";
    type Input = DatacenterInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn has_parent(&self, parent: &str) -> bool {
        self.region_id == parent
    }
    fn create(id: String, i: DatacenterInput, store: &Store) -> Result<Self, ApiError> {
        check_region(store, &i.region_id)?;
        Ok(Datacenter {
            id,
            name: i.name,
            region_id: i.region_id,
            address: i.address,
            tier: i.tier,
            power_capacity_kw: i.power_capacity_kw,
        })
    }
    fn update(&mut self, i: DatacenterInput, store: &Store) -> Result<(), ApiError> {
        check_region(store, &i.region_id)?;
        *self = Datacenter {
            id: self.id.clone(),
            name: i.name,
            region_id: i.region_id,
            address: i.address,
            tier: i.tier,
            power_capacity_kw: i.power_capacity_kw,
        };
        Ok(())
    }
    fn check_delete(&self, store: &Store) -> Result<(), ApiError> {
        let n = store
            .extra
            .crud
            .all::<Cabinet>()
            .iter()
            .filter(|c| c.datacenter_id == self.id)
            .count();
        if n > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!("datacenter {} still has {n} cabinets", self.id),
            ));
        }
        Ok(())
    }
}

/// Which power feeds reach a cabinet.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PowerFeed {
    /// Feed A only.
    A,
    /// Feed B only.
    B,
    /// Both feeds.
    Ab,
}

/// A rack cabinet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Cabinet {
    /// Id.
    pub(crate) id: String,
    /// Unique name.
    pub(crate) name: String,
    /// Datacenter id.
    pub(crate) datacenter_id: String,
    /// Height in rack units.
    pub(crate) rack_units: u32,
    /// Room / row position.
    pub(crate) position: Option<String>,
    /// Power feeds.
    pub(crate) power_feed: PowerFeed,
    /// Power budget, kW.
    pub(crate) max_power_kw: f64,
}

/// Fields of a cabinet.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CabinetInput {
    /// Unique name.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// Datacenter id (must exist).
    datacenter_id: String,
    /// Height in rack units.
    #[schema(minimum = 1, maximum = 60)]
    rack_units: u32,
    /// Room / row position.
    position: Option<String>,
    /// Power feeds.
    power_feed: PowerFeed,
    /// Power budget, kW.
    #[schema(minimum = 0.5, maximum = 50.0)]
    max_power_kw: f64,
}

impl Validate for CabinetInput {
    fn validate(&self) -> Result<(), ApiError> {
        super::check_name("name", &self.name)?;
        check_range("rack_units", self.rack_units, 1, 60)?;
        check_range("max_power_kw", self.max_power_kw, 0.5, 50.0)
    }
}

fn check_datacenter(store: &Store, id: &str) -> Result<(), ApiError> {
    match store.extra.crud.find::<Datacenter>(id) {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid(
            "datacenter_id",
            format!("unknown datacenter '{id}'"),
        )),
    }
}

impl Resource for Cabinet {
    const COLLECTION: &'static str = "cabinets";
    const KIND: &'static str = "cabinet";
    const ID_PREFIX: &'static str = "cab";
    type Input = CabinetInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn has_parent(&self, parent: &str) -> bool {
        self.datacenter_id == parent
    }
    fn create(id: String, i: CabinetInput, store: &Store) -> Result<Self, ApiError> {
        check_datacenter(store, &i.datacenter_id)?;
        Ok(Cabinet {
            id,
            name: i.name,
            datacenter_id: i.datacenter_id,
            rack_units: i.rack_units,
            position: i.position,
            power_feed: i.power_feed,
            max_power_kw: i.max_power_kw,
        })
    }
    fn update(&mut self, i: CabinetInput, store: &Store) -> Result<(), ApiError> {
        check_datacenter(store, &i.datacenter_id)?;
        *self = Cabinet {
            id: self.id.clone(),
            name: i.name,
            datacenter_id: i.datacenter_id,
            rack_units: i.rack_units,
            position: i.position,
            power_feed: i.power_feed,
            max_power_kw: i.max_power_kw,
        };
        Ok(())
    }
    fn check_delete(&self, store: &Store) -> Result<(), ApiError> {
        let n = store
            .extra
            .crud
            .all::<PhysicalServer>()
            .iter()
            .filter(|s| s.cabinet_id == self.id)
            .count();
        if n > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!("cabinet {} still holds {n} servers", self.id),
            ));
        }
        Ok(())
    }
}

/// Kind of a tree node.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TreeNodeKind {
    /// A datacenter.
    Datacenter,
    /// A cabinet.
    Cabinet,
    /// A physical server.
    Server,
    /// A hypervisor cluster.
    Cluster,
    /// A hypervisor node.
    Node,
}

/// A node of the infrastructure tree; `children` nest to any depth.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct TreeNode {
    /// Id of the object.
    pub(crate) id: String,
    /// Display name.
    pub(crate) name: String,
    /// What it is.
    pub(crate) kind: TreeNodeKind,
    /// Objects below this one.
    #[schema(no_recursion)]
    pub(crate) children: Vec<TreeNode>,
}

/// The tree of one datacenter: cabinets with their servers, and clusters with their nodes.
#[utoipa::path(
    get, path = "/api/datacenters/{id}/tree", tag = "Datacenters",
    params(("id" = String, Path, description = "Datacenter id")),
    responses(
        (status = 200, description = "The tree", body = Envelope<TreeNode>),
        (status = 404, description = "No such datacenter", body = ErrorBody),
    )
)]
pub(crate) async fn get_datacenter_tree(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<TreeNode> {
    let store = state.store();
    let dc = store
        .extra
        .crud
        .find::<Datacenter>(&id)
        .ok_or_else(|| ApiError::not_found("datacenter", &id))?;
    let servers = store.extra.crud.all::<PhysicalServer>();
    let mut children: Vec<TreeNode> = store
        .extra
        .crud
        .all::<Cabinet>()
        .into_iter()
        .filter(|c| c.datacenter_id == id)
        .map(|c| TreeNode {
            children: servers
                .iter()
                .filter(|s| s.cabinet_id == c.id)
                .map(|s| TreeNode {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    kind: TreeNodeKind::Server,
                    children: vec![],
                })
                .collect(),
            id: c.id,
            name: c.name,
            kind: TreeNodeKind::Cabinet,
        })
        .collect();
    children.extend(
        store
            .clusters
            .iter()
            .filter(|c| c.datacenter_id.as_deref() == Some(id.as_str()))
            .map(|c| TreeNode {
                id: c.id.clone(),
                name: c.name.clone(),
                kind: TreeNodeKind::Cluster,
                children: c
                    .nodes
                    .iter()
                    .map(|n| TreeNode {
                        id: n.clone(),
                        name: n.clone(),
                        kind: TreeNodeKind::Node,
                        children: vec![],
                    })
                    .collect(),
            }),
    );
    ok(TreeNode {
        id: dc.id,
        name: dc.name,
        kind: TreeNodeKind::Datacenter,
        children,
    })
}

pub(crate) mod regions {
    use super::{Region, RegionInput};
    super::crud! {
        type = Region, input = RegionInput, tag = "Regions",
        collection = "/api/regions", item = "/api/regions/{id}",
        list = list_regions "List regions." "Regions with pagination and name search.",
        get = get_region "Get a region." "One region by id.",
        create = create_region "Create a region." "Names are unique (409 otherwise).",
        update = update_region "Update a region." "Replaces every field.",
        delete = delete_region "Delete a region." "A region that still has datacenters answers 409.",
    }
}

pub(crate) mod datacenters {
    use super::{Datacenter, DatacenterInput};
    super::crud! {
        type = Datacenter, input = DatacenterInput, tag = "Datacenters",
        collection = "/api/datacenters", item = "/api/datacenters/{id}",
        list = list_datacenters "List datacenters." "Filter by region with `parent=<region id>`.",
        get = get_datacenter "Get a datacenter." "One datacenter by id.",
        create = create_datacenter "Create a datacenter." "`region_id` must name an existing region (422 otherwise).",
        update = update_datacenter "Update a datacenter." "Replaces every field.",
        delete = delete_datacenter "Delete a datacenter." "A datacenter that still has cabinets answers 409.",
    }
}

pub(crate) mod cabinets {
    use super::{Cabinet, CabinetInput};
    super::crud! {
        type = Cabinet, input = CabinetInput, tag = "Cabinets",
        collection = "/api/cabinets", item = "/api/cabinets/{id}",
        list = list_cabinets "List cabinets." "Filter by datacenter with `parent=<datacenter id>`.",
        get = get_cabinet "Get a cabinet." "One cabinet by id.",
        create = create_cabinet "Create a cabinet." "`datacenter_id` must exist; 1–60 rack units.",
        update = update_cabinet "Update a cabinet." "Replaces every field.",
        delete = delete_cabinet "Delete a cabinet." "A cabinet that still holds servers answers 409.",
    }
}

/// Seed: one region, two datacenters, three cabinets.
pub(crate) fn seed(c: &mut super::crud::Collections) {
    c.seed(&Region {
        id: "rg-eu".into(),
        name: "eu-central".into(),
        description: Some("Frankfurt and Nuremberg".into()),
        location: Some(GeoLocation {
            lat: 50.11,
            lon: 8.68,
        }),
        created_at: 1_700_000_000,
    });
    c.seed(&Region {
        id: "rg-us".into(),
        name: "us-east".into(),
        description: None,
        location: None,
        created_at: 1_700_000_000,
    });
    c.seed(&Datacenter {
        id: "dc-fra1".into(),
        name: "fra1".into(),
        region_id: "rg-eu".into(),
        address: Some("Hanauer Landstr. 300, Frankfurt".into()),
        tier: Tier::Tier3,
        power_capacity_kw: 400.0,
    });
    c.seed(&Datacenter {
        id: "dc-nue1".into(),
        name: "nue1".into(),
        region_id: "rg-eu".into(),
        address: None,
        tier: Tier::Tier2,
        power_capacity_kw: 120.0,
    });
    for (id, name, dc) in [
        ("cab-a01", "A01", "dc-fra1"),
        ("cab-a02", "A02", "dc-fra1"),
        ("cab-n01", "N01", "dc-nue1"),
    ] {
        c.seed(&Cabinet {
            id: id.into(),
            name: name.into(),
            datacenter_id: dc.into(),
            rack_units: 42,
            position: Some(format!("room 1 row {}", name.chars().next().unwrap_or('A'))),
            power_feed: PowerFeed::Ab,
            max_power_kw: 8.0,
        });
    }
}

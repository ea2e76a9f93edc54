//! Physical servers: inventory, BMC/Redfish hardware information, power control, and the
//! BMC proxy.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::crud::{Resource, crud};
use super::infra::Cabinet;
use super::nodes::PowerState;
use crate::envelope::{ApiError, ApiResult, Envelope, ErrorBody, ValidJson, Validate, ok};
use crate::state::{AppState, Store};

/// BMC vendor.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BmcVendor {
    /// Dell iDRAC.
    Dell,
    /// HPE iLO.
    Hpe,
    /// Supermicro.
    Supermicro,
    /// Lenovo XClarity.
    Lenovo,
}

/// Management protocol.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BmcProtocol {
    /// DMTF Redfish over HTTPS.
    Redfish,
    /// IPMI over LAN.
    Ipmi,
}

/// How to reach a server's BMC.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct BmcInfo {
    /// BMC address.
    pub(crate) address: String,
    /// Vendor.
    pub(crate) vendor: BmcVendor,
    /// Protocol.
    pub(crate) protocol: BmcProtocol,
    /// Login user (the password is write-only).
    pub(crate) username: String,
}

/// A bare-metal server.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct PhysicalServer {
    /// Id.
    pub(crate) id: String,
    /// Unique name.
    pub(crate) name: String,
    /// Cabinet id.
    pub(crate) cabinet_id: String,
    /// Lowest rack unit occupied.
    pub(crate) position_u: u32,
    /// Height in rack units.
    pub(crate) height_u: u32,
    /// BMC access.
    pub(crate) bmc: BmcInfo,
    /// Chassis power.
    pub(crate) power: PowerState,
    /// Serial number.
    pub(crate) serial: String,
    /// Hypervisor node running on this server, if any.
    pub(crate) node: Option<String>,
}

/// Fields of a physical server.
#[derive(Deserialize, ToSchema)]
pub(crate) struct PhysicalServerInput {
    /// Unique name.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// Cabinet id (must exist).
    cabinet_id: String,
    /// Lowest rack unit occupied.
    #[schema(minimum = 1, maximum = 60)]
    position_u: u32,
    /// Height in rack units.
    #[schema(minimum = 1, maximum = 10)]
    #[serde(default = "one")]
    height_u: u32,
    /// BMC address.
    bmc_address: String,
    /// Vendor.
    bmc_vendor: BmcVendor,
    /// Protocol.
    #[serde(default = "redfish")]
    bmc_protocol: BmcProtocol,
    /// BMC user.
    bmc_username: String,
    /// BMC password (write-only).
    #[schema(format = Password, write_only)]
    bmc_password: String,
    /// Serial number.
    serial: Option<String>,
    /// Hypervisor node on this server.
    node: Option<String>,
}

impl std::fmt::Debug for PhysicalServerInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhysicalServerInput")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn one() -> u32 {
    1
}

fn redfish() -> BmcProtocol {
    BmcProtocol::Redfish
}

impl Validate for PhysicalServerInput {
    fn validate(&self) -> Result<(), ApiError> {
        super::check_name("name", &self.name)?;
        super::check_range("position_u", self.position_u, 1, 60)?;
        super::check_range("height_u", self.height_u, 1, 10)?;
        if self.bmc_password.len() < 4 {
            return Err(ApiError::invalid(
                "bmc_password",
                "must be at least 4 characters",
            ));
        }
        if self.bmc_address.parse::<std::net::IpAddr>().is_err() {
            return Err(ApiError::invalid("bmc_address", "must be an IP address"));
        }
        Ok(())
    }
}

fn build(
    id: String,
    i: PhysicalServerInput,
    store: &Store,
    power: PowerState,
) -> Result<PhysicalServer, ApiError> {
    let Some(cab) = store.extra.crud.find::<Cabinet>(&i.cabinet_id) else {
        return Err(ApiError::invalid(
            "cabinet_id",
            format!("unknown cabinet '{}'", i.cabinet_id),
        ));
    };
    if i.position_u + i.height_u - 1 > cab.rack_units {
        return Err(ApiError::invalid(
            "position_u",
            format!("cabinet {} has only {} units", cab.id, cab.rack_units),
        ));
    }
    let clash = store
        .extra
        .crud
        .all::<PhysicalServer>()
        .into_iter()
        .find(|s| {
            s.id != id
                && s.cabinet_id == i.cabinet_id
                && s.position_u < i.position_u + i.height_u
                && i.position_u < s.position_u + s.height_u
        });
    if let Some(s) = clash {
        return Err(ApiError::conflict(
            "position_taken",
            format!(
                "units overlap with server {} in cabinet {}",
                s.id, i.cabinet_id
            ),
        ));
    }
    Ok(PhysicalServer {
        serial: i
            .serial
            .unwrap_or_else(|| format!("SN{}", id.to_uppercase())),
        id,
        name: i.name,
        cabinet_id: i.cabinet_id,
        position_u: i.position_u,
        height_u: i.height_u,
        bmc: BmcInfo {
            address: i.bmc_address,
            vendor: i.bmc_vendor,
            protocol: i.bmc_protocol,
            username: i.bmc_username,
        },
        power,
        node: i.node,
    })
}

impl Resource for PhysicalServer {
    const COLLECTION: &'static str = "physical_servers";
    const KIND: &'static str = "physical server";
    const ID_PREFIX: &'static str = "srv";
    type Input = PhysicalServerInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn has_parent(&self, parent: &str) -> bool {
        self.cabinet_id == parent
    }
    fn create(id: String, i: PhysicalServerInput, store: &Store) -> Result<Self, ApiError> {
        build(id, i, store, PowerState::Off)
    }
    fn update(&mut self, i: PhysicalServerInput, store: &Store) -> Result<(), ApiError> {
        *self = build(self.id.clone(), i, store, self.power)?;
        Ok(())
    }
    fn check_delete(&self, _: &Store) -> Result<(), ApiError> {
        if self.power == PowerState::On {
            return Err(ApiError::conflict(
                "invalid_state",
                format!("server {} is powered on", self.id),
            ));
        }
        Ok(())
    }
}

pub(crate) mod servers {
    use super::{PhysicalServer, PhysicalServerInput};
    super::crud! {
        type = PhysicalServer, input = PhysicalServerInput, tag = "Physical Servers",
        collection = "/api/physical-servers", item = "/api/physical-servers/{id}",
        list = list_physical_servers "List physical servers." "Bare-metal inventory; filter by cabinet with `parent=<cabinet id>`.",
        get = get_physical_server "Get a physical server." "One server with its BMC access (never the password).",
        create = create_physical_server "Register a physical server." "Rack units must fit the cabinet and not overlap another server (409).",
        update = update_physical_server "Update a physical server." "Replaces every field.",
        delete = delete_physical_server "Remove a physical server." "A powered-on server answers 409; power it off first.",
    }
}

/// A CPU reported by Redfish.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Processor {
    /// Socket.
    socket: String,
    /// Model.
    model: String,
    /// Cores.
    cores: u32,
    /// Health.
    health: Health,
}

/// Redfish health.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub(crate) enum Health {
    /// Fine.
    #[serde(rename = "OK")]
    Ok,
    /// Degraded.
    Warning,
    /// Failed.
    Critical,
}

/// A DIMM.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MemoryModule {
    /// Slot.
    slot: String,
    /// Size, GiB.
    size_gb: u32,
    /// Speed, MT/s.
    speed_mts: u32,
    /// Health.
    health: Health,
}

/// A drive.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Drive {
    /// Bay.
    bay: String,
    /// Model.
    model: String,
    /// Capacity, bytes.
    capacity: u64,
    /// Media.
    media: String,
    /// Predicted life left, percent.
    #[schema(minimum = 0, maximum = 100)]
    life_left_percent: Option<u8>,
    /// Health.
    health: Health,
}

/// Hardware inventory read through the BMC.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HardwareInventory {
    /// Server id.
    server_id: String,
    /// BIOS version.
    bios_version: String,
    /// BMC firmware.
    bmc_firmware: String,
    /// CPUs.
    processors: Vec<Processor>,
    /// DIMMs.
    memory: Vec<MemoryModule>,
    /// Drives.
    drives: Vec<Drive>,
}

fn find_server(store: &Store, id: &str) -> Result<PhysicalServer, ApiError> {
    store
        .extra
        .crud
        .find::<PhysicalServer>(id)
        .ok_or_else(|| ApiError::not_found("physical server", id))
}

/// Get hardware information from the BMC.
///
/// Processors, memory and drives as reported over Redfish. AI hint: check `health` fields
/// for failing parts.
#[utoipa::path(
    get, path = "/api/physical-servers/{id}/hardware", tag = "Physical Servers",
    params(("id" = String, Path, description = "Server id")),
    responses(
        (status = 200, description = "Inventory", body = Envelope<HardwareInventory>),
        (status = 404, description = "No such server", body = ErrorBody),
    )
)]
pub(crate) async fn get_physical_server_hardware(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<HardwareInventory> {
    let store = state.store();
    let s = find_server(&store, &id)?;
    let degraded = s.id == "srv-03";
    ok(HardwareInventory {
        server_id: s.id,
        bios_version: "2.19.1".into(),
        bmc_firmware: "7.10.30.00".into(),
        processors: (0..2)
            .map(|i| Processor {
                socket: format!("CPU{i}"),
                model: "Intel Xeon Gold 6338".into(),
                cores: 32,
                health: Health::Ok,
            })
            .collect(),
        memory: (0..8)
            .map(|i| MemoryModule {
                slot: format!("A{i}"),
                size_gb: 64,
                speed_mts: 3200,
                health: if degraded && i == 3 {
                    Health::Warning
                } else {
                    Health::Ok
                },
            })
            .collect(),
        drives: (0..2)
            .map(|i| Drive {
                bay: format!("Disk.Bay.{i}"),
                model: "SAMSUNG MZ7L3960".into(),
                capacity: 960_197_124_096,
                media: "SSD".into(),
                life_left_percent: Some(if degraded && i == 1 { 4 } else { 97 }),
                health: if degraded && i == 1 {
                    Health::Critical
                } else {
                    Health::Ok
                },
            })
            .collect(),
    })
}

/// A chassis power command.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ServerPowerRequest {
    /// Redfish reset type.
    action: ResetType,
}

/// Redfish reset types.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
pub(crate) enum ResetType {
    /// Power on.
    On,
    /// Hard off.
    ForceOff,
    /// ACPI shutdown.
    GracefulShutdown,
    /// Hard reset.
    ForceRestart,
    /// ACPI restart.
    GracefulRestart,
}

impl Validate for ServerPowerRequest {}

/// Control a physical server's power through its BMC.
///
/// Turning on a server that is on (or off one that is off) answers 409. AI hint: a server
/// that runs a hypervisor node takes its VMs down with it.
#[utoipa::path(
    post, path = "/api/physical-servers/{id}/power", tag = "Physical Servers",
    params(("id" = String, Path, description = "Server id")),
    request_body = ServerPowerRequest,
    responses(
        (status = 200, description = "New state", body = Envelope<PhysicalServer>),
        (status = 404, description = "No such server", body = ErrorBody),
        (status = 409, description = "Already in that state", body = ErrorBody),
    )
)]
pub(crate) async fn physical_server_power(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<ServerPowerRequest>,
) -> ApiResult<PhysicalServer> {
    let mut store = state.store();
    let mut s = find_server(&store, &id)?;
    let target = match (s.power, body.action) {
        (PowerState::Off, ResetType::On) => PowerState::On,
        (PowerState::On, ResetType::ForceOff | ResetType::GracefulShutdown) => PowerState::Off,
        (PowerState::On, ResetType::ForceRestart | ResetType::GracefulRestart) => PowerState::On,
        (p, a) => {
            return Err(ApiError::conflict(
                "invalid_state",
                format!("server {id} is {p:?}; cannot {a:?}").to_lowercase(),
            ));
        }
    };
    s.power = target;
    store.extra.crud.seed_replace(&s);
    ok(s)
}

/// A sensor reading from a BMC.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BmcSensor {
    /// Sensor name.
    name: String,
    /// Reading.
    value: f64,
    /// Unit.
    unit: String,
    /// Health.
    health: Health,
}

/// Read a physical server's sensors.
///
/// Temperatures, fans and power draw from the BMC. A powered-off server reports only
/// inlet temperature.
#[utoipa::path(
    get, path = "/api/physical-servers/{id}/sensors", tag = "Physical Servers",
    params(("id" = String, Path, description = "Server id")),
    responses(
        (status = 200, description = "Readings", body = Envelope<Vec<BmcSensor>>),
        (status = 404, description = "No such server", body = ErrorBody),
    )
)]
pub(crate) async fn get_physical_server_sensors(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Vec<BmcSensor>> {
    let store = state.store();
    let s = find_server(&store, &id)?;
    let mut out = vec![BmcSensor {
        name: "Inlet Temp".into(),
        value: 22.5,
        unit: "Cel".into(),
        health: Health::Ok,
    }];
    if s.power == PowerState::On {
        out.push(BmcSensor {
            name: "CPU1 Temp".into(),
            value: 61.0,
            unit: "Cel".into(),
            health: Health::Ok,
        });
        out.push(BmcSensor {
            name: "Fan1".into(),
            value: 7800.0,
            unit: "RPM".into(),
            health: Health::Ok,
        });
        out.push(BmcSensor {
            name: "PSU1 Power".into(),
            value: 312.0,
            unit: "W".into(),
            health: Health::Ok,
        });
    }
    ok(out)
}

/// Proxy a Redfish request to a server's BMC.
///
/// Answers the BMC's Redfish JSON for `GET /redfish/v1/{path}` (e.g. `Systems/1`) with the
/// stored credentials, so no BMC password leaves PXCloud. Unknown paths answer 404.
#[utoipa::path(
    get, path = "/bmc-proxy/{id}/{path}", tag = "Physical Servers",
    params(
        ("id" = String, Path, description = "Server id"),
        ("path" = String, Path, description = "Redfish path below /redfish/v1/, may contain slashes"),
    ),
    responses(
        (status = 200, description = "Redfish resource", content_type = "application/json", body = Object),
        (status = 404, description = "No such server or resource", body = ErrorBody),
    )
)]
pub(crate) async fn bmc_proxy(
    State(state): State<AppState>,
    Path((id, path)): Path<(String, String)>,
) -> Response {
    let store = state.store();
    let s = match find_server(&store, &id) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let power = if s.power == PowerState::On {
        "On"
    } else {
        "Off"
    };
    let body = match path.trim_matches('/') {
        "" => {
            serde_json::json!({"@odata.id": "/redfish/v1", "RedfishVersion": "1.17.0", "Systems": {"@odata.id": "/redfish/v1/Systems"}})
        }
        "Systems" => {
            serde_json::json!({"@odata.id": "/redfish/v1/Systems", "Members": [{"@odata.id": "/redfish/v1/Systems/1"}], "Members@odata.count": 1})
        }
        "Systems/1" => serde_json::json!({
            "@odata.id": "/redfish/v1/Systems/1", "Id": "1", "Name": s.name, "SerialNumber": s.serial,
            "PowerState": power, "Status": {"Health": "OK", "State": "Enabled"},
            "ProcessorSummary": {"Count": 2, "Model": "Intel Xeon Gold 6338"},
            "MemorySummary": {"TotalSystemMemoryGiB": 512}
        }),
        other => return ApiError::not_found("Redfish resource", other).into_response(),
    };
    axum::Json(body).into_response()
}

/// Seed: three servers in fra1.
pub(crate) fn seed(c: &mut super::crud::Collections) {
    for (i, (id, name, cab, node, power)) in [
        (
            "srv-01",
            "fra1-a01-u10",
            "cab-a01",
            Some("pve1"),
            PowerState::On,
        ),
        (
            "srv-02",
            "fra1-a01-u12",
            "cab-a01",
            Some("pve2"),
            PowerState::On,
        ),
        ("srv-03", "fra1-a02-u10", "cab-a02", None, PowerState::Off),
    ]
    .into_iter()
    .enumerate()
    {
        c.seed(&PhysicalServer {
            id: id.into(),
            name: name.into(),
            cabinet_id: cab.into(),
            position_u: 10 + 2 * (i as u32 % 2),
            height_u: 1,
            bmc: BmcInfo {
                address: format!("10.0.99.{}", 20 + i),
                vendor: BmcVendor::Dell,
                protocol: BmcProtocol::Redfish,
                username: "root".into(),
            },
            power,
            serial: format!("7XK{}Q2", 40 + i),
            node: node.map(str::to_owned),
        });
    }
}

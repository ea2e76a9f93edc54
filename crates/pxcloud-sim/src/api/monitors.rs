//! Monitoring: environmental sensors, business (service) monitors, alerts, notifications.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::crud::{Resource, crud};
use super::infra::Cabinet;
use super::{Page, PageQuery, check_range};
use crate::auth::now_ms;
use crate::envelope::{ApiError, ApiResult, Envelope, ErrorBody, ValidQuery, Validate, ok};
use crate::middleware::Caller;
use crate::state::{AppState, Store};

/// What a sensor measures.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SensorKind {
    /// °C.
    Temperature,
    /// % relative humidity.
    Humidity,
    /// kW.
    Power,
    /// Open (1) / closed (0).
    Door,
    /// Smoke detected (1).
    Smoke,
}

/// Alarm thresholds; `critical` must exceed `warning`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Thresholds {
    /// Warning level.
    pub(crate) warning: f64,
    /// Critical level.
    pub(crate) critical: f64,
}

/// A reading.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Reading {
    /// Value.
    pub(crate) value: f64,
    /// Unix seconds.
    pub(crate) at: u64,
}

/// An environmental sensor in a cabinet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Sensor {
    /// Id.
    pub(crate) id: String,
    /// Unique name.
    pub(crate) name: String,
    /// What it measures.
    pub(crate) kind: SensorKind,
    /// Cabinet it sits in.
    pub(crate) cabinet_id: Option<String>,
    /// Alarm thresholds.
    pub(crate) thresholds: Thresholds,
    /// Latest reading, if any yet.
    pub(crate) last_reading: Option<Reading>,
}

/// Fields of a sensor.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SensorInput {
    /// Unique name.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// What it measures.
    kind: SensorKind,
    /// Cabinet it sits in (must exist).
    cabinet_id: Option<String>,
    /// Alarm thresholds.
    thresholds: Thresholds,
}

impl Validate for SensorInput {
    fn validate(&self) -> Result<(), ApiError> {
        super::check_name("name", &self.name)?;
        if self.thresholds.critical <= self.thresholds.warning {
            return Err(ApiError::invalid(
                "thresholds.critical",
                "must be greater than thresholds.warning",
            ));
        }
        Ok(())
    }
}

fn check_cabinet(store: &Store, id: Option<&String>) -> Result<(), ApiError> {
    if let Some(id) = id
        && store.extra.crud.find::<Cabinet>(id).is_none()
    {
        return Err(ApiError::invalid(
            "cabinet_id",
            format!("unknown cabinet '{id}'"),
        ));
    }
    Ok(())
}

impl Resource for Sensor {
    const COLLECTION: &'static str = "sensors";
    const KIND: &'static str = "sensor";
    const ID_PREFIX: &'static str = "sen";
    type Input = SensorInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn has_parent(&self, parent: &str) -> bool {
        self.cabinet_id.as_deref() == Some(parent)
    }
    fn create(id: String, i: SensorInput, store: &Store) -> Result<Self, ApiError> {
        check_cabinet(store, i.cabinet_id.as_ref())?;
        Ok(Sensor {
            id,
            name: i.name,
            kind: i.kind,
            cabinet_id: i.cabinet_id,
            thresholds: i.thresholds,
            last_reading: None,
        })
    }
    fn update(&mut self, i: SensorInput, store: &Store) -> Result<(), ApiError> {
        check_cabinet(store, i.cabinet_id.as_ref())?;
        self.name = i.name;
        self.kind = i.kind;
        self.cabinet_id = i.cabinet_id;
        self.thresholds = i.thresholds;
        Ok(())
    }
}

/// How a business monitor checks its target.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CheckKind {
    /// HTTP(S) GET, compares the status.
    Http,
    /// TCP connect.
    Tcp,
    /// ICMP echo.
    Ping,
}

/// Result of the last check.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MonitorState {
    /// Target answers.
    Up,
    /// Target does not answer as expected.
    Down,
    /// Not checked yet.
    Unknown,
}

/// A business monitor: a service check (website, API, port).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct BusinessMonitor {
    /// Id.
    pub(crate) id: String,
    /// Unique name.
    pub(crate) name: String,
    /// Check kind.
    pub(crate) check: CheckKind,
    /// URL, `host:port` or host.
    pub(crate) target: String,
    /// Seconds between checks.
    pub(crate) interval_seconds: u32,
    /// Timeout, milliseconds.
    pub(crate) timeout_ms: u32,
    /// Expected HTTP status (http only).
    pub(crate) expected_status: Option<u16>,
    /// State.
    pub(crate) state: MonitorState,
    /// VMs the service depends on.
    pub(crate) depends_on: Vec<String>,
}

/// Fields of a business monitor.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct BusinessMonitorInput {
    /// Unique name.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// Check kind.
    check: CheckKind,
    /// URL (http), `host:port` (tcp) or host (ping).
    target: String,
    /// Seconds between checks, 10–3600.
    #[schema(minimum = 10, maximum = 3600, default = 60)]
    #[serde(default = "sixty")]
    interval_seconds: u32,
    /// Timeout in milliseconds, 100–30000.
    #[schema(minimum = 100, maximum = 30000, default = 5000)]
    #[serde(default = "five_s")]
    timeout_ms: u32,
    /// Expected HTTP status, 100–599 (http only).
    #[schema(minimum = 100, maximum = 599)]
    expected_status: Option<u16>,
    /// VM ids the service depends on.
    #[serde(default)]
    depends_on: Vec<String>,
}

fn sixty() -> u32 {
    60
}

fn five_s() -> u32 {
    5000
}

impl Validate for BusinessMonitorInput {
    fn validate(&self) -> Result<(), ApiError> {
        super::check_name("name", &self.name)?;
        check_range("interval_seconds", self.interval_seconds, 10, 3600)?;
        check_range("timeout_ms", self.timeout_ms, 100, 30_000)?;
        if let Some(s) = self.expected_status {
            check_range("expected_status", s, 100, 599)?;
            if self.check != CheckKind::Http {
                return Err(ApiError::invalid("expected_status", "only for http checks"));
            }
        }
        match self.check {
            CheckKind::Http
                if !(self.target.starts_with("http://") || self.target.starts_with("https://")) =>
            {
                Err(ApiError::invalid(
                    "target",
                    "http checks need an http(s):// URL",
                ))
            }
            CheckKind::Tcp
                if self
                    .target
                    .rsplit_once(':')
                    .is_none_or(|(_, p)| p.parse::<u16>().is_err()) =>
            {
                Err(ApiError::invalid("target", "tcp checks need host:port"))
            }
            _ if self.target.is_empty() => Err(ApiError::invalid("target", "must not be empty")),
            _ => Ok(()),
        }
    }
}

fn build_monitor(
    id: String,
    i: BusinessMonitorInput,
    store: &Store,
    state: MonitorState,
) -> Result<BusinessMonitor, ApiError> {
    for (n, vm) in i.depends_on.iter().enumerate() {
        if !store.vms.contains_key(vm) {
            return Err(ApiError::invalid(
                &format!("depends_on[{n}]"),
                format!("unknown VM '{vm}'"),
            ));
        }
    }
    Ok(BusinessMonitor {
        id,
        name: i.name,
        check: i.check,
        target: i.target,
        interval_seconds: i.interval_seconds,
        timeout_ms: i.timeout_ms,
        expected_status: i.expected_status,
        state,
        depends_on: i.depends_on,
    })
}

impl Resource for BusinessMonitor {
    const COLLECTION: &'static str = "business_monitors";
    const KIND: &'static str = "business monitor";
    const ID_PREFIX: &'static str = "mon";
    type Input = BusinessMonitorInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn create(id: String, i: BusinessMonitorInput, store: &Store) -> Result<Self, ApiError> {
        build_monitor(id, i, store, MonitorState::Unknown)
    }
    fn update(&mut self, i: BusinessMonitorInput, store: &Store) -> Result<(), ApiError> {
        *self = build_monitor(self.id.clone(), i, store, self.state)?;
        Ok(())
    }
}

/// Severity of alerts and notifications.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Severity {
    /// For information.
    Info,
    /// Needs attention.
    Warning,
    /// Needs action now.
    Critical,
}

/// Delivery channel of a notification.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Channel {
    /// In the PXCloud UI.
    InApp,
    /// E-mail.
    Email,
    /// HTTP webhook.
    Webhook,
}

/// A notification.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Notification {
    /// Id.
    pub(crate) id: String,
    /// Title.
    pub(crate) title: String,
    /// Text.
    pub(crate) message: String,
    /// Severity.
    pub(crate) severity: Severity,
    /// Channel.
    pub(crate) channel: Channel,
    /// Recipient (user id, e-mail or URL).
    pub(crate) recipient: String,
    /// Read by the recipient.
    pub(crate) read: bool,
    /// Creation time, Unix seconds.
    pub(crate) created_at: u64,
}

/// Fields of a notification.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NotificationInput {
    /// Title.
    #[schema(min_length = 1, max_length = 120)]
    title: String,
    /// Text.
    #[schema(max_length = 4000)]
    message: String,
    /// Severity.
    severity: Severity,
    /// Channel.
    #[serde(default = "in_app")]
    channel: Channel,
    /// Recipient (user id, e-mail or URL).
    recipient: String,
}

fn in_app() -> Channel {
    Channel::InApp
}

impl Validate for NotificationInput {
    fn validate(&self) -> Result<(), ApiError> {
        if self.title.is_empty() || self.title.chars().count() > 120 {
            return Err(ApiError::invalid("title", "must be 1 to 120 characters"));
        }
        if self.message.chars().count() > 4000 {
            return Err(ApiError::invalid("message", "at most 4000 characters"));
        }
        let ok = match self.channel {
            Channel::Email => self.recipient.contains('@'),
            Channel::Webhook => self.recipient.starts_with("https://"),
            Channel::InApp => !self.recipient.is_empty(),
        };
        if !ok {
            return Err(ApiError::invalid(
                "recipient",
                "must be a user id (in_app), an e-mail address (email) or an https URL (webhook)",
            ));
        }
        Ok(())
    }
}

impl Resource for Notification {
    const COLLECTION: &'static str = "notifications";
    const KIND: &'static str = "notification";
    const ID_PREFIX: &'static str = "ntf";
    const UNIQUE_NAMES: bool = false;
    type Input = NotificationInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.title
    }
    fn has_parent(&self, parent: &str) -> bool {
        self.recipient == parent
    }
    fn create(id: String, i: NotificationInput, _: &Store) -> Result<Self, ApiError> {
        Ok(Notification {
            id,
            title: i.title,
            message: i.message,
            severity: i.severity,
            channel: i.channel,
            recipient: i.recipient,
            read: false,
            created_at: now_ms() / 1000,
        })
    }
    fn update(&mut self, i: NotificationInput, _: &Store) -> Result<(), ApiError> {
        self.title = i.title;
        self.message = i.message;
        self.severity = i.severity;
        self.channel = i.channel;
        self.recipient = i.recipient;
        Ok(())
    }
}

pub(crate) mod sensors {
    use super::{Sensor, SensorInput};
    super::crud! {
        type = Sensor, input = SensorInput, tag = "Monitors",
        collection = "/api/monitors/sensors", item = "/api/monitors/sensors/{id}",
        list = list_sensors "List sensors." "Environmental sensors; filter by cabinet with `parent=<cabinet id>`.",
        get = get_sensor "Get a sensor." "One sensor with its latest reading.",
        create = create_sensor "Add a sensor." "`thresholds.critical` must exceed `thresholds.warning` (422).",
        update = update_sensor "Update a sensor." "Replaces every field except the reading.",
        delete = delete_sensor "Remove a sensor." "Removes the sensor.",
    }
}

pub(crate) mod business {
    use super::{BusinessMonitor, BusinessMonitorInput};
    super::crud! {
        type = BusinessMonitor, input = BusinessMonitorInput, tag = "Monitors",
        collection = "/api/monitors/business", item = "/api/monitors/business/{id}",
        list = list_business_monitors "List business monitors." "Service checks and their state.",
        get = get_business_monitor "Get a business monitor." "One service check.",
        create = create_business_monitor "Create a business monitor." "AI hint: link the VMs a service runs on in `depends_on` so alerts name them.",
        update = update_business_monitor "Update a business monitor." "Replaces every field; the state is kept.",
        delete = delete_business_monitor "Delete a business monitor." "Removes the check.",
    }
}

pub(crate) mod notifications {
    use super::{Notification, NotificationInput};
    super::crud! {
        type = Notification, input = NotificationInput, tag = "Notifications",
        collection = "/api/notifications", item = "/api/notifications/{id}",
        list = list_notifications "List notifications." "Newest last; filter by recipient with `parent=<recipient>`.",
        get = get_notification "Get a notification." "One notification.",
        create = create_notification "Send a notification." "The recipient must fit the channel (422).",
        update = update_notification "Update a notification." "Replaces every field; `read` is kept.",
        delete = delete_notification "Delete a notification." "Removes it.",
    }
}

/// State of an alert.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AlertState {
    /// Active, nobody on it.
    Firing,
    /// Someone is on it.
    Acknowledged,
    /// Over.
    Resolved,
}

/// An alert raised by a monitor or threshold.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Alert {
    /// Id.
    pub(crate) id: String,
    /// Severity.
    pub(crate) severity: Severity,
    /// Object that raised it (node, VM, sensor, monitor).
    pub(crate) source: String,
    /// Text.
    pub(crate) message: String,
    /// State.
    pub(crate) state: AlertState,
    /// Raised at, Unix seconds.
    pub(crate) created_at: u64,
    /// Who acknowledged it.
    pub(crate) acknowledged_by: Option<String>,
}

#[derive(OpenApi)]
#[openapi(paths(list_alerts, get_alert, acknowledge_alert, mark_notification_read))]
pub(crate) struct Doc;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/alerts", get(list_alerts))
        .route("/api/alerts/{id}", get(get_alert))
        .route("/api/alerts/{id}/acknowledge", post(acknowledge_alert))
        .route("/api/notifications/{id}/read", post(mark_notification_read))
}

/// Filters of the alert list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AlertFilter {
    /// Only alerts in this state.
    state: Option<AlertState>,
    /// Only alerts of at least this severity.
    min_severity: Option<Severity>,
    /// Page number, from 1.
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page.
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<u32>,
}

impl Validate for AlertFilter {
    fn validate(&self) -> Result<(), ApiError> {
        PageQuery {
            page: self.page,
            per_page: self.per_page,
        }
        .validate()
    }
}

fn rank(s: Severity) -> u8 {
    match s {
        Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Critical => 2,
    }
}

/// List alerts.
///
/// Newest first. AI hint: `state=firing&min_severity=critical` shows what needs action now.
#[utoipa::path(
    get, path = "/api/alerts", tag = "Monitors",
    params(AlertFilter),
    responses((status = 200, description = "Alerts", body = Envelope<Page<Alert>>))
)]
pub(crate) async fn list_alerts(
    State(state): State<AppState>,
    ValidQuery(f): ValidQuery<AlertFilter>,
) -> ApiResult<Page<Alert>> {
    let store = state.store();
    let mut alerts: Vec<Alert> = store
        .extra
        .alerts
        .iter()
        .filter(|a| f.state.is_none_or(|s| s == a.state))
        .filter(|a| f.min_severity.is_none_or(|m| rank(a.severity) >= rank(m)))
        .cloned()
        .collect();
    alerts.reverse();
    ok(PageQuery {
        page: f.page,
        per_page: f.per_page,
    }
    .apply(alerts))
}

/// Get an alert.
///
/// One alert.
#[utoipa::path(
    get, path = "/api/alerts/{id}", tag = "Monitors",
    params(("id" = String, Path, description = "Alert id")),
    responses(
        (status = 200, description = "The alert", body = Envelope<Alert>),
        (status = 404, description = "No such alert", body = ErrorBody),
    )
)]
pub(crate) async fn get_alert(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Alert> {
    let store = state.store();
    ok(store
        .extra
        .alerts
        .iter()
        .find(|a| a.id == id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("alert", &id))?)
}

/// Acknowledge an alert.
///
/// Marks a firing alert as being handled by the caller. Acknowledged or resolved alerts
/// answer 409.
#[utoipa::path(
    post, path = "/api/alerts/{id}/acknowledge", tag = "Monitors",
    params(("id" = String, Path, description = "Alert id")),
    responses(
        (status = 200, description = "Acknowledged", body = Envelope<Alert>),
        (status = 404, description = "No such alert", body = ErrorBody),
        (status = 409, description = "Not firing", body = ErrorBody),
    )
)]
pub(crate) async fn acknowledge_alert(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Alert> {
    let mut store = state.store();
    let alert = store
        .extra
        .alerts
        .iter_mut()
        .find(|a| a.id == id)
        .ok_or_else(|| ApiError::not_found("alert", &id))?;
    if alert.state != AlertState::Firing {
        return Err(ApiError::conflict(
            "invalid_state",
            format!("alert {id} is {:?}", alert.state).to_lowercase(),
        ));
    }
    alert.state = AlertState::Acknowledged;
    alert.acknowledged_by = Some(caller.user);
    ok(alert.clone())
}

/// Mark a notification as read.
///
/// Idempotent.
#[utoipa::path(
    post, path = "/api/notifications/{id}/read", tag = "Notifications",
    params(("id" = String, Path, description = "Notification id")),
    responses(
        (status = 200, description = "The notification", body = Envelope<Notification>),
        (status = 404, description = "No such notification", body = ErrorBody),
    )
)]
pub(crate) async fn mark_notification_read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Notification> {
    let mut store = state.store();
    let mut n = store
        .extra
        .crud
        .find::<Notification>(&id)
        .ok_or_else(|| ApiError::not_found("notification", &id))?;
    n.read = true;
    store.extra.crud.seed_replace(&n);
    ok(n)
}

/// Seed: sensors, monitors, alerts (one for the hot node), notifications.
pub(crate) fn seed(extra: &mut super::Extra) {
    let c = &mut extra.crud;
    c.seed(&Sensor {
        id: "sen-a01-temp".into(),
        name: "a01-inlet-temp".into(),
        kind: SensorKind::Temperature,
        cabinet_id: Some("cab-a01".into()),
        thresholds: Thresholds {
            warning: 27.0,
            critical: 32.0,
        },
        last_reading: Some(Reading {
            value: 24.5,
            at: 1_760_000_000,
        }),
    });
    c.seed(&Sensor {
        id: "sen-a01-door".into(),
        name: "a01-door".into(),
        kind: SensorKind::Door,
        cabinet_id: Some("cab-a01".into()),
        thresholds: Thresholds {
            warning: 0.5,
            critical: 1.0,
        },
        last_reading: None,
    });
    c.seed(&BusinessMonitor {
        id: "mon-shop".into(),
        name: "webshop".into(),
        check: CheckKind::Http,
        target: "https://shop.example.com/health".into(),
        interval_seconds: 60,
        timeout_ms: 5000,
        expected_status: Some(200),
        state: MonitorState::Up,
        depends_on: vec!["cluster1:pve1:100".into(), "cluster1:pve2:200".into()],
    });
    c.seed(&BusinessMonitor {
        id: "mon-erp".into(),
        name: "erp".into(),
        check: CheckKind::Tcp,
        target: "10.0.30.5:443".into(),
        interval_seconds: 120,
        timeout_ms: 3000,
        expected_status: None,
        state: MonitorState::Down,
        depends_on: vec!["vc1:esxi2:1002".into()],
    });
    c.seed(&Notification {
        id: "ntf-1".into(),
        title: "Backup finished".into(),
        message: "Nightly backup of 6 VMs finished".into(),
        severity: Severity::Info,
        channel: Channel::InApp,
        recipient: "usr-admin".into(),
        read: false,
        created_at: 1_760_000_000,
    });
    extra.alerts = vec![
        Alert {
            id: "alt-1".into(),
            severity: Severity::Critical,
            source: "node/pve2".into(),
            message: "CPU usage 91.5% above 85% for 15 minutes".into(),
            state: AlertState::Firing,
            created_at: 1_760_000_100,
            acknowledged_by: None,
        },
        Alert {
            id: "alt-2".into(),
            severity: Severity::Warning,
            source: "monitor/mon-erp".into(),
            message: "erp: TCP connect to 10.0.30.5:443 failed".into(),
            state: AlertState::Firing,
            created_at: 1_760_000_200,
            acknowledged_by: None,
        },
        Alert {
            id: "alt-3".into(),
            severity: Severity::Info,
            source: "sensor/sen-a01-temp".into(),
            message: "inlet temperature back to normal".into(),
            state: AlertState::Resolved,
            created_at: 1_759_000_000,
            acknowledged_by: Some("admin".into()),
        },
    ];
}

//! Storages, their content, and ISO upload (multipart).

use std::time::Instant;

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::now_ms;
use crate::envelope::{ApiError, ApiResult, Envelope, ErrorBody, ValidQuery, Validate, ok};
use crate::middleware::Caller;
use crate::model::{Storage, StorageKind};
use crate::state::AppState;
use crate::tasks::{Effect, NewTask};

#[derive(OpenApi)]
#[openapi(paths(list_storage, list_storage_content, upload_iso))]
pub(super) struct Doc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/storage", get(list_storage))
        .route(
            "/api/nodes/{node}/storage/{storage}/content",
            get(list_storage_content),
        )
        .route(
            "/api/nodes/{node}/storage/{storage}/upload",
            post(upload_iso),
        )
}

/// A volume on a storage.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct StorageVolume {
    /// Volume id `storage:content/name`.
    pub(crate) volid: String,
    /// Node.
    pub(crate) node: String,
    /// Storage.
    pub(crate) storage: String,
    /// iso, backup, images, vztmpl.
    pub(crate) content: String,
    /// Size, bytes.
    pub(crate) size: u64,
    /// Creation time, Unix seconds.
    pub(crate) ctime: u64,
}

/// Filters for the storage list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StorageFilter {
    /// Only storages of this node.
    node: Option<String>,
    /// Only storages of this cluster.
    cluster: Option<String>,
    /// Only storages of this kind.
    kind: Option<StorageKind>,
    /// Only storages accepting this content type.
    content: Option<String>,
    /// Only storages that are (not) online.
    active: Option<bool>,
}

impl Validate for StorageFilter {}

/// List storages.
///
/// Every storage on every node, with usage. AI hint: pick a storage with enough free space
/// (`total - used`) and `active: true` before creating or migrating VMs.
#[utoipa::path(
    get, path = "/api/storage", tag = "Storage",
    params(StorageFilter),
    responses((status = 200, description = "Storages", body = Envelope<Vec<Storage>>))
)]
pub(crate) async fn list_storage(
    State(state): State<AppState>,
    ValidQuery(f): ValidQuery<StorageFilter>,
) -> ApiResult<Vec<Storage>> {
    let store = state.store();
    ok(store
        .storages
        .iter()
        .filter(|s| f.node.as_ref().is_none_or(|n| *n == s.node))
        .filter(|s| f.cluster.as_ref().is_none_or(|c| *c == s.cluster))
        .filter(|s| f.kind.is_none_or(|k| k == s.kind))
        .filter(|s| f.content.as_ref().is_none_or(|c| s.content.contains(c)))
        .filter(|s| f.active.is_none_or(|a| a == s.active))
        .cloned()
        .collect())
}

fn find_storage<'a>(
    store: &'a crate::state::Store,
    node: &str,
    storage: &str,
) -> Result<&'a Storage, ApiError> {
    super::nodes::find_node(store, node)?;
    store
        .storages
        .iter()
        .find(|s| s.node == node && s.id == storage)
        .ok_or_else(|| ApiError::not_found("storage", storage))
}

/// List a storage's content.
///
/// ISO images, backups and disk images on one storage of one node.
#[utoipa::path(
    get, path = "/api/nodes/{node}/storage/{storage}/content", tag = "Storage",
    params(
        ("node" = String, Path, description = "Node name"),
        ("storage" = String, Path, description = "Storage id"),
    ),
    responses(
        (status = 200, description = "Volumes", body = Envelope<Vec<StorageVolume>>),
        (status = 404, description = "No such node or storage", body = ErrorBody),
    )
)]
pub(crate) async fn list_storage_content(
    State(state): State<AppState>,
    Path((node, storage)): Path<(String, String)>,
) -> ApiResult<Vec<StorageVolume>> {
    let store = state.store();
    let s = find_storage(&store, &node, &storage)?;
    let mut out: Vec<StorageVolume> = store
        .extra
        .volumes
        .iter()
        .filter(|v| v.storage == s.id && (v.node == node || s.shared))
        .cloned()
        .collect();
    out.extend(
        store
            .backups
            .iter()
            .filter(|b| b.storage == s.id)
            .map(|b| StorageVolume {
                volid: b.volid.clone(),
                node: node.clone(),
                storage: b.storage.clone(),
                content: "backup".to_owned(),
                size: b.size,
                ctime: b.created_at,
            }),
    );
    out.extend(
        store
            .vms
            .values()
            .filter(|v| v.node == node)
            .flat_map(|v| v.hardware.disks.iter().map(move |d| (v, d)))
            .filter(|(_, d)| d.backing.storage == s.id)
            .map(|(v, d)| StorageVolume {
                volid: format!("{}:{}", d.backing.storage, d.backing.volume),
                node: v.node.clone(),
                storage: d.backing.storage.clone(),
                content: "images".to_owned(),
                size: u64::from(d.size_gb) << 30,
                ctime: 1_700_000_000,
            }),
    );
    ok(out)
}

/// Multipart form of an upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(crate) struct UploadForm {
    /// Content type: `iso` or `vztmpl`.
    content: String,
    /// File name to store, e.g. `debian-12.iso`; the uploaded file's name when omitted.
    filename: Option<String>,
    /// The file.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// Upload an ISO image or container template.
///
/// `multipart/form-data` with fields `content` (`iso` or `vztmpl`), optional `filename` and
/// `file`. The storage must accept that content. Answers the volume id and a task
/// (`imgcopy`) that finishes like other tasks.
#[utoipa::path(
    post, path = "/api/nodes/{node}/storage/{storage}/upload", tag = "Storage",
    params(
        ("node" = String, Path, description = "Node name"),
        ("storage" = String, Path, description = "Storage id"),
    ),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Uploaded", body = Envelope<UploadResult>),
        (status = 404, description = "No such node or storage", body = ErrorBody),
        (status = 409, description = "File exists", body = ErrorBody),
        (status = 422, description = "Missing field or wrong content", body = ErrorBody),
    )
)]
pub(crate) async fn upload_iso(
    State(state): State<AppState>,
    caller: Caller,
    Path((node, storage)): Path<(String, String)>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<UploadResult> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::invalid(
            "body",
            format!("expected multipart/form-data: {}", e.body_text()),
        )
    })?;
    let mut content = None;
    let mut filename = None;
    let mut file: Option<(Option<String>, usize)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("bad multipart body: {e}")))?
    {
        match field.name() {
            Some("content") => {
                content = Some(
                    field
                        .text()
                        .await
                        .map_err(|e| ApiError::invalid("content", e.to_string()))?,
                )
            }
            Some("filename") => {
                filename = Some(
                    field
                        .text()
                        .await
                        .map_err(|e| ApiError::invalid("filename", e.to_string()))?,
                )
            }
            Some("file") => {
                let name = field.file_name().map(str::to_owned);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| ApiError::invalid("file", e.to_string()))?;
                file = Some((name, bytes.len()));
            }
            _ => {}
        }
    }
    let content = content.ok_or_else(|| ApiError::invalid("content", "missing field"))?;
    if content != "iso" && content != "vztmpl" {
        return Err(ApiError::invalid("content", "must be 'iso' or 'vztmpl'"));
    }
    let (upload_name, size) = file.ok_or_else(|| ApiError::invalid("file", "missing field"))?;
    let name = filename
        .or(upload_name)
        .ok_or_else(|| ApiError::invalid("filename", "no file name given"))?;
    if name.is_empty() || name.contains('/') || (content == "iso" && !name.ends_with(".iso")) {
        return Err(ApiError::invalid(
            "filename",
            "must be a plain file name (ending in .iso for ISO images)",
        ));
    }
    let mut store = state.store();
    let s = find_storage(&store, &node, &storage)?.clone();
    if !s.content.contains(&content) {
        return Err(ApiError::invalid(
            "content",
            format!("storage '{storage}' does not accept {content}"),
        ));
    }
    let volid = format!("{storage}:{content}/{name}");
    if store.extra.volumes.iter().any(|v| v.volid == volid) {
        return Err(ApiError::conflict(
            "already_exists",
            format!("{volid} already exists"),
        ));
    }
    store.extra.volumes.push(StorageVolume {
        volid: volid.clone(),
        node: node.clone(),
        storage: storage.clone(),
        content,
        size: size as u64,
        ctime: now_ms() / 1000,
    });
    let plan = NewTask {
        kind: "imgcopy",
        node: node.clone(),
        object: String::new(),
        target: volid.clone(),
        user: caller.user,
        proxmox: s.cluster != "vc1",
        lines: vec![
            format!("starting file import from upload: {name}"),
            format!("target file: {volid}"),
            format!("file size is: {size}"),
        ],
        outcome: Ok(()),
        effect: Effect::None,
        locks: None,
    };
    let task = store.tasks.start(plan, Instant::now());
    ok(UploadResult {
        volid,
        size: size as u64,
        task_id: task.task_id,
        upid: task.upid,
    })
}

/// Result of an upload.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UploadResult {
    /// Volume id of the stored file.
    volid: String,
    /// Bytes received.
    size: u64,
    /// Task that copies the file into place.
    task_id: String,
    /// UPID for Proxmox.
    upid: Option<String>,
}

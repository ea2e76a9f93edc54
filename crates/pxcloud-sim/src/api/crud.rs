//! Generic create/list/get/update/delete for the simpler collections, and the macro that
//! declares their five handlers (each a real, documented operation with its own name).
//!
//! Items are stored as JSON values per collection so one store serves every type; the
//! typed view is restored on each access.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::IntoParams;

use super::{Deleted, Page, PageQuery};
use crate::envelope::{ApiError, ApiResult, Validate, ok};
use crate::state::{AppState, Store};

/// One stored collection.
#[derive(Debug, Default)]
pub(crate) struct Collection {
    next: u64,
    items: Vec<Value>,
}

/// Every generic collection, by name.
#[derive(Debug, Default)]
pub(crate) struct Collections(BTreeMap<&'static str, Collection>);

/// A resource kept in a generic collection.
pub(crate) trait Resource: Serialize + DeserializeOwned + Clone {
    /// Collection key, e.g. `regions`.
    const COLLECTION: &'static str;
    /// Singular noun for messages, e.g. `region`.
    const KIND: &'static str;
    /// Prefix of generated ids, e.g. `rg`.
    const ID_PREFIX: &'static str;
    /// The body of create and update.
    type Input: DeserializeOwned + Validate;
    /// Whether `name()` must be unique in the collection (409 otherwise).
    const UNIQUE_NAMES: bool = true;

    fn id(&self) -> &str;
    fn name(&self) -> &str;
    /// Builds a new item; `store` allows checking references (422 naming the field).
    fn create(id: String, input: Self::Input, store: &Store) -> Result<Self, ApiError>;
    /// Applies an update.
    fn update(&mut self, input: Self::Input, store: &Store) -> Result<(), ApiError>;
    /// 409 when something still refers to this item.
    fn check_delete(&self, _store: &Store) -> Result<(), ApiError> {
        Ok(())
    }
    /// Extra list filter (`parent` query parameter); the default ignores it.
    fn has_parent(&self, _parent: &str) -> bool {
        true
    }
}

/// Query of a generic list.
#[derive(Debug, Default, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CrudQuery {
    /// Case-insensitive substring of the name.
    search: Option<String>,
    /// Only items under this parent (region of a datacenter, datacenter of a cabinet, …).
    parent: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    page: Option<u32>,
    /// Items per page.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<u32>,
}

impl Validate for CrudQuery {
    fn validate(&self) -> Result<(), ApiError> {
        PageQuery {
            page: self.page,
            per_page: self.per_page,
        }
        .validate()
    }
}

impl Collections {
    /// Typed items of a collection.
    pub(crate) fn all<T: Resource>(&self) -> Vec<T> {
        self.0
            .get(T::COLLECTION)
            .map(|c| {
                c.items
                    .iter()
                    .filter_map(|v| serde_json::from_value(v.clone()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn find<T: Resource>(&self, id: &str) -> Option<T> {
        self.all::<T>().into_iter().find(|x| x.id() == id)
    }

    /// Adds a seeded item with a fixed id.
    pub(crate) fn seed<T: Resource>(&mut self, item: &T) {
        let c = self.0.entry(T::COLLECTION).or_default();
        if let Ok(v) = serde_json::to_value(item) {
            c.items.push(v);
        }
    }

    /// Stores a changed item in place (or appends it).
    pub(crate) fn seed_replace<T: Resource>(&mut self, item: &T) {
        let _ = self.put(item);
    }

    fn next_id<T: Resource>(&mut self) -> String {
        let c = self.0.entry(T::COLLECTION).or_default();
        c.next += 1;
        format!("{}-{}", T::ID_PREFIX, 1000 + c.next)
    }

    fn put<T: Resource>(&mut self, item: &T) -> Result<(), ApiError> {
        let value = serde_json::to_value(item).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                e.to_string(),
            )
        })?;
        let c = self.0.entry(T::COLLECTION).or_default();
        match c
            .items
            .iter_mut()
            .find(|v| v.get("id").and_then(Value::as_str) == Some(item.id()))
        {
            Some(slot) => *slot = value,
            None => c.items.push(value),
        }
        Ok(())
    }

    fn remove<T: Resource>(&mut self, id: &str) {
        if let Some(c) = self.0.get_mut(T::COLLECTION) {
            c.items
                .retain(|v| v.get("id").and_then(Value::as_str) != Some(id));
        }
    }
}

fn not_found<T: Resource>(id: &str) -> ApiError {
    ApiError::not_found(T::KIND, id)
}

fn check_unique<T: Resource>(
    store: &Store,
    name: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    if !T::UNIQUE_NAMES {
        return Ok(());
    }
    let taken = store
        .extra
        .crud
        .all::<T>()
        .iter()
        .any(|x| x.name() == name && Some(x.id()) != except);
    if taken {
        return Err(ApiError::conflict(
            "already_exists",
            format!("{} '{name}' already exists", T::KIND),
        ));
    }
    Ok(())
}

pub(crate) fn list<T: Resource>(state: &AppState, q: &CrudQuery) -> ApiResult<Page<T>> {
    let store = state.store();
    let items: Vec<T> = store
        .extra
        .crud
        .all::<T>()
        .into_iter()
        .filter(|x| {
            q.search
                .as_ref()
                .is_none_or(|s| x.name().to_lowercase().contains(&s.to_lowercase()))
        })
        .filter(|x| q.parent.as_ref().is_none_or(|p| x.has_parent(p)))
        .collect();
    ok(PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .apply(items))
}

pub(crate) fn get<T: Resource>(state: &AppState, id: &str) -> ApiResult<T> {
    let store = state.store();
    ok(store
        .extra
        .crud
        .find::<T>(id)
        .ok_or_else(|| not_found::<T>(id))?)
}

pub(crate) fn create<T: Resource>(state: &AppState, input: T::Input) -> ApiResult<T> {
    let mut store = state.store();
    let id = store.extra.crud.next_id::<T>();
    let item = T::create(id, input, &store)?;
    check_unique::<T>(&store, item.name(), None)?;
    store.extra.crud.put(&item)?;
    ok(item)
}

pub(crate) fn update<T: Resource>(state: &AppState, id: &str, input: T::Input) -> ApiResult<T> {
    let mut store = state.store();
    let mut item = store
        .extra
        .crud
        .find::<T>(id)
        .ok_or_else(|| not_found::<T>(id))?;
    item.update(input, &store)?;
    check_unique::<T>(&store, item.name(), Some(id))?;
    store.extra.crud.put(&item)?;
    ok(item)
}

pub(crate) fn delete<T: Resource>(state: &AppState, id: &str) -> ApiResult<Deleted> {
    let mut store = state.store();
    let item = store
        .extra
        .crud
        .find::<T>(id)
        .ok_or_else(|| not_found::<T>(id))?;
    item.check_delete(&store)?;
    store.extra.crud.remove::<T>(id);
    ok(Deleted {
        id: id.to_owned(),
        deleted: true,
    })
}

/// Declares the five documented handlers of a generic collection plus `Doc` and `routes()`.
macro_rules! crud {
    (
        type = $ty:ident, input = $input:ident, tag = $tag:literal,
        collection = $coll:literal, item = $item:literal,
        list = $list:ident $list_sum:literal $list_doc:literal,
        get = $get:ident $get_sum:literal $get_doc:literal,
        create = $create:ident $create_sum:literal $create_doc:literal,
        update = $update:ident $update_sum:literal $update_doc:literal,
        delete = $delete:ident $delete_sum:literal $delete_doc:literal $(,)?
    ) => {
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($list, $get, $create, $update, $delete))]
        pub(crate) struct Doc;

        pub(crate) fn routes() -> axum::Router<crate::state::AppState> {
            axum::Router::new()
                .route($coll, axum::routing::get($list).post($create))
                .route($item, axum::routing::get($get).put($update).delete($delete))
        }

        #[doc = $list_sum]
        #[doc = ""]
        #[doc = $list_doc]
        #[utoipa::path(
            get, path = $coll, tag = $tag,
            params(crate::api::crud::CrudQuery),
            responses(
                (status = 200, description = "One page", body = crate::envelope::Envelope<crate::api::Page<$ty>>),
                (status = 422, description = "Bad query parameter", body = crate::envelope::ErrorBody),
            )
        )]
        pub(crate) async fn $list(
            axum::extract::State(state): axum::extract::State<crate::state::AppState>,
            crate::envelope::ValidQuery(q): crate::envelope::ValidQuery<crate::api::crud::CrudQuery>,
        ) -> crate::envelope::ApiResult<crate::api::Page<$ty>> {
            crate::api::crud::list::<$ty>(&state, &q)
        }

        #[doc = $get_sum]
        #[doc = ""]
        #[doc = $get_doc]
        #[utoipa::path(
            get, path = $item, tag = $tag,
            params(("id" = String, Path, description = "Id")),
            responses(
                (status = 200, description = "The item", body = crate::envelope::Envelope<$ty>),
                (status = 404, description = "Not found", body = crate::envelope::ErrorBody),
            )
        )]
        pub(crate) async fn $get(
            axum::extract::State(state): axum::extract::State<crate::state::AppState>,
            axum::extract::Path(id): axum::extract::Path<String>,
        ) -> crate::envelope::ApiResult<$ty> {
            crate::api::crud::get::<$ty>(&state, &id)
        }

        #[doc = $create_sum]
        #[doc = ""]
        #[doc = $create_doc]
        #[utoipa::path(
            post, path = $coll, tag = $tag,
            request_body = $input,
            responses(
                (status = 200, description = "Created", body = crate::envelope::Envelope<$ty>),
                (status = 403, description = "Read-only user", body = crate::envelope::ErrorBody),
                (status = 409, description = "Name taken", body = crate::envelope::ErrorBody),
                (status = 422, description = "Invalid field", body = crate::envelope::ErrorBody),
            )
        )]
        pub(crate) async fn $create(
            axum::extract::State(state): axum::extract::State<crate::state::AppState>,
            crate::envelope::ValidJson(body): crate::envelope::ValidJson<$input>,
        ) -> crate::envelope::ApiResult<$ty> {
            crate::api::crud::create::<$ty>(&state, body)
        }

        #[doc = $update_sum]
        #[doc = ""]
        #[doc = $update_doc]
        #[utoipa::path(
            put, path = $item, tag = $tag,
            params(("id" = String, Path, description = "Id")),
            request_body = $input,
            responses(
                (status = 200, description = "Updated", body = crate::envelope::Envelope<$ty>),
                (status = 403, description = "Read-only user", body = crate::envelope::ErrorBody),
                (status = 404, description = "Not found", body = crate::envelope::ErrorBody),
                (status = 409, description = "Name taken", body = crate::envelope::ErrorBody),
                (status = 422, description = "Invalid field", body = crate::envelope::ErrorBody),
            )
        )]
        pub(crate) async fn $update(
            axum::extract::State(state): axum::extract::State<crate::state::AppState>,
            axum::extract::Path(id): axum::extract::Path<String>,
            crate::envelope::ValidJson(body): crate::envelope::ValidJson<$input>,
        ) -> crate::envelope::ApiResult<$ty> {
            crate::api::crud::update::<$ty>(&state, &id, body)
        }

        #[doc = $delete_sum]
        #[doc = ""]
        #[doc = $delete_doc]
        #[utoipa::path(
            delete, path = $item, tag = $tag,
            params(("id" = String, Path, description = "Id")),
            responses(
                (status = 200, description = "Deleted", body = crate::envelope::Envelope<crate::api::Deleted>),
                (status = 403, description = "Read-only user", body = crate::envelope::ErrorBody),
                (status = 404, description = "Not found", body = crate::envelope::ErrorBody),
                (status = 409, description = "Still in use", body = crate::envelope::ErrorBody),
            )
        )]
        pub(crate) async fn $delete(
            axum::extract::State(state): axum::extract::State<crate::state::AppState>,
            axum::extract::Path(id): axum::extract::Path<String>,
        ) -> crate::envelope::ApiResult<crate::api::Deleted> {
            crate::api::crud::delete::<$ty>(&state, &id)
        }
    };
}

pub(crate) use crud;

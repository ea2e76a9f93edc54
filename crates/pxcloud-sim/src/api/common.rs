//! Query parameters and payload shapes shared by many endpoints.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::envelope::{ApiError, Validate};

/// Largest page size.
pub(crate) const MAX_PER_PAGE: u32 = 500;

/// Page-number pagination.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    pub(crate) page: Option<u32>,
    /// Items per page.
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub(crate) per_page: Option<u32>,
}

impl Validate for PageQuery {
    fn validate(&self) -> Result<(), ApiError> {
        if self.page == Some(0) {
            return Err(ApiError::invalid("page", "must be at least 1"));
        }
        match self.per_page {
            Some(n) if n == 0 || n > MAX_PER_PAGE => Err(ApiError::invalid(
                "per_page",
                format!("must be between 1 and {MAX_PER_PAGE}"),
            )),
            _ => Ok(()),
        }
    }
}

/// One page of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Page<T> {
    /// The items on this page.
    pub(crate) items: Vec<T>,
    /// Items in the whole (filtered) collection.
    pub(crate) total: usize,
    /// This page number, from 1.
    pub(crate) page: u32,
    /// Page size used.
    pub(crate) per_page: u32,
}

impl PageQuery {
    /// Cuts one page out of `items`.
    pub(crate) fn apply<T>(&self, items: Vec<T>) -> Page<T> {
        let page = self.page.unwrap_or(1).max(1);
        let per_page = self.per_page.unwrap_or(50).clamp(1, MAX_PER_PAGE);
        let total = items.len();
        let skip = (page as usize - 1).saturating_mul(per_page as usize);
        let items = items
            .into_iter()
            .skip(skip)
            .take(per_page as usize)
            .collect();
        Page {
            items,
            total,
            page,
            per_page,
        }
    }
}

/// Offset/limit pagination (used by logs and tasks, like PXCloud).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct OffsetQuery {
    /// Items to skip.
    #[param(minimum = 0, default = 0)]
    pub(crate) offset: Option<u32>,
    /// Most items to return.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub(crate) limit: Option<u32>,
}

impl Validate for OffsetQuery {
    fn validate(&self) -> Result<(), ApiError> {
        match self.limit {
            Some(n) if n == 0 || n > 1000 => {
                Err(ApiError::invalid("limit", "must be between 1 and 1000"))
            }
            _ => Ok(()),
        }
    }
}

/// A slice of a collection cut by offset and limit.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Slice<T> {
    /// The items.
    pub(crate) items: Vec<T>,
    /// Items in the whole (filtered) collection.
    pub(crate) total: usize,
    /// Offset used.
    pub(crate) offset: u32,
    /// Limit used.
    pub(crate) limit: u32,
}

impl OffsetQuery {
    /// Cuts a slice out of `items`.
    pub(crate) fn apply<T>(&self, items: Vec<T>) -> Slice<T> {
        let offset = self.offset.unwrap_or(0);
        let limit = self.limit.unwrap_or(100).clamp(1, 1000);
        let total = items.len();
        let items = items
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        Slice {
            items,
            total,
            offset,
            limit,
        }
    }
}

/// Answer of a delete.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Deleted {
    /// Id of what was deleted.
    pub(crate) id: String,
    /// Always true.
    pub(crate) deleted: bool,
}

/// Checks a name-like field: 1–64 characters of letters, digits, `-`, `_`, `.`.
pub(crate) fn check_name(field: &str, value: &str) -> Result<(), ApiError> {
    if value.is_empty() || value.len() > 64 {
        return Err(ApiError::invalid(field, "must be 1 to 64 characters"));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ApiError::invalid(
            field,
            "may contain only letters, digits, '-', '_' and '.'",
        ));
    }
    Ok(())
}

/// Checks that `value` lies in `min..=max`.
pub(crate) fn check_range<T: PartialOrd + std::fmt::Display>(
    field: &str,
    value: T,
    min: T,
    max: T,
) -> Result<(), ApiError> {
    if value < min || value > max {
        return Err(ApiError::invalid(
            field,
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(())
}

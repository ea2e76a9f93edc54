//! The JSON Schema 2020-12 keywords whose values hold subschemas, and in which shape: the one
//! list every walk over converted schemas follows (conversion in `schema.rs`, sharing in
//! `share.rs`), so a keyword added here is converted and shared alike.
//!
//! xtask's `list-size` keeps its own copy on purpose: the benchmark's baseline shares no code
//! with the server it judges.

/// Keywords whose value maps names to schemas.
pub(crate) const SCHEMA_MAPS: [&str; 4] = [
    "properties",
    "patternProperties",
    "$defs",
    "dependentSchemas",
];

/// Keywords whose value is one schema.
pub(crate) const SCHEMA_SLOTS: [&str; 10] = [
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
];

/// Keywords whose value is a list of schemas.
pub(crate) const SCHEMA_LISTS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];

#[cfg(test)]
mod tests {
    use super::*;

    /// A keyword holds subschemas in one shape only.
    #[test]
    fn the_lists_do_not_overlap() {
        let all: Vec<&str> = SCHEMA_MAPS
            .iter()
            .chain(&SCHEMA_SLOTS)
            .chain(&SCHEMA_LISTS)
            .copied()
            .collect();
        let mut unique = all.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "{all:?}");
    }
}

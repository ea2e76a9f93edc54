//! Which tools are visible and the verdict for one call: allow, confirm or deny.
//!
//! A pure library over the catalog's tools; it does no I/O of its own.
#![deny(missing_docs)]

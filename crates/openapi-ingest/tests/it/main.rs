//! The integration tests of openapi-ingest, one binary with a module per concern.

mod corpus;
mod describe;
mod media;
mod model;
mod names;
mod numbered;
mod property_strings;
mod requests;
mod roundtrip;
mod schemas;
mod snapshots;
mod support;
mod validation;
mod warnings;

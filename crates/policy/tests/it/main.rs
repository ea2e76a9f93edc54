//! Integration tests of the policy crate, over tools ingested from small OpenAPI documents.

mod audit;
mod bypass;
mod classify;
mod config;
mod corpus;
mod handle;
mod mask;
mod schema;
mod support;
mod verdict;
mod visibility;

//! The integration tests: one binary, one file per area.
mod fixtures;
mod helpers;

mod access_matrix;
mod audit_reports;
mod cli;
mod conformance;
mod contracts;
mod facilities;
mod handoffs;
mod hostile_bodies;
mod http_contracts;
mod http_validate;
mod idempotency;
mod jws_interop;
mod matching;
mod openapi;
mod processes;
mod registrations;
mod rejected_writes;
mod robustness;
mod signed_vectors;
mod store;
mod vector_coverage;
mod vectors;
mod xml_schemas;
mod xmldsig_interop;

//! The integration tests: one binary, one file per area.
#![allow(clippy::unwrap_used)] // tests: a panic is a failed test
mod fixtures;
mod helpers;

mod access_matrix;
mod architecture;
mod audit_reports;
mod busy_database;
mod cli;
mod conformance;
mod contracts;
mod facilities;
mod files_at_rest;
mod handoffs;
mod hostile_bodies;
mod http_contracts;
mod http_validate;
mod idempotency;
mod jws_interop;
mod keys_at_rest;
mod matching;
mod one_reading;
mod openapi;
mod processes;
mod rate_limits;
mod record_chain;
mod registrations;
mod rejected_writes;
mod response_headers;
mod robustness;
mod signed_vectors;
mod store;
mod tls;
mod vector_coverage;
mod vectors;
mod xml_schemas;
mod xmldsig_interop;

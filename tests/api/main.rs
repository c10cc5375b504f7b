//! The integration tests: one binary, one file per area.
mod helpers;

mod cli;
mod contracts;
mod hostile_bodies;
mod http_contracts;
mod http_validate;
mod openapi;
mod registrations;
mod robustness;
mod store;
mod vectors;

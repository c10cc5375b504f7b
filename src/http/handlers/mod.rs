//! One handler per file, each with its `#[utoipa::path]`.
pub mod codelist_get;
pub mod codelists_index;
pub mod health;
pub mod openapi_json;
pub mod policy_get;
pub mod registration_change;
pub mod registration_create;
pub mod registration_get;
pub mod registration_history;
pub mod registration_withdraw_consent;
pub mod root;
pub mod schema_get;
pub mod schemas_index;
pub mod validate;
pub mod validate_batch;

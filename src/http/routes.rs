//! The one route table, used by the server, the tests and the OpenAPI document.
use super::handlers::*;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(root::root)
        .service(health::health)
        .service(openapi_json::openapi_json)
        .service(schemas_index::schemas_index)
        // Before `schema_get`, whose `{version}` would also match `1.0.0.xsd`.
        .service(schema_xsd::schema_xsd)
        .service(schema_get::schema_get)
        .service(codelists_index::codelists_index)
        .service(codelist_get::codelist_get)
        .service(policy_get::policy_get)
        .service(jwks::jwks)
        .service(validate::validate)
        .service(validate_batch::validate_batch)
        .service(registration_list::registration_list)
        .service(registration_create::registration_create)
        .service(registration_search::registration_search)
        .service(registration_get::registration_get)
        .service(registration_change::registration_change)
        .service(registration_history::registration_history)
        .service(registration_withdraw_consent::registration_withdraw_consent)
        .service(registration_grant_consent::registration_grant_consent)
        .service(registration_break_glass_read::registration_break_glass_read)
        .service(registration_candidates::registration_candidates)
        .service(facility_search::facility_search)
        .service(facility_get::facility_get)
        .service(facility_put::facility_put)
        .service(facility_vacancies::facility_vacancies)
        .service(handoff_list::handoff_list)
        .service(handoff_create::handoff_create)
        .service(handoff_get::handoff_get)
        .service(handoff_respond::handoff_respond)
        .service(verify::verify)
        .service(provision_list::provision_list)
        .service(key_list::key_list)
        .service(key_register::key_register)
        .service(key_retire::key_retire)
        .service(audit_list::audit_list)
        .service(report_operations::report_operations);
}

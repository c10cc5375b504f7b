//! The OpenAPI 3.1 document: generated from the route table, with the hand-written JSON
//! Schemas spliced into `components.schemas` so the document and the validator share one
//! source. Committed as `openapi/openapi.json`; a test fails when they differ.
use super::handlers::{codelists_index, health, root, schemas_index, validate};
use super::ndjson::BatchLine;
use crate::contracts::{Contracts, DocumentType, SCHEMA_ID_BASE};
use crate::problem::Problem;
use crate::validation::{Message, Report};
use actix_web::App;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kyoten",
        description = "地域生活支援拠点等の緊急時支援データ交換API。登録届・事業所情報・緊急時の受入調整（ハンドオフ）の契約（JSON Schema 2020-12、コード表）を公開し、ベンダーシステムが送る文書を検証します。市町村・基幹相談支援センター・拠点コーディネーターに担当する市町村（municipal scope）が設定されている場合、以下のすべての操作は、その市町村の人の記録だけを読み書きします。\n\nOpen data exchange for community life support hubs for people with disabilities: published contracts and a validator for registrations, facility records and handoff packets. Errors are RFC 9457 problem details; messages are Japanese by default, English with `Accept-Language: en`. A city, kikan or hub given a municipal scope reads and acts on the records of people of its municipalities only, in every operation below.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "contracts", description = "契約（スキーマ・コード表・ポリシー）をそのまま配信する / Schemas, code lists and policies, served unchanged"),
        (name = "validation", description = "文書の検証（何も保存しない） / Validation of documents; nothing is stored"),
        (name = "registrations", description = "緊急時利用登録届（APIキーが必要） / Emergency-use registrations (API key required)"),
        (name = "intakes", description = "事前情報のない新規ケースの受付（氏名・住所・電話番号は持たない。APIキーが必要） / Emergency intakes for people without a registration: no name, address or phone; API key required"),
        (name = "facilities", description = "事業所の情報と毎日の空き状況、条件による検索 / Facility records, the daily vacancy figures and the search over them"),
        (name = "matching", description = "緊急時に受け入れられる事業所の候補と、その理由 / Facilities that could take a person in an emergency, with the reasons"),
        (name = "handoffs", description = "同意の範囲に絞った署名付きの受入調整パケット（JWS・XMLDSig）、その経過・検証・提供記録 / Signed, consent-minimized handoff packets (JWS and XMLDSig), their lifecycle, verification and provision records"),
        (name = "keys", description = "組織がパケットの署名に使う公開鍵（交換所自身の鍵は /.well-known/jwks.json） / Organizations' public keys for packets they sign; the exchange's keys are in /.well-known/jwks.json"),
        (name = "audit", description = "個人データへのアクセス記録 / The record of every access to personal data"),
        (name = "reports", description = "協議会に報告する運用状況の集計 / The operations report a city presents to its council"),
    ),
    modifiers(&ApiKeyScheme),
    components(schemas(Problem, Report, Message, BatchLine, validate::ReportFormat, root::RootInfo, health::Health, schemas_index::SchemaEntry, codelists_index::CodeListEntry))
)]
struct ApiDoc;

/// `Authorization: Bearer <api key>`; each key belongs to one organization with one role.
struct ApiKeyScheme;

impl utoipa::Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An organization's API key (kyoten org add / key rotate)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The component name a schema is spliced in as.
fn component_name(schema_name: &str) -> String {
    match DocumentType::parse(schema_name) {
        Some(d) => d.component_name().to_owned(),
        None => pascal(schema_name),
    }
}

/// The part of operation `method path` at `within` (segments, e.g. `["responses", "200",
/// "content", "application/json"]`), if the document has it.
pub(super) fn operation_part<'d>(
    doc: &'d mut Value,
    path: &str,
    method: &str,
    within: &[&str],
) -> Option<&'d mut Value> {
    let escape = |s: &str| s.replace('~', "~0").replace('/', "~1");
    let mut pointer = format!("/paths/{}/{method}", escape(path));
    for segment in within {
        pointer.push('/');
        pointer.push_str(&escape(segment));
    }
    doc.pointer_mut(&pointer)
}

/// Every operation object of the document (each method of each path).
pub(super) fn operations_mut(doc: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    doc.get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(Value::as_object_mut)
}

/// Builds the complete document.
pub fn build() -> Value {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(super::routes::register)
        .split_for_parts();
    let mut doc = serde_json::to_value(api).expect("OpenAPI serializes");
    splice_schemas(&mut doc);
    document_bodies(&mut doc);
    declare_parameter_values(&mut doc);
    declare_problem_default(&mut doc);
    declare_public_operations(&mut doc);
    hoist_defs(&mut doc);
    super::openapi_responses::declare(&mut doc);
    super::openapi_examples::declare(&mut doc);
    super::openapi_summaries::declare(&mut doc);
    super::openapi_generators::declare(&mut doc);
    declare_no_nul(&mut doc);
    doc["servers"] = json!([{
        "url": "/",
        "description": "この文書を配信しているサーバー（kyoten serve --demo なら http://127.0.0.1:8080） / the server that serves this document"
    }]);
    doc
}

/// No parameter and no member of a request body that is not a document may hold a NUL
/// character (`422 nul-character`): said with a pattern on each free-text string, so that
/// clients and test generators know it. (Documents say it through their report instead.)
fn declare_no_nul(doc: &mut Value) {
    const NO_NUL: &str = "^[^\\u0000]*$";
    fn free_text(schema: &mut Value) {
        let Some(o) = schema.as_object_mut() else {
            return;
        };
        let text = o.get("type") == Some(&json!("string"))
            || o.get("type")
                .and_then(Value::as_array)
                .is_some_and(|t| t.contains(&json!("string")));
        let coded = ["enum", "const", "format"]
            .iter()
            .any(|k| o.contains_key(*k));
        if text && !coded {
            if o.contains_key("pattern") {
                // Its own pattern stays; the NUL is ruled out beside it.
                o.insert("not".into(), json!({"pattern": "\\u0000"}));
            } else {
                o.insert("pattern".into(), json!(NO_NUL));
            }
        }
        for key in ["properties", "items", "oneOf", "anyOf", "allOf"] {
            match o.get_mut(key) {
                Some(Value::Object(members)) if key == "properties" => {
                    members.values_mut().for_each(free_text)
                }
                Some(Value::Array(items)) => items.iter_mut().for_each(free_text),
                Some(item @ Value::Object(_)) => free_text(item),
                _ => {}
            }
        }
    }
    for name in [
        "PersonSearch",
        "OfficeAssignment",
        "BreakGlassRead",
        "HandoffCreateRequest",
        "MeetingRecord",
        "VacancyPatch",
    ] {
        if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")) {
            free_text(schema);
        }
    }
    for op in operations_mut(doc) {
        for parameter in op
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if parameter["in"] != "header" {
                free_text(&mut parameter["schema"]);
            }
        }
    }
}

/// Operations anyone may call (contracts, validation, health) say so with `security: []`;
/// the others carry the API key requirement their annotation gives.
fn declare_public_operations(doc: &mut Value) {
    for op in operations_mut(doc) {
        op.entry("security").or_insert_with(|| json!([]));
    }
}

/// The `$defs` of the spliced schemas become components of their own (`Registration` +
/// `person` → `RegistrationPerson`), so that tools which read only `components.schemas` (client
/// generators) find every definition; references follow them.
fn hoist_defs(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let mut moves: Vec<(String, String)> = Vec::new();
    let mut hoisted = serde_json::Map::new();
    let names: Vec<String> = schemas.keys().cloned().collect();
    for (name, schema) in schemas.iter_mut() {
        let Some(Value::Object(defs)) = schema.as_object_mut().and_then(|o| o.remove("$defs"))
        else {
            continue;
        };
        for (def, value) in defs {
            let component = format!("{name}{}", pascal(&def));
            // A definition must never replace a component of the same name (the handoff's
            // `request` once replaced the body of `POST /v1/handoffs`): rename one of them.
            assert!(
                !names.contains(&component) && !hoisted.contains_key(&component),
                "the definition {name}/$defs/{def} would replace the component {component}"
            );
            moves.push((
                format!("#/components/schemas/{name}/$defs/{def}"),
                format!("#/components/schemas/{component}"),
            ));
            hoisted.insert(component, value);
        }
    }
    schemas.extend(hoisted);
    // A schema that was only a container of definitions (`common`) is left with its title:
    // nothing refers to it any more.
    schemas.retain(|_, schema| {
        schema.as_object().is_none_or(|o| {
            o.keys().any(|k| {
                !matches!(
                    k.as_str(),
                    "title" | "description" | "x-title-en" | "x-description-en"
                )
            })
        })
    });
    // Longest first, so that `…/$defs/phone_number` is not taken for `…/$defs/phone`.
    moves.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
    rewrite_moved_refs(doc, &moves);
}

fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
        .collect()
}

fn rewrite_moved_refs(v: &mut Value, moves: &[(String, String)]) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                let moved = moves.iter().find(|(from, _)| {
                    r.strip_prefix(from.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                });
                if let Some((from, to)) = moved {
                    *r = format!("{to}{}", &r[from.len()..]);
                }
            }
            map.values_mut().for_each(|c| rewrite_moved_refs(c, moves));
        }
        Value::Array(items) => items.iter_mut().for_each(|c| rewrite_moved_refs(c, moves)),
        _ => {}
    }
}

/// The document as served and committed (pretty, trailing newline).
pub fn document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| serde_json::to_string_pretty(&build()).expect("serializes") + "\n")
}

/// Newest version of each schema, `$id` and `$schema` dropped, references rewritten to
/// `#/components/schemas/<Name>/$defs/...`.
fn splice_schemas(doc: &mut Value) {
    let contracts = Contracts::get();
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .expect("components");
    let mut latest: Vec<&crate::contracts::SchemaFile> = Vec::new();
    for s in &contracts.schemas {
        latest.retain(|l| l.name != s.name);
        latest.push(s);
    }
    for s in latest {
        let name = component_name(&s.name);
        let mut value = s.file.value.clone();
        if let Some(obj) = value.as_object_mut() {
            obj.remove("$id");
            obj.remove("$schema");
        }
        rewrite_refs(&mut value, &name);
        schemas.insert(name, value);
    }
}

fn rewrite_refs(v: &mut Value, own: &str) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                if let Some(fragment) = r.strip_prefix('#') {
                    *r = format!("#/components/schemas/{own}{fragment}");
                } else if let Some(rest) = r.strip_prefix(SCHEMA_ID_BASE) {
                    let (path, fragment) = rest.split_once('#').unwrap_or((rest, ""));
                    let name = path.split('/').next().unwrap_or_default();
                    *r = format!("#/components/schemas/{}{fragment}", component_name(name));
                }
            }
            map.values_mut().for_each(|c| rewrite_refs(c, own));
        }
        Value::Array(items) => items.iter_mut().for_each(|c| rewrite_refs(c, own)),
        _ => {}
    }
}

/// Request bodies that are documents: the stored ones are the document type's schema (JSON)
/// or its XML mapping; the validate endpoint takes any JSON value or XML, valid or not (the
/// report says). Every document body is required.
fn document_bodies(doc: &mut Value) {
    let xml = || json!({"schema": {"type": "string", "description": "The document in the XML mapping (see README, XML mapping)"}});
    let stored = [
        ("/v1/registrations", "post", DocumentType::Registration),
        ("/v1/registrations/{id}", "put", DocumentType::Registration),
        (
            "/v1/facilities/{facility_id}",
            "put",
            DocumentType::Facility,
        ),
        (
            "/v1/handoffs/{id}/responses",
            "post",
            DocumentType::HandoffResponse,
        ),
        ("/v1/intakes", "post", DocumentType::EmergencyIntake),
    ];
    for (path, method, document_type) in stored {
        let pointer = format!("/paths/{}/{method}/requestBody", path.replace('/', "~1"));
        if let Some(body) = doc.pointer_mut(&pointer) {
            let component = format!("#/components/schemas/{}", document_type.component_name());
            body["content"]["application/json"] = json!({"schema": {"$ref": component}});
            body["content"]["application/xml"] = xml();
            body["required"] = json!(true);
        }
    }
    // Answers that are the stored document.
    let answered = [
        ("/v1/intakes", "post", "201", DocumentType::EmergencyIntake),
        (
            "/v1/intakes/{id}",
            "get",
            "200",
            DocumentType::EmergencyIntake,
        ),
    ];
    for (path, method, status, document_type) in answered {
        let pointer = format!(
            "/paths/{}/{method}/responses/{status}/content/application~1json",
            path.replace('/', "~1")
        );
        if let Some(content) = doc.pointer_mut(&pointer) {
            let component = format!("#/components/schemas/{}", document_type.component_name());
            content["schema"] = json!({"$ref": component});
        }
    }
    let names: Vec<&str> = DocumentType::ALL
        .iter()
        .map(|d| d.component_name())
        .collect();
    if let Some(body) = doc.pointer_mut("/paths/~1v1~1search~1registrations/post/requestBody") {
        body["content"]["application/json"] =
            json!({"schema": {"$ref": "#/components/schemas/PersonSearch"}});
        body["required"] = json!(true);
        doc["components"]["schemas"]["PersonSearch"] =
            super::handlers::registration_search::person_search_schema();
    }
    handoff_request_cases(doc);
    meeting_record_body(doc);
    consent_body(doc);
    if let Some(body) = doc.pointer_mut("/paths/~1v1~1validate~1{document_type}/post/requestBody") {
        // An object: what client generators can type. Any other JSON value is reported on
        // too (`KY-DOC-NOT-OBJECT`).
        body["content"]["application/json"] = json!({"schema": {"type": "object", "description": format!(
            "A document to check, valid or not. The valid ones are {}. Any other JSON value (not an object) is reported on too, as KY-DOC-NOT-OBJECT.",
            names.join(", ")
        )}});
        body["content"]["application/xml"] = xml();
        body["required"] = json!(true);
    }
    batch_bodies(doc);
    if let Some(ok) =
        doc.pointer_mut("/paths/~1v1~1validate~1{document_type}/post/responses/200/content")
    {
        ok["application/fhir+json"] = json!({"schema": {"type": "object", "description": "FHIR R4 OperationOutcome (with ?format=operation-outcome)"}});
    }
}

/// The query parameters whose values [`declare_parameter_values`] declares: operation path,
/// parameter name, and the schema keywords of its values.
fn parameter_values() -> [(&'static str, &'static str, Value); 14] {
    use super::handlers::handoff_list::STATUSES as HANDOFF_STATUSES;
    let contracts = Contracts::get();
    let codes = |list: &str| -> Vec<Value> { contracts.codes(list).into_iter().cloned().collect() };
    let one_of = |values: &[&str]| json!({"enum": values});
    let code = |list: &str| json!({"enum": codes(list)});
    // Blanks around a code are ignored, as the handler trims them.
    let code_csv = |list: &str| {
        let one = codes(list)
            .iter()
            .filter_map(Value::as_str)
            .map(regex_escape)
            .collect::<Vec<_>>()
            .join("|");
        json!({"pattern": format!(r"^\s*({one})\s*(,\s*({one})\s*)*$")})
    };
    [
        (
            "/v1/registrations",
            "status",
            one_of(&["active", "consent_withdrawn"]),
        ),
        (
            "/v1/registrations/{id}/candidates",
            "situation",
            code("registration_reasons"),
        ),
        (
            "/v1/registrations/{id}/candidates",
            "urgency",
            code("urgencies"),
        ),
        (
            "/v1/registrations/{id}/candidates",
            "service_type",
            code("service_types"),
        ),
        (
            "/v1/intakes/{id}/candidates",
            "service_type",
            code("service_types"),
        ),
        ("/v1/facilities", "service_type", code("service_types")),
        ("/v1/facilities", "variant", code("short_stay_variants")),
        ("/v1/facilities", "target", code("facility_targets")),
        ("/v1/facilities", "hub_function", code("hub_functions")),
        (
            "/v1/facilities",
            "medical_care",
            code_csv("medical_care_codes"),
        ),
        ("/v1/facilities", "survey_group", code_csv("survey_groups")),
        ("/v1/handoffs", "direction", one_of(&["sent", "received"])),
        ("/v1/handoffs", "status", one_of(&HANDOFF_STATUSES)),
        (
            "/v1/keys",
            "alg",
            one_of(&["ES256", "Ed25519", "EdDSA", "PS256", "RS256"]),
        ),
    ]
}

/// The values a query parameter takes, where the handler accepts only some (anything else is
/// 400): code lists from the contracts, fixed sets, comma-separated code lists. Merged into the
/// schema the handler's annotation declares, keyed by operation path and parameter name.
fn declare_parameter_values(doc: &mut Value) {
    let codes =
        |list: &str| -> Vec<Value> { Contracts::get().codes(list).into_iter().cloned().collect() };
    for (path, name, values) in parameter_values() {
        let params = doc
            .pointer_mut(&format!("/paths/{}", path.replace('/', "~1")))
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|item| item.values_mut())
            .filter_map(|op| op.get_mut("parameters").and_then(Value::as_array_mut))
            .flatten();
        for param in params.filter(|p| p["in"] == "query" && p["name"] == name) {
            if let (Some(schema), Some(values)) =
                (param["schema"].as_object_mut(), values.as_object())
            {
                schema.extend(values.clone());
            }
        }
    }
    // The vacancy update names a service by its type code (and short-stay variant).
    if let Some(service_type) =
        doc.pointer_mut("/components/schemas/ServiceVacancy/properties/service_type")
    {
        service_type["enum"] = json!(codes("service_types"));
    }
    if let Some(variant) = doc.pointer_mut("/components/schemas/ServiceVacancy/properties/variant")
    {
        let mut values = codes("short_stay_variants");
        values.push(Value::Null);
        variant["enum"] = json!(values);
    }
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\^$.|?*+()[]{}".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// Every operation can answer with a problem+json for errors it does not list specifically
/// (405, 413, 431 …).
fn declare_problem_default(doc: &mut Value) {
    for op in operations_mut(doc) {
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            responses.entry("default").or_insert_with(|| {
                json!({"description": "Any other error, as RFC 9457 problem details",
                       "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
            });
        }
    }
}

/// A batch is text, one document per line; so is its answer, one `BatchLine` per line.
fn batch_bodies(doc: &mut Value) {
    if let Some(body) =
        doc.pointer_mut("/paths/~1v1~1validate~1{document_type}~1batch/post/requestBody")
    {
        body["content"]["application/x-ndjson"] =
            json!({"schema": {"type": "string", "description": "One JSON document per line"}});
        body["required"] = json!(true);
    }
    // The answer is a sequence of lines, each a `BatchLine`; a schema describes the whole body,
    // which is text. `x-itemSchema` names each line's schema, as OpenAPI 3.2's `itemSchema`.
    if let Some(ok) = doc.pointer_mut(
        "/paths/~1v1~1validate~1{document_type}~1batch/post/responses/200/content/application~1x-ndjson",
    ) {
        *ok = json!({
            "schema": {"type": "string", "description": "One JSON object per line, each a BatchLine"},
            "x-itemSchema": {"$ref": "#/components/schemas/BatchLine"},
        });
    }
}

/// A packet is built from a registration or from an intake (for an acceptance only), never
/// both; an acceptance names what is asked (and, from a registration, the situation), a
/// normal-time sharing packet neither: what the request parser accepts, said in the schema.
fn handoff_request_cases(doc: &mut Value) {
    if let Some(schema) = doc.pointer_mut("/components/schemas/HandoffCreateRequest") {
        // The situation and the request have the handoff document's own shapes.
        for member in ["situation", "request"] {
            schema["properties"][member] = json!({
                "$ref": format!("#/components/schemas/Handoff/$defs/{member}"),
                "description": schema["properties"][member]["description"].clone(),
            });
        }
        let acceptance = json!({"purpose": {"const": "emergency_acceptance"}});
        schema["oneOf"] = json!([
            {"required": ["purpose", "registration_id", "situation", "request"], "properties": acceptance},
            {"required": ["purpose", "intake_id", "request"], "properties": acceptance},
            {"required": ["purpose", "registration_id"],
             "properties": {"purpose": {"const": "emergency_preparation"}, "situation": {"not": {}}, "request": {"not": {}}}},
        ]);
    }
}

/// A new consent (同意の再取得) is the registration's `consent`, without `withdrawn_on`.
fn consent_body(doc: &mut Value) {
    let pointer =
        "/paths/~1v1~1registrations~1{id}~1consent/post/requestBody/content/application~1json";
    if let Some(content) = doc.pointer_mut(pointer) {
        content["schema"] = json!({
            "allOf": [{"$ref": "#/components/schemas/Registration/$defs/consent"}],
            // `{"not": {}}` rather than `false`: some generators read no boolean schema.
            "properties": {"withdrawn_on": {"not": {}, "description": "Not allowed: a new consent is never withdrawn."}},
        });
    }
}

/// A meeting's body is the hand-written `MeetingRecord` (its codes are the code lists').
fn meeting_record_body(doc: &mut Value) {
    if let Some(body) =
        doc.pointer_mut("/paths/~1v1~1registrations~1{id}~1meetings/post/requestBody")
    {
        body["content"]["application/json"] =
            json!({"schema": {"$ref": "#/components/schemas/MeetingRecord"}});
        body["required"] = json!(true);
        doc["components"]["schemas"]["MeetingRecord"] =
            super::handlers::meeting_create::meeting_record_schema();
    }
}

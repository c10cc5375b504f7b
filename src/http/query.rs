//! What list endpoints share: a page size, keyset pages (`after` / `next_after`) and times in
//! query parameters.
use super::problem::ApiError;
use crate::validation::rules::parse_timestamp;
use chrono::NaiveDateTime;

/// The page size asked for (`limit`), within 1..=max; `default` when not given.
pub fn page_size(limit: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::InvalidParameter { name: "limit" })
    }
}

/// Cuts `rows` (fetched with one row more than the page size) to the page, and returns the key
/// of its last row when another page follows.
pub fn next_after<T>(
    rows: &mut Vec<T>,
    page_size: i64,
    key: impl Fn(&T) -> String,
) -> Option<String> {
    let page_size = page_size as usize;
    if rows.len() > page_size {
        rows.truncate(page_size);
        rows.last().map(key)
    } else {
        None
    }
}

/// An RFC 3339 time in the query parameter `name`, in UTC.
pub fn time(value: Option<&str>, name: &'static str) -> Result<Option<NaiveDateTime>, ApiError> {
    value
        .map(|s| {
            parse_timestamp(s)
                .map(|t| t.naive_utc())
                .ok_or(ApiError::InvalidParameter { name })
        })
        .transpose()
}

/// Schemas of query parameters, for `#[param(schema_with = …)]`: what the handlers accept,
/// declared, so that clients (and Schemathesis) know a value before the server refuses it.
pub mod schema {
    use crate::contracts::Contracts;
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    use utoipa::openapi::Object;

    fn string() -> ObjectBuilder {
        ObjectBuilder::new().schema_type(Type::String)
    }

    fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Object {
        string()
            .enum_values(Some(values.into_iter().collect::<Vec<_>>()))
            .build()
    }

    fn codes(list: &str) -> Vec<&'static str> {
        Contracts::get()
            .codes(list)
            .into_iter()
            .filter_map(|c| c.as_str())
            .collect()
    }

    /// A code of the code list `list`.
    fn code(list: &str) -> Object {
        one_of(codes(list))
    }

    /// Codes of the code list `list`, comma-separated (blanks around a code are ignored).
    fn code_csv(list: &str) -> Object {
        let one = codes(list)
            .iter()
            .map(|c| regex_escape(c))
            .collect::<Vec<_>>()
            .join("|");
        string()
            .pattern(Some(format!(r"^\s*({one})\s*(,\s*({one})\s*)*$")))
            .build()
    }

    fn regex_escape(s: &str) -> String {
        s.chars()
            .flat_map(|c| {
                let special = "\\^$.|?*+()[]{}".contains(c);
                special.then_some('\\').into_iter().chain([c])
            })
            .collect()
    }

    /// An RFC 3339 time with offset.
    pub fn date_time() -> Object {
        string()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .build()
    }

    pub fn service_type() -> Object {
        code("service_types")
    }

    pub fn short_stay_variant() -> Object {
        code("short_stay_variants")
    }

    pub fn facility_target() -> Object {
        code("facility_targets")
    }

    pub fn hub_function() -> Object {
        code("hub_functions")
    }

    pub fn registration_reason() -> Object {
        code("registration_reasons")
    }

    pub fn medical_care_codes() -> Object {
        code_csv("medical_care_codes")
    }

    pub fn survey_groups() -> Object {
        code_csv("survey_groups")
    }

    pub fn registration_status() -> Object {
        one_of(["active", "consent_withdrawn"])
    }

    pub fn handoff_direction() -> Object {
        one_of(["sent", "received"])
    }

    pub fn handoff_status() -> Object {
        one_of(crate::http::handlers::handoff_list::STATUSES)
    }

    pub fn key_alg() -> Object {
        one_of(["ES256", "Ed25519", "EdDSA", "PS256", "RS256"])
    }
}

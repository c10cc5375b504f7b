//! What list endpoints share: a page size, keyset pages (`after` / `next_after`) and times in
//! query parameters.
use crate::problem::ApiError;
use crate::store::PageRequest;
use crate::time::parse_timestamp;
use chrono::{NaiveDate, NaiveDateTime};

/// The page size asked for (`limit`), within 1..=max; `default` when not given.
fn page_size(limit: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::InvalidParameter { name: "limit" })
    }
}

/// The page asked for: `after` (the `next_after` of the previous page) and `limit` rows,
/// within 1..=max, `default` when not given.
pub fn page(
    after: Option<String>,
    limit: Option<i64>,
    default: i64,
    max: i64,
) -> Result<PageRequest, ApiError> {
    Ok(PageRequest::new(after, page_size(limit, default, max)?))
}

/// A date query parameter (`YYYY-MM-DD`); a value that is not one is `invalid-query` naming it.
pub fn date(value: Option<&str>, name: &'static str) -> Result<Option<NaiveDate>, ApiError> {
    value
        .map(|v| crate::time::parse_date(v).ok_or(ApiError::InvalidParameter { name }))
        .transpose()
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

/// The query string as `T`, like actix's `web::Query`, except that a refusal names the
/// parameter (`invalid-query` with a `parameter` member): an unknown one, or the one whose
/// value does not fit. (actix's own extractor reports only serde's message, which for a bad
/// value does not say which parameter it was.)
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned> actix_web::FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string into `T`; a refusal names the parameter when it can be told.
pub fn parse_query<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = form_urlencoded::parse(query.as_bytes());
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs)).map_err(|e| {
        let message = e.inner().to_string();
        // serde names an unknown field in its message; a bad value sits at the path.
        let unknown = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned);
        let at = e.path().iter().next().map(|segment| segment.to_string());
        match unknown
            .or(at)
            .filter(|name| !name.is_empty() && name != "?")
        {
            Some(name) => ApiError::InvalidQueryParameter { name },
            None => ApiError::InvalidQuery,
        }
    })
}

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

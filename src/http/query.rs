//! What list endpoints share: a page size, keyset pages (`after` / `next_after`) and times in
//! query parameters.
use crate::problem::ApiError;
use crate::time::parse_timestamp;
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

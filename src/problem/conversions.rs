//! The conversions of lower layers' errors into the one error enum: what each becomes for the
//! caller.
use super::*;

impl From<JsonError> for ApiError {
    fn from(e: JsonError) -> Self {
        ApiError::Json(e)
    }
}

impl From<XmlError> for ApiError {
    fn from(e: XmlError) -> Self {
        ApiError::Xml(e)
    }
}

impl From<crate::packet::check::Failure> for ApiError {
    fn from(f: crate::packet::check::Failure) -> Self {
        use crate::packet::check::Failure;
        match f {
            Failure::KeyNotCallers | Failure::SenderMismatch => ApiError::SenderMismatch,
            Failure::Expired => ApiError::PacketExpired,
            Failure::UnknownRecipient => ApiError::UnknownRecipient,
            Failure::ConsentWithdrawn => ApiError::ConsentWithdrawn,
            Failure::BreakGlassNotAllowed => ApiError::BreakGlassNotAllowed,
            Failure::CategoryNotPermitted(category) => ApiError::category_not_permitted(category),
            other => ApiError::PacketRefused(other),
        }
    }
}

impl ApiError {
    /// A store error where contention over one registration is expected (a change
    /// notification, a handoff): a transient one is answered `registration-busy` (503 with
    /// `Retry-After`), any other is internal.
    pub fn contended(e: StoreError) -> ApiError {
        if e.is_transient() {
            ApiError::RegistrationBusy
        } else {
            e.into()
        }
    }
}

impl From<crate::validation::input::InputError> for ApiError {
    fn from(e: crate::validation::input::InputError) -> Self {
        match e {
            crate::validation::input::InputError::Json(j) => ApiError::Json(j),
            crate::validation::input::InputError::Xml(x) => ApiError::Xml(x),
        }
    }
}

/// A transient store error (the database momentarily busy) is `busy`, 503 with `Retry-After`:
/// the request may be sent again and nothing was stored; any other is internal.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            // A query that expects its row found none: the thing the request names is not
            // there (answered like any other unknown id, not as a server failure).
            StoreError::Query(diesel::result::Error::NotFound) => ApiError::NotFound,
            // A unique key another request took at the same moment: the write was rolled
            // back; the caller reads again rather than meeting a server failure.
            StoreError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => ApiError::Conflict,
            // A NUL character that reached PostgreSQL despite the checks at the door (the URL,
            // request bodies): it cannot hold one in text. The caller's error, said as such.
            StoreError::Query(diesel::result::Error::DatabaseError(_, ref info))
                if info.message().contains("0x00") =>
            {
                ApiError::NulCharacter
            }
            e if e.is_transient() => ApiError::Busy,
            e => ApiError::Internal(anyhow::Error::new(e)),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::Query(e).into()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::anyhow!("a blocking task failed: {e}"))
    }
}

//! Reviews of registrations (見直し): the responsible office, the kikan or a hub records that a
//! registration was reviewed and needs no change (a change notification is a review itself);
//! lists of the reviews due come from the registration list (`review_due_by`).
use crate::domain::ids::RegistrationId;
use crate::problem::ApiError;
use crate::store::organizations::Organization;
use crate::store::registrations::{self, Reviewed};
use crate::store::Store;
use serde::Serialize;
use utoipa::ToSchema;

/// A registration's review dates after a review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDates {
    pub registration_id: String,
    /// The registration's version, unchanged by a review.
    pub version: i32,
    /// The day (in Japan) of this review.
    #[schema(format = Date)]
    pub reviewed_on: Option<String>,
    /// When the next review is due: the review plus the municipality's interval (12 months
    /// unless the municipality set another).
    #[schema(format = Date)]
    pub review_due: Option<String>,
}

/// Records today's review of registration `id` by `caller`.
pub fn review(
    store: &Store,
    caller: &Organization,
    id: &RegistrationId,
) -> Result<ReviewDates, ApiError> {
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    match store.write(move |conn| registrations::review(conn, &caller, &id))? {
        Reviewed::Done(row) => Ok(ReviewDates {
            registration_id: row.id.to_string(),
            version: row.version,
            reviewed_on: row.reviewed_on.map(|d| d.to_string()),
            review_due: row.review_due.map(|d| d.to_string()),
        }),
        Reviewed::NotFound => Err(ApiError::NotFound),
        Reviewed::Forbidden => Err(ApiError::Forbidden),
        Reviewed::Withdrawn => Err(ApiError::ConsentWithdrawn),
    }
}

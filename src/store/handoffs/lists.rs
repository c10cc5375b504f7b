//! Lists of handoffs: a page of those the caller may see, and the acceptance requests of one
//! person (for matching's decline → re-route).
use super::Handoff;
use crate::store::organizations::Organization;
use crate::store::schema::handoffs;
use crate::store::{DbConnection, Page, PageRequest, StoreError};
use crate::time::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Conditions of a handoff list.
#[derive(Debug, Clone, Default)]
pub struct HandoffFilter {
    /// Only handoffs the caller sent (`sent`) or is the recipient of (`received`).
    pub direction: Option<String>,
    pub status: Option<String>,
    pub registration_id: Option<String>,
    pub intake_id: Option<String>,
}

/// A page of the handoffs the caller may see, oldest first, as stored (the caller derives
/// expiry). `None` when the page continues after a handoff that does not exist.
pub fn list(
    conn: &mut DbConnection,
    caller: &Organization,
    filter: &HandoffFilter,
    page: &PageRequest,
) -> Result<Option<Page<Handoff>>, StoreError> {
    let Some(mut q) =
        crate::store::paging::page_in_time_order!(conn, handoffs, Handoff, created_at, page)
    else {
        return Ok(None);
    };
    let coordinator = caller.coordinates();
    match filter.direction.as_deref() {
        Some("sent") => q = q.filter(handoffs::sender_id.eq(caller.id.to_string())),
        Some("received") => q = q.filter(handoffs::recipient_id.eq(caller.id.to_string())),
        _ if !coordinator => {
            q = q.filter(
                handoffs::sender_id
                    .eq(caller.id.to_string())
                    .or(handoffs::recipient_id.eq(caller.id.to_string())),
            )
        }
        _ => {
            // A coordinator sees every handoff about the people of its municipal scope.
            if let Some((whole, wards)) = caller.scope().for_query() {
                q = q.filter(crate::store::scoping::handoff_within!(&whole, &wards));
            }
        }
    }
    if let Some(r) = &filter.registration_id {
        q = q.filter(handoffs::registration_id.eq(r.clone()));
    }
    if let Some(i) = &filter.intake_id {
        q = q.filter(handoffs::intake_id.eq(i.clone()));
    }
    if let Some(s) = &filter.status {
        // Expiry is derived: `expired` and the states it hides are filtered by time.
        let at = now();
        q = match s.as_str() {
            "expired" => q
                .filter(handoffs::status.eq_any(["requested", "received"]))
                .filter(handoffs::expires_at.le(at)),
            "requested" | "received" => q
                .filter(handoffs::status.eq(s.clone()))
                .filter(handoffs::expires_at.gt(at)),
            _ => q.filter(handoffs::status.eq(s.clone())),
        };
    }
    let rows = q.load(conn)?;
    Ok(Some(Page::cut(rows, page, |h| h.id.to_string())))
}

/// The packets asking for the acceptance of one person (a registration's or an intake's id)
/// sent since `since`, oldest first: recipient, stored status and expiry.
pub fn acceptance_requests(
    conn: &mut DbConnection,
    case_id: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
    handoffs::table
        .filter(
            handoffs::registration_id
                .eq(case_id)
                .or(handoffs::intake_id.eq(case_id)),
        )
        .filter(handoffs::purpose.eq("emergency_acceptance"))
        .filter(handoffs::created_at.ge(since))
        .order((handoffs::created_at, handoffs::id))
        .select((
            handoffs::recipient_id,
            handoffs::status,
            handoffs::expires_at,
        ))
        .load(conn)
}

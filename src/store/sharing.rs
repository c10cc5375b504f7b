//! Normal-time sharing (平時の情報共有): the shared copies of a registration still in force,
//! replacing one by the copy re-sent after the registration changed, revoking packets whose
//! consent ended, and the notices that tell their recipients (ids and codes only).
use super::audit::{self, Access, Action, Subject};
use super::handoffs::{self, Handoff, NewHandoff};
use super::organizations::Organization;
use super::schema::{handoffs as handoffs_table, notices};
use super::{DbConnection, Page, PageRequest, StoreError};
use crate::contracts::text_enum::text_enum;
use crate::domain::handoff::{Purpose, Status};
use crate::domain::ids::{time_ordered_id, HandoffId, OrganizationId};
use crate::time::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;

text_enum! {
    /// What a notice tells its organization.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum NoticeKind {
        /// A shared copy addressed to it was replaced by a re-sent one (`replaced_by`).
        HandoffSuperseded = "handoff_superseded",
        /// A packet addressed to it was revoked with the consent it rested on: delete the copy.
        HandoffRevoked = "handoff_revoked",
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = notices)]
pub struct Notice {
    pub id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub organization_id: OrganizationId,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: NoticeKind,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub handoff_id: HandoffId,
    pub replaced_by: Option<String>,
    pub created_at: NaiveDateTime,
}

fn notify(
    conn: &mut DbConnection,
    h: &Handoff,
    kind: NoticeKind,
    replaced_by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(notices::table)
        .values(Notice {
            id: time_ordered_id("ntc_", 6),
            organization_id: h.recipient_id.clone(),
            kind,
            handoff_id: h.id.clone(),
            replaced_by: replaced_by.map(str::to_owned),
            created_at: at,
        })
        .execute(conn)
        .map(drop)
}

/// The open consent-based packets on registration `id` (oldest first): every state that is
/// not final, whatever the purpose.
pub fn open_on(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<Handoff>> {
    handoffs_table::table
        .filter(handoffs_table::registration_id.eq(id))
        .filter(handoffs_table::legal_basis.eq("consent"))
        .filter(handoffs_table::status.eq_any(["requested", "received", "accepted", "admitted"]))
        .order((handoffs_table::created_at, handoffs_table::id))
        .select(Handoff::as_select())
        .load(conn)
}

/// The shared copies of registration `id` in force: normal-time sharing packets on the
/// consent basis, not answered with a final state, and (before their acknowledgement) not
/// expired.
pub fn in_force(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<Handoff>> {
    let at = now();
    Ok(open_on(conn, id)?
        .into_iter()
        .filter(|h| h.purpose_code() == Purpose::EmergencyPreparation)
        .filter(|h| h.status_at(at).is_open())
        .collect())
}

/// Sets `h`'s state to `to` (one conditional UPDATE, as a response does); `false` when the
/// handoff changed in between.
fn set_status(
    conn: &mut DbConnection,
    h: &Handoff,
    to: Status,
    superseded_by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        handoffs_table::table
            .filter(handoffs_table::id.eq(h.id.as_str()))
            .filter(handoffs_table::version.eq(h.version)),
    )
    .set((
        handoffs_table::status.eq(to.as_str()),
        handoffs_table::version.eq(h.version + 1),
        handoffs_table::updated_at.eq(at),
        handoffs_table::superseded_by.eq(superseded_by),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Stores `new`, the copy of `old` re-sent by its sender after the registration changed, and
/// marks `old` superseded by it, telling the recipient. `false` (nothing written) when `old`
/// changed in between.
pub fn supersede(
    conn: &mut DbConnection,
    sender: &Organization,
    old: &Handoff,
    new: &NewHandoff,
) -> Result<bool, StoreError> {
    let at = now();
    let new_id = new.handoff().id.as_str();
    if !set_status(conn, old, Status::Superseded, Some(new_id), at)? {
        return Ok(false);
    }
    handoffs::insert(conn, sender, new)?;
    notify(conn, old, NoticeKind::HandoffSuperseded, Some(new_id), at)?;
    Ok(true)
}

/// Revokes `h` because of `by`'s act (a consent withdrawn, or a new consent that no longer
/// permits it), telling the recipient; recorded in the access log without categories.
pub fn revoke(conn: &mut DbConnection, by: &str, h: &Handoff) -> Result<bool, StoreError> {
    let at = now();
    if !set_status(conn, h, Status::Revoked, None, at)? {
        return Ok(false);
    }
    notify(conn, h, NoticeKind::HandoffRevoked, None, at)?;
    audit::record(
        conn,
        Access {
            by,
            action: Action::Revoke,
            subject: Subject::Handoff(h.id.as_str()),
            categories: "",
            purpose: &h.purpose,
        },
    )?;
    Ok(true)
}

/// A page of the notices addressed to `caller` (about `handoff_id` only, if given), oldest
/// first. `None` when the page continues
/// after a notice that does not exist.
pub fn notices_for(
    conn: &mut DbConnection,
    caller: &Organization,
    handoff_id: Option<&str>,
    page: &PageRequest,
) -> Result<Option<Page<Notice>>, StoreError> {
    let Some(mut q) = super::paging::page_in_time_order!(conn, notices, Notice, created_at, page)
    else {
        return Ok(None);
    };
    q = q.filter(notices::organization_id.eq(caller.id.to_string()));
    if let Some(h) = handoff_id {
        q = q.filter(notices::handoff_id.eq(h.to_owned()));
    }
    let rows = q.load(conn)?;
    Ok(Some(Page::cut(rows, page, |n| n.id.clone())))
}

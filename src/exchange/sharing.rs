//! Normal-time sharing (平時の情報共有, Matsue 別紙2-1) after the registration moves on: each
//! shared copy in force is re-sent composed from the registration's new version (a 変更届 or a
//! new consent), superseding the old one, or revoked when the consent no longer permits it;
//! a withdrawal revokes what rested on the consent. Each runs in the transaction of the change
//! that caused it: the registration never changes without its shared copies following.
use super::handoffs::{prepared, valid, Ready};
use crate::domain::handoff::Status;
use crate::domain::handoff::{self, Basis, Case, ComposeError, Composition, Party, Purpose};
use crate::domain::policy::Source;
use crate::problem::ApiError;
use crate::store::handoffs::{Handoff, NewHandoff};
use crate::store::keys::KeyRing;
use crate::store::organizations::{self, Organization};
use crate::store::registrations::{self, Registration};
use crate::store::sharing;
use crate::store::{categories_of, parse_stored, DbConnection, StoreError};
use crate::time::jst;
use crate::validation::{Engine, Lang};
use chrono::{SecondsFormat, Utc};
use serde_json::Value;
use std::collections::BTreeSet;

/// A failure to compose or sign a copy that the registration's own checks let through: the
/// change is rolled back rather than leave a recipient with a stale copy.
fn failed(e: ApiError) -> StoreError {
    StoreError::Write(format!("re-sending a shared copy failed: {e:?}"))
}

/// After registration `row` changed by `by`'s act: every shared copy in force is re-sent from
/// the new version with the same choice of categories (as far as the consent still permits
/// them), superseding the old one; a copy the consent no longer permits is revoked.
pub fn follow_change(
    conn: &mut DbConnection,
    ring: &KeyRing,
    by: &Organization,
    row: &Registration,
) -> Result<(), StoreError> {
    if row.status == registrations::WITHDRAWN {
        // A change notification that records the withdrawal is a withdrawal.
        return follow_withdrawal(conn, by, row.id.as_str());
    }
    let shares = sharing::in_force(conn, row.id.as_str())?;
    if shares.is_empty() {
        return Ok(());
    }
    let document = parse_stored(&row.document)?;
    for old in shares {
        match resent(conn, ring, &document, row, &old)? {
            Some((sender, new)) => sharing::supersede(conn, &sender, &old, &new)?,
            None => sharing::revoke(conn, by.id.as_str(), &old)?,
        };
    }
    Ok(())
}

/// After the consent of registration `id` was withdrawn by `by`: every shared copy, and every
/// acceptance request not yet accepted, is revoked and its recipient told. An acceptance
/// already accepted (the person may be staying) keeps its state; its packet is withheld from
/// then on like every packet on the ended consent.
pub fn follow_withdrawal(
    conn: &mut DbConnection,
    by: &Organization,
    id: &str,
) -> Result<(), StoreError> {
    for h in sharing::open_on(conn, id)? {
        let unaccepted = matches!(h.stored_status(), Status::Requested | Status::Received);
        if h.purpose_code() == Purpose::EmergencyPreparation || unaccepted {
            sharing::revoke(conn, by.id.as_str(), &h)?;
        }
    }
    Ok(())
}

/// The copy of `old` composed from the registration's new version `document` and signed,
/// with its sender; `None` when the consent permits none of it any more (or the sender or
/// recipient left the exchange).
fn resent(
    conn: &mut DbConnection,
    ring: &KeyRing,
    document: &Value,
    row: &Registration,
    old: &Handoff,
) -> Result<Option<(Organization, NewHandoff)>, StoreError> {
    let sender = organizations::get(conn, old.sender_id.as_str())?;
    let recipient = organizations::get(conn, old.recipient_id.as_str())?;
    let (Some(sender), Some(recipient)) = (sender, recipient) else {
        return Ok(None);
    };
    let recipient_party = Party {
        organization_id: recipient.id.as_str(),
        role: recipient.role.as_str(),
    };
    let policy = &Engine::get().policy;
    let allowed = match handoff::allowed_categories(
        policy,
        (Source::Registration, document),
        sender.role.as_str(),
        recipient_party,
        old.purpose.as_str(),
        Basis::Consent,
    ) {
        Ok(allowed) => allowed,
        Err(_) => return Ok(None),
    };
    // The sender's choice, as far as the consent still permits it.
    let only: Option<BTreeSet<String>> = old.requested_categories.as_deref().map(|chosen| {
        categories_of(chosen)
            .into_iter()
            .filter(|c| allowed.contains(c))
            .collect()
    });
    if only.as_ref().is_some_and(BTreeSet::is_empty) {
        return Ok(None);
    }
    let issued = Utc::now().with_timezone(&jst());
    let expires = issued + Purpose::EmergencyPreparation.default_lifetime();
    let handoff_id = handoff::new_id();
    let composition = Composition {
        handoff_id: &handoff_id,
        case: Case::Registration {
            id: row.id.as_str(),
            version: row.version,
        },
        source: document,
        sender: Party {
            organization_id: sender.id.as_str(),
            role: sender.role.as_str(),
        },
        recipient: recipient_party,
        purpose: old.purpose.as_str(),
        situation: None,
        request: None,
        supersedes: Some(old.id.as_str()),
        issued_at: &issued.to_rfc3339_opts(SecondsFormat::Secs, false),
        expires_at: &expires.to_rfc3339_opts(SecondsFormat::Secs, false),
        basis: Basis::Consent,
        only: only.as_ref(),
    };
    let packet = match handoff::compose(policy, &composition) {
        Ok(packet) => packet,
        Err(ComposeError::NothingPermitted | ComposeError::ConsentWithdrawn) => return Ok(None),
        Err(e) => return Err(failed(e.into())),
    };
    valid(Lang::En, &packet).map_err(failed)?;
    // The sender's own choice is kept, so that a consent permitting more again restores it.
    let chosen = old
        .requested_categories
        .as_deref()
        .map(|chosen| categories_of(chosen).into_iter().collect());
    let ready = Ready::composed(packet, row.version, chosen);
    let new = prepared(ring, &sender, ready).map_err(failed)?;
    Ok(Some((sender, new)))
}

/// A page of the notices addressed to `caller` (about `handoff_id` only, if given), oldest
/// first.
pub fn notices(
    store: &crate::store::Store,
    caller: &Organization,
    handoff_id: Option<&str>,
    page: &crate::store::PageRequest,
) -> Result<crate::store::Page<sharing::Notice>, ApiError> {
    sharing::notices_for(&mut *store.conn()?, caller, handoff_id, page)?
        .ok_or(ApiError::InvalidParameter { name: "after" })
}

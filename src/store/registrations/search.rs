//! Finding registrations during an emergency call: each registration's search keys
//! (`domain::search_keys`), written with every version, and the lookup by reading or name
//! (a prefix), birth date and phone.
use super::*;
use crate::domain::search_keys::{keys_of, KeyKind};
use crate::store::schema::registration_search_keys as search_keys;

/// Writes the search keys of registration `id` from `document`, its current version, in the
/// caller's transaction: from what may be read of it, so a withdrawn one keeps only its
/// identity keys.
pub(super) fn index(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    document: &str,
) -> QueryResult<()> {
    let document: Value = serde_json::from_str(document)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    let readable = if status == RegistrationStatus::ConsentWithdrawn.as_str() {
        consent::after_withdrawal(&document)
    } else {
        document
    };
    diesel::delete(search_keys::table.filter(search_keys::registration_id.eq(id))).execute(conn)?;
    // One row at a time: a handful per registration, and one statement shape on both backends.
    for (kind, key) in keys_of(&readable) {
        diesel::insert_into(search_keys::table)
            .values((
                search_keys::kind.eq(kind.as_str()),
                search_keys::key.eq(key),
                search_keys::registration_id.eq(id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Gives the registrations stored before search keys existed their keys (at start-up), a
/// batch per transaction; returns how many were indexed.
pub fn index_unindexed(conn: &mut DbConnection) -> Result<usize, StoreError> {
    let mut indexed = 0;
    loop {
        let batch: Vec<(String, String, String)> = registrations::table
            .filter(diesel::dsl::not(diesel::dsl::exists(
                search_keys::table.filter(search_keys::registration_id.eq(registrations::id)),
            )))
            .select((
                registrations::id,
                registrations::status,
                registrations::document,
            ))
            .order(registrations::id)
            .limit(500)
            .load(conn)?;
        if batch.is_empty() {
            return Ok(indexed);
        }
        indexed += batch.len();
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            batch
                .iter()
                .try_for_each(|(id, status, document)| index(conn, id, status, document))
        })?;
    }
}

/// What a search asks for; every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct Criteria {
    /// A folded reading ([`KeyKind::Kana`]) or name ([`KeyKind::Name`]) the registration's
    /// begins with (family name first).
    pub name: Option<(KeyKind, String)>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// The digits of a phone number of the person or of one of its emergency contacts.
    pub phone: Option<String>,
    /// Only the registrations this organization took.
    pub received_by: Option<String>,
}

/// A registration a search found, as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = registrations)]
pub struct Found {
    pub id: String,
    pub version: i32,
    pub status: String,
    pub ward: Option<String>,
    pub municipality_code: String,
    pub received_by: String,
    pub document: String,
}

/// The registrations matching `criteria`, by id, at most `limit` + 1 (so the caller knows
/// whether there were more); each one found, or the search when none was, is recorded as
/// `caller`'s with `purpose`.
pub fn search(
    conn: &mut DbConnection,
    caller: &OrganizationId,
    criteria: &Criteria,
    limit: i64,
    purpose: &str,
) -> Result<Vec<Found>, StoreError> {
    let mut q = registrations::table
        .select(Found::as_select())
        .order(registrations::id)
        .limit(limit.saturating_add(1))
        .into_boxed::<<DbConnection as Connection>::Backend>();
    if let Some((kind, prefix)) = &criteria.name {
        // Every key that begins with `prefix` sorts at or after it and before `prefix`
        // followed by the last code point (keys compare by code point on both backends).
        let upper = format!("{prefix}\u{10FFFF}");
        q = q.filter(
            registrations::id.eq_any(
                search_keys::table
                    .filter(search_keys::kind.eq(kind.as_str()))
                    .filter(search_keys::key.ge(prefix.clone()))
                    .filter(search_keys::key.lt(upper))
                    .select(search_keys::registration_id),
            ),
        );
    }
    if let Some(date) = &criteria.birth_date {
        q = q.filter(
            registrations::id.eq_any(
                search_keys::table
                    .filter(search_keys::kind.eq(KeyKind::BirthDate.as_str()))
                    .filter(search_keys::key.eq(date.clone()))
                    .select(search_keys::registration_id),
            ),
        );
    }
    if let Some(phone) = &criteria.phone {
        q = q.filter(
            registrations::id.eq_any(
                search_keys::table
                    .filter(
                        search_keys::kind
                            .eq_any([KeyKind::Phone.as_str(), KeyKind::ContactPhone.as_str()]),
                    )
                    .filter(search_keys::key.eq(phone.clone()))
                    .select(search_keys::registration_id),
            ),
        );
    }
    if let Some(office) = &criteria.received_by {
        q = q.filter(registrations::received_by.eq(office.clone()));
    }
    conn.transaction(|conn| {
        let found: Vec<Found> = q.load(conn)?;
        let shown = found.iter().take(usize::try_from(limit).unwrap_or(0));
        let mut recorded = false;
        for f in shown {
            audit::record(
                conn,
                searched(caller, Subject::Registration(&f.id), purpose),
            )?;
            recorded = true;
        }
        if !recorded {
            audit::record(conn, searched(caller, Subject::Registrations, purpose))?;
        }
        Ok(found)
    })
}

/// The access record of a search: who it identified (its `identity`), or that it found none.
fn searched<'a>(caller: &'a OrganizationId, subject: Subject<'a>, purpose: &'a str) -> Access<'a> {
    Access {
        by: caller.as_str(),
        action: Action::Search,
        subject,
        categories: match subject {
            Subject::Registrations => "",
            _ => "identity",
        },
        purpose,
    }
}

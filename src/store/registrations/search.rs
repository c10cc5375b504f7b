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
    stored: Stored,
) -> QueryResult<()> {
    let document: Value = serde_json::from_str(document)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    let readable = if status == RegistrationStatus::ConsentWithdrawn.as_str() {
        consent::after_withdrawal(&document)
    } else {
        document
    };
    if stored == Stored::Before {
        diesel::delete(search_keys::table.filter(search_keys::registration_id.eq(id)))
            .execute(conn)?;
    }
    let rows: Vec<_> = keys_of(&readable)
        .into_iter()
        .map(|(kind, key)| {
            (
                search_keys::kind.eq(kind.as_str()),
                search_keys::key.eq(key),
                search_keys::registration_id.eq(id),
            )
        })
        .collect();
    match conn {
        // One statement for all the keys: on PostgreSQL each statement is a round trip
        // (diesel's MultiConnection has no multi-row insert, so the backend's own connection
        // writes it).
        DbConnection::Postgresql(pg) if !rows.is_empty() => {
            diesel::insert_into(search_keys::table)
                .values(rows)
                .execute(pg)?;
        }
        // SQLite, in process, inserts them one by one.
        _ => {
            for row in rows {
                diesel::insert_into(search_keys::table)
                    .values(row)
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// Whether the registration had search keys before this write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stored {
    /// A new registration: nothing to replace.
    New,
    /// A change: its earlier keys are replaced.
    Before,
}

/// Gives the registrations stored before search keys existed their keys (at start-up), a
/// batch per transaction; returns how many were indexed. The pass goes once through the
/// registrations in id order, each batch after the last one's id, so it reads every
/// registration once however many need keys (and ends even if one gives none).
pub fn index_unindexed(conn: &mut DbConnection) -> Result<usize, StoreError> {
    index_unindexed_by(conn, 500)
}

/// [`index_unindexed`] in batches of `batch` registrations.
pub fn index_unindexed_by(conn: &mut DbConnection, batch: i64) -> Result<usize, StoreError> {
    let mut indexed = 0;
    let mut after = String::new();
    loop {
        let rows: Vec<(String, String, String)> = registrations::table
            .filter(registrations::id.gt(&after))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                search_keys::table.filter(search_keys::registration_id.eq(registrations::id)),
            )))
            .select((
                registrations::id,
                registrations::status,
                registrations::document,
            ))
            .order(registrations::id)
            .limit(batch)
            .load(conn)?;
        let Some((last, _, _)) = rows.last() else {
            return Ok(indexed);
        };
        after = last.clone();
        indexed += rows.len();
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            rows.iter().try_for_each(|(id, status, document)| {
                index(conn, id, status, document, Stored::New)
            })
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
    /// Only the registrations this consultation office is responsible for.
    pub responsible_office: Option<String>,
    /// Only the people of these municipalities (the caller's municipal scope).
    pub scope: crate::domain::scope::Scope,
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

/// How many candidates the most selective condition may give before the others are checked;
/// beyond it the answer says there may be more (narrow the search).
const CANDIDATES: i64 = 1000;

/// One condition on a registration's search keys.
#[derive(Debug, Clone)]
enum Condition {
    /// A key of one of these kinds that begins with this.
    Prefix(&'static [KeyKind], String),
    /// A key of one of these kinds that is this.
    Exact(&'static [KeyKind], String),
}

impl Condition {
    fn kinds(&self) -> Vec<&'static str> {
        let (Condition::Prefix(kinds, _) | Condition::Exact(kinds, _)) = self;
        kinds.iter().map(|k| k.as_str()).collect()
    }

    fn holds(&self, kind: &str, key: &str) -> bool {
        match self {
            Condition::Prefix(kinds, p) => {
                kinds.iter().any(|k| k.as_str() == kind) && key.starts_with(p.as_str())
            }
            Condition::Exact(kinds, k) => kinds.iter().any(|x| x.as_str() == kind) && key == k,
        }
    }
}

/// What a search found: at most the `limit` asked for, and whether more matched (or may have).
#[derive(Debug, Clone, PartialEq)]
pub struct Searched {
    pub found: Vec<Found>,
    pub more: bool,
}

/// The registrations matching `criteria`, at most `limit`; each one shown, or the search when
/// none was, is recorded as `caller`'s with `purpose`.
///
/// The most selective condition finds the candidates through the key index — a phone, else a
/// birth date, else the name, whose prefix is one range of the index read in order — and the
/// other conditions are checked on the candidates' own keys, so a common family name narrowed
/// by a birth date never reads every namesake.
pub fn search(
    conn: &mut DbConnection,
    caller: &OrganizationId,
    criteria: &Criteria,
    limit: i64,
    purpose: &str,
) -> Result<Searched, StoreError> {
    let mut conditions = Vec::new();
    if let Some(phone) = &criteria.phone {
        const PHONES: &[KeyKind] = &[KeyKind::Phone, KeyKind::ContactPhone];
        conditions.push(Condition::Exact(PHONES, phone.clone()));
    }
    if let Some(date) = &criteria.birth_date {
        conditions.push(Condition::Exact(&[KeyKind::BirthDate], date.clone()));
    }
    if let Some((kind, prefix)) = &criteria.name {
        let kinds: &'static [KeyKind] = match kind {
            KeyKind::Kana => &[KeyKind::Kana],
            _ => &[KeyKind::Name],
        };
        conditions.push(Condition::Prefix(kinds, prefix.clone()));
    }
    let Some((driving, others)) = conditions.split_first() else {
        return Ok(Searched {
            found: Vec::new(),
            more: false,
        });
    };
    let cap = if others.is_empty() {
        limit.saturating_add(1)
    } else {
        CANDIDATES
    };
    conn.transaction(|conn| {
        let candidates = candidates(conn, driving, criteria, cap)?;
        let capped = i64::try_from(candidates.len()).unwrap_or(i64::MAX) >= cap;
        let mut ids = holding(conn, candidates, others)?;
        let shown = usize::try_from(limit).unwrap_or(0);
        let more = ids.len() > shown || (capped && !others.is_empty());
        ids.truncate(shown);
        let mut found: Vec<Found> = registrations::table
            .filter(registrations::id.eq_any(&ids))
            .select(Found::as_select())
            .load(conn)?;
        found.sort_by_key(|f| ids.iter().position(|id| *id == f.id));
        audit::record_all(
            conn,
            found
                .iter()
                .map(|f| searched(caller, Subject::Registration(&f.id), purpose))
                .collect(),
        )?;
        if found.is_empty() {
            audit::record(conn, searched(caller, Subject::Registrations, purpose))?;
        }
        Ok(Searched { found, more })
    })
}

/// The ids of the registrations whose keys meet `condition` (of the criteria's responsible
/// office, if any, and within their scope), in key order, at most `cap`, each once.
fn candidates(
    conn: &mut DbConnection,
    condition: &Condition,
    criteria: &Criteria,
    cap: i64,
) -> QueryResult<Vec<String>> {
    let mut q = search_keys::table
        .inner_join(registrations::table)
        .select(search_keys::registration_id)
        .filter(search_keys::kind.eq_any(condition.kinds()))
        .order((search_keys::key, search_keys::registration_id))
        .limit(cap)
        .into_boxed::<<DbConnection as Connection>::Backend>();
    q = match condition {
        Condition::Exact(_, key) => q.filter(search_keys::key.eq(key.clone())),
        Condition::Prefix(_, prefix) => {
            // Every key that begins with `prefix` sorts at or after it and before `prefix`
            // followed by the last code point (keys compare by code point on both backends).
            let upper = format!("{prefix}\u{10FFFF}");
            q.filter(search_keys::key.ge(prefix.clone()))
                .filter(search_keys::key.lt(upper))
        }
    };
    if let Some(office) = &criteria.responsible_office {
        q = q.filter(registrations::responsible_office.eq(office.to_owned()));
    }
    let q = crate::store::scoping::within_scope!(q, registrations, &criteria.scope);
    let mut ids: Vec<String> = q.load(conn)?;
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    Ok(ids)
}

/// Of `candidates`, in their order, those whose own keys meet every one of `conditions`.
fn holding(
    conn: &mut DbConnection,
    mut candidates: Vec<String>,
    conditions: &[Condition],
) -> QueryResult<Vec<String>> {
    if conditions.is_empty() || candidates.is_empty() {
        return Ok(candidates);
    }
    // All keys of the candidates (a handful each), through the index by registration: a
    // condition on the kind too would let the planner read every key of that kind instead.
    let keys: Vec<(String, String, String)> = search_keys::table
        .filter(search_keys::registration_id.eq_any(&candidates))
        .select((
            search_keys::registration_id,
            search_keys::kind,
            search_keys::key,
        ))
        .load(conn)?;
    candidates.retain(|id| {
        conditions.iter().all(|c| {
            keys.iter()
                .any(|(of, kind, key)| of == id && c.holds(kind, key))
        })
    });
    Ok(candidates)
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

//! Lists and reads of registrations for other use cases: the filtered list, matching, counts.
use super::*;

/// How many registrations an organization has taken.
pub fn count_received_by(
    conn: &mut DbConnection,
    organization_id: &str,
) -> Result<i64, StoreError> {
    Ok(registrations::table
        .filter(registrations::received_by.eq(organization_id))
        .count()
        .get_result(conn)?)
}

/// Conditions of a registration list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub ward: Option<String>,
    pub status: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    /// Only the registrations this consultation office is responsible for (its own).
    pub responsible_office: Option<String>,
    /// Only the registrations due for review on or before this day (overdue ones included).
    pub review_due_by: Option<chrono::NaiveDate>,
    /// Only the people of these municipalities (the caller's municipal scope).
    pub scope: crate::domain::scope::Scope,
}

/// A registration as a list shows it: no personal data beyond the ward.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = registrations)]
pub struct Summary {
    pub id: String,
    pub version: i32,
    pub status: String,
    pub ward: Option<String>,
    pub municipality_code: String,
    pub received_by: String,
    pub responsible_office: Option<String>,
    pub review_due: Option<chrono::NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A page of the registrations that match the filter, by id; the listing is recorded as
/// `caller`'s.
pub fn list(
    conn: &mut DbConnection,
    caller: &OrganizationId,
    filter: &ListFilter,
    page: &PageRequest,
) -> Result<Page<Summary>, StoreError> {
    let mut q = registrations::table
        .select(Summary::as_select())
        .order(registrations::id)
        .limit(page.fetch())
        .into_boxed::<<DbConnection as Connection>::Backend>();
    if let Some(o) = &filter.responsible_office {
        q = q.filter(registrations::responsible_office.eq(o.clone()));
    }
    if let Some(day) = filter.review_due_by {
        q = q.filter(registrations::review_due.le(day));
    }
    if let Some(w) = &filter.ward {
        q = q.filter(registrations::ward.eq(w.clone()));
    }
    if let Some(s) = &filter.status {
        q = q.filter(registrations::status.eq(s.clone()));
    }
    if let Some(t) = filter.updated_since {
        q = q.filter(registrations::updated_at.ge(t));
    }
    if let Some(a) = &page.after {
        q = q.filter(registrations::id.gt(a.clone()));
    }
    let q = crate::store::scoping::within_scope!(q, registrations, &filter.scope);
    conn.transaction(|conn| {
        let rows = q.load(conn)?;
        audit::record(
            conn,
            Access {
                by: caller.as_str(),
                action: Action::List,
                subject: Subject::Registrations,
                categories: "",
                purpose: "registration",
            },
        )?;
        Ok(Page::cut(rows, page, |r| r.id.clone()))
    })
}

/// Reads a registration for matching: the caller must be able to see it; the read of its
/// needs (care, medical, plan) is recorded with the purpose of emergency acceptance.
pub fn read_for_matching(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> Result<ForMatching, StoreError> {
    conn.transaction(|conn| {
        let Some(r) = visible(conn, caller, id)? else {
            return Ok(ForMatching::NotFound);
        };
        // Matching reads care and medical needs: not once the consent is withdrawn.
        if r.status == WITHDRAWN {
            return Ok(ForMatching::ConsentWithdrawn);
        }
        audit::record(
            conn,
            Access {
                by: caller.id.as_str(),
                action: Action::Match,
                subject: Subject::Registration(id),
                categories: "certificates,care_status,medical,emergency_plan",
                purpose: "emergency_acceptance",
            },
        )?;
        Ok(ForMatching::Read(Box::new(r)))
    })
}

/// A registration read for matching, or why not.
#[derive(Debug)]
pub enum ForMatching {
    Read(Box<Registration>),
    NotFound,
    ConsentWithdrawn,
}

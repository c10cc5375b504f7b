//! The history of facility capability records: each uploaded version with the time it was
//! recorded, so that a yearly report counts facilities as they stood at the year's end.
use super::schema::facility_versions;
use super::{DbConnection, StoreError};
use crate::domain::facility::FacilityRecord;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Records `document` as version `version` of facility `id`, uploaded at `at` (in the
/// upload's transaction).
pub fn record(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    document: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(facility_versions::table)
        .values((
            facility_versions::facility_id.eq(id),
            facility_versions::version.eq(version),
            facility_versions::document.eq(document),
            facility_versions::recorded_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Every facility record as it stood just before `at`: the last version of each recorded
/// before then (facilities first uploaded later are not in it), typed.
pub fn records_as_of(
    conn: &mut DbConnection,
    at: NaiveDateTime,
) -> Result<Vec<FacilityRecord>, StoreError> {
    // Versions newest first within each facility: the first row of each facility is the one
    // in force at `at`. One pass over the rows instead of one query per facility.
    let rows: Vec<(String, String)> = facility_versions::table
        .filter(facility_versions::recorded_at.lt(at))
        .order((
            facility_versions::facility_id,
            facility_versions::version.desc(),
        ))
        .select((facility_versions::facility_id, facility_versions::document))
        .load(conn)?;
    let mut last: Option<String> = None;
    let mut documents = Vec::new();
    for (id, document) in rows {
        if last.as_deref() != Some(id.as_str()) {
            documents.push(document);
            last = Some(id);
        }
    }
    super::facilities::typed(&documents)
}

//! Facility records (事業所の受入体制): a facility uploads its whole record, or its daily
//! vacancies.
use crate::contracts::Contracts;
use crate::domain::facility::FacilityRecord;
use crate::domain::ids::FacilityId;
use crate::problem::ApiError;
use crate::store::facilities::{self, FacilityRow, Figure, Patch, Put, Search, VacancyUpdate};
use crate::store::organizations::Organization;
use crate::store::{Page, PageRequest, Store};
use crate::time::{jst, parse_timestamp};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A page of the facility records matching `search`, by facility id: (id, stored document).
/// Every organization may search them.
pub fn search(
    store: &Store,
    search: &Search,
    page: &PageRequest,
) -> Result<Page<(String, String)>, ApiError> {
    Ok(facilities::search(&mut *store.conn()?, search, page)?)
}

/// A stored record and whether this write created it.
pub struct Stored {
    pub row: FacilityRow,
    pub created: bool,
}

/// Stores a facility's record (already valid) as the next version. `expected` is the version
/// `If-Match` named: required once the record exists.
pub fn put(
    store: &Store,
    caller: &Organization,
    facility_id: &FacilityId,
    document: Value,
    expected: Option<i32>,
) -> Result<Stored, ApiError> {
    // Only the facility itself writes its record: `facilities::put` refuses anyone else, in
    // the same transaction as the write.
    if document["facility_id"].as_str() != Some(facility_id.as_str()) {
        return Err(ApiError::FacilityIdMismatch);
    }
    let record: FacilityRecord = serde_json::from_value(document.clone()).map_err(|e| {
        ApiError::Internal(anyhow::Error::new(e).context("validated facility record unreadable"))
    })?;
    let caller = caller.clone();
    match store.write(move |conn| facilities::put(conn, &caller, &record, document, expected))? {
        Put::Created(row) => Ok(Stored { row, created: true }),
        Put::Updated(row) => Ok(Stored {
            row,
            created: false,
        }),
        Put::Forbidden => Err(ApiError::Forbidden),
        Put::PreconditionRequired => Err(ApiError::PreconditionRequired),
        Put::Stale(current) => Err(ApiError::PreconditionFailed { current }),
    }
}

/// The daily vacancy update.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VacancyPatch {
    /// When the figures were taken (RFC 3339 with offset); now when left out.
    #[schema(format = DateTime, example = "2026-11-22T09:00:00+09:00")]
    pub as_of: Option<String>,
    /// One entry per service whose vacancy changed.
    #[schema(min_items = 1)]
    pub vacancies: Vec<ServiceVacancy>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceVacancy {
    #[schema(example = "short_stay")]
    pub service_type: String,
    /// `welfare` or `medical`; needed only when the facility offers both short stays.
    pub variant: Option<String>,
    /// The vacancies now, for a service with a capacity (定員).
    #[schema(example = 1, format = Int64, minimum = 0, maximum = 4294967295u64)]
    pub vacancies: Option<u32>,
    /// Whether it can respond to an emergency today, for a service without a capacity
    /// (訪問系, 相談支援 …). Give one of `vacancies` and `can_respond_today`.
    pub can_respond_today: Option<bool>,
}

impl VacancyPatch {
    /// The update as the store applies it, and its time. Codes are checked before the record
    /// is read: a body that is not a vacancy update is refused as such, whatever `If-Match`
    /// says.
    fn updates(self) -> Result<(Vec<VacancyUpdate>, DateTime<FixedOffset>), ApiError> {
        let contracts = Contracts::get();
        let coded = |v: &ServiceVacancy| {
            contracts.has_code("service_types", &v.service_type)
                && v.variant
                    .as_deref()
                    .is_none_or(|x| contracts.has_code("short_stay_variants", x))
        };
        let one_figure =
            |v: &ServiceVacancy| v.vacancies.is_some() != v.can_respond_today.is_some();
        if self.vacancies.is_empty() || !self.vacancies.iter().all(|v| coded(v) && one_figure(v)) {
            return Err(ApiError::InvalidVacancyUpdate);
        }
        let now = Utc::now().with_timezone(&jst());
        let as_of = match &self.as_of {
            Some(s) => parse_timestamp(s).ok_or(ApiError::InvalidVacancyUpdate)?,
            None => now.fixed_offset(),
        };
        // A minute's grace for clocks that run a little ahead.
        if as_of > now + chrono::TimeDelta::minutes(1) {
            return Err(ApiError::VacancyAsOfFuture);
        }
        let updates = self
            .vacancies
            .into_iter()
            .map(|v| VacancyUpdate {
                service_type: v.service_type,
                variant: v.variant,
                figure: match (v.vacancies, v.can_respond_today) {
                    (Some(n), _) => Figure::Vacancies(n),
                    (None, today) => Figure::CanRespondToday(today.unwrap_or(false)),
                },
            })
            .collect();
        Ok((updates, as_of))
    }
}

/// Records a facility's new vacancies as the next version of its record.
pub fn update_vacancies(
    store: &Store,
    caller: &Organization,
    facility_id: &FacilityId,
    patch: VacancyPatch,
    expected: Option<i32>,
) -> Result<FacilityRow, ApiError> {
    let (updates, as_of) = patch.updates()?;
    let (caller, id) = (caller.clone(), facility_id.as_str().to_owned());
    let patched = store.write(move |conn| {
        facilities::patch_vacancies(conn, &caller, &id, expected, &updates, as_of)
    })?;
    match patched {
        Patch::Patched(row) => Ok(row),
        Patch::NotFound => Err(ApiError::NotFound),
        Patch::Forbidden => Err(ApiError::Forbidden),
        Patch::Stale(current) => Err(ApiError::PreconditionFailed {
            current: Some(current),
        }),
        Patch::UnknownService(index) => Err(ApiError::UnknownService { index }),
        Patch::OverCapacity(index) => Err(ApiError::VacanciesOverCapacity { index }),
        Patch::WrongFigure(index, needs_availability) => Err(ApiError::WrongVacancyFigure {
            index,
            needs_availability,
        }),
    }
}

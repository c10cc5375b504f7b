//! Matching (候補施設): the facilities to call for a registered person in an emergency.
use crate::contracts::Contracts;
use crate::domain::handoff::Status;
use crate::domain::ids::RegistrationId;
use crate::domain::matching::{self, Answer, Needs, Ranking};
use crate::problem::ApiError;
use crate::store::registrations::{self, ForMatching};
use crate::store::{facilities, Store, StoreError};
use crate::time::jst;
use chrono::Utc;
use serde::Serialize;
use std::collections::BTreeMap;

/// What happened, and what is looked for.
pub struct Asked {
    /// A registration reason code.
    pub situation: String,
    /// A service type instead of the registration's desired services.
    pub service_type: Option<String>,
    /// Acceptance is needed today (urgency `same_day`).
    pub same_day: bool,
}

impl Asked {
    /// Both are codes of their code lists.
    pub fn new(
        situation: String,
        service_type: Option<String>,
        urgency: Option<String>,
    ) -> Result<Asked, ApiError> {
        if !Contracts::get().has_code("registration_reasons", &situation) {
            return Err(ApiError::InvalidParameter { name: "situation" });
        }
        if urgency
            .as_deref()
            .is_some_and(|u| !Contracts::get().has_code("urgencies", u))
        {
            return Err(ApiError::InvalidParameter { name: "urgency" });
        }
        Ok(Asked {
            situation,
            service_type: Asked::service_type(service_type)?,
            same_day: urgency.as_deref() == Some("same_day"),
        })
    }

    /// A service type asked for, if it is a code of its code list.
    pub fn service_type(service_type: Option<String>) -> Result<Option<String>, ApiError> {
        if service_type
            .as_deref()
            .is_some_and(|t| !Contracts::get().has_code("service_types", t))
        {
            return Err(ApiError::InvalidParameter {
                name: "service_type",
            });
        }
        Ok(service_type)
    }
}

#[derive(Serialize)]
pub struct Candidates {
    registration_id: String,
    registration_version: i32,
    registration_status: String,
    situation: String,
    #[serde(flatten)]
    ranked: Ranked,
}

/// The facilities to call for some needs, and what was looked for.
#[derive(Serialize)]
pub struct Ranked {
    service_types: Vec<String>,
    /// Short stay was among the services looked for but the situation does not allow it.
    short_stay_excluded: bool,
    #[serde(flatten)]
    ranking: Ranking,
}

/// How far back the answers of facilities asked for the same person count: a day.
const ANSWERS_WITHIN: chrono::Duration = chrono::Duration::hours(24);

/// What each facility asked for the person `case_id` within the day answered, as it stands now
/// (the latest request to a facility counts; a cancelled, expired or revoked one is as if not
/// asked).
fn answers(
    conn: &mut crate::store::DbConnection,
    case_id: &str,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<BTreeMap<String, Answer>, StoreError> {
    let at = now.naive_utc();
    let mut answers = BTreeMap::new();
    for (recipient, status, expires_at) in
        crate::store::handoffs::acceptance_requests(conn, case_id, at - ANSWERS_WITHIN)?
    {
        let status = Status::parse(&status)
            .unwrap_or(Status::Requested)
            .effective(at >= expires_at);
        match status {
            Status::Requested | Status::Received => {
                answers.insert(recipient, Answer::Open);
            }
            Status::Accepted | Status::Admitted | Status::Completed => {
                answers.insert(recipient, Answer::Accepted);
            }
            Status::Declined => {
                answers.insert(recipient, Answer::Declined);
            }
            Status::Cancelled | Status::Expired | Status::Revoked | Status::Superseded => {
                answers.remove(&recipient);
            }
        }
    }
    Ok(answers)
}

/// Ranks the facilities for `needs` in `situation`, looking for `service_type` or the services
/// the needs name; the facilities already asked for the person `case_id` within the day are
/// marked, and those that declined are left out so that the next one comes up.
pub fn rank(
    conn: &mut crate::store::DbConnection,
    case_id: &str,
    needs: &Needs,
    situation: &str,
    service_type: Option<&str>,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<Ranked, StoreError> {
    let short_stay_excluded = !needs.short_stay_allowed(situation)
        && needs.wanted(service_type).iter().any(|t| t == "short_stay");
    let service_types = needs.service_types(situation, service_type);
    let records = facilities::matching_pool(conn, &needs.prearranged, &service_types)?;
    let ranking = matching::after_answers(
        matching::rank(needs, &service_types, &records, now),
        &answers(conn, case_id, now)?,
    );
    Ok(Ranked {
        service_types,
        short_stay_excluded,
        ranking,
    })
}

/// The ranked candidates for registration `id`, which `caller` must be able to read (the read
/// is recorded); a withdrawn consent stops matching, which reads care and medical needs.
pub fn candidates(
    store: &Store,
    caller: &crate::store::organizations::Organization,
    id: &RegistrationId,
    asked: Asked,
) -> Result<Candidates, ApiError> {
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    store.write(move |conn| {
        let reg = match registrations::read_for_matching(conn, &caller, &id)? {
            ForMatching::Read(reg) => *reg,
            ForMatching::NotFound => return Ok(Err(ApiError::NotFound)),
            ForMatching::ConsentWithdrawn => return Ok(Err(ApiError::ConsentWithdrawn)),
        };
        let document = crate::store::parse_stored(&reg.document)?;
        let now = Utc::now().with_timezone(&jst()).fixed_offset();
        let mut needs = Needs::of(&document, now.date_naive());
        let Asked {
            situation,
            service_type,
            same_day,
        } = asked;
        needs.same_day = same_day;
        let ranked = rank(
            conn,
            reg.id.as_str(),
            &needs,
            &situation,
            service_type.as_deref(),
            now,
        )?;
        Ok(Ok(Candidates {
            registration_id: reg.id.to_string(),
            registration_version: reg.version,
            registration_status: reg.status,
            situation,
            ranked,
        }))
    })?
}

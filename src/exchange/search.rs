//! Finding a person during an emergency call (本人の検索): a coordinator — the kikan, a hub, the
//! city, or the office that took the registration for its own — finds a registration by the
//! person's name (reading or as written; the beginning is enough), birth date and phone, with
//! the purpose stated. Each registration shown is recorded in the access record; a list shows
//! only what identification needs (name, birth date, ward, status, the taking office).
use crate::contracts::text_enum::text_enum;
use crate::domain::access::{Permission, Relation};
use crate::domain::search_keys::{is_reading, kana_key, keys_of, name_key, phone_key, KeyKind};
use crate::problem::ApiError;
use crate::store::organizations::Organization;
use crate::store::registrations::{self, Criteria, Found};
use crate::store::Store;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The most registrations one search shows, and how many unless the caller says.
pub const MAX_LIMIT: i64 = 50;
pub const DEFAULT_LIMIT: i64 = 20;
/// The fewest characters of a name searched by (one would match half a ward).
pub const MIN_NAME_CHARS: usize = 2;

text_enum! {
    /// Why the caller is looking the person up; recorded with every registration shown.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum SearchPurpose {
        /// An emergency is being handled now (a call about the person).
        EmergencyAcceptance = "emergency_acceptance",
        /// Registration work: a change notification, a review, a form on paper.
        Registration = "registration",
    }
}

/// A search, as read from its JSON body.
#[derive(Debug, Clone)]
pub struct PersonSearch {
    pub name: Option<String>,
    pub birth_date: Option<String>,
    pub phone: Option<String>,
    pub purpose: SearchPurpose,
    pub limit: i64,
}

impl PersonSearch {
    /// Reads a search from its JSON body member by member, naming the member that is wrong
    /// (never repeating its value: it is personal data).
    pub fn read(body: &Value) -> Result<PersonSearch, ApiError> {
        let invalid = |field| ApiError::InvalidSearch { field };
        let object = body.as_object().ok_or(invalid("body"))?;
        const MEMBERS: [&str; 5] = ["name", "birth_date", "phone", "purpose", "limit"];
        if object.keys().any(|k| !MEMBERS.contains(&k.as_str())) {
            return Err(invalid("body"));
        }
        // A member given is a string; null and other types are refused, as the schema says.
        let text = |field: &'static str| match object.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(field)),
        };
        let purpose = text("purpose")?
            .and_then(|p| SearchPurpose::parse(&p))
            .ok_or(invalid("purpose"))?;
        let limit = match object.get("limit") {
            None => DEFAULT_LIMIT,
            // 20.0 is the integer 20, as JSON Schema reads it.
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or(invalid("limit"))?,
        };
        Ok(PersonSearch {
            name: text("name")?,
            birth_date: text("birth_date")?,
            phone: text("phone")?,
            purpose,
            limit,
        })
    }

    /// The conditions the store looks up: folded keys, checked for shape.
    fn criteria(&self) -> Result<Criteria, ApiError> {
        let name = match self.name.as_deref().map(str::trim) {
            None => None,
            Some(name) => {
                let key = if is_reading(name) {
                    (KeyKind::Kana, kana_key(name))
                } else {
                    (KeyKind::Name, name_key(name))
                };
                if key.1.chars().count() < MIN_NAME_CHARS {
                    return Err(ApiError::InvalidSearch { field: "name" });
                }
                Some(key)
            }
        };
        let phone = match self.phone.as_deref().map(str::trim) {
            None => None,
            Some(phone) => {
                Some(phone_key(phone).ok_or(ApiError::InvalidSearch { field: "phone" })?)
            }
        };
        let birth_date = match self.birth_date.as_deref() {
            None => None,
            Some(date) => {
                // Exactly YYYY-MM-DD (chrono alone would also take surrounding spaces), and a
                // day that exists.
                let shaped = date.len() == 10
                    && date.bytes().enumerate().all(|(i, b)| match i {
                        4 | 7 => b == b'-',
                        _ => b.is_ascii_digit(),
                    });
                if !shaped || chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
                    return Err(ApiError::InvalidSearch {
                        field: "birth_date",
                    });
                }
                Some(date.to_owned())
            }
        };
        if name.is_none() && phone.is_none() {
            return Err(ApiError::NothingToSearchBy);
        }
        Ok(Criteria {
            name,
            birth_date,
            phone,
            // The caller's own, or its municipal scope: set by `search`.
            ..Criteria::default()
        })
    }
}

/// A registration a search found: what identification needs, no more.
#[derive(Debug, Serialize, ToSchema)]
pub struct Identified {
    pub registration_id: String,
    pub version: i32,
    /// `active` or `consent_withdrawn` (a withdrawn one is found by name and birth date only).
    pub status: String,
    /// The person's name and its reading, as registered.
    #[schema(value_type = Object)]
    pub name: Value,
    #[schema(format = Date)]
    pub birth_date: Option<String>,
    pub ward: Option<String>,
    pub municipality_code: String,
    /// The consultation office that took the registration.
    pub received_by: String,
    /// Whose number the phone searched by is: `registrant` or `emergency_contact` (null when
    /// no phone was searched by).
    pub matched_phone: Option<&'static str>,
}

/// What a search found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    pub items: Vec<Identified>,
    /// More registrations matched than were shown, or may have (a common name narrowed by
    /// a birth date or phone is checked among its first 1,000 namesakes): narrow the search.
    pub more: bool,
}

/// Finds the registrations `caller` may see that match `search`: every one for those who read
/// all registrations, its own for a consultation office; a role that reads none (a facility)
/// is refused. Each registration shown is recorded with the search's purpose.
pub fn search(
    store: &Store,
    caller: &Organization,
    search: &PersonSearch,
) -> Result<SearchResult, ApiError> {
    if !caller
        .may(Permission::ReadRegistrations, Relation::Own)
        .allowed()
    {
        return Err(ApiError::Forbidden);
    }
    let mut criteria = search.criteria()?;
    if !caller
        .may(Permission::ReadRegistrations, Relation::Other)
        .allowed()
    {
        criteria.responsible_office = Some(caller.id.to_string());
    } else {
        criteria.scope = caller.scope();
    }
    let (by, limit, purpose) = (caller.id.clone(), search.limit, search.purpose);
    let phone = criteria.phone.clone();
    let searched = store
        .write(move |conn| registrations::search(conn, &by, &criteria, limit, purpose.as_str()))?;
    let more = searched.more;
    let items = searched
        .found
        .into_iter()
        .map(|f| identified(f, phone.as_deref()))
        .collect();
    Ok(SearchResult { items, more })
}

/// The identification of a found registration, from what may be read of it.
fn identified(found: Found, phone: Option<&str>) -> Identified {
    let document: Value = serde_json::from_str(&found.document).unwrap_or_default();
    let registrant = &document["registrant"];
    let matched_phone = phone.and_then(|p| {
        let keys = keys_of(&document);
        let has = |kind| keys.iter().any(|(k, v)| *k == kind && v == p);
        if has(KeyKind::Phone) {
            Some("registrant")
        } else if has(KeyKind::ContactPhone) {
            Some("emergency_contact")
        } else {
            None
        }
    });
    Identified {
        registration_id: found.id,
        version: found.version,
        status: found.status,
        name: registrant["name"].clone(),
        birth_date: registrant["birth_date"].as_str().map(str::to_owned),
        ward: found.ward,
        municipality_code: found.municipality_code,
        received_by: found.received_by,
        matched_phone,
    }
}

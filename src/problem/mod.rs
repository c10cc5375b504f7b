//! RFC 9457 problem details: one error enum, one rendering, in Japanese or English.
mod conversions;
use crate::contracts::json::JsonError;
use crate::contracts::problems::{fill, Found};
use crate::contracts::Contracts;
use crate::store::StoreError;
use crate::validation::{Lang, Report};
use crate::xml::XmlError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

pub const PROBLEM_BASE: &str = "https://w3id.org/kyoten/problems/";
pub const PROBLEM_JSON: &str = "application/problem+json";

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable problem type URI.
    #[schema(example = "https://w3id.org/kyoten/problems/malformed-json")]
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For a body that is not well-formed: where reading stopped (never what was there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// For `invalid-document`: the validation report of the refused document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Box<Report>>,
    /// For `signature-refused`: the stable code of why (e.g. `bad_signature`, `unknown_key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<&'static str>,
    /// For `invalid-handoff-request`: the member of the request that is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// For `invalid-query`: the query parameter whose value is refused, when it is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// For `handoff-superseded`: the handoff id of the copy that replaced this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
}

/// An error as the catalogue (`schemas/catalogue/problems.json`) renders it: its case, the
/// case's arguments (Japanese, English) and, for a body that is not well-formed, where reading
/// stopped.
struct Parts {
    case: &'static str,
    args: Vec<(&'static str, [String; 2])>,
    position: Option<(usize, usize)>,
}

impl Parts {
    fn case(case: &'static str) -> Parts {
        Parts {
            case,
            args: Vec::new(),
            position: None,
        }
    }

    fn at(case: &'static str, line: usize, column: usize) -> Parts {
        Parts {
            position: Some((line, column)),
            ..Parts::case(case)
        }
    }

    /// With one argument, the same in both languages.
    fn with(case: &'static str, name: &'static str, value: impl ToString) -> Parts {
        let value = value.to_string();
        Parts {
            args: vec![(name, [value.clone(), value])],
            ..Parts::case(case)
        }
    }
}

/// Everything an endpoint can refuse with.
#[derive(Debug)]
pub enum ApiError {
    Json(JsonError),
    Xml(XmlError),
    UnsupportedMediaType {
        accepted: &'static str,
    },
    UnknownDocumentType,
    NotFound,
    /// The path exists but not for this method; `allow` lists the methods it has.
    MethodNotAllowed {
        allow: String,
    },
    /// An HTTP status with no more specific meaning (actix's own errors, 405, 413 …).
    Status(StatusCode),
    InvalidQuery,
    /// No or an unknown API key.
    Unauthorized,
    /// The caller's role may not do this.
    Forbidden,
    /// The document is not valid: nothing was stored.
    InvalidDocument(Box<Report>),
    /// A new registration must not carry an id: the server assigns it.
    RegistrationIdNotAllowed,
    /// A new intake must not carry an id or a registration id: the server assigns them.
    IntakeIdNotAllowed,
    /// The intake named became a registration already: `handoff` when a packet was asked
    /// for from it (send from the registration instead).
    IntakeAlreadyRegistered {
        handoff: bool,
    },
    /// A packet on the consent basis from an intake that records no consent.
    IntakeWithoutConsent,
    /// An office assignment that is not `{"organization_id": …}`, or (`not_an_office`) names
    /// no consultation office of the exchange.
    InvalidOfficeAssignment {
        not_an_office: bool,
    },
    /// A meeting record with a field missing or of the wrong shape (named).
    InvalidMeeting {
        field: &'static str,
    },
    /// `received_by` names another organization than the caller.
    ReceivedByMismatch,
    /// A change without `If-Match`.
    PreconditionRequired,
    /// `If-Match` names another version than the current one (`None`: there is no record yet).
    PreconditionFailed {
        current: Option<i32>,
    },
    /// A query parameter with a value the endpoint does not accept.
    InvalidParameter {
        name: &'static str,
    },
    /// A query parameter the endpoint does not know, or whose value is not of its type, as
    /// the query string named it.
    InvalidQueryParameter {
        name: String,
    },
    /// A NUL character (U+0000) in the URL or in a request body that is not a document: no
    /// field may hold one (PostgreSQL cannot store it in text).
    NulCharacter,
    /// The document's `facility_id` differs from the URL's.
    FacilityIdMismatch,
    /// A vacancy update names a service the record does not have (index into `vacancies`).
    UnknownService {
        index: usize,
    },
    /// A vacancy update gives more vacancies than the service's capacity.
    VacanciesOverCapacity {
        index: usize,
    },
    /// A vacancy update gives the figure of the other kind of service: vacancies for a service
    /// without a capacity (`needs_availability`), or availability for one with a capacity.
    WrongVacancyFigure {
        index: usize,
        needs_availability: bool,
    },
    /// A vacancy update dated in the future.
    VacancyAsOfFuture,
    /// A vacancy update body that is not `{as_of?, vacancies: [{service_type, variant?, vacancies}]}`.
    InvalidVacancyUpdate,
    /// `Idempotency-Key` is empty, too long or not visible ASCII.
    IdempotencyKeyInvalid,
    /// The first request with this `Idempotency-Key` is still being answered.
    IdempotencyKeyInUse,
    /// The registration kept changing while the request was being answered, or the database
    /// was momentarily busy; nothing was stored, the same request may be sent again.
    RegistrationBusy,
    /// The database was momentarily busy (SQLite locked, a PostgreSQL serialization failure or
    /// deadlock, no free connection) outside a registration's contention; nothing was stored.
    Busy,
    /// A change notification that alters a consent in force other than by recording its
    /// withdrawal.
    ConsentChangeNotAllowed,
    /// A new consent not granted after the consent it replaces (or before its withdrawal), or
    /// one that records a withdrawal itself.
    ConsentNotNewer,
    /// A break-glass read without `{"legal_basis": "vital_interest"}`.
    InvalidBreakGlassRead,
    /// The `Idempotency-Key` was used before for a different request.
    IdempotencyKeyReused,
    /// The document's `registration_id` differs from the URL's.
    RegistrationIdMismatch,
    /// The consent of this registration was withdrawn before.
    ConsentAlreadyWithdrawn,
    /// A change notification drops or alters a recorded consent withdrawal.
    ConsentWithdrawalFinal,
    /// A change notification names another `received_by` than the registration's.
    ReceivedByImmutable,
    /// The consent of the registration is withdrawn: no packet may be sent on it.
    ConsentWithdrawn,
    /// A vital-interest (break-glass) packet from a role other than kikan, hub or city.
    BreakGlassNotAllowed,
    /// A category the consent and need set do not permit for this recipient and purpose.
    CategoryNotPermitted {
        /// The category, when it is one of the code list (anything else the caller wrote is
        /// not echoed back).
        category: Option<String>,
    },
    /// Nothing the registration holds may go to this recipient for this purpose.
    NothingPermitted,
    /// The recipient is not a registered organization.
    UnknownRecipient,
    /// A handoff request that is not of the documented shape (the field named).
    InvalidHandoffRequest {
        field: &'static str,
    },
    /// A search for a person with a field of the wrong shape (the field named).
    InvalidSearch {
        field: &'static str,
    },
    /// A search for a person with neither a name nor a phone to search by.
    NothingToSearchBy,
    /// The packet's signature was not accepted (`verdict` says why).
    SignatureRefused(crate::packet::Refusal),
    /// The packet's sender, or the organization of its signing key, is not the caller.
    SenderMismatch,
    /// A packet with this handoff_id exists already.
    HandoffExists,
    /// A write collided with a record another request wrote at the same moment (a unique key
    /// taken); nothing was stored.
    Conflict,
    /// The submitted packet is past its `expires_at`.
    PacketExpired,
    /// A signed packet refused by a check after its signature (`verdict` says which): issued
    /// in the future, a lifetime beyond the bound, not the registration's current version, a
    /// subject value that differs from it…
    PacketRefused(crate::packet::check::Failure),
    /// The lifecycle does not allow this response in the handoff's current state.
    IllegalTransition {
        current: &'static str,
    },
    /// The handoff expired before it was accepted.
    HandoffExpired,
    /// The handoff was cancelled: its packet is not given to the recipient.
    HandoffCancelled,
    /// The shared copy was replaced by the packet re-sent after the registration changed.
    HandoffSuperseded {
        superseded_by: String,
    },
    /// The packet was revoked with the consent it rested on.
    HandoffRevoked,
    /// The person's municipality (or ward) is outside the caller's municipal scope.
    OutsideScope,
    /// The response names another handoff or another responder than the request.
    ResponseMismatch,
    /// A key that cannot be registered.
    KeyRefused(String),
    /// The key is registered by another organization.
    KeyTaken,
    /// No representation for the Accept header (the acceptable ones listed).
    NotAcceptable {
        available: &'static str,
    },
    /// The client address is over a limit until `retry_after` seconds have passed.
    TooManyRequests {
        retry_after: u64,
        limited: Limited,
    },
    /// A batch without an API key went over `--validate-batch-max-documents` (a line of the
    /// batch's answer, not a status).
    BatchOverLimit {
        max: u64,
    },
    /// A failure of the server itself, with its chain of causes (logged, never shown).
    Internal(anyhow::Error),
}

/// Which per-address limit a request ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Too many failed authentications.
    Authentication,
    /// Over `--validate-rate-limit`.
    Validation,
}

impl ApiError {
    /// Long on purpose: one arm per error, a table read side by side with the catalogue.
    fn parts(&self) -> Parts {
        use ApiError::*;
        match self {
            Json(JsonError::Syntax { line, column }) => Parts::at("malformed-json", *line, *column),
            Json(JsonError::DuplicateKey { line, column }) => {
                Parts::at("duplicate-key", *line, *column)
            }
            Json(JsonError::ByteOrderMark) | Xml(XmlError::ByteOrderMark) => {
                Parts::case("byte-order-mark")
            }
            Json(JsonError::InvalidUtf8 { line, column }) => {
                Parts::at("invalid-utf8.json", *line, *column)
            }
            Xml(XmlError::NotUtf8) => Parts::case("invalid-utf8.xml"),
            Json(JsonError::TooDeep { line, column }) => {
                Parts::at("nesting-too-deep.json", *line, *column)
            }
            Xml(XmlError::TooDeep) => Parts::case("nesting-too-deep.xml"),
            Xml(XmlError::Doctype) => Parts::case("xml-doctype-forbidden"),
            Xml(XmlError::ProcessingInstruction) => {
                Parts::case("xml-processing-instruction-forbidden")
            }
            Xml(XmlError::Malformed {
                position,
                line,
                column,
            }) => Parts {
                args: vec![
                    ("position", [position.to_string(), position.to_string()]),
                    ("line", [line.to_string(), line.to_string()]),
                    ("column", [column.to_string(), column.to_string()]),
                ],
                ..Parts::at("malformed-xml", *line, *column)
            },
            UnsupportedMediaType { accepted } => {
                Parts::with("unsupported-media-type", "accepted", accepted)
            }
            UnknownDocumentType => Parts::case("unknown-document-type"),
            NotFound => Parts::case("not-found"),
            MethodNotAllowed { allow } => Parts::with("method-not-allowed", "allow", allow),
            Status(status) => Parts::case(status_case(*status)),
            InvalidQuery => Parts::case("invalid-query"),
            Unauthorized => Parts::case("unauthorized"),
            Forbidden => Parts::case("forbidden"),
            InvalidDocument(_) => Parts::case("invalid-document"),
            RegistrationIdNotAllowed => Parts::case("registration-id-not-allowed"),
            IntakeIdNotAllowed => Parts::case("intake-id-not-allowed"),
            IntakeAlreadyRegistered { handoff: false } => Parts::case("intake-already-registered"),
            IntakeAlreadyRegistered { handoff: true } => {
                Parts::case("intake-already-registered.handoff")
            }
            IntakeWithoutConsent => Parts::case("intake-without-consent"),
            InvalidOfficeAssignment {
                not_an_office: false,
            } => Parts::case("invalid-office-assignment"),
            InvalidOfficeAssignment {
                not_an_office: true,
            } => Parts::case("invalid-office-assignment.not-an-office"),
            ReceivedByMismatch => Parts::case("received-by-mismatch"),
            PreconditionRequired => Parts::case("precondition-required"),
            PreconditionFailed {
                current: Some(current),
            } => Parts::with("precondition-failed.stale", "current", current),
            PreconditionFailed { current: None } => Parts::case("precondition-failed.no-record"),
            InvalidParameter { name } => Parts::with("invalid-query.parameter", "name", name),
            InvalidQueryParameter { name } => Parts::with("invalid-query.parameter", "name", name),
            NulCharacter => Parts::case("nul-character"),
            FacilityIdMismatch => Parts::case("facility-id-mismatch"),
            UnknownService { index } => Parts::with("unknown-service", "index", index),
            VacanciesOverCapacity { index } => {
                Parts::with("vacancies-over-capacity", "index", index)
            }
            WrongVacancyFigure {
                index,
                needs_availability: true,
            } => Parts::with("wrong-vacancy-figure.availability", "index", index),
            WrongVacancyFigure {
                index,
                needs_availability: false,
            } => Parts::with("wrong-vacancy-figure.capacity", "index", index),
            VacancyAsOfFuture => Parts::case("vacancy-as-of-future"),
            InvalidVacancyUpdate => Parts::case("invalid-vacancy-update"),
            IdempotencyKeyInvalid => Parts::case("invalid-idempotency-key"),
            IdempotencyKeyInUse => Parts::case("idempotency-key-in-use"),
            RegistrationBusy => Parts::case("registration-busy"),
            Busy => Parts::case("busy"),
            ConsentChangeNotAllowed => Parts::case("consent-change-not-allowed"),
            ConsentNotNewer => Parts::case("consent-not-newer"),
            InvalidBreakGlassRead => Parts::case("invalid-break-glass-request"),
            IdempotencyKeyReused => Parts::case("idempotency-key-reused"),
            RegistrationIdMismatch => Parts::case("registration-id-mismatch"),
            ConsentAlreadyWithdrawn => Parts::case("consent-already-withdrawn"),
            ConsentWithdrawalFinal => Parts::case("consent-withdrawal-final"),
            ReceivedByImmutable => Parts::case("received-by-immutable"),
            ConsentWithdrawn => Parts::case("consent-withdrawn"),
            BreakGlassNotAllowed => Parts::case("break-glass-not-allowed"),
            CategoryNotPermitted {
                category: Some(category),
            } => Parts::with("category-not-permitted", "category", category),
            CategoryNotPermitted { category: None } => {
                Parts::case("category-not-permitted.unknown")
            }
            NothingPermitted => Parts::case("nothing-permitted"),
            UnknownRecipient => Parts::case("unknown-recipient"),
            InvalidHandoffRequest { field } => {
                Parts::with("invalid-handoff-request", "field", field)
            }
            InvalidSearch { field } => Parts::with("invalid-search", "field", field),
            InvalidMeeting { field } => Parts::with("invalid-meeting", "field", field),
            NothingToSearchBy => Parts::case("invalid-search.no-condition"),
            SignatureRefused(refusal) => Parts {
                args: vec![
                    (
                        "verdict",
                        [refusal.code.to_string(), refusal.code.to_string()],
                    ),
                    ("reason", [String::new(), refusal.message.clone()]),
                ],
                ..Parts::case("signature-refused")
            },
            SenderMismatch => Parts::case("sender-mismatch"),
            HandoffExists => Parts::case("handoff-exists"),
            Conflict => Parts::case("conflict"),
            PacketExpired => Parts::case("packet-expired"),
            PacketRefused(failure) => {
                let [en, ja] = failure.message();
                let code = failure.code().to_string();
                Parts {
                    args: vec![
                        ("verdict", [code.clone(), code]),
                        ("reason", [ja.to_owned(), en.to_owned()]),
                    ],
                    ..Parts::case("packet-refused")
                }
            }
            IllegalTransition { current } => Parts::with("illegal-transition", "current", current),
            HandoffExpired => Parts::case("handoff-expired"),
            HandoffCancelled => Parts::case("handoff-cancelled"),
            HandoffSuperseded { superseded_by } => {
                Parts::with("handoff-superseded", "superseded_by", superseded_by)
            }
            HandoffRevoked => Parts::case("handoff-revoked"),
            OutsideScope => Parts::case("outside-municipal-scope"),
            ResponseMismatch => Parts::case("response-mismatch"),
            KeyRefused(reason) => Parts::with("key-refused", "reason", reason),
            KeyTaken => Parts::case("key-registered-elsewhere"),
            NotAcceptable { available } => Parts::with("not-acceptable", "available", available),
            TooManyRequests {
                limited: Limited::Authentication,
                ..
            } => Parts::case("too-many-requests.authentication"),
            TooManyRequests {
                limited: Limited::Validation,
                ..
            } => Parts::case("too-many-requests.validation"),
            BatchOverLimit { max } => Parts::with("payload-too-large.batch", "max", max),
            Internal(_) => Parts::case("internal"),
        }
    }

    /// The catalogue's entry for this error. Every case named above is in the catalogue (a
    /// test renders each); a catalogue without one would be a build that never ships.
    fn found(&self) -> (Parts, Found<'static>) {
        let parts = self.parts();
        let problems = &Contracts::get().problems;
        let found = problems
            .case(parts.case)
            .or_else(|| problems.case("internal"))
            .expect("the problem catalogue has the internal case");
        (parts, found)
    }

    pub fn status(&self) -> StatusCode {
        self.status_in(&self.found().1)
    }

    /// The status of this error, its catalogue entry already found: a bare HTTP status keeps
    /// its own code, every other error has its type's.
    fn status_in(&self, found: &Found<'_>) -> StatusCode {
        match self {
            ApiError::Status(status) => *status,
            _ => StatusCode::from_u16(found.problem.status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    pub fn slug(&self) -> &'static str {
        &self.found().1.problem.slug
    }

    pub fn to_problem(&self, lang: Lang) -> Problem {
        let (parts, found) = self.found();
        let english = lang == Lang::En;
        let args: Vec<(&str, &str)> = parts
            .args
            .iter()
            .map(|(name, value)| (*name, value[usize::from(english)].as_str()))
            .collect();
        Problem {
            type_: format!("{}{}", PROBLEM_BASE, found.problem.slug),
            title: found.case.title.get(english).to_owned(),
            status: self.status_in(&found).as_u16(),
            detail: fill(found.case.detail.get(english), &args),
            line: parts.position.map(|p| p.0),
            column: parts.position.map(|p| p.1),
            report: match self {
                ApiError::InvalidDocument(r) => Some(r.clone()),
                _ => None,
            },
            verdict: match self {
                ApiError::SignatureRefused(r) => Some(r.code.as_str()),
                ApiError::PacketRefused(f) => Some(f.code().as_str()),
                _ => None,
            },
            field: match self {
                ApiError::InvalidHandoffRequest { field } => Some(field),
                _ => None,
            },
            parameter: match self {
                ApiError::InvalidParameter { name } => Some((*name).to_owned()),
                ApiError::InvalidQueryParameter { name } => Some(name.clone()),
                _ => None,
            },
            superseded_by: match self {
                ApiError::HandoffSuperseded { superseded_by } => Some(superseded_by.clone()),
                _ => None,
            },
        }
    }

    /// A category refused for this recipient and purpose, named back only if it is a data
    /// category of the code list.
    pub fn category_not_permitted(category: String) -> ApiError {
        let known = crate::validation::Engine::get()
            .policy
            .category_fields
            .contains_key(&category);
        ApiError::CategoryNotPermitted {
            category: known.then_some(category),
        }
    }

    pub fn render(&self, lang: Lang) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(cause = %format!("{cause:#}"), "internal error");
        }
        let problem = self.to_problem(lang);
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = HttpResponse::build(status);
        if let ApiError::MethodNotAllowed { allow } = self {
            res.insert_header((header::ALLOW, allow.as_str()));
        }
        if let ApiError::Unauthorized = self {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let ApiError::IdempotencyKeyInUse | ApiError::RegistrationBusy | ApiError::Busy = self {
            res.insert_header((header::RETRY_AFTER, "1"));
        }
        if let ApiError::TooManyRequests { retry_after, .. } = self {
            res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
            .insert_header((
                header::CONTENT_LANGUAGE,
                if lang == Lang::En { "en" } else { "ja" },
            ))
            .json(problem)
    }
}

/// The catalogue case of a bare HTTP status (one the framework answers before a handler).
fn status_case(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "status.400",
        404 => "status.404",
        405 => "status.405",
        406 => "status.406",
        408 => "status.408",
        411 => "status.411",
        413 => "status.413",
        414 => "status.414",
        415 => "status.415",
        431 => "status.431",
        s if s >= 500 => "status.5xx",
        _ => "status.other",
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.slug())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }
    /// Japanese by default; the problem middleware re-renders in the caller's language.
    fn error_response(&self) -> HttpResponse {
        self.render(Lang::Ja)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    #[test]
    fn store_errors_map_to_not_found_conflict_busy_or_internal() {
        let from = |e: StoreError| ApiError::from(e);
        assert!(matches!(
            from(StoreError::Query(Error::NotFound)),
            ApiError::NotFound
        ));
        let locked = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database is locked".to_owned()),
        );
        assert!(matches!(from(StoreError::Query(locked)), ApiError::Busy));
        let taken = Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("UNIQUE constraint failed".to_owned()),
        );
        assert!(matches!(from(StoreError::Query(taken)), ApiError::Conflict));
        assert!(matches!(
            from(StoreError::Write("disk I/O error".into())),
            ApiError::Internal(_)
        ));
    }
}

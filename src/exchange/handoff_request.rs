//! The `HandoffRequest` a sender asks the exchange to compose a packet from, read field by
//! field so that a refusal names the wrong field.
use crate::domain::handoff::{Basis, Purpose};
use crate::problem::ApiError;
use crate::time::parse_timestamp;
use serde_json::Value;
use std::collections::BTreeSet;

/// What a `HandoffRequest` asks a packet to be built from.
#[derive(Debug, Clone, Copy)]
pub(super) enum BuiltFrom<'a> {
    Registration(&'a str),
    /// An emergency intake of a person who never registered.
    Intake(&'a str),
}

/// A `HandoffRequest`, read field by field so that a refusal names the wrong field.
pub(super) struct Request<'a> {
    pub(super) from: BuiltFrom<'a>,
    pub(super) recipient: &'a str,
    pub(super) purpose: Purpose,
    pub(super) basis: Basis<'a>,
    pub(super) only: Option<BTreeSet<String>>,
    /// For an emergency acceptance: required from a registration; from an intake, the
    /// intake's own when left out. A normal-time sharing packet has none.
    pub(super) situation: Option<&'a Value>,
    /// Required for an emergency acceptance; a normal-time sharing packet has none.
    pub(super) request: Option<&'a Value>,
    pub(super) expires_at: Option<&'a str>,
}

const FIELDS: [&str; 10] = [
    "registration_id",
    "intake_id",
    "recipient",
    "purpose",
    "situation",
    "request",
    "expires_at",
    "legal_basis",
    "reason",
    "categories",
];

fn text<'a>(body: &'a Value, field: &'static str) -> Result<Option<&'a str>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s)),
        _ => Err(ApiError::InvalidHandoffRequest { field }),
    }
}

fn required<'a>(body: &'a Value, field: &'static str) -> Result<&'a str, ApiError> {
    text(body, field)?.ok_or(ApiError::InvalidHandoffRequest { field })
}

impl<'a> Request<'a> {
    pub(super) fn parse(body: &'a Value) -> Result<Request<'a>, ApiError> {
        let object = body
            .as_object()
            .ok_or(ApiError::InvalidHandoffRequest { field: "(body)" })?;
        if object.keys().any(|k| !FIELDS.contains(&k.as_str())) {
            return Err(ApiError::InvalidHandoffRequest {
                field: "(unknown field)",
            });
        }
        let from = match (text(body, "registration_id")?, text(body, "intake_id")?) {
            (Some(r), None) => BuiltFrom::Registration(r),
            (None, Some(i)) => BuiltFrom::Intake(i),
            (Some(_), Some(_)) => {
                return Err(ApiError::InvalidHandoffRequest { field: "intake_id" })
            }
            (None, None) => {
                return Err(ApiError::InvalidHandoffRequest {
                    field: "registration_id",
                })
            }
        };
        let recipient = required(body, "recipient")?;
        let purpose = Purpose::parse(required(body, "purpose")?)
            .ok_or(ApiError::InvalidHandoffRequest { field: "purpose" })?;
        // An intake's consent is for this emergency: nothing is prepared from it.
        if matches!(from, BuiltFrom::Intake(_)) && purpose != Purpose::EmergencyAcceptance {
            return Err(ApiError::InvalidHandoffRequest { field: "purpose" });
        }
        let basis = match text(body, "legal_basis")? {
            None | Some("consent") if body.get("reason").is_some() => {
                return Err(ApiError::InvalidHandoffRequest { field: "reason" })
            }
            None | Some("consent") => Basis::Consent,
            Some("vital_interest") => Basis::VitalInterest {
                reason: required(body, "reason")?,
            },
            Some(_) => {
                return Err(ApiError::InvalidHandoffRequest {
                    field: "legal_basis",
                })
            }
        };
        let only = categories(body)?;
        let (situation, request) = if purpose == Purpose::EmergencyPreparation {
            // Normal-time sharing: no emergency is invented and nothing is asked.
            for field in ["situation", "request"] {
                if body.get(field).is_some() {
                    return Err(ApiError::InvalidHandoffRequest { field });
                }
            }
            (None, None)
        } else {
            let object_field = |field: &'static str| match body.get(field) {
                None if field == "situation" && matches!(from, BuiltFrom::Intake(_)) => Ok(None),
                Some(v) if v.is_object() => Ok(Some(v)),
                _ => Err(ApiError::InvalidHandoffRequest { field }),
            };
            (object_field("situation")?, object_field("request")?)
        };
        let expires_at = text(body, "expires_at")?;
        if expires_at.is_some_and(|t| parse_timestamp(t).is_none()) {
            return Err(ApiError::InvalidHandoffRequest {
                field: "expires_at",
            });
        }
        Ok(Request {
            from,
            recipient,
            purpose,
            basis,
            only,
            situation,
            request,
            expires_at,
        })
    }
}

/// `categories`: absent, or a non-empty list of strings.
fn categories(body: &Value) -> Result<Option<BTreeSet<String>>, ApiError> {
    let wrong = ApiError::InvalidHandoffRequest {
        field: "categories",
    };
    match body.get("categories") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|c| c.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .map(Some)
            .ok_or(wrong),
        _ => Err(wrong),
    }
}

//! Every problem the API answers, pinned: the rendering of one error of each case, in Japanese
//! and English, is `tests/snapshots/problems.json`; the catalogue and the README agree.
use crate::helpers::repo;
use actix_web::http::StatusCode;
use kyoten::contracts::json::JsonError;
use kyoten::contracts::Contracts;
use kyoten::contracts::DocumentType;
use kyoten::packet::check::Failure;
use kyoten::packet::Refusal;
use kyoten::problem::{ApiError, Limited};
use kyoten::validation::{Engine, Lang};
use kyoten::xml::XmlError;
use serde_json::{json, Value};

/// One error of every case of the catalogue.
fn one_of_each() -> Vec<ApiError> {
    use ApiError::*;
    let statuses = [400, 404, 405, 406, 408, 411, 413, 414, 415, 431, 502, 409];
    let mut errors = vec![
        Json(JsonError::Syntax { line: 3, column: 7 }),
        Json(JsonError::DuplicateKey { line: 2, column: 5 }),
        Json(JsonError::ByteOrderMark),
        Xml(XmlError::ByteOrderMark),
        Json(JsonError::InvalidUtf8 { line: 1, column: 9 }),
        Xml(XmlError::NotUtf8),
        Json(JsonError::TooDeep {
            line: 1,
            column: 129,
        }),
        Xml(XmlError::TooDeep),
        Xml(XmlError::Doctype),
        Xml(XmlError::ProcessingInstruction),
        Xml(XmlError::Malformed {
            position: 42,
            line: 3,
            column: 7,
        }),
        UnsupportedMediaType {
            accepted: "application/json",
        },
        UnknownDocumentType,
        NotFound,
        MethodNotAllowed {
            allow: "GET, HEAD".into(),
        },
        InvalidQuery,
        Unauthorized,
        Forbidden,
        RegistrationIdNotAllowed,
        IntakeIdNotAllowed,
        IntakeAlreadyRegistered { handoff: false },
        IntakeAlreadyRegistered { handoff: true },
        IntakeWithoutConsent,
        InvalidOfficeAssignment {
            not_an_office: false,
        },
        InvalidOfficeAssignment {
            not_an_office: true,
        },
        InvalidMeeting { field: "held_on" },
        ReceivedByMismatch,
        PreconditionRequired,
        PreconditionFailed { current: Some(4) },
        PreconditionFailed { current: None },
        InvalidParameter { name: "limit" },
        InvalidQueryParameter {
            name: "wardd".into(),
        },
        FacilityIdMismatch,
        UnknownService { index: 1 },
        VacanciesOverCapacity { index: 0 },
        WrongVacancyFigure {
            index: 0,
            needs_availability: true,
        },
        WrongVacancyFigure {
            index: 2,
            needs_availability: false,
        },
        VacancyAsOfFuture,
        InvalidVacancyUpdate,
        IdempotencyKeyInvalid,
        IdempotencyKeyInUse,
        RegistrationBusy,
        Busy,
        ConsentChangeNotAllowed,
        ConsentNotNewer,
        InvalidBreakGlassRead,
        IdempotencyKeyReused,
        RegistrationIdMismatch,
        ConsentAlreadyWithdrawn,
        ConsentWithdrawalFinal,
        ReceivedByImmutable,
        ConsentWithdrawn,
        BreakGlassNotAllowed,
        CategoryNotPermitted {
            category: Some("medical_care".into()),
        },
        CategoryNotPermitted { category: None },
        NothingPermitted,
        UnknownRecipient,
        InvalidHandoffRequest { field: "purpose" },
        InvalidSearch {
            field: "birth_date",
        },
        NothingToSearchBy,
        NulCharacter,
        SignatureRefused(Refusal::new(
            kyoten::packet::Verdict::BadSignature,
            "the signature does not verify",
        )),
        SenderMismatch,
        HandoffExists,
        Conflict,
        PacketExpired,
        PacketRefused(Failure::LifetimeTooLong),
        IllegalTransition {
            current: "accepted",
        },
        HandoffExpired,
        HandoffCancelled,
        HandoffSuperseded {
            superseded_by: "6f1c2a9e-3b7d-4c55-9e21-7a0d4b8c1f63".into(),
        },
        HandoffRevoked,
        OutsideScope,
        ResponseMismatch,
        KeyRefused("RSA key shorter than 2048 bits".into()),
        KeyTaken,
        NotAcceptable {
            available: "application/jose, application/xml, application/json",
        },
        TooManyRequests {
            retry_after: 30,
            limited: Limited::Authentication,
        },
        TooManyRequests {
            retry_after: 30,
            limited: Limited::Validation,
        },
        BatchOverLimit { max: 10_000 },
        Internal(anyhow::anyhow!("a cause that is never shown")),
    ];
    let engine = Engine::get();
    let outcome = engine.validate(Some(DocumentType::Registration), &json!({}));
    errors.push(InvalidDocument(Box::new(engine.render(
        &outcome,
        Lang::En,
        None,
    ))));
    errors.extend(
        statuses
            .into_iter()
            .map(|s| Status(StatusCode::from_u16(s).unwrap())),
    );
    errors
}

fn rendered() -> Value {
    let rows: Vec<Value> = one_of_each()
        .iter()
        .map(|e| {
            json!({
                "ja": e.to_problem(Lang::Ja),
                "en": e.to_problem(Lang::En),
            })
        })
        .collect();
    Value::Array(rows)
}

#[test]
fn every_problem_renders_exactly_as_pinned_in_both_languages() {
    let path = repo().join("tests/snapshots/problems.json");
    let now = serde_json::to_string_pretty(&rendered()).unwrap() + "\n";
    if std::env::var_os("KYOTEN_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &now).unwrap();
    }
    let pinned = std::fs::read_to_string(&path).unwrap();
    assert!(
        pinned == now,
        "a problem's rendering changed: compare with tests/snapshots/problems.json \
         (KYOTEN_UPDATE_SNAPSHOTS=1 cargo test --test api -- problems:: writes it)"
    );
}

#[test]
fn every_case_of_the_problem_catalogue_is_answered_by_some_error() {
    let problems = &Contracts::get().problems;
    let answered: Vec<Value> = rendered()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!([r["en"]["type"], r["en"]["title"], r["en"]["detail"]]))
        .collect();
    for case in problems.cases() {
        let found = problems.case(case).unwrap();
        let slug = format!("{}{}", problems.base, found.problem.slug);
        assert!(
            answered
                .iter()
                .any(|a| a[0] == slug.as_str() && a[1] == found.case.title.en.as_str()),
            "the catalogue's case {case} is answered by no error"
        );
    }
}

#[test]
fn a_problem_never_shows_a_submitted_value_nor_an_internal_cause() {
    let text = rendered().to_string();
    assert!(!text.contains("a cause that is never shown"));
    // A category that is not of the code list is not named back.
    let e = ApiError::category_not_permitted("<script>".into());
    assert!(!serde_json::to_string(&e.to_problem(Lang::En))
        .unwrap()
        .contains("<script>"));
}

#[test]
fn the_readme_table_of_problem_types_is_the_catalogue() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let table = Contracts::get().problems.markdown_table();
    assert!(
        readme.contains(&table),
        "README.md's error table should read:\n{table}"
    );
}

#[test]
fn the_problem_catalogue_is_served_with_the_code_lists() {
    let contracts = Contracts::get();
    let served: Value = serde_json::from_str(contracts.problem_catalogue.raw).unwrap();
    assert_eq!(served["name"], "problems");
    assert_eq!(
        served["types"].as_array().unwrap().len(),
        contracts.problems.types.len()
    );
}

//! The validate endpoints: reports, languages, formats, batches, and their errors.
use crate::helpers::*;
use serde_json::Value;

fn post(
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    lang: Option<&str>,
) -> reqwest::blocking::Response {
    let mut req = client()
        .post(url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(l) = lang {
        req = req.header("accept-language", l);
    }
    req.send().unwrap()
}

fn vector(path: &str) -> Vec<u8> {
    std::fs::read(repo().join("conformance/vectors").join(path)).unwrap()
}

#[test]
fn a_valid_registration_gets_a_valid_report() {
    let res = post(
        "/v1/validate/registration",
        "application/json",
        vector("registration/valid/full.json"),
        None,
    );
    assert_eq!(res.status(), 200);
    let report: Value = res.json().unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["document_type"], "registration");
    assert_eq!(report["schema_version"], "1.0.0");
}

#[test]
fn short_stay_without_the_caregiver_reason_is_reported_with_its_rule_id_and_location() {
    let report: Value = post(
        "/v1/validate/registration",
        "application/json",
        shortstay_without_reason(),
        None,
    )
    .json()
    .unwrap();
    assert_eq!(report["valid"], false);
    let e = &report["errors"][0];
    assert_eq!(e["id"], "KY-REG-SHORTSTAY-REASON");
    assert!(e["instance_location"]
        .as_str()
        .unwrap()
        .starts_with("/emergency_plan/desired_services/"));
}

#[test]
fn messages_follow_accept_language_but_the_verdict_does_not() {
    let ja: Value = post(
        "/v1/validate/registration",
        "application/json",
        shortstay_without_reason(),
        Some("ja"),
    )
    .json()
    .unwrap();
    let en: Value = post(
        "/v1/validate/registration",
        "application/json",
        shortstay_without_reason(),
        Some("en-GB,en;q=0.9"),
    )
    .json()
    .unwrap();
    let default: Value = post(
        "/v1/validate/registration",
        "application/json",
        shortstay_without_reason(),
        None,
    )
    .json()
    .unwrap();
    assert_eq!(ids(&ja), ids(&en));
    assert_eq!(ja["valid"], en["valid"]);
    assert_ne!(ja["errors"][0]["message"], en["errors"][0]["message"]);
    assert!(en["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("caregiver_unavailable"));
    assert_eq!(
        default["errors"][0]["message"], ja["errors"][0]["message"],
        "Japanese is the default"
    );
}

#[test]
fn schema_errors_name_the_field_by_its_label_and_json_property_and_give_both_pointers() {
    let mut doc = read_json(&repo().join("conformance/vectors/registration/valid/full.json"));
    doc["registrant"]["name"]
        .as_object_mut()
        .unwrap()
        .remove("family_kana");
    let report: Value = post(
        "/v1/validate/registration",
        "application/json",
        serde_json::to_vec(&doc).unwrap(),
        Some("en"),
    )
    .json()
    .unwrap();
    let e = &report["errors"][0];
    assert_eq!(e["id"], "KY-SCHEMA-REQUIRED");
    assert_eq!(e["instance_location"], "/registrant/name");
    assert!(e["keyword_location"]
        .as_str()
        .unwrap()
        .ends_with("/required"));
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .ends_with("(family_kana) is missing."),
        "{}",
        e["message"]
    );
}

#[test]
fn an_unknown_schema_version_is_refused_rather_than_validated_against_the_latest() {
    let mut doc = read_json(&repo().join("conformance/vectors/registration/valid/full.json"));
    doc["schema_version"] = "1.1.0".into();
    let report: Value = post(
        "/v1/validate/registration",
        "application/json",
        serde_json::to_vec(&doc).unwrap(),
        Some("en"),
    )
    .json()
    .unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(ids(&report).0, vec!["KY-DOC-VERSION-UNKNOWN"]);
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1.0.0"),
        "lists the published versions"
    );
}

#[test]
fn operation_outcome_format_gives_a_fhir_resource_with_the_same_issues() {
    let res = post(
        "/v1/validate/registration?format=operation-outcome",
        "application/json",
        shortstay_without_reason(),
        None,
    );
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/fhir+json");
    let oo: Value = res.json().unwrap();
    assert_eq!(oo["resourceType"], "OperationOutcome");
    assert_eq!(oo["issue"][0]["severity"], "error");
    assert_eq!(oo["issue"][0]["code"], "business-rule");
    assert_eq!(
        oo["issue"][0]["details"]["coding"][0]["code"],
        "KY-REG-SHORTSTAY-REASON"
    );
}

#[test]
fn an_unknown_format_query_is_a_400_problem() {
    let res = post(
        "/v1/validate/registration?format=html",
        "application/json",
        vector("registration/valid/full.json"),
        None,
    );
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[test]
fn xml_input_is_validated_with_the_same_rules_and_located_by_element() {
    let xml =
        std::fs::read_to_string(repo().join("conformance/vectors/registration/valid/full.xml"))
            .unwrap();
    let ok: Value = post(
        "/v1/validate/registration",
        "application/xml",
        xml.clone().into_bytes(),
        None,
    )
    .json()
    .unwrap();
    assert_eq!(ok["valid"], true, "{ok}");
    let broken = xml.replace(">caregiver_unavailable<", ">disability_related_crisis<");
    let report: Value = post(
        "/v1/validate/registration",
        "application/xml",
        broken.into_bytes(),
        None,
    )
    .json()
    .unwrap();
    let e = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "KY-REG-SHORTSTAY-REASON")
        .expect("rule fires");
    assert!(e["xml_location"]
        .as_str()
        .unwrap()
        .starts_with("/registration/emergency_plan/desired_services["));
    assert!(e["xml_line"].as_u64().unwrap() > 1);
}

#[test]
fn a_document_of_another_type_is_reported_as_a_type_mismatch() {
    let report: Value = post(
        "/v1/validate/facility",
        "application/json",
        vector("registration/valid/full.json"),
        None,
    )
    .json()
    .unwrap();
    assert_eq!(ids(&report).0, vec!["KY-DOC-TYPE-MISMATCH"]);
}

#[test]
fn an_unknown_document_type_is_a_404_problem() {
    let res = post(
        "/v1/validate/invoice",
        "application/json",
        b"{}".to_vec(),
        None,
    );
    assert_eq!(res.status(), 404);
    let p: Value = res.json().unwrap();
    assert_eq!(
        p["type"],
        "https://w3id.org/kyoten/problems/unknown-document-type"
    );
}

#[test]
fn unknown_paths_and_wrong_methods_are_problem_details() {
    let res = client().get(url("/no/such/thing")).send().unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = client().delete(url("/schemas")).send().unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = client()
        .get(url("/v1/validate/registration"))
        .header("accept-language", "en")
        .send()
        .unwrap();
    assert_eq!(res.status(), 405);
    let p: Value = res.json().unwrap();
    assert_eq!(p["title"], "Method not allowed");
}

#[test]
fn a_batch_gets_one_report_per_line_in_order_with_line_numbers() {
    let good = serde_json::to_string(&read_json(
        &repo().join("conformance/vectors/registration/valid/minimal.json"),
    ))
    .unwrap();
    let bad = String::from_utf8(shortstay_without_reason()).unwrap();
    let body = format!("{good}\n{bad}\n\nnot json\n{good}");
    let res = post(
        "/v1/validate/registration/batch",
        "application/x-ndjson",
        body.into_bytes(),
        Some("en"),
    );
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = res
        .text()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let numbers: Vec<u64> = lines.iter().map(|l| l["line"].as_u64().unwrap()).collect();
    assert_eq!(
        numbers,
        vec![1, 2, 4, 5],
        "blank line 3 is skipped but counted"
    );
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(ids(&lines[1]).0, vec!["KY-REG-SHORTSTAY-REASON"]);
    assert_eq!(lines[2]["valid"], false);
    assert_eq!(
        lines[2]["problem"]["type"],
        "https://w3id.org/kyoten/problems/malformed-json"
    );
    assert_eq!(lines[3]["valid"], true);
}

#[test]
fn a_batch_line_over_the_limit_is_reported_and_the_next_line_still_validated() {
    let good = serde_json::to_string(&read_json(
        &repo().join("conformance/vectors/registration/valid/minimal.json"),
    ))
    .unwrap();
    let huge = format!("{{\"x\":\"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let body = format!("{huge}\n{good}\n");
    let res = post(
        "/v1/validate/registration/batch",
        "application/x-ndjson",
        body.into_bytes(),
        None,
    );
    let lines: Vec<Value> = res
        .text()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0]["problem"]["type"],
        "https://w3id.org/kyoten/problems/payload-too-large"
    );
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["valid"], true);
}

#[test]
fn a_batch_with_a_wrong_content_type_is_a_415_problem() {
    let res = post(
        "/v1/validate/registration/batch",
        "application/json",
        b"{}".to_vec(),
        None,
    );
    assert_eq!(res.status(), 415);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[test]
fn a_batch_larger_than_one_parallel_block_keeps_every_line_in_order() {
    let good = serde_json::to_string(&read_json(
        &repo().join("conformance/vectors/registration/valid/full.json"),
    ))
    .unwrap();
    let bad = String::from_utf8(shortstay_without_reason()).unwrap();
    let body: String = (1..=1500)
        .map(|i| {
            if i % 7 == 0 {
                format!("{bad}\n")
            } else {
                format!("{good}\n")
            }
        })
        .collect();
    assert!(body.len() > 3 * 1024 * 1024, "spans several blocks");
    let res = post(
        "/v1/validate/registration/batch",
        "application/x-ndjson",
        body.into_bytes(),
        None,
    );
    let lines: Vec<Value> = res
        .text()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1500);
    for (i, l) in lines.iter().enumerate() {
        let n = i as u64 + 1;
        assert_eq!(l["line"], n);
        assert_eq!(l["valid"], !n.is_multiple_of(7), "line {n}");
    }
}

#[test]
fn an_unsupported_media_type_is_explained_in_japanese_with_only_media_types_in_latin_letters() {
    let r = post(
        "/v1/validate/registration",
        "text/plain",
        b"{}".to_vec(),
        Some("ja"),
    );
    assert_eq!(r.status(), 415);
    let problem: Value = r.json().unwrap();
    let detail = problem["detail"].as_str().unwrap();
    let mut rest = detail.to_owned();
    for media_type in [
        "application/json",
        "application/xml",
        "text/xml",
        "*/*+json",
        "*/*+xml",
        "Content-Type",
    ] {
        assert!(rest.contains(media_type), "{detail}");
        rest = rest.replace(media_type, "");
    }
    assert!(
        !rest.chars().any(|c| c.is_ascii_alphabetic()),
        "English left in the Japanese detail: {detail}"
    );
}

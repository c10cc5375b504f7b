//! The XML Schemas (`GET /schemas/{name}/{version}.xsd`), checked with xmllint: they compile,
//! accept every valid XML vector and the XML form of every valid JSON vector, and refuse
//! unknown elements and codes outside their lists.
use crate::helpers::*;
use kyoten::contracts::DocumentType;
use kyoten::validation::Engine;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// The XML Schemas of every document type (version 1.0.0), fetched over HTTP into a folder.
fn fetched_schemas() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in DOCUMENT_DIRS {
        let res = client()
            .get(url(&format!("/schemas/{name}/1.0.0.xsd")))
            .send()
            .unwrap();
        assert_eq!(res.status(), 200, "{name}");
        std::fs::write(dir.path().join(format!("{name}.xsd")), res.bytes().unwrap()).unwrap();
    }
    dir
}

/// Runs xmllint; the XML Schema tests need it and fail, never skip, without it.
fn xmllint(args: &[&Path]) -> std::process::Output {
    Command::new("xmllint")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "xmllint could not be run ({e}): install it with `apt-get install -y \
                 libxml2-utils` (scripts/test.sh does)"
            )
        })
}

/// Validates a document against an XML Schema: `Ok` or xmllint's complaint.
fn validate(xsd: &Path, doc: &Path) -> Result<(), String> {
    let out = xmllint(&[Path::new("--noout"), Path::new("--schema"), xsd, doc]);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn valid_vectors(extension: &str) -> Vec<(&'static str, PathBuf)> {
    let mut files = Vec::new();
    for name in DOCUMENT_DIRS {
        let dir = repo().join("conformance/vectors").join(name).join("valid");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == extension) {
                files.push((name, path));
            }
        }
    }
    files.sort();
    files
}

/// The valid handoff response vector, as text, for edits that must make it fail.
fn declined_response() -> String {
    std::fs::read_to_string(repo().join("conformance/vectors/handoff_response/valid/declined.xml"))
        .unwrap()
}

#[test]
fn the_xml_schema_of_every_document_type_is_served_as_xml_that_xmllint_compiles() {
    let schemas = fetched_schemas();
    for name in DOCUMENT_DIRS {
        let res = client()
            .get(url(&format!("/schemas/{name}/1.0.0.xsd")))
            .send()
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-type"],
            "application/xml; charset=utf-8"
        );
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let xsd = schemas.path().join(format!("{name}.xsd"));
        let well_formed = xmllint(&[Path::new("--noout"), &xsd]);
        assert!(
            well_formed.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&well_formed.stderr)
        );
        // Compiling the schema is part of validating any document against it.
        let doc = schemas.path().join("doc.xml");
        std::fs::write(&doc, declined_response()).unwrap();
        let out = xmllint(&[Path::new("--noout"), Path::new("--schema"), &xsd, &doc]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("failed to compile"), "{name}: {stderr}");
        let again = client()
            .get(url(&format!("/schemas/{name}/1.0.0.xsd")))
            .header("if-none-match", &etag)
            .send()
            .unwrap();
        assert_eq!(again.status(), 304);
    }
}

#[test]
fn every_valid_xml_vector_validates_against_its_xml_schema() {
    let schemas = fetched_schemas();
    let vectors = valid_vectors("xml");
    assert!(vectors.len() >= 8, "{} XML vectors", vectors.len());
    for (name, path) in vectors {
        let xsd = schemas.path().join(format!("{name}.xsd"));
        if let Err(e) = validate(&xsd, &path) {
            panic!("{}: {e}", path.display());
        }
    }
}

#[test]
fn the_xml_form_of_every_valid_json_vector_and_demo_document_validates_against_its_xml_schema() {
    let schemas = fetched_schemas();
    let mut documents = valid_vectors("json");
    assert!(documents.len() >= 14, "{} JSON vectors", documents.len());
    documents.push(("registration", repo().join("demo/registration.json")));
    documents.push(("emergency_intake", repo().join("demo/intake.json")));
    for entry in std::fs::read_dir(repo().join("demo/facilities")).unwrap() {
        documents.push(("facility", entry.unwrap().path()));
    }
    for (name, path) in documents {
        let doc_type = DocumentType::parse(name).unwrap();
        let value: Value = read_json(&path);
        let xml = kyoten::xml::to_xml(doc_type, &value, Engine::get()).unwrap();
        let written = schemas.path().join("written.xml");
        std::fs::write(&written, xml).unwrap();
        let xsd = schemas.path().join(format!("{name}.xsd"));
        if let Err(e) = validate(&xsd, &written) {
            panic!("{}: {e}", path.display());
        }
    }
}

#[test]
fn an_enveloped_signature_is_allowed_as_a_child_of_the_root() {
    let schemas = fetched_schemas();
    let signed = declined_response().replace(
        "  <status>",
        "  <ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\
         <ds:SignedInfo/></ds:Signature>\n  <status>",
    );
    let doc = schemas.path().join("signed.xml");
    std::fs::write(&doc, signed).unwrap();
    validate(&schemas.path().join("handoff_response.xsd"), &doc).unwrap();
}

#[test]
fn an_unknown_element_fails_xml_schema_validation() {
    let schemas = fetched_schemas();
    let doc = schemas.path().join("unknown.xml");
    std::fs::write(
        &doc,
        declined_response().replace("  <status>", "  <nickname>x</nickname>\n  <status>"),
    )
    .unwrap();
    let err = validate(&schemas.path().join("handoff_response.xsd"), &doc).unwrap_err();
    assert!(err.contains("nickname"), "{err}");
}

#[test]
fn a_code_outside_its_list_fails_xml_schema_validation() {
    let schemas = fetched_schemas();
    let doc = schemas.path().join("code.xml");
    std::fs::write(
        &doc,
        declined_response().replace("<status>declined</status>", "<status>maybe</status>"),
    )
    .unwrap();
    let err = validate(&schemas.path().join("handoff_response.xsd"), &doc).unwrap_err();
    assert!(err.contains("status"), "{err}");
}

#[test]
fn an_element_in_another_namespace_fails_xml_schema_validation() {
    let schemas = fetched_schemas();
    let doc = schemas.path().join("namespace.xml");
    std::fs::write(
        &doc,
        declined_response().replace(
            "<status>declined</status>",
            "<status xmlns=\"urn:other\">declined</status>",
        ),
    )
    .unwrap();
    assert!(validate(&schemas.path().join("handoff_response.xsd"), &doc).is_err());
}

#[test]
fn an_unknown_xml_schema_version_or_name_is_a_404_problem() {
    for path in [
        "/schemas/registration/9.9.9.xsd",
        "/schemas/common/1.0.0.xsd",
        "/schemas/nothing/1.0.0.xsd",
    ] {
        let res = client().get(url(path)).send().unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
}

#[test]
fn the_schema_index_links_the_xml_schema_of_each_document_type() {
    let list: Vec<Value> = client()
        .get(url("/schemas"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    for entry in &list {
        let name = entry["name"].as_str().unwrap();
        if DOCUMENT_DIRS.contains(&name) {
            assert_eq!(
                entry["xsd"],
                format!("/schemas/{name}/{}.xsd", entry["version"].as_str().unwrap())
            );
        } else {
            assert!(entry.get("xsd").is_none(), "{name}");
        }
    }
}

//! Mutated documents never crash the validator and never get a 5xx: every byte-level mutation
//! of every vector either is refused as not-a-document (400) or gets a report (200).
use crate::helpers::*;
use kyoten::contracts::DocumentType;
use kyoten::validation::input::{Format, Input};
use kyoten::validation::{Engine, Lang};

#[path = "../support/rng.rs"]
mod rng;
use rng::Rng;

const INTERESTING: [&[u8]; 12] = [
    b"\"", b"{", b"}", b"[", b"]", b",", b":", b"<", b">", b"&", b"\xff", b"\\u0000",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len().max(1));
        match rng.below(4) {
            0 if !out.is_empty() => {
                out.remove(at.min(out.len() - 1));
            }
            1 => {
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                out.splice(at..at, piece.iter().copied());
            }
            2 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] = rng.next() as u8;
            }
            _ => {
                let len = rng.below(64).min(out.len() - at.min(out.len()));
                let copy = out[at..at + len].to_vec();
                out.splice(at..at, copy);
            }
        }
    }
    out
}

fn vector_files() -> Vec<(String, std::path::PathBuf)> {
    let mut files = Vec::new();
    for dir in DOCUMENT_DIRS {
        for v in manifest(dir).vectors {
            files.push((
                dir.to_owned(),
                repo().join("conformance/vectors").join(dir).join(v.file),
            ));
        }
    }
    files
}

#[test]
fn thousands_of_mutated_documents_never_panic_the_validator() {
    let engine = Engine::get();
    let mut rng = Rng(0x6b796f74656e);
    let mut reports = 0;
    for (dir, path) in vector_files() {
        let original = std::fs::read(&path).unwrap();
        let format = if content_type_of(&path) == "application/xml" {
            Format::Xml
        } else {
            Format::Json
        };
        for _ in 0..40 {
            let bytes = mutate(&mut rng, &original);
            if let Ok(input) = Input::read(format, &bytes, engine) {
                let outcome = input.validate(engine, DocumentType::parse(&dir));
                let _ = input.render(engine, &outcome, Lang::En);
                reports += 1;
            }
        }
    }
    assert!(
        reports > 500,
        "mutations should often still be documents ({reports})"
    );
}

#[test]
fn mutated_documents_over_http_get_a_report_or_a_400_problem() {
    let mut rng = Rng(0x4b594f54454e);
    for (dir, path) in vector_files().into_iter().step_by(3) {
        let original = std::fs::read(&path).unwrap();
        for _ in 0..3 {
            let res = client()
                .post(url(&format!("/v1/validate/{dir}")))
                .header("content-type", content_type_of(&path))
                .body(mutate(&mut rng, &original))
                .send()
                .unwrap();
            let status = res.status().as_u16();
            assert!(
                status == 200 || status == 400,
                "{}: status {status}",
                path.display()
            );
            if status == 400 {
                assert_eq!(res.headers()["content-type"], "application/problem+json");
            }
        }
    }
}

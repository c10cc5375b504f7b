//! In-process validation cost (BENCHMARKS.md): schema + rules on the reference registration,
//! with and without parsing, and the rendering of a report.
#![allow(clippy::unwrap_used)] // a development tool: a panic here is its error report
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kyoten::contracts::json::parse_document;
use kyoten::contracts::DocumentType;
use kyoten::validation::{Engine, Lang};
use std::hint::black_box;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn compact(path: &str) -> Vec<u8> {
    let text = std::fs::read(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect("vector");
    let value: serde_json::Value = serde_json::from_slice(&text).expect("json");
    serde_json::to_vec(&value).expect("serializes")
}

fn bench(c: &mut Criterion) {
    let engine = Engine::get();
    for (name, path) in [
        (
            "registration_full",
            "conformance/vectors/registration/valid/full.json",
        ),
        (
            "registration_minimal",
            "conformance/vectors/registration/valid/minimal.json",
        ),
        (
            "facility_full",
            "conformance/vectors/facility/valid/full.json",
        ),
        (
            "handoff_full",
            "conformance/vectors/handoff/valid/full.json",
        ),
    ] {
        let bytes = compact(path);
        let value = parse_document(&bytes).expect("parses");
        let doc_type = DocumentType::parse(value["document_type"].as_str().unwrap());
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("schema_and_rules", |b| {
            b.iter(|| engine.validate(doc_type, black_box(&value)))
        });
        group.bench_function("parse_schema_and_rules", |b| {
            b.iter(|| {
                let v = parse_document(black_box(&bytes)).expect("parses");
                engine.validate(doc_type, &v)
            })
        });
        group.bench_function("parse_validate_render_serialize", |b| {
            b.iter(|| {
                let v = parse_document(black_box(&bytes)).expect("parses");
                let outcome = engine.validate(doc_type, &v);
                serde_json::to_vec(&engine.render(&outcome, Lang::Ja, None)).expect("serializes")
            })
        });
        group.finish();
    }
    let invalid =
        compact("conformance/vectors/registration/invalid/shortstay_without_caregiver_reason.json");
    let value = parse_document(&invalid).expect("parses");
    c.bench_function("registration_invalid/schema_rules_render", |b| {
        b.iter(|| {
            let outcome = engine.validate(Some(DocumentType::Registration), black_box(&value));
            engine.render(&outcome, Lang::Ja, None)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

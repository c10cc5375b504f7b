//! Signature cost (BENCHMARKS.md, "Signatures"): JWS ES256 over the JCS form of a ~4 KB handoff,
//! and XMLDSig ES256 (exclusive C14N + SHA-256 + ECDSA) of a ~4 KB XML handoff, both ways.
#![allow(clippy::unwrap_used)] // a development tool: a panic here is its error report
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kyoten::crypto::jws::{self, Alg, SigningKey, VerifyingKey};
use kyoten::crypto::xmldsig;
use kyoten::packet::check::{self, Lifetime, NoRecords, Purpose};
use kyoten::xml::c14n::{Document, Subset};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use std::hint::black_box;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TYP: &str = "kyoten-handoff+jws";

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect("vector")
}

/// The XML vector without its indentation, as a program would send it.
fn compact_xml(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'>' {
            out.push(b'>');
            let mut j = i + 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < bytes.len() && bytes[j] != b'<' {
                out.extend_from_slice(&bytes[i + 1..j]);
            }
            i = j;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn keys() -> (SigningKey, VerifyingKey) {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("P-256");
    let private = PKey::from_ec_key(EcKey::generate(&group).expect("key")).expect("key");
    let public =
        PKey::public_key_from_der(&private.public_key_to_der().expect("der")).expect("key");
    (
        SigningKey {
            kid: "bench-es256".into(),
            alg: Alg::Es256,
            key: private,
        },
        VerifyingKey {
            kid: "bench-es256".into(),
            alg: Alg::Es256,
            key: public,
        },
    )
}

fn bench(c: &mut Criterion) {
    let (signing, verifying) = keys();
    let lookup = |kid: &str| (kid == "bench-es256").then(|| verifying.clone());

    let payload: serde_json::Value =
        serde_json::from_slice(&read("conformance/vectors/handoff/valid/full.json")).expect("json");
    let size = kyoten::crypto::jcs::canonical(&payload).len();
    let compact = jws::sign(&payload, TYP, &signing).expect("signs");
    let mut group = c.benchmark_group("jws_es256_handoff");
    group.throughput(Throughput::Bytes(size as u64));
    group.bench_function("sign", |b| {
        b.iter(|| jws::sign(black_box(&payload), TYP, &signing).expect("signs"))
    });
    // What the exchange does per packet: it canonicalizes once (to store and hash the packet)
    // and signs those bytes.
    let canonical = kyoten::crypto::jcs::canonical(&payload);
    group.bench_function("sign_canonical", |b| {
        b.iter(|| jws::sign_canonical(black_box(&canonical), TYP, &signing).expect("signs"))
    });
    group.bench_function("verify", |b| {
        b.iter(|| jws::verify(black_box(&compact), TYP, lookup).expect("verifies"))
    });
    group.finish();

    // Where the JWS time goes: the JCS form of the payload, and ECDSA on its own.
    let mut group = c.benchmark_group("components");
    group.bench_function("jcs_handoff", |b| {
        b.iter(|| kyoten::crypto::jcs::canonical(black_box(&payload)))
    });
    let input = compact
        .rsplit_once('.')
        .expect("three parts")
        .0
        .as_bytes()
        .to_vec();
    group.bench_function("openssl_signer_es256", |b| {
        b.iter(|| {
            let mut signer =
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &signing.key)
                    .expect("signer");
            signer.update(black_box(&input)).expect("update");
            signer.sign_to_vec().expect("signs")
        })
    });
    let ec = signing.key.ec_key().expect("ec");
    // What `openssl speed ecdsap256` measures: ECDSA on a ready digest with a loaded key.
    let digest = openssl::sha::sha256(&input);
    group.bench_function("openssl_ecdsa_sig_digest_only", |b| {
        b.iter(|| openssl::ecdsa::EcdsaSig::sign(black_box(&digest), &ec).expect("signs"))
    });
    group.bench_function("openssl_ecdsa_sig_es256", |b| {
        b.iter(|| {
            openssl::ecdsa::EcdsaSig::sign(&openssl::sha::sha256(black_box(&input)), &ec)
                .expect("signs")
        })
    });
    group.finish();

    let xml = compact_xml(&read("conformance/vectors/handoff/valid/full.xml"));
    let signed = xmldsig::sign(&xml, &signing).expect("signs");
    let mut group = c.benchmark_group("xmldsig_es256_handoff");
    group.throughput(Throughput::Bytes(xml.len() as u64));
    group.bench_function("canonicalize", |b| {
        b.iter(|| {
            Document::parse(black_box(&xml))
                .expect("parses")
                .canonicalize(Subset::Document)
        })
    });
    group.bench_function("sign", |b| {
        b.iter(|| xmldsig::sign(black_box(&xml), &signing).expect("signs"))
    });
    group.bench_function("verify", |b| {
        b.iter(|| xmldsig::verify(black_box(&signed), lookup).expect("verifies"))
    });
    group.finish();

    // The whole packet check `kyoten verify` runs (src/packet/check.rs): the signature, the
    // strict reading (the XML read exactly or refused), every validation rule, the lifetime.
    let jws_packet = jws::sign(&payload, "handoff+jws", &signing).expect("signs");
    let now = chrono::DateTime::parse_from_rfc3339("2026-01-20T12:00:00+09:00")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let check = |bytes: &[u8]| {
        check::check(
            bytes,
            lookup,
            &NoRecords,
            Purpose::Offline,
            Lifetime::default(),
            now,
        )
        .expect("no records to fail")
    };
    assert!(check(&signed).is_ok(), "the XML packet passes the check");
    assert!(
        check(jws_packet.as_bytes()).is_ok(),
        "the JWS packet passes the check"
    );
    let mut group = c.benchmark_group("packet_check_offline");
    group.bench_function("xml", |b| b.iter(|| check(black_box(&signed))));
    group.bench_function("jws", |b| {
        b.iter(|| check(black_box(jws_packet.as_bytes())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

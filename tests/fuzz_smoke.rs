//! The short fuzz run of the test suite: every fuzz target of `fuzz/` (the same properties the
//! coverage-guided AFL run of `scripts/fuzz.sh` checks) over its seeds from the conformance
//! vectors and then over random mutations of them, for `KYOTEN_FUZZ_SMOKE_SECONDS` (default 8)
//! per target. Not coverage-guided (that takes AFL++ and an instrumented build, too long for
//! every run of the suite); a failing input is written to `target/fuzz-smoke/` and printed in
//! base64, to be replayed with `fuzz/target/release/TARGET < FILE` and kept as a regression
//! test.
#![allow(clippy::unwrap_used)] // tests: a panic is a failed test
#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod kyoten_fuzz;

pub use kyoten_fuzz::*;

use base64::Engine as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn vectors() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/vectors"),
        &mut out,
    );
    out
}

fn ext(p: &Path) -> &str {
    p.extension().and_then(|e| e.to_str()).unwrap_or_default()
}

fn b64url(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .ok()
}

/// The seeds of a target, as `scripts/fuzz.sh` collects them.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let with = |mode: u8, data: &[u8]| [&[mode][..], data].concat();
    for p in vectors() {
        let data = std::fs::read(&p).unwrap();
        match (ext(&p), target) {
            ("xml", "xml_reader" | "c14n" | "xml_to_json" | "xml_roundtrip") => out.push(data),
            ("xml", "packet") => {
                out.push(with(0, &data));
                out.push(with(1, &data));
            }
            ("json", "json") => out.push(data),
            ("json", "jws")
                if p.file_name().is_some_and(|n| n != "manifest.json")
                    && data.windows(9).any(|w| w == b"\"handoff\"") =>
            {
                out.push(with(2, &data))
            }
            ("jws", "jws") => {
                out.push(with(0, &data));
                let text = String::from_utf8_lossy(&data);
                let parts: Vec<&str> = text.trim().split('.').collect();
                if let [h, p, _] = parts[..] {
                    if let (Some(h), Some(p)) = (b64url(h), b64url(p)) {
                        out.push([&[1u8][..], &h, &[0u8][..], &p].concat());
                    }
                }
            }
            ("jws", "packet") => out.push(with(0, &data)),
            _ => {}
        }
    }
    out
}

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

/// Bytes that matter to the parsers, to insert and overwrite with.
const INTERESTING: &[&[u8]] = &[
    b"<",
    b">",
    b"</",
    b"/>",
    b"&",
    b"&amp;",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"<?",
    b"<!DOCTYPE",
    b"xmlns=",
    b"xmlns:x=",
    b"\"",
    b"'",
    b"=",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"\\u0000",
    b"\\ud800",
    b"1e400",
    b"-0",
    b"3.0",
    b"null",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff",
    b".",
    b"\r\n",
    b"\t",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(7) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at.min(end)..end);
            }
            2 => {
                let token = INTERESTING[rng.below(INTERESTING.len())];
                data.splice(at..at, token.iter().copied());
            }
            3 => data.truncate(at),
            4 if !data.is_empty() => {
                // Repeat a chunk (a second element, a second member).
                let start = rng.below(data.len());
                let end = (start + 1 + rng.below(64)).min(data.len());
                let chunk = data[start..end].to_vec();
                data.splice(at..at, chunk);
            }
            5 => {
                // Splice in a piece of another seed.
                let other = &seeds[rng.below(seeds.len())];
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(128)).min(other.len());
                data.splice(at..at, other[start..end].iter().copied());
            }
            _ if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] = rng.next() as u8;
            }
            _ => {}
        }
    }
    data
}

/// Runs `target` over its seeds, then over mutations for the time budget; fails with the
/// first input that breaks a property.
fn smoke(target: &str, run: fn(&[u8])) {
    init();
    let seeds = seeds(target);
    assert!(
        !seeds.is_empty(),
        "{target}: no seeds in conformance/vectors"
    );
    let budget = Duration::from_secs(
        std::env::var("KYOTEN_FUZZ_SMOKE_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(8),
    );
    let check = |data: &[u8]| {
        if catch_unwind(AssertUnwindSafe(|| run(data))).is_err() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-smoke");
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(target);
            std::fs::write(&file, data).unwrap();
            panic!(
                "{target}: a property does not hold for the input in {} (base64 {})",
                file.display(),
                base64::engine::general_purpose::STANDARD.encode(data)
            );
        }
    };
    for seed in &seeds {
        check(seed);
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ target.len() as u64);
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed() < budget {
        check(&mutate(&mut rng, &seeds));
        runs += 1;
    }
    eprintln!("{target}: {} seeds, {runs} mutations", seeds.len());
}

#[test]
fn the_xml_reader_holds_its_properties_on_mutated_vectors() {
    smoke("xml_reader", targets::xml_reader::run);
}

#[test]
fn exclusive_c14n_holds_its_properties_on_mutated_vectors() {
    smoke("c14n", targets::c14n::run);
}

#[test]
fn the_jws_parser_holds_its_properties_on_mutated_vectors() {
    smoke("jws", targets::jws::run);
}

#[test]
fn the_packet_check_holds_its_properties_on_mutated_vectors() {
    smoke("packet", targets::packet::run);
}

#[test]
fn the_strict_json_parser_holds_its_properties_on_mutated_vectors() {
    smoke("json", targets::json::run);
}

#[test]
fn the_xml_mapping_holds_its_properties_on_mutated_vectors() {
    smoke("xml_to_json", targets::xml_to_json::run);
}

#[test]
fn a_signed_xml_packet_reads_the_same_after_a_round_trip_on_mutated_vectors() {
    smoke("xml_roundtrip", targets::xml_roundtrip::run);
}

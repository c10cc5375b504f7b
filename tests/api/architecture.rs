//! The module graph points one way. Each top-level module of `src/` has a layer, and code may
//! use only modules of lower layers (test modules aside: a test may drive a module from
//! above). The layers, from the bottom:
//!
//! 0. `contracts` (the published schemas, code lists, policies and message catalogue) and
//!    `time` (Japan time, dates and timestamps);
//! 1. `xml` (the hardened reader, the mapping by shape, the writer, the XML Schemas);
//! 2. `domain` (roles, consent, policy, matching, the handoff lifecycle: rules without I/O);
//! 3. `validation` (JSON Schema plus the document rules, which apply the domain's);
//! 4. `crypto` (JCS, JWS, XMLDSig, keys);
//! 5. `packet` (signed packets: forms, signing, the one packet check);
//! 6. `store` (queries and transactions);
//! 7. `http` (the API);
//! 8. `conformance` (the suite integrators run against any exchange);
//! 9. `cli` (the commands, which start all of the above).
use std::path::{Path, PathBuf};

const LAYERS: &[(&str, u8)] = &[
    ("contracts", 0),
    ("time", 0),
    ("xml", 1),
    ("domain", 2),
    ("validation", 3),
    ("crypto", 4),
    ("packet", 5),
    ("store", 6),
    ("http", 7),
    ("conformance", 8),
    ("cli", 9),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without its `#[cfg(test)]` modules (they sit at the end of a file here).
fn without_tests(source: &str) -> &str {
    source
        .find("#[cfg(test)]\nmod tests")
        .map_or(source, |at| &source[..at])
}

/// The top-level modules a source names through `crate::`, with the line of each naming.
fn crate_uses(source: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (at, _) in source.match_indices("crate::") {
        let before = source[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `kyoten_crate::`
        }
        let line = source[..at].lines().count().max(1);
        let rest = &source[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::x, b::{y, z}}`: the names at the group's first level.
            let mut depth = 1;
            let mut name = String::new();
            let mut expecting = true;
            for c in group.chars() {
                if depth == 1 && expecting && (c.is_alphanumeric() || c == '_') {
                    name.push(c);
                    continue;
                }
                if !name.is_empty() {
                    found.push((std::mem::take(&mut name), line));
                    expecting = false;
                }
                match c {
                    '{' => depth += 1,
                    '}' if depth == 1 => break,
                    '}' => depth -= 1,
                    ',' if depth == 1 => expecting = true,
                    _ => {}
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push((name, line));
        }
    }
    found
}

#[test]
fn no_module_uses_a_module_of_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    let mut unplaced = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(own) = layer(&top) else {
            unplaced.push(top);
            continue;
        };
        let source = std::fs::read_to_string(file).unwrap();
        for (used, line) in crate_uses(without_tests(&source)) {
            match layer(&used) {
                Some(l) if l > own || (l == own && used != top) => {
                    upward.push(format!("{}:{line} uses {used}", relative.display()))
                }
                Some(_) => {}
                None => unplaced.push(used),
            }
        }
    }
    unplaced.sort();
    unplaced.dedup();
    assert!(
        unplaced.is_empty(),
        "modules without a layer (give them one in LAYERS): {unplaced:?}"
    );
    assert!(
        upward.is_empty(),
        "uses against the layers:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_layer_check_reads_grouped_and_plain_uses_and_skips_test_modules() {
    let source = "use crate::{store::x, http::{a, b}, time};\nfn f() { crate::cli::run(); }\n\
                  #[cfg(test)]\nmod tests { use crate::conformance; }";
    let names: Vec<String> = crate_uses(without_tests(source))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["store", "http", "time", "cli"]);
}

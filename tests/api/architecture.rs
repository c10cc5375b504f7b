//! The module graph points one way. Each top-level module of `src/` has a layer, and code may
//! use only modules of lower layers (test modules aside: a test may drive a module from
//! above). The layers, from the bottom:
//!
//! 0. `contracts` (the published schemas, code lists, policies and message catalogue),
//!    `time` (Japan time, dates and timestamps) and `observe` (security events and metrics);
//! 1. `xml` (the hardened reader, the mapping by shape, the writer, the XML Schemas);
//! 2. `domain` (roles, consent, policy, matching, the handoff lifecycle: rules without I/O);
//! 3. `validation` (JSON Schema plus the document rules, which apply the domain's);
//! 4. `crypto` (JCS, JWS, XMLDSig, keys);
//! 5. `packet` (signed packets: forms, signing, the one packet check);
//! 6. `store` (queries and transactions);
//! 7. `problem` (the one error type and its problem+json catalogue);
//! 8. `exchange` (the use cases: each a plain function over typed inputs);
//! 9. `http` (the API: handlers extract, call one use case and respond);
//! 10. `conformance` (the suite integrators run against any exchange);
//! 11. `cli` (the commands, which start all of the above).
use crate::helpers::repo;
use std::path::{Path, PathBuf};

const LAYERS: &[(&str, u8)] = &[
    ("contracts", 0),
    ("time", 0),
    ("observe", 0),
    ("xml", 1),
    ("domain", 2),
    ("validation", 3),
    ("crypto", 4),
    ("packet", 5),
    ("store", 6),
    ("problem", 7),
    ("exchange", 8),
    ("http", 9),
    ("conformance", 10),
    ("cli", 11),
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

/// Where each brace of `source` closes, skipping strings, characters and comments: for each
/// `{` its byte offset and the offset of its `}`.
fn brace_pairs(source: &str) -> Vec<(usize, usize)> {
    let bytes = source.as_bytes();
    let (mut open, mut pairs) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'r' if bytes.get(i + 1).is_some_and(|&b| b == b'#' || b == b'"')
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) =>
            {
                let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
                if bytes.get(i + 1 + hashes) == Some(&b'"') {
                    let end = format!("\"{}", "#".repeat(hashes));
                    let from = i + 2 + hashes;
                    i = source[from..]
                        .find(&end)
                        .map_or(bytes.len(), |at| from + at + end.len());
                    continue;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' => {
                // A character literal ('x', '\n', '{'), not a lifetime ('a).
                let rest = &source[i + 1..];
                let mut chars = rest.char_indices();
                if let Some((_, c)) = chars.next() {
                    let end = if c == '\\' {
                        rest.find('\'').filter(|&at| at > 1)
                    } else {
                        chars.next().filter(|&(_, q)| q == '\'').map(|(at, _)| at)
                    };
                    if let Some(at) = end {
                        i += at + 2;
                        continue;
                    }
                }
            }
            b'{' => open.push(i),
            b'}' => {
                if let Some(start) = open.pop() {
                    pairs.push((start, i));
                }
            }
            _ => {}
        }
        i += 1;
    }
    pairs
}

/// The functions of `source` longer than `limit` lines, as (name, first line, lines), unless
/// the doc comment above one says why (`Long on purpose:`).
fn long_functions(source: &str, limit: usize) -> Vec<(String, usize, usize)> {
    let pairs = brace_pairs(source);
    let line_of = |offset: usize| source[..offset].matches('\n').count() + 1;
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let Some(at) = line.find("fn ") else { continue };
        let head = line[..at].trim();
        let is_fn = head
            .split_whitespace()
            .all(|w| ["pub", "async", "const", "unsafe"].contains(&w) || w.starts_with("pub("));
        let name: String = line[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !is_fn || name.is_empty() {
            continue;
        }
        let start: usize = lines[..n].iter().map(|l| l.len() + 1).sum::<usize>() + at;
        // The function's body: the first brace after its signature that is not inside it.
        let Some(&(open, close)) = pairs
            .iter()
            .filter(|(o, _)| *o > start)
            .min_by_key(|(o, _)| *o)
        else {
            continue;
        };
        let signature = &source[start..open];
        if signature.contains(';') {
            continue; // a declaration without a body (a trait's)
        }
        let length = line_of(close) - (n + 1) + 1;
        let explained = lines[..n]
            .iter()
            .rev()
            .take_while(|l| {
                let l = l.trim_start();
                l.starts_with("///") || l.starts_with("#[") || l.starts_with("//")
            })
            .any(|l| l.contains("Long on purpose:"));
        if length > limit && !explained {
            found.push((name, n + 1, length));
        }
    }
    found
}

#[test]
fn no_module_is_over_600_lines_and_no_function_over_80_without_a_stated_reason() {
    let mut files = Vec::new();
    rust_files(&repo().join("src"), &mut files);
    let mut over = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        let code = without_tests(&source);
        let name = file.strip_prefix(repo()).unwrap().display().to_string();
        let module_lines = code.lines().count();
        if module_lines > 600 && !code.contains("//! Long on purpose:") {
            over.push(format!("{name}: {module_lines} lines (module)"));
        }
        for (function, line, length) in long_functions(code, 80) {
            over.push(format!("{name}:{line}: fn {function}, {length} lines"));
        }
    }
    assert!(
        over.is_empty(),
        "split these, or say why above them (`Long on purpose: …`):\n{}",
        over.join("\n")
    );
}

#[test]
fn the_size_check_measures_bodies_and_skips_braces_in_strings_and_characters() {
    let source = "fn short() {\n    let s = \"{{\";\n    let c = '{';\n}\n\nfn long() {\n    a();\n    b();\n    c();\n}\n\n/// Long on purpose: a table.\nfn explained() {\n    a();\n    b();\n    c();\n}\n";
    let found = long_functions(source, 4);
    assert_eq!(found, vec![("long".to_string(), 6, 5)]);
    assert!(long_functions(source, 5).is_empty());
}

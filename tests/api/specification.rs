//! The specification for integrators (`docs/spec/`) and the citations of it: every section is
//! numbered, every citation `docs/spec/{file}.md §{section}` anywhere in the repository names a
//! section its file has, every rule the conformance suite and the message catalogue cite is such
//! a citation, and nothing refers to the integrator documents where they were before
//! `docs/spec/`.
use crate::helpers::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where the repository's own text lives: the files a citation or a document path may be in.
const ROOTS: [&str; 16] = [
    "README.md",
    "BENCHMARKS.md",
    "docs",
    "conformance",
    "schemas",
    "src",
    "examples",
    "tests",
    "migrations",
    "scripts",
    "benches",
    "demo",
    "fuzz/src",
    "fuzz/fuzz_targets",
    "openapi",
    ".ci",
];

/// Text files of the repository under `ROOTS` (no build output, virtual environments or
/// installed packages).
fn repository_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending: Vec<PathBuf> = ROOTS.iter().map(|r| repo().join(r)).collect();
    while let Some(path) = pending.pop() {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            if ["target", "node_modules", "__pycache__"].contains(&name.as_ref())
                || name.starts_with(".venv")
            {
                continue;
            }
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn text_of(path: &Path) -> Option<String> {
    String::from_utf8(std::fs::read(path).ok()?).ok()
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The section numbers of a Markdown file's headings (`## 3. Withdrawal` is `3`, `### 3.2 …`
/// is `3.2`).
fn sections(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter(|l| l.starts_with("##"))
        .filter_map(|l| l.trim_start_matches('#').split_whitespace().next())
        .map(|n| n.trim_end_matches('.').to_owned())
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .collect()
}

/// One `§…` of a text: the file it is a section of as the text writes it (`docs/spec/api.md`,
/// `api.md`), if any, and the section number.
#[derive(Debug)]
struct Citation {
    file: Option<String>,
    section: String,
    line: usize,
}

/// The path-like word (letters, digits, `_-./`) that ends `text`.
fn last_word(text: &str) -> &str {
    let start = text
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || "_-./".contains(*c)))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &text[start..]
}

/// Every `§n` of a text with the file it is a section of: the `*.md` written just before it
/// (`docs/spec/api.md §1.3`, a link `[api.md](api.md) §1.3`), or, for the later members of a
/// list or a range (`§2.2, §3.5`, `§4.2 to §4.5`, `§1–§5`), the file of the first. Sections of
/// other documents (`RFC 7515 §4.1.9`) are left out.
fn citations(text: &str) -> Vec<Citation> {
    let mut found: Vec<Citation> = Vec::new();
    let mut previous_end = None;
    for (at, _) in text.match_indices('§') {
        let rest = &text[at + '§'.len_utf8()..];
        let number: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let section = number.trim_end_matches('.').to_owned();
        if section.is_empty() {
            continue;
        }
        let line = text[..at].matches('\n').count() + 1;
        let before = text[..at].trim_end();
        let between = previous_end.map(|end: usize| text[end..at].trim());
        let continues = between.is_some_and(|b| [",", "–", "-", "and", "to", "or"].contains(&b));
        let file = if continues {
            found.last().and_then(|c| c.file.clone())
        } else {
            let word = last_word(before.trim_end_matches([')', '`']));
            if word.ends_with(".md") {
                Some(word.to_owned())
            } else if last_word(before).chars().all(|c| c.is_ascii_digit())
                && before
                    .trim_end_matches(|c: char| c.is_ascii_digit())
                    .ends_with("RFC ")
            {
                previous_end = None;
                continue;
            } else {
                None
            }
        };
        previous_end = Some(at + '§'.len_utf8() + number.len());
        found.push(Citation {
            file,
            section,
            line,
        });
    }
    found
}

/// The specification's files, by path from the repository root, with their sections.
fn specification() -> Vec<(String, BTreeSet<String>)> {
    let dir = repo().join("docs/spec");
    let mut files: Vec<(String, BTreeSet<String>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| {
            (
                relative(&p),
                sections(&std::fs::read_to_string(&p).unwrap()),
            )
        })
        .collect();
    files.sort();
    files
}

/// What is wrong with citing `section` of `file` (a path from the repository root), if
/// anything.
fn unresolved(file: &str, section: &str, spec: &[(String, BTreeSet<String>)]) -> Option<String> {
    match spec.iter().find(|(f, _)| f == file) {
        None => Some(format!("{file} is no file of the specification")),
        Some((_, sections)) if !sections.contains(section) => {
            Some(format!("{file} has no section {section}"))
        }
        Some(_) => None,
    }
}

#[test]
fn every_section_of_the_specification_is_numbered_in_order() {
    let mut wrong = Vec::new();
    for (file, _) in specification() {
        let text = std::fs::read_to_string(repo().join(&file)).unwrap();
        let (mut chapter, mut section) = (0, 0);
        for heading in text
            .lines()
            .filter(|l| l.starts_with("## ") || l.starts_with("### "))
        {
            let number = heading.split_whitespace().nth(1).unwrap_or_default();
            let expected = if heading.starts_with("## ") {
                (chapter, section) = (chapter + 1, 0);
                format!("{chapter}.")
            } else {
                section += 1;
                format!("{chapter}.{section}")
            };
            if number != expected {
                wrong.push(format!(
                    "{file}: \"{heading}\" should be numbered {expected}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_citation_of_the_specification_names_a_section_its_file_has() {
    let spec = specification();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for path in repository_files() {
        let Some(text) = text_of(&path) else { continue };
        let here = relative(&path);
        let in_spec = here.starts_with("docs/spec/");
        for c in citations(&text) {
            let file = match c.file.as_deref() {
                Some(f) if f.starts_with("docs/spec/") => f.to_owned(),
                // Within the specification a file is named by itself, and a bare `§n` is a
                // section of the same file.
                Some(f) if in_spec && !f.contains('/') => format!("docs/spec/{f}"),
                None if in_spec => here.clone(),
                _ => continue,
            };
            checked += 1;
            if let Some(why) = unresolved(&file, &c.section, &spec) {
                wrong.push(format!("{here}:{}: §{}: {why}", c.line, c.section));
            }
        }
    }
    assert!(checked > 500, "only {checked} citations found");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The rule citations of a conformance file or the message catalogue: every `spec` (a string
/// or a list) and every `clause`.
fn rule_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("spec" | "clause", Value::String(s)) => out.push(s.clone()),
                    ("spec", Value::Array(items)) => {
                        out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned))
                    }
                    _ => rule_references(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| rule_references(v, out)),
        _ => {}
    }
}

#[test]
fn every_rule_the_suite_and_the_catalogue_cite_names_a_section_of_the_specification() {
    let spec = specification();
    let mut files = vec![repo().join("schemas/catalogue/messages.json")];
    files.extend(repository_files().into_iter().filter(|p| {
        let path = relative(p);
        path.starts_with("conformance/")
            && (path.ends_with("/manifest.json")
                || path.starts_with("conformance/scenarios/")
                || path == "conformance/traceability.json")
    }));
    let mut references = Vec::new();
    for file in &files {
        rule_references(&read_json(file), &mut references);
    }
    assert!(references.len() > 400, "{}", references.len());
    let mut wrong = BTreeSet::new();
    for reference in references.iter().flat_map(|r| r.split(", ")) {
        let why = match reference.split_once(" §") {
            Some((file, section)) if file.starts_with("docs/spec/") => {
                unresolved(file, section, &spec)
            }
            _ => Some("not docs/spec/{file}.md §{section}".to_owned()),
        };
        if let Some(why) = why {
            wrong.insert(format!("{reference:?}: {why}"));
        }
    }
    assert!(wrong.is_empty(), "{}", Vec::from_iter(wrong).join("\n"));
}

#[test]
fn nothing_refers_to_the_integrator_documents_where_they_were_before_the_specification() {
    let old: Vec<String> = ["consent", "signatures", "xml-mapping", "messages"]
        .iter()
        .map(|name| format!("docs/{name}.md"))
        .collect();
    let mut wrong = Vec::new();
    for path in repository_files() {
        let Some(text) = text_of(&path) else { continue };
        for (number, line) in text.lines().enumerate() {
            for path_before in old.iter().filter(|o| line.contains(o.as_str())) {
                let now = path_before.replacen("docs/", "docs/spec/", 1);
                wrong.push(format!(
                    "{}:{}: {path_before} is {now} now, cited with its section",
                    relative(&path),
                    number + 1
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_citation_names_its_file_for_every_member_of_a_list_or_a_range() {
    let text = "see [consent.md](consent.md) §4.2 to §4.5, `docs/spec/api.md` §1.3, §1.7 and \
                §7–§8;\nRFC 7515 §4.1.9 says so (§6)";
    let found: Vec<String> = citations(text)
        .iter()
        .map(|c| {
            format!(
                "{} §{}",
                c.file.as_deref().unwrap_or("(this file)"),
                c.section
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "consent.md §4.2",
            "consent.md §4.5",
            "docs/spec/api.md §1.3",
            "docs/spec/api.md §1.7",
            "docs/spec/api.md §7",
            "docs/spec/api.md §8",
            "(this file) §6",
        ]
    );
}

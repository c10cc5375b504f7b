//! README.md as a test: every shell block of it, in order and exactly as written, in one bash
//! with `set -euo pipefail`, against a freshly started demo — a non-zero exit, an unset
//! variable or an HTTP error status fails it. A block preceded by `<!-- readme-test: skip — why
//! -->` is not run (reference lists with placeholders, the two commands that run this test).
use crate::helpers::*;
use crate::processes::ServerProcess;
use std::time::Duration;

/// The shell blocks of a Markdown text that are not marked to be skipped, in order.
fn shell_blocks(markdown: &str) -> (Vec<String>, usize) {
    let (mut run, mut skipped) = (Vec::new(), 0);
    let mut lines = markdown.lines().peekable();
    let mut previous = "";
    while let Some(line) = lines.next() {
        if line.trim_end() == "```sh" {
            let mut block = String::new();
            for l in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                block.push_str(l);
                block.push('\n');
            }
            if previous.starts_with("<!-- readme-test: skip") {
                skipped += 1;
            } else {
                run.push(block);
            }
        }
        previous = line;
    }
    (run, skipped)
}

#[test]
fn the_readme_blocks_run_in_order_against_a_fresh_demo_exactly_as_written() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let (blocks, skipped) = shell_blocks(&readme);
    assert!(
        blocks.len() >= 8 && skipped <= 6,
        "{} blocks run, {skipped} skipped",
        blocks.len()
    );
    // A folder like a fresh clone's: the demo's database in data/, the repository's documents
    // beside it.
    let dir = tempfile::tempdir().unwrap();
    for shared in ["demo", "conformance", "schemas"] {
        std::os::unix::fs::symlink(repo().join(shared), dir.path().join(shared)).unwrap();
    }
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let database = dir.path().join("data/kyoten.sqlite");
    let (server, _) = ServerProcess::start_with(database.to_str().unwrap(), &["--demo"]);
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_kyoten"))
        .parent()
        .unwrap()
        .to_owned();
    let script = format!(
        "set -euo pipefail\n\
         # An HTTP error status fails the walkthrough like a failed command.\n\
         curl() {{ command curl --fail-with-body \"$@\"; }}\n\
         source data/demo-keys.env\n{}",
        blocks.join("\n")
    );
    // The tests' key-encryption key, for the kyoten commands of the blocks.
    let with_key = kyoten();
    let mut command = std::process::Command::new("bash");
    for (k, v) in with_key.get_envs() {
        match v {
            Some(v) => command.env(k, v),
            None => command.env_remove(k),
        };
    }
    command
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("B", &server.url)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
    let out = output_within(&mut command, Duration::from_secs(300));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let tail = |t: &str| t.lines().rev().take(40).collect::<Vec<_>>().join("\n");
    assert!(
        out.status.success(),
        "the README walkthrough stopped ({:?}); last lines of stderr (newest first):\n{}\n\
         stdout (newest first):\n{}",
        out.status,
        tail(&stderr),
        tail(&stdout)
    );
    // What the walkthrough left behind is what it says it makes.
    for made in [
        "new.json",
        "handoff.json",
        "packet.jws",
        "packet.xml",
        "operations-2026.csv",
    ] {
        assert!(dir.path().join(made).exists(), "{made}");
    }
    assert!(stdout.contains("packet.jws: valid"), "{stdout}");
}

#[test]
fn a_block_marked_to_be_skipped_is_left_out_and_the_others_are_kept_in_order() {
    let text = "a\n```sh\necho one\n```\n<!-- readme-test: skip — placeholders -->\n```sh\nkyoten validate FILE\n```\n```json\n{}\n```\n```sh\necho two\n```\n";
    let (run, skipped) = shell_blocks(text);
    assert_eq!(run, ["echo one\n", "echo two\n"]);
    assert_eq!(skipped, 1);
}

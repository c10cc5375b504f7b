//! The signed-packet vectors (`conformance/vectors/signed/`): every file is in the manifest,
//! the library and `kyoten verify` give each the manifest's verdict, the published keys are
//! the test keys' thumbprints with their pinned algorithms, and jwcrypto verifies every valid
//! JWS with the published key.
use crate::helpers::*;
use crate::jws_interop::peer;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kyoten::crypto::jws::{Alg, VerifyingKey};
use kyoten::crypto::keys;
use kyoten::packet::check::{check, KeyOwners, Lifetime, Purpose};
use kyoten::packet::Form;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

#[derive(Debug, Deserialize)]
struct SignedManifest {
    keys: String,
    /// The instant the verdicts hold at.
    verify_at: String,
    vectors: Vec<SignedVector>,
}

#[derive(Debug, Deserialize)]
struct SignedVector {
    file: String,
    form: String,
    verdict: String,
    #[serde(default)]
    findings: Option<Vec<String>>,
    description: String,
    description_ja: String,
    spec: String,
}

/// The test keys and the algorithm each is pinned to.
const KEY_FILES: [(&str, Alg); 5] = [
    ("es256.pem", Alg::Es256),
    ("ed25519.pem", Alg::Ed25519),
    ("ps256.pem", Alg::Ps256),
    ("rs256.pem", Alg::Rs256),
    ("facility-es256.pem", Alg::Es256),
];

fn dir() -> PathBuf {
    repo().join("conformance/vectors/signed")
}

fn manifest() -> SignedManifest {
    let path = dir().join("manifest.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn trusted() -> HashMap<String, VerifyingKey> {
    let set = read_json(&dir().join(manifest().keys));
    keys::from_jwks(&set)
        .unwrap()
        .into_iter()
        .map(|k| (k.kid.clone(), k))
        .collect()
}

/// The owner each published key names (`kyoten_owner`).
fn owners() -> KeyOwners {
    let set = read_json(&dir().join(manifest().keys));
    KeyOwners(
        keys::from_jwks_with_owners(&set)
            .unwrap()
            .into_iter()
            .map(|(k, owner)| (k.kid, owner.expect("every test key names its owner")))
            .collect(),
    )
}

fn verify_at(m: &SignedManifest) -> chrono::DateTime<chrono::Utc> {
    kyoten::time::parse_timestamp(&m.verify_at)
        .expect("verify_at is a timestamp")
        .with_timezone(&chrono::Utc)
}

#[test]
fn every_signed_vector_opens_with_the_verdict_its_manifest_gives() {
    let keys = trusted();
    let m = manifest();
    let at = verify_at(&m);
    let mut valid_forms = BTreeSet::new();
    for v in m.vectors {
        let bytes = std::fs::read(dir().join(&v.file)).unwrap();
        assert_eq!(Form::sniff(&bytes).as_str(), v.form, "{}", v.file);
        let checked = check(
            &bytes,
            |kid| keys.get(kid).cloned(),
            &owners(),
            Purpose::Offline,
            Lifetime::default(),
            at,
        )
        .unwrap();
        match checked {
            Ok(checked) => {
                let verdict = checked
                    .failure
                    .as_ref()
                    .map_or("valid", |f| f.code().as_str());
                assert_eq!(verdict, v.verdict, "{}", v.file);
                let findings: Vec<String> = checked
                    .outcome
                    .findings
                    .iter()
                    .map(|f| f.id.to_owned())
                    .collect();
                if let Some(expected) = &v.findings {
                    assert_eq!(&findings, expected, "{}", v.file);
                }
                if verdict == "valid" {
                    valid_forms.insert((checked.opened.form.as_str(), checked.opened.alg.name()));
                }
            }
            Err(refusal) => {
                assert_eq!(
                    refusal.code.as_str(),
                    v.verdict,
                    "{}: {}",
                    v.file,
                    refusal.message
                );
                assert_eq!(
                    v.findings, None,
                    "{}: a refused packet has no findings",
                    v.file
                );
            }
        }
    }
    let expected: BTreeSet<_> = [
        ("jws", "ES256"),
        ("jws", "Ed25519"),
        ("jws", "PS256"),
        ("jws", "RS256"),
        ("xml", "ES256"),
        ("xml", "RS256"),
    ]
    .into_iter()
    .collect();
    assert_eq!(valid_forms, expected, "a valid vector for every algorithm");
}

#[test]
fn kyoten_verify_reports_the_manifest_verdict_for_every_signed_vector_and_exits_1() {
    let m = manifest();
    let vectors = m.vectors;
    let out = kyoten()
        .current_dir(dir())
        .args(["verify", "--jwks", "keys/jwks.json", "--output", "json"])
        .args(["--at", &m.verify_at])
        .args(vectors.iter().map(|v| &v.file))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), vectors.len());
    for (line, v) in lines.iter().zip(&vectors) {
        assert_eq!(line["file"], v.file.as_str());
        assert_eq!(line["verdict"], v.verdict.as_str(), "{}: {line}", v.file);
        assert_eq!(line["valid"], v.verdict == "valid", "{}", v.file);
        if let Some(findings) = &v.findings {
            assert_eq!(line["findings"], serde_json::json!(findings), "{}", v.file);
        }
    }
}

#[test]
fn every_file_in_the_signed_vector_folder_is_in_the_manifest_and_described() {
    let m = manifest();
    assert_eq!(m.keys, "keys/jwks.json");
    let listed: BTreeSet<String> = m.vectors.iter().map(|v| v.file.clone()).collect();
    assert_eq!(listed.len(), m.vectors.len(), "a file is listed twice");
    let mut found = BTreeSet::new();
    let mut stack = vec![dir()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir()).unwrap();
                found.insert(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut expected = listed.clone();
    expected.insert("manifest.json".into());
    for file in [
        "README.md",
        "jwks.json",
        "es256.pem",
        "ed25519.pem",
        "ps256.pem",
        "rs256.pem",
        "facility-es256.pem",
        "untrusted-es256.pem",
    ] {
        expected.insert(format!("keys/{file}"));
    }
    assert_eq!(found, expected, "files on disk and in the manifest differ");
    for v in &m.vectors {
        assert!(["jws", "xml"].contains(&v.form.as_str()), "{}", v.file);
        assert!(
            !v.description.is_empty() && !v.description_ja.is_empty() && !v.spec.is_empty(),
            "{}",
            v.file
        );
    }
}

#[test]
fn the_published_test_keys_are_their_thumbprints_with_one_pinned_algorithm_each() {
    let set = read_json(&dir().join("keys/jwks.json"));
    let published = set["keys"].as_array().unwrap();
    assert_eq!(published.len(), KEY_FILES.len());
    let keys = trusted();
    for (jwk, (file, alg)) in published.iter().zip(KEY_FILES) {
        let pem = std::fs::read(dir().join("keys").join(file)).unwrap();
        let key = keys::signing_key_from_pem(&pem, Some(alg)).unwrap();
        assert_eq!(
            jwk["kid"],
            key.kid.as_str(),
            "{file}: kid is the thumbprint"
        );
        assert_eq!(jwk["alg"], alg.name(), "{file}");
        assert_eq!(keys[&key.kid].alg, alg, "{file}");
        assert!(
            jwk["kyoten_owner"]["organization_id"].is_string(),
            "{file} names its owner"
        );
        if alg == Alg::Ps256 || alg == Alg::Rs256 {
            assert_eq!(key.key.bits(), 2048, "{file}");
        }
    }
    let pem = std::fs::read(dir().join("keys/untrusted-es256.pem")).unwrap();
    let untrusted = keys::signing_key_from_pem(&pem, Some(Alg::Es256)).unwrap();
    assert!(!keys.contains_key(&untrusted.kid));
}

#[test]
fn jwcrypto_verifies_every_valid_signed_jws_vector_with_its_published_key() {
    let keys = trusted();
    let temp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for v in manifest().vectors {
        if v.verdict != "valid" || v.form != "jws" {
            continue;
        }
        let compact = std::fs::read_to_string(dir().join(&v.file)).unwrap();
        let opened =
            kyoten::packet::open(compact.as_bytes(), |kid| keys.get(kid).cloned()).unwrap();
        let key = &keys[&opened.kid];
        let pem = temp.path().join(format!("{}.pem", key.alg.name()));
        std::fs::write(&pem, key.key.public_key_to_pem().unwrap()).unwrap();
        let payload = peer(&["verify", pem.to_str().unwrap(), key.alg.name()], &compact);
        let signed = URL_SAFE_NO_PAD
            .decode(compact.trim().split('.').nth(1).unwrap())
            .unwrap();
        assert_eq!(payload.as_bytes(), signed, "{}", v.file);
        checked += 1;
    }
    assert_eq!(checked, 5, "four handoffs and a handoff_response");
}

#[test]
fn every_verdict_the_code_can_give_is_explained_in_the_signature_profile() {
    let doc = std::fs::read_to_string(repo().join("docs/spec/signatures.md")).unwrap();
    let section = &doc[doc.find("## 6. Verdicts").expect("a Verdicts section")..];
    for verdict in kyoten::packet::Verdict::ALL {
        assert!(
            section.contains(&format!("`{verdict}`")),
            "docs/spec/signatures.md §6: `{verdict}` is not explained"
        );
    }
}

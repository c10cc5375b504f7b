//! JWS interoperability with python jwcrypto (PyPI), both directions, every algorithm.
use crate::helpers::repo;
use kyoten::crypto::jws::{self, Alg, SigningKey, VerifyingKey};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

const TYP: &str = "kyoten-handoff+jws";
const ALGS: [Alg; 4] = [Alg::Es256, Alg::Ed25519, Alg::Ps256, Alg::Rs256];

/// Python with jwcrypto: `KYOTEN_PYTHON` (set by scripts/test.sh) or `python3`.
pub(crate) fn peer(args: &[&str], stdin: &str) -> String {
    let python = std::env::var("KYOTEN_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(python)
        .arg(repo().join("tests/interop/jwcrypto_peer.py"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "jwcrypto {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn payload() -> Value {
    json!({"handoff_id": "ho_0001", "subject": {"name": {"family": "見本", "given": "一郎"}}, "n": [1, 2.5, -0.001]})
}

fn signing_key(alg: Alg) -> SigningKey {
    let key = match alg {
        Alg::Es256 => PKey::from_ec_key(
            EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
        )
        .unwrap(),
        Alg::Ed25519 => PKey::generate_ed25519().unwrap(),
        Alg::Ps256 | Alg::Rs256 => PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
    };
    SigningKey {
        kid: format!("kyoten-{}", alg.name()),
        alg,
        key,
    }
}

#[test]
fn jwcrypto_verifies_our_jws_for_every_algorithm() {
    let dir = tempfile::tempdir().unwrap();
    for alg in ALGS {
        let key = signing_key(alg);
        let compact = jws::sign(&payload(), TYP, &key).unwrap();
        let pem = dir.path().join(format!("{}.pem", alg.name()));
        std::fs::write(&pem, key.key.public_key_to_pem().unwrap()).unwrap();
        let out = peer(&["verify", pem.to_str().unwrap(), alg.name()], &compact);
        // The payload is the JCS canonical form of the packet.
        assert_eq!(
            out.as_bytes(),
            kyoten::crypto::jcs::canonical(&payload()),
            "{alg:?}"
        );
    }
}

#[test]
fn we_verify_jwcrypto_jws_for_every_algorithm_including_the_older_eddsa_name() {
    for name in ["ES256", "Ed25519", "EdDSA", "PS256", "RS256"] {
        let signed: Value = serde_json::from_str(&peer(
            &["sign", name, "peer-key", TYP],
            &payload().to_string(),
        ))
        .unwrap();
        let public = PKey::public_key_from_pem(signed["pem"].as_str().unwrap().as_bytes()).unwrap();
        let registered = VerifyingKey {
            kid: "peer-key".into(),
            alg: Alg::parse(name).unwrap(),
            key: public,
        };
        let verified = jws::verify(signed["jws"].as_str().unwrap(), TYP, |kid| {
            (kid == "peer-key").then(|| registered.clone())
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(verified.payload, payload(), "{name}");
    }
}

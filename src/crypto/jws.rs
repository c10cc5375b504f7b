//! JWS compact serialization (RFC 7515) over the JCS-canonical payload, on openssl. Written by
//! hand because the JOSE crates either bring another crypto stack or accept more than this
//! exchange must (header keys, `none`, HMAC); this is the narrow profile: ES256 (mandatory),
//! Ed25519 (`Ed25519` or the older `EdDSA`), PS256, RS256 ≥ 2048 bits; one algorithm pinned per
//! key; `kid` and `typ` required; `none`, `HS*`, any `crit`, and keys or key URLs in the header
//! (`jwk`, `jku`, `x5c`, `x5u`) refused; duplicate JSON keys refused before anything is verified.
use super::jcs;
use crate::contracts::json::parse_document;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::{HasPublic, Id, PKey, PKeyRef, Private, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Es256,
    Ed25519,
    Ps256,
    Rs256,
}

impl Alg {
    /// The name written into headers (`Ed25519` per RFC 9864; `EdDSA` is read too).
    pub fn name(self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::Ed25519 => "Ed25519",
            Alg::Ps256 => "PS256",
            Alg::Rs256 => "RS256",
        }
    }

    pub fn parse(name: &str) -> Option<Alg> {
        match name {
            "ES256" => Some(Alg::Es256),
            "Ed25519" | "EdDSA" => Some(Alg::Ed25519),
            "PS256" => Some(Alg::Ps256),
            "RS256" => Some(Alg::Rs256),
            _ => None,
        }
    }

    /// Whether `key` is a key this algorithm may use.
    fn fits<T: HasPublic>(self, key: &PKeyRef<T>) -> bool {
        match self {
            Alg::Es256 => key
                .ec_key()
                .ok()
                .and_then(|k| k.group().curve_name())
                .is_some_and(|n| n == openssl::nid::Nid::X9_62_PRIME256V1),
            Alg::Ed25519 => key.id() == Id::ED25519,
            Alg::Ps256 | Alg::Rs256 => key.id() == Id::RSA && key.bits() >= 2048,
        }
    }
}

/// Why a JWS was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("not a compact JWS (three base64url parts)")]
    Malformed,
    #[error("the protected header is not a JSON object without duplicate keys")]
    BadHeader,
    #[error("algorithm not allowed: {0}")]
    AlgorithmNotAllowed(String),
    #[error("the header carries {0}, which this exchange does not accept")]
    ForbiddenHeader(&'static str),
    #[error("the header names no key (kid)")]
    NoKeyId,
    #[error("no registered key has this kid")]
    UnknownKey,
    #[error("the key is registered for {expected}, the header says {got}")]
    AlgorithmMismatch { expected: &'static str, got: String },
    #[error("typ is not {0}")]
    WrongType(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the payload is not a JSON document without duplicate keys")]
    BadPayload,
    #[error("the key does not fit the algorithm")]
    KeyMismatch,
    #[error("openssl: {0}")]
    Crypto(String),
}

impl From<openssl::error::ErrorStack> for JwsError {
    fn from(e: openssl::error::ErrorStack) -> Self {
        JwsError::Crypto(e.to_string())
    }
}

/// A private key with its id and its one algorithm.
pub struct SigningKey {
    pub kid: String,
    pub alg: Alg,
    pub key: PKey<Private>,
}

/// A registered public key with its id and its one algorithm.
#[derive(Clone)]
pub struct VerifyingKey {
    pub kid: String,
    pub alg: Alg,
    pub key: PKey<Public>,
}

/// A verified JWS: the key that signed it and the payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub kid: String,
    pub alg: Alg,
    pub payload: Value,
}

const ES256_PART: usize = 32;

pub(crate) fn raw_signature(
    alg: Alg,
    key: &PKey<Private>,
    input: &[u8],
) -> Result<Vec<u8>, JwsError> {
    match alg {
        Alg::Ed25519 => {
            let mut signer = Signer::new_without_digest(key)?;
            Ok(signer.sign_oneshot_to_vec(input)?)
        }
        Alg::Es256 => {
            // ECDSA on the digest directly: the EVP signer's set-up and its DER round trip cost
            // more than a third of a P-256 signature. JWS wants r || s, each 32 bytes.
            let ec = key.ec_key().map_err(|_| JwsError::KeyMismatch)?;
            if ec.group().curve_name() != Some(openssl::nid::Nid::X9_62_PRIME256V1) {
                return Err(JwsError::KeyMismatch);
            }
            let sig = EcdsaSig::sign(&openssl::sha::sha256(input), &ec)?;
            let mut out = sig.r().to_vec_padded(ES256_PART as i32)?;
            out.extend(low_s(sig.s(), ec.group())?.to_vec_padded(ES256_PART as i32)?);
            Ok(out)
        }
        Alg::Ps256 | Alg::Rs256 => {
            let mut signer = Signer::new(MessageDigest::sha256(), key)?;
            if alg == Alg::Ps256 {
                signer.set_rsa_padding(Padding::PKCS1_PSS)?;
                signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
                signer.set_rsa_mgf1_md(MessageDigest::sha256())?;
            }
            signer.update(input)?;
            Ok(signer.sign_to_vec()?)
        }
    }
}

/// `s` or `n − s`, whichever is the smaller: (r, s) and (r, n − s) are both valid ECDSA
/// signatures of the same input, and the exchange signs with the low one (as Bitcoin's BIP 62
/// and libsecp256k1 do), so that its own signatures have one form. Verification still accepts
/// a high `s`: OpenSSL, and with it jwcrypto and most JOSE libraries, sign with either, and
/// nothing in the exchange identifies a packet by its signature bytes (a packet is its
/// `handoff_id` and the digest of its content) — docs/spec/signatures.md §2.
fn low_s(s: &openssl::bn::BigNumRef, group: &openssl::ec::EcGroupRef) -> Result<BigNum, JwsError> {
    let mut ctx = openssl::bn::BigNumContext::new()?;
    let mut n = BigNum::new()?;
    group.order(&mut n, &mut ctx)?;
    let mut half = BigNum::new()?;
    half.rshift1(&n)?;
    if s <= &*half {
        return Ok(s.to_owned()?);
    }
    let mut low = BigNum::new()?;
    low.checked_sub(&n, s)?;
    Ok(low)
}

pub(crate) fn signature_verifies(
    alg: Alg,
    key: &PKey<Public>,
    input: &[u8],
    signature: &[u8],
) -> Result<bool, JwsError> {
    match alg {
        Alg::Ed25519 => {
            let mut verifier = Verifier::new_without_digest(key)?;
            Ok(verifier.verify_oneshot(signature, input).unwrap_or(false))
        }
        Alg::Es256 => {
            if signature.len() != 2 * ES256_PART {
                return Ok(false);
            }
            let r = BigNum::from_slice(&signature[..ES256_PART])?;
            let s = BigNum::from_slice(&signature[ES256_PART..])?;
            let sig = EcdsaSig::from_private_components(r, s)?;
            let ec = key.ec_key()?;
            Ok(sig
                .verify(&openssl::sha::sha256(input), &ec)
                .unwrap_or(false))
        }
        Alg::Ps256 | Alg::Rs256 => {
            let mut verifier = Verifier::new(MessageDigest::sha256(), key)?;
            if alg == Alg::Ps256 {
                verifier.set_rsa_padding(Padding::PKCS1_PSS)?;
                verifier.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
                verifier.set_rsa_mgf1_md(MessageDigest::sha256())?;
            }
            verifier.update(input)?;
            Ok(verifier.verify(signature).unwrap_or(false))
        }
    }
}

/// Signs `payload` (written in its JCS canonical form) as a compact JWS with `typ`.
pub fn sign(payload: &Value, typ: &str, key: &SigningKey) -> Result<String, JwsError> {
    sign_canonical(&jcs::canonical(payload), typ, key)
}

/// Signs a payload that is already in its JCS canonical form (`jcs::canonical`), for a caller
/// that needs those bytes anyway (the exchange stores them and hashes them): the payload is
/// canonicalized once, not once more for the signature.
pub fn sign_canonical(payload: &[u8], typ: &str, key: &SigningKey) -> Result<String, JwsError> {
    // ES256 checks its curve where it takes the EC key out of the PKEY, once.
    if key.alg != Alg::Es256 && !key.alg.fits(&key.key) {
        return Err(JwsError::KeyMismatch);
    }
    let header = json!({"alg": key.alg.name(), "kid": key.kid, "typ": typ});
    // One buffer for the whole compact form: header, payload and signature in base64url. The
    // SIMD encoder: base64url of a 4 KB payload took a tenth of an ES256 signature with the
    // scalar `base64` crate.
    let b64 = base64_simd::URL_SAFE_NO_PAD;
    let mut input = String::with_capacity(payload.len() * 4 / 3 + 512);
    b64.encode_append(jcs::canonical(&header), &mut input);
    input.push('.');
    b64.encode_append(payload, &mut input);
    let signature = raw_signature(key.alg, &key.key, input.as_bytes())?;
    input.push('.');
    b64.encode_append(signature, &mut input);
    Ok(input)
}

/// Header members that would let the packet choose its own key or change the rules.
const FORBIDDEN: [&str; 5] = ["jwk", "jku", "x5c", "x5u", "crit"];

/// Verifies a compact JWS against the registered key its `kid` names (`lookup`), requiring
/// `typ`. The algorithm is the key's, never the header's choice.
pub fn verify(
    compact: &str,
    typ: &str,
    lookup: impl Fn(&str) -> Option<VerifyingKey>,
) -> Result<Verified, JwsError> {
    let mut parts = compact.trim().split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwsError::Malformed)
    };
    let header = parse_document(&decode(h)?).map_err(|_| JwsError::BadHeader)?;
    let header = header.as_object().ok_or(JwsError::BadHeader)?;
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(JwsError::BadHeader)?;
    let alg = Alg::parse(alg_name).ok_or_else(|| JwsError::AlgorithmNotAllowed(alg_name.into()))?;
    if let Some(member) = FORBIDDEN.iter().find(|m| header.contains_key(**m)) {
        return Err(JwsError::ForbiddenHeader(member));
    }
    if !header
        .get("typ")
        .and_then(Value::as_str)
        .is_some_and(|t| same_media_type(t, typ))
    {
        return Err(JwsError::WrongType(typ.into()));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(JwsError::NoKeyId)?;
    let key = lookup(kid).ok_or(JwsError::UnknownKey)?;
    if key.alg != alg {
        return Err(JwsError::AlgorithmMismatch {
            expected: key.alg.name(),
            got: alg_name.into(),
        });
    }
    if !alg.fits(&key.key) {
        return Err(JwsError::KeyMismatch);
    }
    let signature = decode(s)?;
    let input_len = h.len() + 1 + p.len();
    let input = &compact.trim().as_bytes()[..input_len];
    if !signature_verifies(alg, &key.key, input, &signature)? {
        return Err(JwsError::BadSignature);
    }
    let payload = parse_document(&decode(p)?).map_err(|_| JwsError::BadPayload)?;
    Ok(Verified {
        kid: key.kid,
        alg,
        payload,
    })
}

/// Whether a `typ` header value names the media type `expected` (RFC 7515 §4.1.9): compared
/// without regard to case, with the `application/` prefix optional (it is recommended to leave
/// it out, so `expected` has none).
pub fn same_media_type(typ: &str, expected: &str) -> bool {
    let bare = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") && !typ[12..].contains('/') => {
            &typ[12..]
        }
        _ => typ,
    };
    bare.eq_ignore_ascii_case(expected)
}

/// A new key pair of `alg` named `kid`, for tests.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn test_pair(alg: Alg, kid: &str) -> (SigningKey, VerifyingKey) {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::rsa::Rsa;
    let private = match alg {
        Alg::Es256 => PKey::from_ec_key(
            EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
        )
        .unwrap(),
        Alg::Ed25519 => PKey::generate_ed25519().unwrap(),
        Alg::Ps256 | Alg::Rs256 => PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
    };
    let public = PKey::public_key_from_der(&private.public_key_to_der().unwrap()).unwrap();
    (
        SigningKey {
            kid: kid.to_owned(),
            alg,
            key: private,
        },
        VerifyingKey {
            kid: kid.to_owned(),
            alg,
            key: public,
        },
    )
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_exchanges_es256_signatures_have_a_low_s_and_a_high_s_still_verifies() {
        let key = crate::crypto::keys::generate(Alg::Es256).unwrap();
        let public = crate::crypto::keys::verifying_key(&key).unwrap();
        let ec = key.key.ec_key().unwrap();
        let mut ctx = openssl::bn::BigNumContext::new().unwrap();
        let mut n = BigNum::new().unwrap();
        ec.group().order(&mut n, &mut ctx).unwrap();
        let mut half = BigNum::new().unwrap();
        half.rshift1(&n).unwrap();
        // OpenSSL gives a high s about half the time: 64 signatures all low is no chance.
        for i in 0..64u8 {
            let input = [b'x', i];
            let sig = raw_signature(Alg::Es256, &key.key, &input).unwrap();
            let s = BigNum::from_slice(&sig[ES256_PART..]).unwrap();
            assert!(s <= half, "signature {i} has a high s");
            let mut high = BigNum::new().unwrap();
            high.checked_sub(&n, &s).unwrap();
            let mut flipped = sig[..ES256_PART].to_vec();
            flipped.extend(high.to_vec_padded(ES256_PART as i32).unwrap());
            assert!(signature_verifies(Alg::Es256, &public.key, &input, &flipped).unwrap());
        }
    }
    use super::*;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::rsa::Rsa;

    const TYP: &str = "kyoten-handoff+jws";

    #[test]
    fn typ_is_compared_without_case_and_with_an_optional_application_prefix() {
        for typ in [
            TYP,
            "KYOTEN-Handoff+JWS",
            "application/kyoten-handoff+jws",
            "Application/KYOTEN-HANDOFF+jws",
        ] {
            assert!(same_media_type(typ, TYP), "{typ}");
        }
        for typ in [
            "",
            "handoff+jws",
            "application/",
            "text/kyoten-handoff+jws",
            "application/application/kyoten-handoff+jws",
            "kyoten-handoff+jwsx",
        ] {
            assert!(!same_media_type(typ, TYP), "{typ}");
        }
    }

    fn key(alg: Alg) -> (SigningKey, VerifyingKey) {
        test_pair(alg, &format!("test-{}", alg.name()))
    }

    fn payload() -> Value {
        json!({"handoff_id": "ho_1", "subject": {"name": "見本 一郎"}, "n": 1})
    }

    #[test]
    fn every_algorithm_signs_and_verifies_with_its_registered_key() {
        for alg in [Alg::Es256, Alg::Ed25519, Alg::Ps256, Alg::Rs256] {
            let (signing, verifying) = key(alg);
            let jws = sign(&payload(), TYP, &signing).unwrap();
            let verified = verify(&jws, TYP, |kid| {
                (kid == verifying.kid).then(|| verifying.clone())
            })
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
            assert_eq!(verified.payload, payload());
            assert_eq!(verified.alg, alg);
        }
    }

    #[test]
    fn an_es256_signature_is_64_bytes_of_r_and_s() {
        let (signing, _) = key(Alg::Es256);
        let jws = sign(&payload(), TYP, &signing).unwrap();
        let sig = URL_SAFE_NO_PAD
            .decode(jws.rsplit('.').next().unwrap())
            .unwrap();
        assert_eq!(sig.len(), 64);
    }

    #[test]
    fn a_changed_payload_or_signature_byte_does_not_verify() {
        let (signing, verifying) = key(Alg::Es256);
        let jws = sign(&payload(), TYP, &signing).unwrap();
        let lookup = |_: &str| Some(verifying.clone());
        let [h, p, s]: [&str; 3] = jws.split('.').collect::<Vec<_>>().try_into().unwrap();
        let other = URL_SAFE_NO_PAD.encode(jcs::canonical(&json!({"handoff_id": "ho_2"})));
        assert_eq!(
            verify(&format!("{h}.{other}.{s}"), TYP, lookup),
            Err(JwsError::BadSignature)
        );
        let mut sig = URL_SAFE_NO_PAD.decode(s).unwrap();
        sig[10] ^= 1;
        let tampered = format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig));
        assert_eq!(verify(&tampered, TYP, lookup), Err(JwsError::BadSignature));
    }

    fn with_header(jws: &str, header: Value) -> String {
        let rest = jws.split_once('.').unwrap().1;
        format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
    }

    #[test]
    fn the_header_cannot_choose_the_algorithm_or_the_key() {
        let (signing, verifying) = key(Alg::Es256);
        let jws = sign(&payload(), TYP, &signing).unwrap();
        let lookup = |_: &str| Some(verifying.clone());
        let kid = verifying.kid.as_str();
        let cases = [
            (
                json!({"alg": "none", "kid": kid, "typ": TYP}),
                JwsError::AlgorithmNotAllowed("none".into()),
            ),
            (
                json!({"alg": "HS256", "kid": kid, "typ": TYP}),
                JwsError::AlgorithmNotAllowed("HS256".into()),
            ),
            (
                json!({"alg": "RS256", "kid": kid, "typ": TYP}),
                JwsError::AlgorithmMismatch {
                    expected: "ES256",
                    got: "RS256".into(),
                },
            ),
            (
                json!({"alg": "ES256", "kid": kid, "typ": TYP, "crit": ["exp"], "exp": 1}),
                JwsError::ForbiddenHeader("crit"),
            ),
            (
                json!({"alg": "ES256", "kid": kid, "typ": TYP, "jwk": {"kty": "EC"}}),
                JwsError::ForbiddenHeader("jwk"),
            ),
            (
                json!({"alg": "ES256", "kid": kid, "typ": TYP, "jku": "https://example.org/k"}),
                JwsError::ForbiddenHeader("jku"),
            ),
            (
                json!({"alg": "ES256", "kid": kid, "typ": TYP, "x5u": "https://example.org/c"}),
                JwsError::ForbiddenHeader("x5u"),
            ),
            (
                json!({"alg": "ES256", "kid": kid}),
                JwsError::WrongType(TYP.into()),
            ),
            (json!({"alg": "ES256", "typ": TYP}), JwsError::NoKeyId),
        ];
        for (header, expected) in cases {
            assert_eq!(
                verify(&with_header(&jws, header.clone()), TYP, lookup),
                Err(expected),
                "{header}"
            );
        }
        assert_eq!(verify(&jws, TYP, |_| None), Err(JwsError::UnknownKey));
    }

    #[test]
    fn duplicate_keys_and_extra_parts_are_refused() {
        let (signing, verifying) = key(Alg::Es256);
        let jws = sign(&payload(), TYP, &signing).unwrap();
        let lookup = |_: &str| Some(verifying.clone());
        let rest = jws.split_once('.').unwrap().1;
        let dup = r#"{"alg":"ES256","alg":"none","kid":"test-ES256","typ":"kyoten-handoff+jws"}"#;
        let forged = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(dup));
        assert_eq!(verify(&forged, TYP, lookup), Err(JwsError::BadHeader));
        assert_eq!(
            verify(&format!("{jws}.x"), TYP, lookup),
            Err(JwsError::Malformed)
        );
        assert_eq!(verify("a.b", TYP, lookup), Err(JwsError::Malformed));
    }

    #[test]
    fn a_short_rsa_key_is_not_used() {
        let private = PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap();
        let signing = SigningKey {
            kid: "short".into(),
            alg: Alg::Rs256,
            key: private,
        };
        assert_eq!(sign(&payload(), TYP, &signing), Err(JwsError::KeyMismatch));
    }

    /// Known answers from the RFCs: the signing input, key and signature they print.
    mod rfc_vectors {
        use super::*;
        use openssl::rsa::RsaPrivateKeyBuilder;

        fn b64(s: &str) -> Vec<u8> {
            URL_SAFE_NO_PAD.decode(s).unwrap()
        }

        fn bn(s: &str) -> BigNum {
            BigNum::from_slice(&b64(s)).unwrap()
        }

        /// RFC 7515 A.2 and A.3 sign the same payload (`{"iss":"joe", ...}` with CRLF).
        const PAYLOAD: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

        const RSA_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
        const RSA_D: &str = "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
        const RS256_INPUT: &str = "eyJhbGciOiJSUzI1NiJ9";
        const RS256_SIGNATURE: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

        #[test]
        fn rs256_signs_rfc7515_a2_to_the_exact_signature_and_verifies_it() {
            let rsa = RsaPrivateKeyBuilder::new(bn(RSA_N), bn("AQAB"), bn(RSA_D))
                .unwrap()
                .build();
            let private = PKey::from_rsa(rsa).unwrap();
            let public = PKey::public_key_from_der(&private.public_key_to_der().unwrap()).unwrap();
            let input = format!("{RS256_INPUT}.{PAYLOAD}");
            let signature = raw_signature(Alg::Rs256, &private, input.as_bytes()).unwrap();
            assert_eq!(URL_SAFE_NO_PAD.encode(&signature), RS256_SIGNATURE);
            assert!(signature_verifies(Alg::Rs256, &public, input.as_bytes(), &signature).unwrap());
        }

        #[test]
        fn es256_verifies_the_rfc7515_a3_signature_and_not_a_changed_one() {
            // ES256 signatures are randomized: the known answer is that the RFC's verifies.
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
            let ec = EcKey::from_public_key_affine_coordinates(
                &group,
                &bn("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"),
                &bn("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"),
            )
            .unwrap();
            let public = PKey::from_ec_key(ec).unwrap();
            let input = format!("eyJhbGciOiJFUzI1NiJ9.{PAYLOAD}");
            let mut signature = b64("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
            assert!(signature_verifies(Alg::Es256, &public, input.as_bytes(), &signature).unwrap());
            signature[63] ^= 1;
            assert!(
                !signature_verifies(Alg::Es256, &public, input.as_bytes(), &signature).unwrap()
            );
        }

        /// RFC 8037 A.4 (signing) and A.5 (validation).
        #[test]
        fn ed25519_signs_rfc8037_a4_to_the_exact_signature_and_verifies_it_as_a5() {
            let private = PKey::private_key_from_raw_bytes(
                &b64("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"),
                Id::ED25519,
            )
            .unwrap();
            let public = PKey::public_key_from_raw_bytes(
                &b64("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
                Id::ED25519,
            )
            .unwrap();
            assert_eq!(
                private.raw_public_key().unwrap(),
                public.raw_public_key().unwrap()
            );
            let input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
            let signature = raw_signature(Alg::Ed25519, &private, input).unwrap();
            let expected = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
            assert_eq!(URL_SAFE_NO_PAD.encode(&signature), expected);
            assert!(signature_verifies(Alg::Ed25519, &public, input, &b64(expected)).unwrap());
            assert!(!signature_verifies(
                Alg::Ed25519,
                &public,
                b"eyJhbGciOiJFZERTQSJ9.eA",
                &b64(expected)
            )
            .unwrap());
        }
    }
}

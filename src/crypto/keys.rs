//! Keys as the exchange publishes and registers them: JWK (RFC 7517) import and export, the
//! RFC 7638 thumbprint that is every key's `kid`, X.509 certificates, PEM files and key
//! generation. Public keys are taken only from what an organization registered, never from a
//! packet.
use super::jws::{Alg, SigningKey, VerifyingKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::rsa::Rsa;
use openssl::x509::X509;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Why a key was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a JWK of a supported type (EC P-256, RSA ≥ 2048 bits, OKP Ed25519)")]
    UnsupportedKey,
    #[error("the JWK member {0} is missing or not base64url")]
    BadMember(&'static str),
    #[error("a JWK with private members (d, p, q…) is not accepted here")]
    PrivateMembers,
    #[error("the algorithm {0} does not fit this key")]
    AlgorithmMismatch(String),
    #[error("not a PEM certificate or key")]
    BadPem,
    #[error("the certificate is not in force: {0}")]
    CertificateNotInForce(&'static str),
    #[error("openssl: {0}")]
    Crypto(String),
}

impl From<openssl::error::ErrorStack> for KeyError {
    fn from(e: openssl::error::ErrorStack) -> Self {
        KeyError::Crypto(e.to_string())
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// EC P-256 coordinates as fixed-width 32-byte big-endian values (RFC 7518 §6.2.1.2).
fn ec_coordinates(key: &EcKey<Public>) -> Result<(Vec<u8>, Vec<u8>), KeyError> {
    let mut ctx = BigNumContext::new()?;
    let mut x = BigNum::new()?;
    let mut y = BigNum::new()?;
    key.public_key()
        .affine_coordinates(key.group(), &mut x, &mut y, &mut ctx)?;
    Ok((x.to_vec_padded(32)?, y.to_vec_padded(32)?))
}

/// The required members of a public key's JWK (RFC 7638 §3.2), which its thumbprint covers.
fn required_members(key: &PKey<Public>) -> Result<Value, KeyError> {
    match key.id() {
        Id::EC => {
            let ec = key.ec_key()?;
            if ec.group().curve_name() != Some(Nid::X9_62_PRIME256V1) {
                return Err(KeyError::UnsupportedKey);
            }
            let (x, y) = ec_coordinates(&ec)?;
            Ok(json!({"crv": "P-256", "kty": "EC", "x": b64(&x), "y": b64(&y)}))
        }
        Id::RSA => {
            let rsa = key.rsa()?;
            if rsa.size() * 8 < 2048 {
                return Err(KeyError::UnsupportedKey);
            }
            Ok(json!({"e": b64(&rsa.e().to_vec()), "kty": "RSA", "n": b64(&rsa.n().to_vec())}))
        }
        Id::ED25519 => {
            Ok(json!({"crv": "Ed25519", "kty": "OKP", "x": b64(&key.raw_public_key()?)}))
        }
        _ => Err(KeyError::UnsupportedKey),
    }
}

/// The RFC 7638 SHA-256 thumbprint of a public key, base64url: the key's `kid`.
pub fn thumbprint(key: &PKey<Public>) -> Result<String, KeyError> {
    // The required members in lexicographic order without whitespace is exactly their JCS form.
    let members = super::jcs::canonical(&required_members(key)?);
    Ok(b64(&Sha256::digest(members)))
}

/// The public JWK of a key: its required members plus `kid`, `alg` and `use`.
pub fn to_jwk(key: &VerifyingKey) -> Result<Value, KeyError> {
    let mut jwk = required_members(&key.key)?;
    let object = jwk.as_object_mut().ok_or(KeyError::UnsupportedKey)?;
    object.insert("kid".into(), Value::String(key.kid.clone()));
    object.insert("alg".into(), Value::String(key.alg.name().into()));
    object.insert("use".into(), Value::String("sig".into()));
    Ok(jwk)
}

fn member(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, KeyError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .ok_or(KeyError::BadMember(name))
}

/// The default algorithm of a key: ES256 for P-256, Ed25519 for OKP, RS256 for RSA.
pub fn default_alg(key: &PKey<Public>) -> Result<Alg, KeyError> {
    match key.id() {
        Id::EC => Ok(Alg::Es256),
        Id::ED25519 => Ok(Alg::Ed25519),
        Id::RSA => Ok(Alg::Rs256),
        _ => Err(KeyError::UnsupportedKey),
    }
}

/// Checks that `alg` may be used with `key` (the algorithm pinned at registration).
fn pin(key: PKey<Public>, alg: Option<Alg>) -> Result<VerifyingKey, KeyError> {
    let alg = match alg {
        Some(a) => a,
        None => default_alg(&key)?,
    };
    let fits = matches!(
        (alg, key.id()),
        (Alg::Es256, Id::EC) | (Alg::Ed25519, Id::ED25519) | (Alg::Ps256 | Alg::Rs256, Id::RSA)
    );
    if !fits {
        return Err(KeyError::AlgorithmMismatch(alg.name().into()));
    }
    let kid = thumbprint(&key)?;
    Ok(VerifyingKey { kid, alg, key })
}

/// Reads a public JWK. The `kid` is always the thumbprint (a `kid` in the JWK is ignored); the
/// algorithm is `alg` when given, else the JWK's own `alg`, else the key type's default.
pub fn from_jwk(jwk: &Value, alg: Option<Alg>) -> Result<VerifyingKey, KeyError> {
    let jwk = jwk.as_object().ok_or(KeyError::UnsupportedKey)?;
    if ["d", "p", "q", "dp", "dq", "qi", "k"]
        .iter()
        .any(|m| jwk.contains_key(*m))
    {
        return Err(KeyError::PrivateMembers);
    }
    let own_alg = match jwk.get("alg").and_then(Value::as_str) {
        Some(name) => {
            Some(Alg::parse(name).ok_or_else(|| KeyError::AlgorithmMismatch(name.into()))?)
        }
        None => None,
    };
    let key = match (
        jwk.get("kty").and_then(Value::as_str),
        jwk.get("crv").and_then(Value::as_str),
    ) {
        (Some("EC"), Some("P-256")) => {
            let (x, y) = (member(jwk, "x")?, member(jwk, "y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err(KeyError::BadMember("x"));
            }
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
            let (x, y) = (BigNum::from_slice(&x)?, BigNum::from_slice(&y)?);
            let ec = EcKey::from_public_key_affine_coordinates(&group, &x, &y)
                .map_err(|_| KeyError::BadMember("x"))?;
            ec.check_key().map_err(|_| KeyError::BadMember("x"))?;
            PKey::from_ec_key(ec)?
        }
        (Some("RSA"), _) => {
            let n = BigNum::from_slice(&member(jwk, "n")?)?;
            let e = BigNum::from_slice(&member(jwk, "e")?)?;
            if n.num_bits() < 2048 {
                return Err(KeyError::UnsupportedKey);
            }
            PKey::from_rsa(Rsa::from_public_components(n, e)?)?
        }
        (Some("OKP"), Some("Ed25519")) => {
            PKey::public_key_from_raw_bytes(&member(jwk, "x")?, Id::ED25519)
                .map_err(|_| KeyError::BadMember("x"))?
        }
        _ => return Err(KeyError::UnsupportedKey),
    };
    pin(key, alg.or(own_alg))
}

/// Reads the public key of a PEM X.509 certificate (the first one in the text), if the
/// certificate is in force now (its `notBefore` passed, its `notAfter` not). Only the key is
/// taken: the subject names no one to the exchange (the organization that registers the key is
/// its owner), and no chain is built — the certificate is a container for the key, whose
/// dates bound its use.
pub fn from_certificate_pem(pem: &[u8], alg: Option<Alg>) -> Result<VerifyingKey, KeyError> {
    let cert = X509::from_pem(pem).map_err(|_| KeyError::BadPem)?;
    in_force(&cert)?;
    pin(cert.public_key()?, alg)
}

/// Whether the PEM certificate a key was registered from is in force now: a key whose
/// certificate has expired stops verifying.
pub fn certificate_in_force(pem: &[u8]) -> bool {
    X509::from_pem(pem).is_ok_and(|cert| in_force(&cert).is_ok())
}

fn in_force(cert: &X509) -> Result<(), KeyError> {
    use std::cmp::Ordering::{Greater, Less};
    let now = openssl::asn1::Asn1Time::days_from_now(0)?;
    if cert.not_before().compare(&now)? == Greater {
        return Err(KeyError::CertificateNotInForce(
            "its notBefore is still to come",
        ));
    }
    if cert.not_after().compare(&now)? == Less {
        return Err(KeyError::CertificateNotInForce("its notAfter has passed"));
    }
    Ok(())
}

/// Reads a PEM public key (`BEGIN PUBLIC KEY`) or the public half of a PEM private key.
pub fn from_public_pem(pem: &[u8], alg: Option<Alg>) -> Result<VerifyingKey, KeyError> {
    let alg = agreed_alg(pem, alg)?;
    let key = match PKey::public_key_from_pem(pem) {
        Ok(k) => k,
        Err(_) => {
            let private = PKey::private_key_from_pem(pem).map_err(|_| KeyError::BadPem)?;
            PKey::public_key_from_der(&private.public_key_to_der()?)?
        }
    };
    pin(key, alg)
}

/// The algorithm asked for and the one the key file names must agree; either alone decides.
fn agreed_alg(pem: &[u8], asked: Option<Alg>) -> Result<Option<Alg>, KeyError> {
    match (asked, pem_alg(pem)?) {
        (Some(a), Some(l)) if a != l => Err(KeyError::AlgorithmMismatch(format!(
            "{} (the key was made for {})",
            a.name(),
            l.name()
        ))),
        (a, l) => Ok(a.or(l)),
    }
}

/// The public half of a private key.
pub fn public_of(key: &PKey<Private>) -> Result<PKey<Public>, KeyError> {
    Ok(PKey::public_key_from_der(&key.public_key_to_der()?)?)
}

/// A signing key from a PKCS#8 PEM private key, its `kid` the thumbprint of its public half.
pub fn signing_key_from_pem(pem: &[u8], alg: Option<Alg>) -> Result<SigningKey, KeyError> {
    let alg = agreed_alg(pem, alg)?;
    let key = PKey::private_key_from_pem(pem).map_err(|_| KeyError::BadPem)?;
    let public = pin(public_of(&key)?, alg)?;
    Ok(SigningKey {
        kid: public.kid,
        alg: public.alg,
        key,
    })
}

/// The verifying half of a signing key.
pub fn verifying_key(key: &SigningKey) -> Result<VerifyingKey, KeyError> {
    Ok(VerifyingKey {
        kid: key.kid.clone(),
        alg: key.alg,
        key: public_of(&key.key)?,
    })
}

/// A new private key for `alg` (RSA keys are 3072 bits), with its thumbprint `kid`.
pub fn generate(alg: Alg) -> Result<SigningKey, KeyError> {
    let key = match alg {
        Alg::Es256 => {
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
            PKey::from_ec_key(EcKey::generate(&group)?)?
        }
        Alg::Ed25519 => PKey::generate_ed25519()?,
        Alg::Ps256 | Alg::Rs256 => PKey::from_rsa(Rsa::generate(3072)?)?,
    };
    let kid = thumbprint(&public_of(&key)?)?;
    Ok(SigningKey { kid, alg, key })
}

/// The PKCS#8 PEM form of a private key, with the algorithm it was made for written before
/// it (see [`pem_alg`]).
pub fn private_pem(key: &SigningKey) -> Result<String, KeyError> {
    let pem = key.key.private_key_to_pem_pkcs8()?;
    let pem = String::from_utf8(pem).map_err(|_| KeyError::BadPem)?;
    Ok(labelled(key.alg, &pem))
}

/// The PEM form of the public half of a signing key, with its algorithm written before it.
pub fn public_pem(key: &SigningKey) -> Result<String, KeyError> {
    let pem = public_of(&key.key)?.public_key_to_pem()?;
    let pem = String::from_utf8(pem).map_err(|_| KeyError::BadPem)?;
    Ok(labelled(key.alg, &pem))
}

/// The label line written before a PEM block: an RSA key signs RS256 or PS256 alike, so the
/// algorithm a key was made for travels with the key file. RFC 7468 §2 lets text stand before
/// the encapsulation boundary, and OpenSSL's reader skips it.
const ALG_LABEL: &str = "Algorithm: ";

fn labelled(alg: Alg, pem: &str) -> String {
    format!("{ALG_LABEL}{}\n{pem}", alg.name())
}

/// The algorithm named in the text before a PEM block (`Algorithm: PS256`), if any; an
/// unknown name is an error, so a typo never falls back to a default.
pub fn pem_alg(pem: &[u8]) -> Result<Option<Alg>, KeyError> {
    let text = String::from_utf8_lossy(pem);
    for line in text.lines() {
        if line.starts_with("-----BEGIN") {
            break;
        }
        if let Some(name) = line.trim().strip_prefix(ALG_LABEL) {
            let name = name.trim();
            return Alg::parse(name)
                .map(Some)
                .ok_or_else(|| KeyError::AlgorithmMismatch(name.into()));
        }
    }
    Ok(None)
}

/// A JWK Set (RFC 7517 §5) of public keys.
pub fn jwks<'a>(keys: impl IntoIterator<Item = &'a VerifyingKey>) -> Result<Value, KeyError> {
    let keys = keys
        .into_iter()
        .map(to_jwk)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "keys": keys }))
}

/// The JWK member that names whose a published key is (a member of our own; RFC 7517 §4
/// lets a JWK carry more members, and readers ignore those they do not know):
/// `{"organization_id": "…"}` for a key an organization registered, `{"exchange": true}` for
/// the exchange's own signing keys. A receiver that verifies a packet checks that the
/// organization that owns the signing key is the packet's author (the handoff's `sender`, the
/// response's `responder`); a key of the exchange signs packets it composed for any sender.
pub const OWNER_MEMBER: &str = "kyoten_owner";

/// Whose a published key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOwner {
    Exchange,
    Organization(String),
}

impl KeyOwner {
    pub fn to_json(&self) -> Value {
        match self {
            KeyOwner::Exchange => json!({"exchange": true}),
            KeyOwner::Organization(id) => json!({"organization_id": id}),
        }
    }

    /// The owner a JWK names, if it names one in the documented form.
    pub fn of_jwk(jwk: &Value) -> Option<KeyOwner> {
        let owner = jwk.get(OWNER_MEMBER)?.as_object()?;
        match (owner.get("exchange"), owner.get("organization_id")) {
            (Some(Value::Bool(true)), None) => Some(KeyOwner::Exchange),
            (None, Some(Value::String(id))) if !id.is_empty() => {
                Some(KeyOwner::Organization(id.clone()))
            }
            _ => None,
        }
    }
}

/// The keys of a JWK Set; a key that cannot be read is an error (a set is all or nothing).
pub fn from_jwks(set: &Value) -> Result<Vec<VerifyingKey>, KeyError> {
    set.get("keys")
        .and_then(Value::as_array)
        .ok_or(KeyError::UnsupportedKey)?
        .iter()
        .map(|k| from_jwk(k, None))
        .collect()
}

/// The keys of a JWK Set with the owner each names (`None` where a key names none).
pub fn from_jwks_with_owners(
    set: &Value,
) -> Result<Vec<(VerifyingKey, Option<KeyOwner>)>, KeyError> {
    set.get("keys")
        .and_then(Value::as_array)
        .ok_or(KeyError::UnsupportedKey)?
        .iter()
        .map(|k| Ok((from_jwk(k, None)?, KeyOwner::of_jwk(k))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1.
    const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    #[test]
    fn a_key_file_carries_the_algorithm_it_was_made_for() {
        let key = generate(Alg::Ps256).unwrap();
        let private = private_pem(&key).unwrap();
        assert!(private.starts_with("Algorithm: PS256\n-----BEGIN PRIVATE KEY-----"));
        assert_eq!(pem_alg(private.as_bytes()).unwrap(), Some(Alg::Ps256));
        let read = signing_key_from_pem(private.as_bytes(), None).unwrap();
        assert_eq!(
            (read.alg, read.kid.as_str()),
            (Alg::Ps256, key.kid.as_str())
        );
        let public = public_pem(&key).unwrap();
        assert_eq!(
            from_public_pem(public.as_bytes(), None).unwrap().alg,
            Alg::Ps256
        );
        // Without a label, an RSA key is RS256 as before; a label that names nothing is refused.
        let bare = key.key.private_key_to_pem_pkcs8().unwrap();
        assert_eq!(signing_key_from_pem(&bare, None).unwrap().alg, Alg::Rs256);
        assert!(pem_alg(b"Algorithm: PS265\n-----BEGIN PRIVATE KEY-----").is_err());
        // A label after the block is not read.
        let after = format!("{}Algorithm: ES256\n", String::from_utf8(bare).unwrap());
        assert_eq!(pem_alg(after.as_bytes()).unwrap(), None);
    }

    #[test]
    fn a_jwk_names_its_owner_only_in_the_documented_form() {
        let with = |owner: Value| json!({"kty": "OKP", "kyoten_owner": owner});
        assert_eq!(
            KeyOwner::of_jwk(&with(json!({"exchange": true}))),
            Some(KeyOwner::Exchange)
        );
        assert_eq!(
            KeyOwner::of_jwk(&with(json!({"organization_id": "office-a"}))),
            Some(KeyOwner::Organization("office-a".into()))
        );
        for odd in [
            json!({"exchange": false}),
            json!({"organization_id": ""}),
            json!({"organization_id": 1}),
            json!({"exchange": true, "organization_id": "office-a"}),
            json!("office-a"),
        ] {
            assert_eq!(KeyOwner::of_jwk(&with(odd.clone())), None, "{odd}");
        }
        assert_eq!(KeyOwner::of_jwk(&json!({"kty": "OKP"})), None);
        for owner in [KeyOwner::Exchange, KeyOwner::Organization("x".into())] {
            assert_eq!(KeyOwner::of_jwk(&with(owner.to_json())), Some(owner));
        }
    }

    #[test]
    fn the_rsa_thumbprint_is_the_one_of_rfc_7638() {
        let jwk =
            json!({"kty": "RSA", "n": RFC7638_N, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"});
        let key = from_jwk(&jwk, None).ok().unwrap();
        assert_eq!(key.kid, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assert_eq!(key.alg, Alg::Rs256);
    }

    #[test]
    fn the_ed25519_thumbprint_is_the_one_of_rfc_8037() {
        // RFC 8037 Appendix A.2 and A.3.
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        let key = from_jwk(&jwk, None).ok().unwrap();
        assert_eq!(key.kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        assert_eq!(key.alg, Alg::Ed25519);
    }

    #[test]
    fn a_jwk_written_out_reads_back_as_the_same_key() {
        for alg in [Alg::Es256, Alg::Ed25519, Alg::Ps256] {
            let signing = generate(alg).ok().unwrap();
            let public = verifying_key(&signing).ok().unwrap();
            let jwk = to_jwk(&public).unwrap();
            assert_eq!(jwk["kid"], signing.kid.as_str());
            let back = from_jwk(&jwk, None).ok().unwrap();
            assert_eq!(back.kid, signing.kid);
            assert_eq!(back.alg, alg);
            assert!(back.key.public_eq(&public.key));
        }
    }

    #[test]
    fn a_private_jwk_is_refused() {
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"});
        assert_eq!(from_jwk(&jwk, None).err(), Some(KeyError::PrivateMembers));
    }

    #[test]
    fn an_algorithm_that_does_not_fit_the_key_is_refused() {
        let jwk = json!({"kty": "RSA", "n": RFC7638_N, "e": "AQAB"});
        assert!(matches!(
            from_jwk(&jwk, Some(Alg::Es256)),
            Err(KeyError::AlgorithmMismatch(_))
        ));
        let small = PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap();
        let public = public_of(&small).unwrap();
        assert_eq!(
            required_members(&public).unwrap_err(),
            KeyError::UnsupportedKey
        );
    }

    #[test]
    fn an_ec_point_off_the_curve_is_refused() {
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(&[1u8; 32]), "y": b64(&[2u8; 32])});
        assert_eq!(from_jwk(&jwk, None).err(), Some(KeyError::BadMember("x")));
    }

    /// A self-signed certificate of `signing`'s key, in force from `from` to `to` (Unix time).
    fn certificate(signing: &SigningKey, from: i64, to: i64) -> Vec<u8> {
        let mut name = openssl::x509::X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "見本相談支援事業所")
            .unwrap();
        let name = name.build();
        let mut builder = openssl::x509::X509Builder::new().unwrap();
        builder.set_version(2).unwrap();
        let serial = BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap();
        builder.set_serial_number(&serial).unwrap();
        builder.set_subject_name(&name).unwrap();
        builder.set_issuer_name(&name).unwrap();
        let start = openssl::asn1::Asn1Time::from_unix(from).unwrap();
        let end = openssl::asn1::Asn1Time::from_unix(to).unwrap();
        builder.set_not_before(&start).unwrap();
        builder.set_not_after(&end).unwrap();
        builder.set_pubkey(&signing.key).unwrap();
        builder
            .sign(&signing.key, openssl::hash::MessageDigest::sha256())
            .unwrap();
        builder.build().to_pem().unwrap()
    }

    const DAY: i64 = 86_400;

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn a_certificate_gives_the_key_it_certifies() {
        let signing = generate(Alg::Es256).ok().unwrap();
        let pem = certificate(&signing, now() - DAY, now() + 365 * DAY);
        let key = from_certificate_pem(&pem, None).ok().unwrap();
        assert_eq!(key.kid, signing.kid);
        assert_eq!(key.alg, Alg::Es256);
        assert!(certificate_in_force(&pem));
    }

    #[test]
    fn a_certificate_that_expired_or_is_not_yet_valid_gives_no_key() {
        let signing = generate(Alg::Es256).ok().unwrap();
        let expired = certificate(&signing, now() - 400 * DAY, now() - DAY);
        assert_eq!(
            from_certificate_pem(&expired, None).err(),
            Some(KeyError::CertificateNotInForce("its notAfter has passed"))
        );
        assert!(!certificate_in_force(&expired));
        let early = certificate(&signing, now() + DAY, now() + 400 * DAY);
        assert_eq!(
            from_certificate_pem(&early, None).err(),
            Some(KeyError::CertificateNotInForce(
                "its notBefore is still to come"
            ))
        );
    }

    #[test]
    fn a_private_pem_round_trips_with_its_kid() {
        let signing = generate(Alg::Es256).ok().unwrap();
        let pem = private_pem(&signing).unwrap();
        let back = signing_key_from_pem(pem.as_bytes(), None).ok().unwrap();
        assert_eq!(back.kid, signing.kid);
        let public = from_public_pem(pem.as_bytes(), None).ok().unwrap();
        assert_eq!(public.kid, signing.kid);
    }
}

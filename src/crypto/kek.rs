//! The key-encryption key (KEK): AES-256-GCM on openssl for secrets kept in the database (today
//! the exchange's private signing keys), so a copy of the database alone reveals none of them.
//!
//! A sealed value is one line of text, stored where the plaintext would be:
//! `kyoten-kek-v1:<base64 nonce>:<base64 ciphertext ‖ tag>` — standard base64 with padding, a
//! random 96-bit nonce per value, a 128-bit tag. The caller's `aad` (for a signing key, its
//! `kid`) is authenticated with it, so a sealed value copied into another row does not open.
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use openssl::symm::{decrypt_aead, encrypt_aead, Cipher};
use zeroize::{Zeroize, Zeroizing};

/// The envelope's version tag, and what every sealed value starts with.
pub const ENVELOPE_V1: &str = "kyoten-kek-v1";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// How to make a key-encryption key, for error messages.
pub const HOW_TO_MAKE: &str = "openssl rand -base64 32 > kek && chmod 600 kek";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KekError {
    #[error("a key-encryption key is 32 random bytes in base64 (make one with: {HOW_TO_MAKE})")]
    InvalidKey,
    #[error("not a sealed value (it does not start with {ENVELOPE_V1}:)")]
    NotSealed,
    #[error("a sealed value of an unknown format version ({0}); this kyoten reads {ENVELOPE_V1}")]
    UnknownVersion(String),
    #[error("a malformed {ENVELOPE_V1} value ({0})")]
    Malformed(&'static str),
    #[error(
        "cannot be decrypted with this key-encryption key: it was sealed under another key, \
         or the stored value (or the id it belongs to) was changed"
    )]
    Undecryptable,
    #[error("openssl: {0}")]
    Crypto(String),
}

fn crypto(e: openssl::error::ErrorStack) -> KekError {
    KekError::Crypto(e.to_string())
}

/// A 256-bit key-encryption key. Its bytes never appear in `Debug` and are wiped on drop.
#[derive(Clone)]
pub struct Kek(Zeroizing<[u8; KEY_LEN]>);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(…)")
    }
}

impl Kek {
    /// A new random key.
    pub fn generate() -> Result<Kek, KekError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        openssl::rand::rand_bytes(key.as_mut()).map_err(crypto)?;
        Ok(Kek(key))
    }

    /// Reads the key from its base64 text (surrounding white space ignored), e.g. what
    /// `openssl rand -base64 32` prints. Exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Kek, KekError> {
        let mut bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim().as_bytes())
                .map_err(|_| KekError::InvalidKey)?,
        );
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if bytes.len() != KEY_LEN {
            bytes.zeroize();
            return Err(KekError::InvalidKey);
        }
        key.copy_from_slice(&bytes);
        Ok(Kek(key))
    }

    /// The key as base64 text, to write a key file.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_ref()))
    }

    /// Seals `plaintext` under this key with a fresh random nonce, bound to `aad`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<String, KekError> {
        let mut nonce = [0u8; NONCE_LEN];
        openssl::rand::rand_bytes(&mut nonce).map_err(crypto)?;
        self.seal_with_nonce(&nonce, aad, plaintext)
    }

    /// [`Kek::seal`] with a given nonce: only for known-answer tests (a nonce must never be
    /// used twice under one key).
    fn seal_with_nonce(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<String, KekError> {
        let mut tag = [0u8; TAG_LEN];
        let mut sealed = encrypt_aead(
            Cipher::aes_256_gcm(),
            self.0.as_ref(),
            Some(nonce),
            aad,
            plaintext,
            &mut tag,
        )
        .map_err(crypto)?;
        sealed.extend_from_slice(&tag);
        Ok(format!(
            "{ENVELOPE_V1}:{}:{}",
            STANDARD.encode(nonce),
            STANDARD.encode(&sealed)
        ))
    }

    /// Opens a sealed value with the `aad` it was sealed with. Any change to the value, the
    /// aad or the key gives [`KekError::Undecryptable`].
    pub fn open(&self, aad: &[u8], sealed: &str) -> Result<Zeroizing<Vec<u8>>, KekError> {
        let (nonce, body) = parse(sealed)?;
        let (ciphertext, tag) = body.split_at(body.len() - TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            self.0.as_ref(),
            Some(&nonce),
            aad,
            ciphertext,
            tag,
        )
        .map(Zeroizing::new)
        .map_err(|_| KekError::Undecryptable)
    }
}

/// Whether a stored value is a sealed envelope (of any version) rather than plaintext.
pub fn is_sealed(value: &str) -> bool {
    value.starts_with("kyoten-kek-")
}

/// The nonce and the ciphertext with its tag.
fn parse(sealed: &str) -> Result<([u8; NONCE_LEN], Vec<u8>), KekError> {
    let mut parts = sealed.split(':');
    match parts.next() {
        Some(ENVELOPE_V1) => {}
        Some(other) if is_sealed(other) => return Err(KekError::UnknownVersion(other.into())),
        _ => return Err(KekError::NotSealed),
    }
    let (Some(nonce), Some(body), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KekError::Malformed("not three parts separated by ':'"));
    };
    let nonce: [u8; NONCE_LEN] = STANDARD
        .decode(nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or(KekError::Malformed("the nonce is not 12 bytes in base64"))?;
    let body = STANDARD
        .decode(body)
        .map_err(|_| KekError::Malformed("the ciphertext is not base64"))?;
    if body.len() < TAG_LEN {
        return Err(KekError::Malformed(
            "the ciphertext is shorter than its tag",
        ));
    }
    Ok((nonce, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    // Computed once with Python `cryptography` (AESGCM(key).encrypt(nonce, plaintext, aad)):
    // key bytes 0..31, nonce bytes 0..11, aad a kid.
    const KAT_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const KAT_AAD: &[u8] = b"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
    const KAT_PLAINTEXT: &[u8] =
        b"-----BEGIN PRIVATE KEY-----\nkyoten known-answer test\n-----END PRIVATE KEY-----\n";
    const KAT_SEALED: &str = "kyoten-kek-v1:AAECAwQFBgcICQoL:ai/7Nuinh1zED7fb46AuLNeTp3+1InJRFUrIj3YQb8Zkfo6Xwa5l9lnFEZ7/4loYmjwT+VD7jvcSum9XXMOlvLlqhy6W8W0kRXmHQ8KiBMjbu2bbNQxD41FmKD0BTwU=";

    fn kat_key() -> Kek {
        Kek::from_base64(KAT_KEY).unwrap()
    }

    #[test]
    fn aes_256_gcm_matches_the_gcm_specification_test_case_16() {
        // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256,
        // 96-bit IV, with additional data) — also in NIST's gcmEncryptExtIV256 vectors.
        let key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        let kek = Kek::from_base64(&STANDARD.encode(&key)).unwrap();
        let nonce: [u8; 12] = hex("cafebabefacedbaddecaf888").try_into().unwrap();
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let plaintext = hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let expected = hex(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662\
             76fc6ece0f4e1768cddf8853bb2d551b",
        );
        let sealed = kek.seal_with_nonce(&nonce, &aad, &plaintext).unwrap();
        let (n, body) = parse(&sealed).unwrap();
        assert_eq!(n, nonce);
        assert_eq!(body, expected);
        assert_eq!(kek.open(&aad, &sealed).unwrap().as_slice(), plaintext);
    }

    #[test]
    fn sealing_gives_the_known_envelope_for_a_fixed_key_nonce_and_kid() {
        let nonce: [u8; 12] = hex("000102030405060708090a0b").try_into().unwrap();
        let sealed = kat_key()
            .seal_with_nonce(&nonce, KAT_AAD, KAT_PLAINTEXT)
            .unwrap();
        assert_eq!(sealed, KAT_SEALED);
        assert_eq!(
            kat_key().open(KAT_AAD, KAT_SEALED).unwrap().as_slice(),
            KAT_PLAINTEXT
        );
    }

    #[test]
    fn a_sealed_value_holds_no_plaintext_and_uses_a_fresh_nonce_each_time() {
        let kek = Kek::generate().unwrap();
        let a = kek.seal(KAT_AAD, KAT_PLAINTEXT).unwrap();
        let b = kek.seal(KAT_AAD, KAT_PLAINTEXT).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("kyoten-kek-v1:") && is_sealed(&a));
        assert!(!a.contains("BEGIN") && !a.contains("PRIVATE"));
        assert_eq!(kek.open(KAT_AAD, &a).unwrap().as_slice(), KAT_PLAINTEXT);
        assert_eq!(kek.open(KAT_AAD, &b).unwrap().as_slice(), KAT_PLAINTEXT);
    }

    #[test]
    fn a_wrong_key_does_not_open_a_sealed_value() {
        let other = Kek::generate().unwrap();
        assert_eq!(
            other.open(KAT_AAD, KAT_SEALED).unwrap_err(),
            KekError::Undecryptable
        );
    }

    #[test]
    fn a_sealed_value_moved_to_another_kid_does_not_open() {
        assert_eq!(
            kat_key().open(b"another-kid", KAT_SEALED).unwrap_err(),
            KekError::Undecryptable
        );
    }

    #[test]
    fn any_changed_byte_of_the_nonce_or_ciphertext_or_tag_does_not_open() {
        let (nonce, body) = parse(KAT_SEALED).unwrap();
        let envelope = |n: &[u8], b: &[u8]| {
            format!(
                "{ENVELOPE_V1}:{}:{}",
                STANDARD.encode(n),
                STANDARD.encode(b)
            )
        };
        for i in 0..nonce.len() {
            let mut n = nonce;
            n[i] ^= 0x01;
            assert_eq!(
                kat_key().open(KAT_AAD, &envelope(&n, &body)).unwrap_err(),
                KekError::Undecryptable,
                "nonce byte {i}"
            );
        }
        for i in 0..body.len() {
            let mut b = body.clone();
            b[i] ^= 0x80;
            assert_eq!(
                kat_key().open(KAT_AAD, &envelope(&nonce, &b)).unwrap_err(),
                KekError::Undecryptable,
                "ciphertext byte {i}"
            );
        }
    }

    #[test]
    fn malformed_envelopes_are_refused_with_a_reason_and_never_panic() {
        let kek = kat_key();
        let cases: [(&str, KekError); 8] = [
            ("-----BEGIN PRIVATE KEY-----", KekError::NotSealed),
            ("", KekError::NotSealed),
            (
                "kyoten-kek-v2:AAECAwQFBgcICQoL:AAAA",
                KekError::UnknownVersion("kyoten-kek-v2".into()),
            ),
            (
                "kyoten-kek-v1:AAECAwQFBgcICQoL",
                KekError::Malformed("not three parts separated by ':'"),
            ),
            (
                "kyoten-kek-v1:AAECAwQFBgcICQoL:AAAA:AAAA",
                KekError::Malformed("not three parts separated by ':'"),
            ),
            (
                "kyoten-kek-v1:AAEC:AAAAAAAAAAAAAAAAAAAAAA==",
                KekError::Malformed("the nonce is not 12 bytes in base64"),
            ),
            (
                "kyoten-kek-v1:AAECAwQFBgcICQoL:not base64!",
                KekError::Malformed("the ciphertext is not base64"),
            ),
            (
                "kyoten-kek-v1:AAECAwQFBgcICQoL:AAAA",
                KekError::Malformed("the ciphertext is shorter than its tag"),
            ),
        ];
        for (sealed, expected) in cases {
            assert_eq!(kek.open(KAT_AAD, sealed).unwrap_err(), expected, "{sealed}");
        }
    }

    #[test]
    fn a_key_must_be_exactly_32_bytes_of_base64() {
        assert!(Kek::from_base64(&format!("{KAT_KEY}\n")).is_ok());
        for bad in [
            "",
            "not base64",
            &STANDARD.encode([7u8; 16]),
            &STANDARD.encode([7u8; 33]),
        ] {
            assert_eq!(Kek::from_base64(bad).unwrap_err(), KekError::InvalidKey);
        }
        assert_eq!(
            Kek::from_base64(&kat_key().to_base64())
                .unwrap()
                .to_base64(),
            kat_key().to_base64()
        );
    }

    #[test]
    fn the_key_never_shows_in_debug_output_or_errors() {
        let text = format!("{:?}", kat_key());
        assert!(!text.contains(KAT_KEY) && !text.contains("AAEC"), "{text}");
        let message = KekError::InvalidKey.to_string();
        assert!(message.contains("openssl rand -base64 32"), "{message}");
    }
}

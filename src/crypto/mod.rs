//! Signatures: JCS canonical JSON, JWS (compact) and XMLDSig (enveloped) on openssl, keys
//! (JWK, RFC 7638 thumbprints, X.509), and the key-encryption key that seals private keys at
//! rest (AES-256-GCM). Small modules with known-answer tests; nothing here knows HTTP or storage.
pub mod jcs;
pub mod jws;
pub mod kek;
pub mod keys;
pub mod xmldsig;

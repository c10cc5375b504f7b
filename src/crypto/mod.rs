//! Signatures: JCS canonical JSON, JWS (compact) and XMLDSig (enveloped) on openssl, and keys
//! (JWK, RFC 7638 thumbprints, X.509). Small modules with known-answer tests; nothing here knows
//! HTTP or storage.
pub mod jcs;
pub mod jws;
pub mod keys;
pub mod xmldsig;

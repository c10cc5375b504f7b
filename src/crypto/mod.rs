//! Signatures: JCS canonical JSON, JWS (compact) on openssl. Small modules with known-answer
//! tests; nothing here knows HTTP or storage.
pub mod jcs;
pub mod jws;
pub mod keys;
pub mod xmldsig;

//! Signatures: JCS canonical JSON, JWS (compact) and XMLDSig (enveloped) on openssl. Small modules
//! with known-answer tests; nothing here knows HTTP or storage.
pub mod jcs;
pub mod jws;
pub mod xmldsig;

//! kyoten: open data exchange and validator for Japan's community life support hubs for people
//! with disabilities (地域生活支援拠点等).
//!
//! Layout, from the bottom up; each module uses only those before it (`tests/api/architecture.rs`
//! checks it): `contracts`, `time` and `observe` → `xml` → `domain` → `validation` → `crypto` →
//! `packet` → `store` → `problem` → `exchange` → `http` → `conformance` → `cli`.
pub mod cli;
pub mod conformance;
pub mod contracts;
pub mod crypto;
pub mod domain;
pub mod exchange;
pub mod http;
pub mod observe;
pub mod packet;
pub mod problem;
pub mod store;
pub mod time;
pub mod validation;
pub mod xml;

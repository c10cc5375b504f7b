//! kyoten: open data exchange and validator for Japan's community life support hubs for people
//! with disabilities (地域生活支援拠点等).
//!
//! Layout: `contracts` (published schemas, code lists, policies) ← `validation` and `domain` ←
//! `xml` ← `http` and `cli`.
pub mod cli;
pub mod conformance;
pub mod contracts;
pub mod crypto;
pub mod domain;
pub mod http;
pub mod packet;
pub mod store;
pub mod validation;
pub mod xml;

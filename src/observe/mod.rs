//! What an operator watches: the security events (one structured log line each, and a counter)
//! and the request metrics `GET /metrics` exposes. It uses nothing else of the crate, so every
//! layer above may report to it.
pub mod metrics;
pub mod security;

//! Security events: one INFO line each on the target `kyoten::security`, with a stable event
//! name, and a counter per name (`kyoten_security_events_total` in `/metrics`).
//!
//! A line names the organization, the request id, the route pattern, the status and the
//! problem type, and for failed authentications and rate limits the client address; never a
//! path value, a query, a body, a personal value or a key. README "Security" lists the events.
use std::net::IpAddr;

/// What happened, by its stable name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// A request with no, an unknown or a revoked API key (or a client certificate that names
    /// no organization).
    AuthenticationFailed,
    /// A request refused by a limit: failed authentications or validation requests from one
    /// client address.
    RateLimited,
    /// A read or write the access policy refused (403), or a record of personal data the caller
    /// may not see (404).
    AccessRefused,
    /// A packet the person's consent does not allow (withdrawn, a category not permitted,
    /// nothing permitted, an intake without consent).
    ConsentRefused,
    /// A packet sent on the vital-interest basis, without consent (break-glass).
    BreakGlassPacket,
    /// A break-glass packet delivered to its recipient.
    BreakGlassDelivered,
    /// A registration read on the vital-interest basis.
    BreakGlassRead,
    /// An organization registered a public key that verifies its packets.
    KeyRegistered,
    /// An organization retired one of its public keys.
    KeyRetired,
    /// The exchange's own signing key rotated or retired, or its key-encryption key rotated.
    SigningKeyChanged,
    /// An organization created, or its municipal scope changed.
    OrganizationChanged,
    /// An API key issued or revoked.
    ApiKeyChanged,
}

impl Event {
    pub const ALL: [Event; 12] = [
        Event::AuthenticationFailed,
        Event::RateLimited,
        Event::AccessRefused,
        Event::ConsentRefused,
        Event::BreakGlassPacket,
        Event::BreakGlassDelivered,
        Event::BreakGlassRead,
        Event::KeyRegistered,
        Event::KeyRetired,
        Event::SigningKeyChanged,
        Event::OrganizationChanged,
        Event::ApiKeyChanged,
    ];

    /// The stable name, in the log line (`event`) and in `/metrics`.
    pub fn name(self) -> &'static str {
        match self {
            Event::AuthenticationFailed => "authentication_failed",
            Event::RateLimited => "rate_limited",
            Event::AccessRefused => "access_refused",
            Event::ConsentRefused => "consent_refused",
            Event::BreakGlassPacket => "break_glass_packet",
            Event::BreakGlassDelivered => "break_glass_delivered",
            Event::BreakGlassRead => "break_glass_read",
            Event::KeyRegistered => "key_registered",
            Event::KeyRetired => "key_retired",
            Event::SigningKeyChanged => "signing_key_changed",
            Event::OrganizationChanged => "organization_changed",
            Event::ApiKeyChanged => "api_key_changed",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Event::AuthenticationFailed => "authentication failed",
            Event::RateLimited => "refused by a rate limit",
            Event::AccessRefused => "access refused",
            Event::ConsentRefused => "refused: not within the person's consent",
            Event::BreakGlassPacket => "break-glass packet sent (vital interest, no consent)",
            Event::BreakGlassDelivered => "break-glass packet delivered",
            Event::BreakGlassRead => "registration read on the vital-interest basis",
            Event::KeyRegistered => "public key registered",
            Event::KeyRetired => "public key retired",
            Event::SigningKeyChanged => "the exchange's signing keys changed",
            Event::OrganizationChanged => "organization changed",
            Event::ApiKeyChanged => "API key changed",
        }
    }
}

/// Where and to whom an event happened. Every member is an identifier of the exchange or a
/// fixed text, never a personal value: see the module's comment.
#[derive(Debug, Default, Clone, Copy)]
pub struct Context<'a> {
    /// The organization that made the request (or that the command changed).
    pub organization: Option<&'a str>,
    pub request_id: Option<&'a str>,
    /// The client address, for failed authentications and rate limits.
    pub peer: Option<IpAddr>,
    pub method: Option<&'a str>,
    /// The route pattern (`/v1/registrations/{id}`), never the path.
    pub route: Option<&'a str>,
    pub status: Option<u16>,
    /// The problem type's name (`consent-withdrawn`).
    pub problem: Option<&'a str>,
    /// A fixed text saying more (`unknown or revoked key`, `authentication`).
    pub reason: Option<&'a str>,
    /// The key (kid) or API-key prefix the event is about.
    pub key: Option<&'a str>,
}

/// Logs `event` (INFO, target `kyoten::security`) and counts it.
pub fn record(event: Event, cx: &Context<'_>) {
    super::metrics::security_event(event);
    let peer = cx.peer.map(|p| p.to_string());
    tracing::info!(
        target: "kyoten::security",
        event = event.name(),
        organization = cx.organization,
        request_id = cx.request_id,
        peer = peer.as_deref(),
        method = cx.method,
        route = cx.route,
        status = cx.status,
        problem = cx.problem,
        reason = cx.reason,
        key = cx.key,
        "{}",
        event.message()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_has_its_own_stable_snake_case_name() {
        let names: std::collections::BTreeSet<_> = Event::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), Event::ALL.len());
        for name in names {
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
        }
    }
}

//! Per-address limits: failed authentications (a key guessed at is refused with 429 after too
//! many misses) and, when configured, requests to the unauthenticated validation endpoints.
//!
//! Written by hand rather than with a crate: what is needed is one fixed-window counter per
//! client address behind a mutex, about a hundred lines. The rate-limiting crates for
//! actix-web (actix-governor, actix-limitation) limit every request by a key extractor: a
//! count of *failed* authentications, decided inside the `Caller` extractor after the key
//! look-up, does not fit them, and actix-limitation needs Redis. One small type serves both
//! limits here, and its memory is bounded.
use super::middleware::request_lang;
use crate::problem::{ApiError, Limited};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most this many addresses are tracked per limit; beyond it, windows that have ended are
/// dropped, and if none has, the oldest window goes.
const MAX_ADDRESSES: usize = 10_000;

/// A fixed window per client address: the first counted event opens a window of `window`;
/// once `limit` events fall in it, the address is refused until the window ends.
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    /// `limit` 0 turns the limiter off.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.limit > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (Instant, u32)>> {
        self.windows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whole seconds (at least 1) until the window of `addr` ends, if the address has used up
    /// its limit.
    pub fn refused(&self, addr: IpAddr) -> Option<u64> {
        if !self.enabled() {
            return None;
        }
        let now = Instant::now();
        let windows = self.lock();
        let (start, count) = windows.get(&client(addr))?;
        let ends = *start + self.window;
        (*count >= self.limit && ends > now).then(|| seconds_until(now, ends))
    }

    /// Counts one event of `addr` (a failed authentication).
    pub fn record(&self, addr: IpAddr) {
        if self.enabled() {
            self.count(client(addr), Instant::now());
        }
    }

    /// Counts one event of `addr` and says whether it is within the limit; if not, the whole
    /// seconds until the window ends.
    pub fn check(&self, addr: IpAddr) -> Result<(), u64> {
        if !self.enabled() {
            return Ok(());
        }
        let now = Instant::now();
        let (start, count) = self.count(client(addr), now);
        if count > self.limit {
            Err(seconds_until(now, start + self.window))
        } else {
            Ok(())
        }
    }

    fn count(&self, key: IpAddr, now: Instant) -> (Instant, u32) {
        let mut windows = self.lock();
        if !windows.contains_key(&key) && windows.len() >= MAX_ADDRESSES {
            let window = self.window;
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
            if windows.len() >= MAX_ADDRESSES {
                let oldest = windows.iter().min_by_key(|(_, (start, _))| *start);
                if let Some(oldest) = oldest.map(|(k, _)| *k) {
                    windows.remove(&oldest);
                }
            }
        }
        let entry = windows.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        *entry
    }

    /// How many addresses are tracked (for tests of the bound).
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

/// The address a limit counts: an IPv4 address, or the /64 network of an IPv6 address (one
/// host usually has a whole /64 to pick addresses from).
fn client(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

fn seconds_until(now: Instant, end: Instant) -> u64 {
    let left = end.saturating_duration_since(now);
    (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1)
}

/// Both limits, shared by every worker of a server.
pub struct Limits {
    /// Failed authentications with a Bearer key, per client address.
    pub auth_failures: RateLimiter,
    /// Requests to `/v1/validate/*`, per client address.
    pub validate: RateLimiter,
}

impl Limits {
    pub fn new(settings: &super::Settings) -> Self {
        Self {
            auth_failures: RateLimiter::new(
                settings.auth_failure_limit,
                settings.auth_failure_window,
            ),
            validate: RateLimiter::new(settings.validate_rate_limit, settings.validate_window),
        }
    }
}

/// Refuses requests to the validation endpoints over `--validate-rate-limit` with 429.
pub async fn validate_rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limited = req.path().starts_with("/v1/validate/");
    let limits = req.app_data::<web::Data<Limits>>();
    if let (true, Some(limits), Some(peer)) = (limited, limits, req.peer_addr()) {
        if let Err(retry_after) = limits.validate.check(peer.ip()) {
            let refusal = ApiError::TooManyRequests {
                retry_after,
                limited: Limited::Validation,
            };
            let lang = request_lang(req.headers());
            return Ok(req.into_response(refusal.render(lang)));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn an_address_is_refused_once_its_failures_reach_the_limit() {
        let l = RateLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(l.refused(A), None);
            l.record(A);
        }
        let wait = l.refused(A).expect("refused after three failures");
        assert!((1..=60).contains(&wait));
        assert_eq!(l.refused(B), None, "another address is not affected");
    }

    #[test]
    fn the_window_ending_lifts_the_refusal() {
        let l = RateLimiter::new(1, Duration::from_millis(1));
        l.record(A);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(l.refused(A), None);
        assert_eq!(l.check(A), Ok(()), "a new window starts");
    }

    #[test]
    fn check_counts_requests_and_refuses_those_over_the_limit() {
        let l = RateLimiter::new(2, Duration::from_secs(60));
        assert_eq!(l.check(A), Ok(()));
        assert_eq!(l.check(A), Ok(()));
        assert!(l.check(A).is_err());
        assert_eq!(l.check(B), Ok(()));
    }

    #[test]
    fn a_limit_of_zero_is_off() {
        let l = RateLimiter::new(0, Duration::from_secs(60));
        for _ in 0..100 {
            l.record(A);
            assert_eq!(l.check(A), Ok(()));
        }
        assert_eq!(l.refused(A), None);
        assert_eq!(l.tracked(), 0);
    }

    #[test]
    fn the_addresses_tracked_are_bounded() {
        let l = RateLimiter::new(5, Duration::from_secs(60));
        for i in 0..(MAX_ADDRESSES as u32 + 500) {
            l.record(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)));
        }
        assert_eq!(l.tracked(), MAX_ADDRESSES);
    }

    #[test]
    fn ipv6_addresses_of_one_64_network_count_together_and_mapped_ipv4_as_ipv4() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let two: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client(one), client(two));
        assert_ne!(client(one), client(other));
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped());
        assert_eq!(client(mapped), A);
        assert_eq!(
            client(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            client("::1".parse().unwrap())
        );
    }
}

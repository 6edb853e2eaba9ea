//! Rate limits: per client IP and route on the unauthenticated auth routes, per account on
//! everything authenticated. GCRA (governor) keyed limiters; every limited answer says where
//! the caller stands in `X-Throttle-Limit`, `X-Throttle-Remaining` and `X-Throttle-Reset`
//! (unix seconds when the full quota is back), and a 429 adds `Retry-After`.

use std::{
    hash::Hash,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, header},
    middleware::Next,
    response::{IntoResponse as _, Response},
};
use governor::{
    Quota, RateLimiter, clock::Clock as _, middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
};
use uuid::Uuid;

use crate::{config::Config, error::ApiError};

pub const LIMIT_HEADER: HeaderName = HeaderName::from_static("x-throttle-limit");
pub const REMAINING_HEADER: HeaderName = HeaderName::from_static("x-throttle-remaining");
pub const RESET_HEADER: HeaderName = HeaderName::from_static("x-throttle-reset");

type Keyed<K> = RateLimiter<
    K,
    DefaultKeyedStateStore<K>,
    governor::clock::DefaultClock,
    StateInformationMiddleware,
>;

/// Where a caller stands after one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds when the whole quota is available again.
    pub reset: u64,
    /// Set when the request was refused: seconds until one more is allowed.
    pub retry_after: Option<u64>,
}

impl Decision {
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert(LIMIT_HEADER, HeaderValue::from(self.limit));
        headers.insert(REMAINING_HEADER, HeaderValue::from(self.remaining));
        headers.insert(RESET_HEADER, HeaderValue::from(self.reset));
        if let Some(retry_after) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
    }

    /// The 429 answer for a refused request.
    pub fn throttled_response(&self) -> Response {
        let mut response = ApiError::throttled().into_response();
        self.write_headers(response.headers_mut());
        response
    }
}

/// One keyed limit of `limit` requests per minute; `None` inside means disabled.
pub struct Limiter<K: Hash + Eq + Clone> {
    inner: Option<Keyed<K>>,
    limit: u32,
    /// Time for one request's worth of quota to come back.
    interval: Duration,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// `per_minute` requests a minute with a burst of the same size; 0 disables the limit.
    pub fn per_minute(per_minute: u32) -> Self {
        match NonZeroU32::new(per_minute) {
            Some(n) => Self {
                inner: Some(
                    RateLimiter::keyed(Quota::per_minute(n))
                        .with_middleware::<StateInformationMiddleware>(),
                ),
                limit: per_minute,
                interval: Duration::from_secs(60) / per_minute,
            },
            None => Self {
                inner: None,
                limit: 0,
                interval: Duration::ZERO,
            },
        }
    }

    /// Counts one request for `key`; `None` when the limit is disabled.
    pub fn check(&self, key: &K) -> Option<Decision> {
        let limiter = self.inner.as_ref()?;
        let now = unix_now();
        Some(match limiter.check_key(key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity().min(self.limit);
                let until_full = self.interval * (self.limit - remaining);
                Decision {
                    limit: self.limit,
                    remaining,
                    reset: ceil_secs(now + until_full),
                    retry_after: None,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(limiter.clock().now());
                // Once the next request is allowed, the rest of the burst follows one interval
                // apart.
                let until_full = wait + self.interval * (self.limit - 1);
                Decision {
                    limit: self.limit,
                    remaining: 0,
                    reset: ceil_secs(now + until_full),
                    retry_after: Some(wait.as_secs_f64().ceil().max(1.0) as u64),
                }
            }
        })
    }

    /// Drops keys whose quota is full again (bounds memory under many distinct callers).
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.inner {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn ceil_secs(at: Duration) -> u64 {
    at.as_secs() + u64::from(at.subsec_nanos() > 0)
}

/// A route's key for per-IP limits: the route name and the client's address.
pub type IpKey = (&'static str, IpAddr);

/// Every limiter of the gateway.
pub struct RateLimits {
    /// Login, password reset and reset confirmation.
    pub auth_strict: Limiter<IpKey>,
    /// Register, token refresh, logout.
    pub auth: Limiter<IpKey>,
    /// Authenticated routes, per account.
    pub account: Limiter<Uuid>,
}

impl RateLimits {
    pub fn new(config: &Config) -> Self {
        Self {
            auth_strict: Limiter::per_minute(config.rate_limit_auth_strict_per_minute),
            auth: Limiter::per_minute(config.rate_limit_auth_per_minute),
            account: Limiter::per_minute(config.rate_limit_account_per_minute),
        }
    }

    pub fn forget_idle(&self) {
        self.auth_strict.forget_idle();
        self.auth.forget_idle();
        self.account.forget_idle();
    }
}

/// Which per-IP limit a route uses.
#[derive(Debug, Clone, Copy)]
pub enum IpClass {
    Strict,
    Auth,
}

/// State of the per-IP middleware of one route.
#[derive(Clone)]
pub struct IpRule {
    pub limits: Arc<RateLimits>,
    pub class: IpClass,
    pub route: &'static str,
}

/// Per-IP limit for one unauthenticated route.
pub async fn limit_by_ip(State(rule): State<IpRule>, request: Request, next: Next) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let limiter = match rule.class {
        IpClass::Strict => &rule.limits.auth_strict,
        IpClass::Auth => &rule.limits.auth,
    };
    match limiter.check(&(rule.route, ip)) {
        None => next.run(request).await,
        Some(decision) if decision.retry_after.is_some() => decision.throttled_response(),
        Some(decision) => {
            let mut response = next.run(request).await;
            decision.write_headers(response.headers_mut());
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_counts_down_and_the_refusal_says_when_to_retry() {
        let limiter = Limiter::<u8>::per_minute(3);
        let first = limiter.check(&1).unwrap();
        assert_eq!(
            (first.limit, first.remaining, first.retry_after),
            (3, 2, None)
        );
        assert_eq!(limiter.check(&1).unwrap().remaining, 1);
        assert_eq!(limiter.check(&1).unwrap().remaining, 0);
        let refused = limiter.check(&1).unwrap();
        assert_eq!(refused.remaining, 0);
        let retry = refused.retry_after.unwrap();
        assert!((1..=20).contains(&retry), "retry after {retry}");
        let now = unix_now().as_secs();
        assert!(
            refused.reset >= now + 59 && refused.reset <= now + 61,
            "reset {}",
            refused.reset
        );
        // Another key has its own quota.
        assert_eq!(limiter.check(&2).unwrap().remaining, 2);
    }

    #[test]
    fn zero_disables_a_limit() {
        assert!(Limiter::<u8>::per_minute(0).check(&1).is_none());
    }
}

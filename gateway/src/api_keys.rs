//! Site API keys: a fast local shape check, then auth-svc's exchange of the key for a
//! short-lived site-scoped token, cached under the key's SHA-256 (never the key itself).
//!
//! A cached exchange lives at most `API_KEY_CACHE_SECS` and at most half its token's life, so
//! a forwarded token always has time left; a revoked key is evicted the moment the security
//! feed (or the gateway's own revoke call) says so.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::http::StatusCode;
use igny8_proto::auth::v1::ExchangeApiKeyRequest;
use moka::sync::Cache;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::{clients::ServiceCaller, context::RequestMeta, error::ApiError};

/// Every key starts with this.
pub const KEY_PREFIX: &str = "igny8_sk_";
const RANDOM_LEN: usize = 40;
const CHECKSUM_LEN: usize = 8;

/// What a key was exchanged for.
#[derive(Debug)]
pub struct ExchangedKey {
    /// The site-scoped token forwarded to services.
    pub access: String,
    pub key_id: Uuid,
    pub account_id: Uuid,
    pub site_id: Uuid,
    fresh_until: Instant,
}

#[derive(Clone)]
pub struct ApiKeys {
    cache: Cache<[u8; 32], Arc<ExchangedKey>>,
    max_ttl: Duration,
}

impl ApiKeys {
    pub fn new(max_ttl: Duration) -> Self {
        let cache = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(max_ttl.max(Duration::from_secs(1)))
            .build();
        Self { cache, max_ttl }
    }

    /// The exchanged identity of `key`, from cache or from auth-svc.
    pub async fn resolve(
        &self,
        key: &str,
        caller: &ServiceCaller,
        meta: &RequestMeta,
    ) -> Result<Arc<ExchangedKey>, ApiError> {
        if !is_well_formed(key) {
            return Err(invalid_key());
        }
        let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        if let Some(hit) = self
            .cache
            .get(&hash)
            .filter(|hit| hit.fresh_until > Instant::now())
        {
            return Ok(hit);
        }
        let request = ExchangeApiKeyRequest {
            key: key.to_owned(),
        };
        let response = caller
            .call(meta, request, |mut client, request| async move {
                client.exchange_api_key(request).await
            })
            .await
            .map_err(|err| match err.status() {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => {
                    invalid_key()
                }
                _ => err,
            })?;
        let parse = |raw: &str| {
            Uuid::try_parse(raw).map_err(|_| ApiError::internal("auth-svc answered a malformed id"))
        };
        let ttl = self.max_ttl.min(Duration::from_secs(
            u64::try_from(response.expires_in / 2).unwrap_or(0),
        ));
        let exchanged = Arc::new(ExchangedKey {
            key_id: parse(&response.key_id)?,
            account_id: parse(&response.account_id)?,
            site_id: parse(&response.site_id)?,
            access: response.access,
            fresh_until: Instant::now() + ttl,
        });
        if !ttl.is_zero() {
            self.cache.insert(hash, exchanged.clone());
        }
        Ok(exchanged)
    }

    /// Forgets every cached exchange of key `key_id`.
    pub fn evict(&self, key_id: Uuid) {
        for (hash, exchanged) in &self.cache {
            if exchanged.key_id == key_id {
                self.cache.invalidate(&*hash);
            }
        }
    }
}

fn invalid_key() -> ApiError {
    ApiError::unauthenticated("invalid API key")
}

/// `igny8_sk_` + 40 alphanumerics + the CRC-32 of those in 8 lowercase hex digits: a typo or
/// a made-up key is refused here without a call to auth-svc.
pub fn is_well_formed(key: &str) -> bool {
    let Some(body) = key.strip_prefix(KEY_PREFIX) else {
        return false;
    };
    if body.len() != RANDOM_LEN + CHECKSUM_LEN || !body.is_ascii() {
        return false;
    }
    let (random, checksum) = body.split_at(RANDOM_LEN);
    random.bytes().all(|b| b.is_ascii_alphanumeric())
        && format!("{:08x}", crc32fast::hash(random.as_bytes())) == checksum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shape_and_checksum_are_checked_locally() {
        let random = "a".repeat(RANDOM_LEN);
        let key = format!(
            "{KEY_PREFIX}{random}{:08x}",
            crc32fast::hash(random.as_bytes())
        );
        assert!(is_well_formed(&key));
        let typo = key.replacen("aaaa", "aaab", 1);
        assert!(!is_well_formed(&typo));
        assert!(!is_well_formed("igny8_sk_short"));
        assert!(!is_well_formed(&key.replace(KEY_PREFIX, "sk_live_")));
    }
}

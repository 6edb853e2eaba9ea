//! The retry policy every provider call goes through.

use std::{sync::Arc, time::Duration};

use reqwest::{RequestBuilder, StatusCode, header::RETRY_AFTER};
use tokio::sync::Semaphore;

use super::{ProviderError, excerpt};

/// Timeouts, retries and concurrency of one provider.
#[derive(Debug, Clone)]
pub struct CallPolicy {
    /// Deadline of one attempt (generation can be slow; the default is generous).
    pub timeout: Duration,
    pub max_attempts: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// A Retry-After longer than this is cut to it, so one job cannot stall for minutes.
    pub max_retry_after: Duration,
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            max_attempts: 4,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// Shared by the clients of one provider: an HTTP client, the policy and a concurrency limit.
#[derive(Clone)]
pub struct Caller {
    pub client: reqwest::Client,
    pub policy: CallPolicy,
    limit: Arc<Semaphore>,
}

impl Caller {
    pub fn new(policy: CallPolicy, max_concurrent: usize) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(policy.timeout).build()?;
        Ok(Self {
            client,
            policy,
            limit: Arc::new(Semaphore::new(max_concurrent.max(1))),
        })
    }

    /// Sends the request `build` makes (again for each attempt) and returns a 2xx body.
    pub async fn send(
        &self,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Vec<u8>, ProviderError> {
        let mut last = String::new();
        for attempt in 1..=self.policy.max_attempts {
            let outcome = {
                let _permit = self
                    .limit
                    .acquire()
                    .await
                    .map_err(|_| ProviderError::Exhausted {
                        attempts: attempt,
                        message: "provider client closed".into(),
                    })?;
                build(&self.client).send().await
            };
            let wait =
                match outcome {
                    Ok(response) if response.status().is_success() => {
                        return response.bytes().await.map(|b| b.to_vec()).map_err(|e| {
                            ProviderError::InvalidResponse(format!("reading body: {e}"))
                        });
                    }
                    Ok(response) => {
                        let status = response.status();
                        let retry_after = retry_after(response.headers());
                        let body = response.text().await.unwrap_or_default();
                        if !retryable(status) {
                            return Err(ProviderError::Refused {
                                status: status.as_u16(),
                                message: excerpt(&body),
                            });
                        }
                        last = format!("HTTP {}: {}", status.as_u16(), excerpt(&body));
                        retry_after.map(|d| d.min(self.policy.max_retry_after))
                    }
                    Err(err) => {
                        last = if err.is_timeout() {
                            "timed out".to_owned()
                        } else {
                            format!("request failed: {err}")
                        };
                        None
                    }
                };
            if attempt < self.policy.max_attempts {
                let delay = wait.unwrap_or_else(|| self.backoff(attempt));
                tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, reason = %last, "provider call failed; retrying");
                tokio::time::sleep(delay).await;
            }
        }
        Err(ProviderError::Exhausted {
            attempts: self.policy.max_attempts,
            message: last,
        })
    }

    /// Exponential backoff with up to 25 % jitter, so retries of many jobs do not align.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .policy
            .base_backoff
            .saturating_mul(1 << (attempt - 1).min(10));
        let capped = exp.min(self.policy.max_backoff);
        let jitter = capped.mul_f64(rand::random::<f64>() * 0.25);
        capped + jitter
    }
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
}

/// Retry-After in seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now()).to_std().ok()?;
    Some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(20)).to_rfc2822();
        headers.insert(RETRY_AFTER, later.parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(15) && wait <= Duration::from_secs(20));
    }

    #[test]
    fn only_throttling_timeouts_and_server_errors_are_retried() {
        assert!(retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(retryable(StatusCode::BAD_GATEWAY));
        assert!(!retryable(StatusCode::UNAUTHORIZED));
        assert!(!retryable(StatusCode::BAD_REQUEST));
    }
}

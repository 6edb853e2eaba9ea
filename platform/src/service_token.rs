//! Service tokens: a platform service proves itself to auth-svc with the shared secret and
//! gets a short-lived JWT for calls made outside a user request.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use igny8_proto::auth::v1::{ServiceTokenRequest, auth_service_client::AuthServiceClient};
use tokio::sync::Mutex;
use tonic::transport::Channel;

/// Fetches and caches this service's token, renewing it well before it expires.
#[derive(Clone)]
pub struct ServiceTokens {
    client: AuthServiceClient<Channel>,
    service: String,
    secret: Arc<str>,
    cached: Arc<Mutex<Option<(String, Instant)>>>,
}

impl ServiceTokens {
    pub fn new(
        auth_channel: Channel,
        service: impl Into<String>,
        secret: impl Into<Arc<str>>,
    ) -> Self {
        Self {
            client: AuthServiceClient::new(auth_channel),
            service: service.into(),
            secret: secret.into(),
            cached: Arc::new(Mutex::new(None)),
        }
    }

    /// A valid token; fetched on first use and when half its life is spent.
    pub async fn token(&self) -> Result<String, tonic::Status> {
        let mut cached = self.cached.lock().await;
        if let Some((token, renew_at)) = cached.as_ref()
            && Instant::now() < *renew_at
        {
            return Ok(token.clone());
        }
        let response = self
            .client
            .clone()
            .issue_service_token(ServiceTokenRequest {
                service: self.service.clone(),
                secret: self.secret.to_string(),
            })
            .await?
            .into_inner();
        let half_life = Duration::from_secs(u64::try_from(response.expires_in / 2).unwrap_or(0));
        *cached = Some((response.token.clone(), Instant::now() + half_life));
        Ok(response.token)
    }

    /// Drops the cached token (after the peer refused it).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }
}

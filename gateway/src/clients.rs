//! Long-lived gRPC channels to every service (cloned per request, never rebuilt), and calls
//! the gateway makes under its own service token.

use std::{future::Future, sync::Arc};

use anyhow::Context as _;
use igny8_platform::{
    discovery::{self, ChannelOptions},
    grpc::{TRACEPARENT_HEADER, as_service},
    service_token::ServiceTokens,
    token::TokenVerifier,
};
use igny8_proto::{
    ai::v1::ai_service_client::AiServiceClient, auth::v1::auth_service_client::AuthServiceClient,
};
use tokio_util::sync::CancellationToken;
use tonic::{Code, Status, metadata::AsciiMetadataValue, transport::Channel};

use crate::{config::Config, context::RequestMeta, error::ApiError};

/// One service the gateway talks to.
#[derive(Clone)]
pub struct Upstream {
    /// Short name used in readiness answers (`auth`, `planner`, ...).
    pub name: &'static str,
    pub channel: Channel,
}

/// Channels to every service, opened once at start-up.
#[derive(Clone)]
pub struct Clients {
    auth: AuthServiceClient<Channel>,
    upstreams: Arc<[Upstream]>,
}

impl Clients {
    /// Opens lazy channels (a service that starts later is fine); each call's deadline is
    /// `UPSTREAM_TIMEOUT_MS`.
    pub fn connect(config: &Config, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let options = ChannelOptions {
            request_timeout: config.upstream_timeout(),
            ..ChannelOptions::default()
        };
        let peers = [
            ("auth", "AUTH_SVC", &config.peers.auth_svc),
            ("planner", "PLANNER_SVC", &config.planner_svc),
            ("writer", "WRITER_SVC", &config.writer_svc),
            ("billing", "BILLING_SVC", &config.billing_svc),
            ("integration", "INTEGRATION_SVC", &config.integration_svc),
            ("ai", "AI_SVC", &config.ai_svc),
        ];
        let mut upstreams = Vec::with_capacity(peers.len());
        for (name, setting, addr) in peers {
            let channel = discovery::connect(addr, &options, shutdown.clone()).context(setting)?;
            upstreams.push(Upstream { name, channel });
        }
        Ok(Self {
            auth: AuthServiceClient::new(upstreams[0].channel.clone()),
            upstreams: upstreams.into(),
        })
    }

    /// A client of auth-svc over the shared channel.
    pub fn auth(&self) -> AuthServiceClient<Channel> {
        self.auth.clone()
    }

    pub fn auth_channel(&self) -> Channel {
        self.upstreams[0].channel.clone()
    }

    pub fn upstreams(&self) -> &[Upstream] {
        &self.upstreams
    }

    /// A client of ai-svc over the shared channel. The channel's deadline bounds each call
    /// until its response headers arrive, not a stream's body, so a `WatchJob` stream lives
    /// as long as its job (the gateway ends it on shutdown).
    pub fn ai(&self) -> AiServiceClient<Channel> {
        let channel = self
            .upstreams
            .iter()
            .find(|upstream| upstream.name == "ai")
            .map(|upstream| upstream.channel.clone())
            .expect("the ai upstream is configured");
        AiServiceClient::new(channel)
    }
}

/// Calls to auth-svc made as the gateway itself (public routes, key exchange, the feed).
#[derive(Clone)]
pub struct ServiceCaller {
    auth: AuthServiceClient<Channel>,
    tokens: ServiceTokens,
    verifier: Arc<TokenVerifier>,
}

impl ServiceCaller {
    pub fn new(clients: &Clients, secret: String, verifier: Arc<TokenVerifier>) -> Self {
        Self {
            auth: clients.auth(),
            tokens: ServiceTokens::new(clients.auth_channel(), "gateway", secret),
            verifier,
        }
    }

    /// Runs `call` with the gateway's service token. When auth-svc refuses a token that no
    /// longer verifies here (expired, or signed with a key since rotated away), the token is
    /// renewed and the call retried once; a refusal of a still-valid token is about the
    /// request itself (a wrong password, a bad key) and is answered as is, so a failed login
    /// never costs two password checks.
    pub async fn call<Req, Resp, F, Fut>(
        &self,
        meta: &RequestMeta,
        message: Req,
        call: F,
    ) -> Result<Resp, ApiError>
    where
        Req: Clone,
        F: Fn(AuthServiceClient<Channel>, tonic::Request<Req>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<Resp>, Status>>,
    {
        let token = self.token().await?;
        let first = call(
            self.auth.clone(),
            self.request(meta, message.clone(), &token),
        )
        .await;
        let result = match first {
            Err(status)
                if status.code() == Code::Unauthenticated
                    && self.verifier.verify(&token).is_err() =>
            {
                self.tokens.invalidate().await;
                let token = self.token().await?;
                call(self.auth.clone(), self.request(meta, message, &token)).await
            }
            other => other,
        };
        result
            .map(tonic::Response::into_inner)
            .map_err(ApiError::from)
    }

    fn request<T>(&self, meta: &RequestMeta, message: T, token: &str) -> tonic::Request<T> {
        let mut request = as_service(message, token, None, &meta.request_id);
        if let Some(value) = meta
            .traceparent
            .as_deref()
            .and_then(|tp| AsciiMetadataValue::try_from(tp).ok())
        {
            request.metadata_mut().insert(TRACEPARENT_HEADER, value);
        }
        request
    }

    async fn token(&self) -> Result<String, ApiError> {
        self.tokens
            .token()
            .await
            .map_err(|status| match status.code() {
                // auth-svc unreachable or slow: the usual 503/504.
                Code::Unavailable | Code::Cancelled | Code::DeadlineExceeded => {
                    ApiError::from(status)
                }
                // Refused: the gateway's own secret is wrong, which no client can fix.
                _ => ApiError::unavailable(format!(
                    "service token refused: {:?} {}",
                    status.code(),
                    status.message()
                )),
            })
    }
}

//! Start-up: read the service secret, open channels, bind the listener (in `build`, so tests
//! can use port 0 and read the port), then serve until shutdown with the background tasks
//! that keep token keys, revocations and limiter memory current.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use axum::{ServiceExt as _, extract::Request};
use igny8_platform::{
    config::read_secret_file,
    storage::FileStore,
    token::{JwksSource, TokenVerifier},
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::Layer as _;

use crate::{
    api_keys::ApiKeys,
    clients::{Clients, ServiceCaller},
    config::Config,
    openapi::DOCS_PATH,
    ratelimit::RateLimits,
    revocation::SecurityFeed,
    routes,
    state::{AppState, Shared},
};

/// How often the token keys are fetched again (and on any unknown key id in between).
const JWKS_REFRESH: Duration = Duration::from_secs(300);
/// How often idle rate-limiter entries are dropped.
const LIMITER_SWEEP: Duration = Duration::from_secs(60);

pub struct Application {
    listener: TcpListener,
    state: AppState,
    background: CancellationToken,
}

impl Application {
    /// Everything that can fail on a bad setting fails here, naming the setting.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // Installs the Prometheus recorder so every metric from now on is kept.
        let _ = igny8_platform::metrics::handle();
        let secret = read_secret_file(&config.peers.service_secret_file, "SERVICE_SECRET_FILE")?;
        let background = CancellationToken::new();
        let clients = Clients::connect(&config, background.clone())?;
        let verifier = Arc::new(TokenVerifier::new());
        let jwks = JwksSource::new(verifier.clone(), clients.auth_channel());
        let gateway = ServiceCaller::new(&clients, secret, verifier.clone());
        let api_keys = ApiKeys::new(config.api_key_cache_ttl());
        let security = Arc::new(SecurityFeed::new(gateway.clone(), api_keys.clone()));
        let limits = Arc::new(RateLimits::new(&config));
        let images = FileStore::open(&config.storage)?;
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("LISTEN_ADDR: cannot bind {}", config.listen_addr))?;
        let state = AppState::new(Shared {
            config,
            clients,
            verifier,
            jwks,
            gateway,
            security,
            api_keys,
            limits,
            images,
            streams: CancellationToken::new(),
        });
        Ok(Self {
            listener,
            state,
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` is cancelled, then lets in-flight requests finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Self {
            listener,
            state,
            background,
        } = self;
        tokio::spawn(state.jwks.clone().run(JWKS_REFRESH, background.clone()));
        tokio::spawn(
            state
                .security
                .clone()
                .run(state.config.security_feed_interval(), background.clone()),
        );
        tokio::spawn(sweep_limiters(state.limits.clone(), background.clone()));
        let streams = state.streams.clone();
        let stopping = shutdown.clone();
        tokio::spawn(async move {
            stopping.cancelled().await;
            streams.cancel();
        });

        let router = routes::router(state.clone());
        let app = tower::util::MapRequestLayer::new(normalize_path).layer(router);
        tracing::info!(addr = %listener.local_addr()?, "gateway listening");
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await;
        background.cancel();
        served.context("serving HTTP")?;
        tracing::info!("gateway stopped");
        Ok(())
    }
}

async fn sweep_limiters(limits: Arc<RateLimits>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(LIMITER_SWEEP) => limits.forget_idle(),
        }
    }
}

/// Drops a trailing slash so `/api/v1/auth/me/` routes like `/api/v1/auth/me`. The docs UI
/// is exempt: it lives under `/api/docs/` and redirects there itself.
fn normalize_path(mut request: Request) -> Request {
    let path = request.uri().path();
    if path.len() > 1 && path.ends_with('/') && !path.starts_with(&format!("{DOCS_PATH}/")) {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let path_and_query = match request.uri().query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed.to_owned(),
        };
        let mut parts = request.uri().clone().into_parts();
        if let Ok(value) = path_and_query.parse() {
            parts.path_and_query = Some(value);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(uri: &str) -> String {
        let request = Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        normalize_path(request).uri().to_string()
    }

    #[test]
    fn trailing_slashes_are_optional_except_under_the_docs() {
        assert_eq!(normalized("/api/v1/auth/me/"), "/api/v1/auth/me");
        assert_eq!(
            normalized("/api/v1/auth/sites/?page=2"),
            "/api/v1/auth/sites?page=2"
        );
        assert_eq!(normalized("/"), "/");
        assert_eq!(normalized("/api/docs/"), "/api/docs/");
        assert_eq!(normalized("/api/v1/auth/me"), "/api/v1/auth/me");
    }
}

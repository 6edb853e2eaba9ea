//! The start-up every domain service shares: pool + migrations in its own schema, listeners,
//! the token verifier fed from auth-svc, and serving gRPC plus metrics until shutdown.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

use crate::{
    config::{DbArgs, PlatformPeerArgs},
    discovery::{self, ChannelOptions},
    grpc::{self, Authenticator, ServerParts},
    token::{JwksSource, TokenVerifier},
};

/// What distinguishes one service's start-up from another's.
pub struct ServiceSpec<'a> {
    /// Process name, used in logs and metrics.
    pub name: &'static str,
    /// The Postgres schema the service owns.
    pub schema: &'static str,
    pub migrator: &'a sqlx::migrate::Migrator,
    pub listen_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub db: &'a DbArgs,
    pub peers: &'a PlatformPeerArgs,
}

/// A started (not yet serving) service base.
pub struct ServiceBase {
    pub name: &'static str,
    pub pool: PgPool,
    pub auth_channel: Channel,
    pub jwks: JwksSource,
    pub authenticator: Arc<Authenticator>,
    grpc_listener: TcpListener,
    metrics_listener: TcpListener,
    /// Stops background tasks tied to this base (SRV refreshers, key refresh).
    background: CancellationToken,
}

impl ServiceBase {
    /// Connects, migrates and binds; fails with a message naming the setting at fault.
    pub async fn build(spec: ServiceSpec<'_>) -> anyhow::Result<Self> {
        let pool = crate::db::connect(&spec.db.database_url, spec.db.database_max_connections, spec.schema).await?;
        crate::db::migrate(&pool, spec.migrator).await?;
        let grpc_listener = TcpListener::bind(spec.listen_addr)
            .await
            .with_context(|| format!("LISTEN_ADDR: cannot bind {}", spec.listen_addr))?;
        let metrics_listener = TcpListener::bind(spec.metrics_addr)
            .await
            .with_context(|| format!("METRICS_ADDR: cannot bind {}", spec.metrics_addr))?;
        let background = CancellationToken::new();
        let auth_channel = discovery::connect(&spec.peers.auth_svc, &ChannelOptions::default(), background.clone())
            .context("AUTH_SVC")?;
        let verifier = Arc::new(TokenVerifier::new());
        let jwks = JwksSource::new(verifier.clone(), auth_channel.clone());
        let authenticator = Arc::new(Authenticator::new(verifier, Some(jwks.clone())));
        Ok(Self {
            name: spec.name,
            pool,
            auth_channel,
            jwks,
            authenticator,
            grpc_listener,
            metrics_listener,
            background,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_listener.local_addr().expect("bound listener has an address")
    }

    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_listener.local_addr().expect("bound listener has an address")
    }

    /// Serves `parts` and metrics, refreshing token keys, until `shutdown`; then reports
    /// NOT_SERVING and drains in-flight calls.
    pub async fn serve(self, parts: ServerParts, shutdown: CancellationToken) -> anyhow::Result<()> {
        let ServerParts { health, routes } = parts;
        tokio::spawn(self.jwks.clone().run(Duration::from_secs(300), self.background.clone()));
        let metrics = tokio::spawn(crate::metrics::serve(self.metrics_listener, shutdown.clone()));
        tracing::info!(service = self.name, grpc = %self.grpc_listener.local_addr()?, "serving");
        let grpc_shutdown = CancellationToken::new();
        let watcher = {
            let grpc_shutdown = grpc_shutdown.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                shutdown.cancelled().await;
                // Tell load balancers first, then stop accepting.
                health.set_service_status("", tonic_health::ServingStatus::NotServing).await;
                grpc_shutdown.cancel();
            })
        };
        let served = grpc::serve(self.grpc_listener, self.authenticator, routes.routes(), grpc_shutdown).await;
        self.background.cancel();
        watcher.abort();
        metrics.await??;
        tracing::info!(service = self.name, "stopped");
        served
    }
}

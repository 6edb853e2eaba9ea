//! The start-up every domain service shares: pool + migrations in its own schema, listeners,
//! the token verifier fed from auth-svc, and serving gRPC plus metrics until shutdown.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

use crate::{
    amqp::Amqp,
    config::ServiceArgs,
    discovery::{self, ChannelOptions},
    grpc::{self, Authenticator, ServerParts},
    outbox::OutboxRelay,
    scope::ScopeResolver,
    token::{JwksSource, TokenVerifier},
};

/// What distinguishes one service's start-up from another's.
pub struct ServiceSpec {
    /// Process name, used in logs and metrics.
    pub name: &'static str,
    /// The Postgres schema the service owns.
    pub schema: &'static str,
    pub migrator: &'static sqlx::migrate::Migrator,
    /// Default gRPC port (ARCHITECTURE §9).
    pub grpc_port: u16,
    /// Default metrics port.
    pub metrics_port: u16,
}

/// A started (not yet serving) service base.
pub struct ServiceBase {
    pub name: &'static str,
    pub schema: &'static str,
    pub pool: PgPool,
    pub amqp: Amqp,
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
    pub async fn build(spec: &ServiceSpec, args: &ServiceArgs) -> anyhow::Result<Self> {
        let pool = crate::db::connect(
            &args.db.database_url,
            args.db.database_max_connections,
            spec.schema,
        )
        .await?;
        crate::db::migrate(&pool, spec.migrator).await?;
        let amqp = Amqp::connect(&args.amqp.amqp_url, &args.amqp.amqp_prefix).await?;
        let listen_addr = args
            .listen_addr
            .unwrap_or_else(|| ([127, 0, 0, 1], spec.grpc_port).into());
        let metrics_addr = args
            .metrics_addr
            .unwrap_or_else(|| ([127, 0, 0, 1], spec.metrics_port).into());
        let grpc_listener = TcpListener::bind(listen_addr)
            .await
            .with_context(|| format!("LISTEN_ADDR: cannot bind {listen_addr}"))?;
        let metrics_listener = TcpListener::bind(metrics_addr)
            .await
            .with_context(|| format!("METRICS_ADDR: cannot bind {metrics_addr}"))?;
        let background = CancellationToken::new();
        let auth_channel = discovery::connect(
            &args.peers.auth_svc,
            &ChannelOptions::default(),
            background.clone(),
        )
        .context("AUTH_SVC")?;
        let verifier = Arc::new(TokenVerifier::new());
        let jwks = JwksSource::new(verifier.clone(), auth_channel.clone());
        let authenticator = Arc::new(Authenticator::new(verifier, Some(jwks.clone())));
        Ok(Self {
            name: spec.name,
            schema: spec.schema,
            pool,
            amqp,
            auth_channel,
            jwks,
            authenticator,
            grpc_listener,
            metrics_listener,
            background,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_listener
            .local_addr()
            .expect("bound listener has an address")
    }

    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// A resolver of site/sector scopes through auth-svc (cache `ttl`).
    pub fn scope_resolver(&self, ttl: Duration) -> ScopeResolver {
        ScopeResolver::new(self.auth_channel.clone(), ttl)
    }

    /// Serves `parts` and metrics, relays the outbox and refreshes token keys until
    /// `shutdown`; then reports NOT_SERVING and drains in-flight calls.
    pub async fn serve(
        self,
        parts: ServerParts,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let relay = OutboxRelay::new(self.pool.clone(), self.amqp.clone(), self.schema);
        let relay = tokio::spawn(relay.run(shutdown.clone()));
        tokio::spawn(
            self.jwks
                .clone()
                .run(Duration::from_secs(300), self.background.clone()),
        );
        let metrics = tokio::spawn(crate::metrics::serve(
            self.metrics_listener,
            shutdown.clone(),
        ));
        tracing::info!(service = self.name, grpc = %self.grpc_listener.local_addr()?, "serving");
        let served =
            grpc::serve_parts(self.grpc_listener, self.authenticator, parts, shutdown).await;
        self.background.cancel();
        relay.await?;
        metrics.await??;
        tracing::info!(service = self.name, "stopped");
        served
    }
}

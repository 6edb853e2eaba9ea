//! Builds auth-svc from its configuration and runs it until shutdown.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use igny8_platform::{
    amqp::Amqp,
    grpc::{self, Authenticator},
    outbox::OutboxRelay,
    token::TokenVerifier,
};
use igny8_proto::auth::v1::auth_service_server::AuthServiceServer;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    config::Config,
    crypto::{keys::SigningKeyPair, tokens::TokenIssuer},
    grpc::{ANONYMOUS_METHODS, AuthRpc},
    mail::Mailer,
    state::AppState,
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

pub struct Application {
    state: AppState,
    amqp: Amqp,
    authenticator: Arc<Authenticator>,
    grpc_listener: TcpListener,
    metrics_listener: TcpListener,
}

impl Application {
    /// Loads keys, connects, migrates and binds; every failure names the setting at fault.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let signing = SigningKeyPair::load(&config.jwt_private_key_file, "JWT_PRIVATE_KEY_FILE")?;
        let previous = config
            .jwt_previous_key_files
            .iter()
            .map(|path| SigningKeyPair::load(path, "JWT_PREVIOUS_KEY_FILES").map(|k| k.public))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let service_secret = igny8_platform::config::read_secret_file(
            &config.service_secret_file,
            "SERVICE_SECRET_FILE",
        )?;
        let issuer = Arc::new(TokenIssuer::new(
            signing,
            previous,
            config.access_token_ttl_secs,
            config.site_token_ttl_secs,
            config.service_token_ttl_secs,
        ));
        let verifier = Arc::new(TokenVerifier::new());
        verifier.set_keys(&issuer.public_keys());
        let mut authenticator = Authenticator::new(verifier, None);
        for method in ANONYMOUS_METHODS {
            authenticator = authenticator.allow_anonymous(*method);
        }
        let mailer = Mailer::new(config.smtp_url.as_deref(), &config.mail_from)?;
        let pool = igny8_platform::db::connect(
            &config.db.database_url,
            config.db.database_max_connections,
            "auth",
        )
        .await?;
        igny8_platform::db::migrate(&pool, &MIGRATOR).await?;
        let amqp = Amqp::connect(&config.amqp.amqp_url, &config.amqp.amqp_prefix).await?;
        let grpc_listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("LISTEN_ADDR: cannot bind {}", config.listen_addr))?;
        let metrics_listener = TcpListener::bind(config.metrics_addr)
            .await
            .with_context(|| format!("METRICS_ADDR: cannot bind {}", config.metrics_addr))?;
        let state = AppState {
            pool,
            issuer,
            mailer,
            config: Arc::new(config),
            service_secret: service_secret.into(),
        };
        Ok(Self {
            state,
            amqp,
            authenticator: Arc::new(authenticator),
            grpc_listener,
            metrics_listener,
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

    /// The pool, for tests that inspect or arrange state directly.
    pub fn pool(&self) -> sqlx::PgPool {
        self.state.pool.clone()
    }

    /// Serves gRPC and metrics and relays the outbox until `shutdown`.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut parts = grpc::standard_routes(&[igny8_proto::FILE_DESCRIPTOR_SET])?;
        parts
            .health
            .set_serving::<AuthServiceServer<AuthRpc>>()
            .await;
        parts
            .routes
            .add_service(AuthServiceServer::new(AuthRpc::new(self.state.clone())));
        let relay = OutboxRelay::new(self.state.pool.clone(), self.amqp.clone(), "auth");
        let relay = tokio::spawn(relay.run(shutdown.clone()));
        let metrics = tokio::spawn(igny8_platform::metrics::serve(
            self.metrics_listener,
            shutdown.clone(),
        ));
        tracing::info!(grpc = %self.grpc_listener.local_addr()?, "auth-svc serving");
        let served =
            grpc::serve_parts(self.grpc_listener, self.authenticator, parts, shutdown).await;
        relay.await?;
        metrics.await??;
        tracing::info!("auth-svc stopped");
        served
    }
}

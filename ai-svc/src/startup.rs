//! Builds ai-svc from its settings and runs its role until shutdown: the gRPC API (api),
//! the job consumers and sweeper (worker), or both (all). Every role serves health and
//! metrics and relays its outbox.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use igny8_platform::{
    config::read_secret_file,
    discovery::{self, ChannelOptions},
    grpc,
    service::{ServiceBase, ServiceSpec},
    service_token::ServiceTokens,
    storage::FileStore,
};
use igny8_proto::{
    ai::v1::ai_service_server::AiServiceServer, auth::v1::auth_service_client::AuthServiceClient,
    billing::v1::billing_service_client::BillingServiceClient,
    planner::v1::planner_service_client::PlannerServiceClient,
    writer::v1::writer_service_client::WriterServiceClient,
};
use tokio_util::sync::CancellationToken;

use crate::{
    config::Config,
    grpc::AiRpc,
    jobs::{notify::JobNotifier, provider_factory::ProviderFactory, sweeper, worker::Worker},
    state::AppState,
    system::{crypto::KeyCipher, settings::PlatformProviders},
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "ai-svc",
    schema: "ai",
    migrator: &MIGRATOR,
    grpc_port: 50056,
    metrics_port: 9106,
};

/// How often a worker looks for jobs whose worker died and finished jobs left unsettled.
const SWEEP_PERIOD: Duration = Duration::from_secs(3);

pub struct Application {
    base: ServiceBase,
    state: AppState,
    background: CancellationToken,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let base = ServiceBase::build(&SPEC, &config.service).await?;
        let background = CancellationToken::new();
        let options = ChannelOptions::default();
        let connect = |addr, setting: &str| {
            discovery::connect(addr, &options, background.clone()).context(setting.to_owned())
        };
        let planner = PlannerServiceClient::new(connect(&config.planner_svc, "PLANNER_SVC")?);
        let writer = WriterServiceClient::new(connect(&config.writer_svc, "WRITER_SVC")?);
        let billing = BillingServiceClient::new(connect(&config.billing_svc, "BILLING_SVC")?);
        let secret = read_secret_file(
            &config.service.peers.service_secret_file,
            "SERVICE_SECRET_FILE",
        )?;
        let tokens = ServiceTokens::new(base.auth_channel.clone(), SPEC.name, secret);
        let cipher = KeyCipher::from_file(&config.settings_key_file, "AI_SETTINGS_KEY_FILE")?;
        let platform = PlatformProviders::load(&config.providers)?;
        let files = FileStore::open(&config.storage)?;
        tracing::info!(files = files.location(), "generated files");
        let providers = ProviderFactory::new(&config.providers)?;
        // Every role declares the job queues: the API publishes into them (a message published
        // before any worker declared its queue would be dropped), workers consume them.
        Worker::declare_queues(&base.amqp)
            .await
            .context("declaring the job queues")?;
        let state = AppState {
            pool: base.pool.clone(),
            auth: AuthServiceClient::new(base.auth_channel.clone()),
            config: Arc::new(config),
            cipher: Arc::new(cipher),
            platform: Arc::new(platform),
            planner,
            writer,
            billing,
            tokens,
            files,
            providers,
            notifier: JobNotifier::new(),
        };
        Ok(Self {
            base,
            state,
            background,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.base.grpc_addr()
    }

    pub fn metrics_addr(&self) -> SocketAddr {
        self.base.metrics_addr()
    }

    pub fn pool(&self) -> sqlx::PgPool {
        self.base.pool.clone()
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let role = self.state.config.role;
        let mut parts = grpc::standard_routes(&[igny8_proto::FILE_DESCRIPTOR_SET])?;
        let mut tasks = Vec::new();
        if role.serves_api() {
            tasks.push(tokio::spawn(
                self.state
                    .notifier
                    .clone()
                    .run(self.state.pool.clone(), shutdown.clone()),
            ));
            parts.health.set_serving::<AiServiceServer<AiRpc>>().await;
            parts
                .routes
                .add_service(AiServiceServer::new(AiRpc::new(self.state.clone())));
        }
        if role.runs_jobs() {
            let worker = Worker::new(self.state.clone(), self.base.amqp.clone());
            tasks.push(tokio::spawn(worker.run(shutdown.clone())));
            tasks.push(tokio::spawn(sweeper::run(
                self.state.clone(),
                SWEEP_PERIOD,
                shutdown.clone(),
            )));
        }
        let served = self.base.serve(parts, shutdown).await;
        // The worker drains its running jobs before the process ends.
        for task in tasks {
            let _ = task.await;
        }
        self.background.cancel();
        served
    }
}

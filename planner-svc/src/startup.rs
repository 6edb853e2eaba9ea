//! Builds planner-svc from its settings and serves it until shutdown: gRPC and the writer
//! events consumer, in one task.

use std::{net::SocketAddr, time::Duration};

use anyhow::Context as _;
use igny8_platform::{
    config::ServiceArgs,
    discovery::{self, ChannelOptions},
    grpc,
    inbox::Consumer,
    service::{ServiceBase, ServiceSpec},
};
use igny8_proto::{
    auth::v1::auth_service_client::AuthServiceClient,
    planner::v1::planner_service_server::PlannerServiceServer,
    writer::v1::writer_service_client::WriterServiceClient,
};
use tokio_util::sync::CancellationToken;

use crate::{
    config::Config,
    consumer::{self, WriterEvents},
    grpc::PlannerRpc,
    state::{AppState, PlanLimits},
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "planner-svc",
    schema: "planner",
    migrator: &MIGRATOR,
    grpc_port: 50052,
    metrics_port: 9102,
};

/// How long a site/sector check or an account's plan limit is reused.
const TENANCY_CACHE_TTL: Duration = Duration::from_secs(30);
/// Largest request accepted: a CSV upload of 50,000+ keywords fits with room to spare.
const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

pub struct Application {
    base: ServiceBase,
    state: AppState,
    consumer: Consumer<WriterEvents>,
    /// Stops the writer channel's SRV refresher.
    background: CancellationToken,
}

impl Application {
    /// Starts with writer-svc at its default address (what tests of other crates need).
    pub async fn build(args: &ServiceArgs) -> anyhow::Result<Self> {
        Self::build_with(&Config::from_service_args(args.clone())).await
    }

    pub async fn build_with(config: &Config) -> anyhow::Result<Self> {
        let base = ServiceBase::build(&SPEC, &config.service).await?;
        let background = CancellationToken::new();
        let writer = discovery::connect(
            &config.writer_svc,
            &ChannelOptions::default(),
            background.clone(),
        )
        .context("WRITER_SVC")?;
        let state = AppState {
            pool: base.pool.clone(),
            scopes: base.scope_resolver(TENANCY_CACHE_TTL),
            plans: PlanLimits::new(base.auth_channel.clone(), TENANCY_CACHE_TTL),
            auth: AuthServiceClient::new(base.auth_channel.clone()),
            writer: WriterServiceClient::new(writer),
        };
        let consumer = Consumer::new(
            base.pool.clone(),
            base.amqp.clone(),
            consumer::QUEUE,
            &consumer::ROUTING_KEYS,
            WriterEvents,
        );
        // Declared before serving, so events published while we start up are kept.
        consumer
            .declare()
            .await
            .context("declaring the writer events queue")?;
        Ok(Self {
            base,
            state,
            consumer,
            background,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.base.grpc_addr()
    }

    pub fn pool(&self) -> sqlx::PgPool {
        self.base.pool.clone()
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut parts = grpc::standard_routes(&[igny8_proto::FILE_DESCRIPTOR_SET])?;
        parts
            .health
            .set_serving::<PlannerServiceServer<PlannerRpc>>()
            .await;
        parts.routes.add_service(
            PlannerServiceServer::new(PlannerRpc::new(self.state))
                .max_decoding_message_size(MAX_REQUEST_BYTES),
        );
        // The consumer stops with the server, also when it fails; both run in this one task.
        let consuming = shutdown.child_token();
        let serve = async {
            let served = self.base.serve(parts, shutdown).await;
            consuming.cancel();
            served
        };
        let (served, ()) = tokio::join!(serve, self.consumer.run(consuming.clone()));
        self.background.cancel();
        served
    }
}

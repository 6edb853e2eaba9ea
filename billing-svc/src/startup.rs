//! Builds billing-svc from its settings and serves it until shutdown: gRPC, the auth events
//! consumer and the sweeper, in one task.

use std::net::SocketAddr;

use anyhow::Context as _;
use igny8_platform::{
    config::ServiceArgs,
    grpc,
    inbox::Consumer,
    service::{ServiceBase, ServiceSpec},
};
use igny8_proto::billing::v1::billing_service_server::BillingServiceServer;
use tokio_util::sync::CancellationToken;

use crate::{
    config::BillingArgs,
    events::{self, AfterEffect, AuthEvents},
    grpc::BillingRpc,
    sweeper::Sweeper,
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "billing-svc",
    schema: "billing",
    migrator: &MIGRATOR,
    grpc_port: 50054,
    metrics_port: 9104,
};

/// Test seams; production uses the default (none).
#[derive(Default, Clone)]
pub struct Hooks {
    /// Runs after an event's effect is written, before its inbox transaction commits.
    pub after_event: Option<AfterEffect>,
}

pub struct Application {
    base: ServiceBase,
    settings: BillingArgs,
    consumer: Consumer<AuthEvents>,
}

impl Application {
    /// Builds with the default billing settings.
    pub async fn build(args: &ServiceArgs) -> anyhow::Result<Self> {
        Self::build_with(args, BillingArgs::default(), Hooks::default()).await
    }

    pub async fn build_with(
        args: &ServiceArgs,
        settings: BillingArgs,
        hooks: Hooks,
    ) -> anyhow::Result<Self> {
        let base = ServiceBase::build(&SPEC, args).await?;
        let consumer = Consumer::new(
            base.pool.clone(),
            base.amqp.clone(),
            events::QUEUE,
            &events::ROUTING_KEYS,
            AuthEvents {
                grace: settings.plan_grace(),
                after_effect: hooks.after_event,
            },
        );
        // Declared before serving, so events published while we start up are kept.
        consumer
            .declare()
            .await
            .context("declaring the auth events queue")?;
        Ok(Self {
            base,
            settings,
            consumer,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.base.grpc_addr()
    }

    pub fn pool(&self) -> sqlx::PgPool {
        self.base.pool.clone()
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let pool = self.base.pool.clone();
        let mut parts = grpc::standard_routes(&[igny8_proto::FILE_DESCRIPTOR_SET])?;
        parts
            .health
            .set_serving::<BillingServiceServer<BillingRpc>>()
            .await;
        parts
            .routes
            .add_service(BillingServiceServer::new(BillingRpc::new(
                pool.clone(),
                self.settings.hold_ttl(),
            )));
        let sweeper = Sweeper {
            pool,
            interval: self.settings.sweep_interval(),
            grace: self.settings.plan_grace(),
        };
        // The consumer and sweeper stop with the server, also when it fails. All three run in
        // this one task, so aborting it stops them together, as killing the process would.
        let background = shutdown.child_token();
        let serve = async {
            let served = self.base.serve(parts, shutdown).await;
            background.cancel();
            served
        };
        let (served, (), ()) = tokio::join!(
            serve,
            self.consumer.run(background.clone()),
            sweeper.run(background.clone()),
        );
        served
    }
}

//! Builds integration-svc from its settings and serves it until shutdown.

use std::net::SocketAddr;

use igny8_platform::{
    config::ServiceArgs,
    grpc,
    service::{ServiceBase, ServiceSpec},
};
use tokio_util::sync::CancellationToken;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "integration-svc",
    schema: "integration",
    migrator: &MIGRATOR,
    grpc_port: 50055,
    metrics_port: 9105,
};

pub struct Application {
    base: ServiceBase,
}

impl Application {
    pub async fn build(args: &ServiceArgs) -> anyhow::Result<Self> {
        Ok(Self {
            base: ServiceBase::build(&SPEC, args).await?,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.base.grpc_addr()
    }

    pub fn pool(&self) -> sqlx::PgPool {
        self.base.pool.clone()
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let parts = grpc::standard_routes(&[igny8_proto::FILE_DESCRIPTOR_SET])?;
        self.base.serve(parts, shutdown).await
    }
}

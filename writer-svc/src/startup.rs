//! Builds writer-svc from its settings and serves it until shutdown.

use std::{net::SocketAddr, time::Duration};

use igny8_platform::{
    config::ServiceArgs,
    grpc,
    service::{ServiceBase, ServiceSpec},
};
use igny8_proto::writer::v1::writer_service_server::WriterServiceServer;
use tokio_util::sync::CancellationToken;

use crate::{
    grpc::WriterRpc,
    state::{AppState, Scopes},
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "writer-svc",
    schema: "writer",
    migrator: &MIGRATOR,
    grpc_port: 50053,
    metrics_port: 9103,
};

/// How long a confirmed site/sector is trusted without asking auth-svc again.
const SCOPE_CACHE_TTL: Duration = Duration::from_secs(30);

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
        let state = AppState {
            pool: self.base.pool.clone(),
            scopes: Scopes::new(self.base.auth_channel.clone(), SCOPE_CACHE_TTL),
        };
        let mut parts = grpc::standard_routes(&[igny8_proto::FILE_DESCRIPTOR_SET])?;
        parts
            .health
            .set_serving::<WriterServiceServer<WriterRpc>>()
            .await;
        parts
            .routes
            .add_service(WriterServiceServer::new(WriterRpc::new(state)));
        self.base.serve(parts, shutdown).await
    }
}

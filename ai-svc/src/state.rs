//! What every operation and job step needs: the pool, settings, peers and storage.

use std::sync::Arc;

use igny8_platform::{service_token::ServiceTokens, storage::FileStore};
use igny8_proto::{
    auth::v1::auth_service_client::AuthServiceClient,
    billing::v1::billing_service_client::BillingServiceClient,
    planner::v1::planner_service_client::PlannerServiceClient,
    writer::v1::writer_service_client::WriterServiceClient,
};
use sqlx::PgPool;
use tonic::transport::Channel;

use crate::{
    config::Config,
    jobs::{notify::JobNotifier, provider_factory::ProviderFactory},
    system::{crypto::KeyCipher, settings::PlatformProviders},
};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// Encrypts and decrypts the provider keys accounts store.
    pub cipher: Arc<KeyCipher>,
    /// The platform's own provider keys, read from their files at start.
    pub platform: Arc<PlatformProviders>,
    pub auth: AuthServiceClient<Channel>,
    pub planner: PlannerServiceClient<Channel>,
    pub writer: WriterServiceClient<Channel>,
    pub billing: BillingServiceClient<Channel>,
    /// ai-svc's own token, for job steps that act for an account outside any request.
    pub tokens: ServiceTokens,
    pub files: FileStore,
    pub providers: ProviderFactory,
    pub notifier: JobNotifier,
}

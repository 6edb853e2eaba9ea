//! What every handler shares: configuration, service channels, token verification, the
//! security feed, the API-key cache and the rate limiters. Cloning is one `Arc` bump.

use std::{ops::Deref, sync::Arc};

use igny8_platform::{
    storage::FileStore,
    token::{JwksSource, TokenVerifier},
};
use igny8_proto::auth::v1::auth_service_client::AuthServiceClient;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

use crate::{
    api_keys::ApiKeys, clients::Clients, clients::ServiceCaller, config::Config,
    ratelimit::RateLimits, revocation::SecurityFeed,
};

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub config: Config,
    pub clients: Clients,
    pub verifier: Arc<TokenVerifier>,
    pub jwks: JwksSource,
    /// Calls made as the gateway itself (public routes).
    pub gateway: ServiceCaller,
    pub security: Arc<SecurityFeed>,
    pub api_keys: ApiKeys,
    pub limits: Arc<RateLimits>,
    /// Generated image files (`IMAGE_STORAGE_DIR`), read by the image file route.
    pub images: FileStore,
    /// Cancelled when the gateway starts to stop, so open event streams end instead of
    /// holding the graceful shutdown open (clients resume with `Last-Event-ID`).
    pub streams: CancellationToken,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// auth-svc over the shared channel.
    pub fn auth(&self) -> AuthServiceClient<Channel> {
        self.clients.auth()
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

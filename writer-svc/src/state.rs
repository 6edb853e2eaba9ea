//! What every operation needs: the pool and the tenancy checks.

use std::time::Duration;

use igny8_platform::{
    Principal, RequestContext, Result,
    error::Error,
    grpc::as_service,
    scope::{ResolvedScope, ScopeResolver},
};
use igny8_proto::{auth::v1::auth_service_client::AuthServiceClient, common::v1::Scope};
use sqlx::PgPool;
use tonic::transport::Channel;
use uuid::Uuid;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub scopes: Scopes,
}

/// Site/sector checks through auth-svc.
#[derive(Clone)]
pub struct Scopes {
    resolver: ScopeResolver,
    auth: AuthServiceClient<Channel>,
}

impl Scopes {
    pub fn new(auth_channel: Channel, ttl: Duration) -> Self {
        Self {
            resolver: ScopeResolver::new(auth_channel.clone(), ttl),
            auth: AuthServiceClient::new(auth_channel),
        }
    }

    /// NotFound unless the site (and sector) belong to the caller's account and the caller may
    /// see the site.
    pub async fn resolve(
        &self,
        ctx: &RequestContext,
        site_id: Uuid,
        sector_id: Option<Uuid>,
    ) -> Result<ResolvedScope> {
        match &ctx.principal {
            // `grpc::forward` (used by ScopeResolver) does not carry the account a service
            // token acts for, so auth-svc would refuse the check; ask with it explicitly.
            Principal::Service {
                account_id: Some(account_id),
                ..
            } => {
                self.resolve_for_service(ctx, *account_id, site_id, sector_id)
                    .await
            }
            _ => self.resolver.resolve(ctx, site_id, sector_id).await,
        }
    }

    async fn resolve_for_service(
        &self,
        ctx: &RequestContext,
        account_id: Uuid,
        site_id: Uuid,
        sector_id: Option<Uuid>,
    ) -> Result<ResolvedScope> {
        let scope = Scope {
            site_id: site_id.to_string(),
            sector_id: sector_id.map(|id| id.to_string()).unwrap_or_default(),
        };
        let request = as_service(scope, &ctx.bearer, Some(account_id), &ctx.request_id);
        match self.auth.clone().resolve_scope(request).await {
            Ok(_) => Ok(ResolvedScope {
                account_id,
                site_id,
                sector_id,
            }),
            Err(status) if status.code() == tonic::Code::NotFound => {
                Err(Error::NotFound(if status.message().contains("sector") {
                    "sector"
                } else {
                    "site"
                }))
            }
            Err(status) => {
                tracing::warn!(code = ?status.code(), "scope check failed");
                Err(Error::Unavailable(
                    "tenancy check is unavailable; try again".into(),
                ))
            }
        }
    }
}

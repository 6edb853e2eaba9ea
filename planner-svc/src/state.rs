//! What every operation needs: the pool, tenancy checks, plan limits and the writer client.

use std::time::Duration;

use igny8_platform::{Error, RequestContext, Result, grpc::forward, scope::ScopeResolver};
use igny8_proto::{
    auth::v1::auth_service_client::AuthServiceClient, common::v1::Empty,
    writer::v1::writer_service_client::WriterServiceClient,
};
use moka::sync::Cache;
use sqlx::PgPool;
use tonic::transport::Channel;
use uuid::Uuid;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub scopes: ScopeResolver,
    pub plans: PlanLimits,
    pub auth: AuthServiceClient<Channel>,
    pub writer: WriterServiceClient<Channel>,
}

/// The keyword limit of each account's plan, read from auth-svc with the caller's token and
/// kept briefly (a plan change takes effect within the cache's life).
#[derive(Clone)]
pub struct PlanLimits {
    auth: AuthServiceClient<Channel>,
    max_keywords: Cache<Uuid, i64>,
}

impl PlanLimits {
    pub fn new(auth_channel: Channel, ttl: Duration) -> Self {
        Self {
            auth: AuthServiceClient::new(auth_channel),
            max_keywords: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The limit read again from auth-svc: a cached limit is stale right after an upgrade, so
    /// a refusal is only given on a fresh answer.
    pub async fn fresh_max_keywords(&self, ctx: &RequestContext) -> Result<i64> {
        self.max_keywords.invalidate(&ctx.account_id()?);
        self.max_keywords(ctx).await
    }

    /// How many keywords the caller's account may hold.
    pub async fn max_keywords(&self, ctx: &RequestContext) -> Result<i64> {
        let account_id = ctx.account_id()?;
        if let Some(max) = self.max_keywords.get(&account_id) {
            return Ok(max);
        }
        let account = self
            .auth
            .clone()
            .get_account(forward(Empty {}, ctx))
            .await
            .map_err(|status| {
                tracing::warn!(code = ?status.code(), "reading the account's plan failed");
                Error::Unavailable("the plan check is unavailable; try again".into())
            })?
            .into_inner();
        let max = account
            .plan
            .map(|plan| i64::from(plan.max_keywords))
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("account without a plan")))?;
        self.max_keywords.insert(account_id, max);
        Ok(max)
    }
}

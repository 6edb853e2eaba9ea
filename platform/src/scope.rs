//! Tenancy checks for services that own site/sector-scoped rows: asks auth-svc whether a site
//! (and sector) belongs to the caller, with a short cache so list pages do not pay a hop.

use std::time::Duration;

use igny8_proto::{auth::v1::auth_service_client::AuthServiceClient, common::v1::Scope};
use moka::sync::Cache;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::{
    context::RequestContext,
    error::{Error, Result},
    grpc::forward,
};

/// Verified site and sector ids of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedScope {
    pub account_id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Option<Uuid>,
}

/// Resolves scopes through auth-svc's `ResolveScope`, caching positive answers briefly.
#[derive(Clone)]
pub struct ScopeResolver {
    client: AuthServiceClient<Channel>,
    cache: Cache<(Uuid, Uuid, Option<Uuid>), ()>,
}

impl ScopeResolver {
    /// `ttl` bounds how long a deleted site or sector may still be accepted (seconds are fine).
    pub fn new(auth_channel: Channel, ttl: Duration) -> Self {
        Self {
            client: AuthServiceClient::new(auth_channel),
            cache: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// NotFound (as if it did not exist) unless the site, and the sector when given, belong to
    /// the caller's account and the caller may see that site.
    pub async fn resolve(
        &self,
        ctx: &RequestContext,
        site_id: Uuid,
        sector_id: Option<Uuid>,
    ) -> Result<ResolvedScope> {
        let account_id = ctx.account_id()?;
        ctx.check_site(site_id, "site")?;
        let key = (account_id, site_id, sector_id);
        if self.cache.get(&key).is_none() {
            let scope = Scope {
                site_id: site_id.to_string(),
                sector_id: sector_id.map(|id| id.to_string()).unwrap_or_default(),
            };
            match self.client.clone().resolve_scope(forward(scope, ctx)).await {
                Ok(_) => self.cache.insert(key, ()),
                Err(status) if status.code() == tonic::Code::NotFound => {
                    return Err(Error::NotFound(if status.message().contains("sector") {
                        "sector"
                    } else {
                        "site"
                    }));
                }
                Err(status) => {
                    tracing::warn!(code = ?status.code(), "scope check failed");
                    return Err(Error::Unavailable(
                        "tenancy check is unavailable; try again".into(),
                    ));
                }
            }
        }
        Ok(ResolvedScope {
            account_id,
            site_id,
            sector_id,
        })
    }
}

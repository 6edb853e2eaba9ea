//! Site API keys for the WordPress plugin: issue (plaintext once), list, revoke, exchange.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::auth::v1 as pb;
use uuid::Uuid;

use super::{
    common::{SecurityEvent, opt_ts, parse_id, record_security_event, ts},
    sites,
};
use crate::{crypto::api_key, domain::validate, state::AppState};

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: Uuid,
    site_id: Uuid,
    name: String,
    prefix: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

impl From<KeyRow> for pb::ApiKey {
    fn from(k: KeyRow) -> Self {
        Self {
            id: k.id.to_string(),
            site_id: k.site_id.to_string(),
            name: k.name,
            prefix: k.prefix,
            created_at: Some(ts(k.created_at)),
            last_used_at: opt_ts(k.last_used_at),
        }
    }
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateApiKeyRequest,
) -> Result<pb::CreatedApiKey> {
    let site_id = parse_id(&req.site_id, "site")?;
    let mut conn = state.pool.acquire().await?;
    sites::load(&mut conn, ctx, site_id).await?;
    ctx.user()?;
    ctx.require_role(Role::Admin)?;
    let mut errors = FieldErrors::new();
    let name = validate::text(&mut errors, "name", &req.name, true, 100);
    errors.into_result()?;
    let key = api_key::generate();
    let row: KeyRow = sqlx::query_as(
        "INSERT INTO auth.api_keys (id, account_id, site_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5, $6) \
         RETURNING id, site_id, name, prefix, created_at, last_used_at",
    )
    .bind(Uuid::now_v7())
    .bind(ctx.account_id()?)
    .bind(site_id)
    .bind(&name)
    .bind(&key.display_prefix)
    .bind(&key.hash)
    .fetch_one(&mut *conn)
    .await?;
    Ok(pb::CreatedApiKey {
        key: Some(row.into()),
        plaintext: key.plaintext,
    })
}

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdRequest,
) -> Result<pb::ApiKeyList> {
    let site_id = parse_id(&req.id, "site")?;
    let mut conn = state.pool.acquire().await?;
    sites::load(&mut conn, ctx, site_id).await?;
    ctx.user()?;
    ctx.require_role(Role::Admin)?;
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT id, site_id, name, prefix, created_at, last_used_at FROM auth.api_keys \
         WHERE site_id = $1 AND account_id = $2 AND revoked_at IS NULL ORDER BY created_at, id",
    )
    .bind(site_id)
    .bind(ctx.account_id()?)
    .fetch_all(&mut *conn)
    .await?;
    Ok(pb::ApiKeyList {
        keys: rows.into_iter().map(Into::into).collect(),
    })
}

pub async fn revoke(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::RevokeApiKeyRequest,
) -> Result<()> {
    let site_id = parse_id(&req.site_id, "site")?;
    let key_id = parse_id(&req.key_id, "api key")?;
    let mut tx = state.pool.begin().await?;
    sites::load(&mut tx, ctx, site_id).await?;
    ctx.user()?;
    ctx.require_role(Role::Admin)?;
    let revoked = sqlx::query(
        "UPDATE auth.api_keys SET revoked_at = now() WHERE id = $1 AND site_id = $2 AND account_id = $3 AND revoked_at IS NULL",
    )
    .bind(key_id)
    .bind(site_id)
    .bind(ctx.account_id()?)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if revoked == 0 {
        return Err(Error::NotFound("api key"));
    }
    record_security_event(&mut tx, SecurityEvent::ApiKeyRevoked { key_id }).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LiveKey {
    id: Uuid,
    account_id: Uuid,
    site_id: Uuid,
    stale: bool,
}

/// Trades a valid key for a short-lived site token (the gateway caches it).
pub async fn exchange(
    state: &AppState,
    req: pb::ExchangeApiKeyRequest,
) -> Result<pb::ExchangeApiKeyResponse> {
    let key = req.key.trim();
    // The checksum rejects typos and made-up keys without touching the database.
    if !api_key::is_well_formed(key) {
        return Err(Error::unauthenticated("invalid API key"));
    }
    let live: LiveKey = sqlx::query_as(
        "SELECT k.id, k.account_id, k.site_id, \
                (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute') AS stale \
         FROM auth.api_keys k JOIN auth.sites s ON s.id = k.site_id \
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
    )
    .bind(api_key::hash(key))
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| Error::unauthenticated("invalid API key"))?;
    if live.stale {
        // last_used_at is advisory; writing it at most once a minute keeps exchanges cheap.
        sqlx::query("UPDATE auth.api_keys SET last_used_at = now() WHERE id = $1")
            .bind(live.id)
            .execute(&state.pool)
            .await?;
    }
    let signed = state
        .issuer
        .site_token(live.id, live.account_id, live.site_id)?;
    Ok(pb::ExchangeApiKeyResponse {
        access: signed.token,
        expires_in: signed.expires_in,
        account_id: live.account_id.to_string(),
        site_id: live.site_id.to_string(),
        key_id: live.id.to_string(),
    })
}

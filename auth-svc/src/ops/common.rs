//! Helpers the operations share: ids, pages, timestamps, plan limits, security events.

use igny8_platform::{Error, Result};
use sqlx::PgConnection;
use uuid::Uuid;

/// Shared with every service (igny8-platform).
pub use igny8_platform::{
    paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page},
    wire::{opt_ts, parse_id, ts},
};

/// The limits of the plan an account is on.
#[derive(Debug, sqlx::FromRow)]
pub struct PlanLimits {
    pub max_sites: i32,
    pub max_users: i32,
    pub max_sectors_per_site: i32,
}

pub async fn plan_limits(conn: &mut PgConnection, account_id: Uuid) -> Result<PlanLimits> {
    sqlx::query_as(
        "SELECT p.max_sites, p.max_users, p.max_sectors_per_site \
         FROM auth.accounts a JOIN auth.plans p ON p.id = a.plan_id WHERE a.id = $1",
    )
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("account"))
}

/// Fails with 402 `PLAN_LIMIT` when `used` already reaches `limit`.
pub fn within_limit(used: i64, limit: i32, what: &str) -> Result<()> {
    if used >= i64::from(limit) {
        Err(Error::precondition(
            "PLAN_LIMIT",
            format!("your plan allows {limit} {what}; upgrade to add more"),
        ))
    } else {
        Ok(())
    }
}

/// Serialises plan-limited inserts of one account (two concurrent creates cannot both pass
/// the count check).
pub async fn lock_account(conn: &mut PgConnection, account_id: Uuid) -> Result<()> {
    sqlx::query("SELECT 1 FROM auth.accounts WHERE id = $1 FOR UPDATE")
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound("account"))?;
    Ok(())
}

/// Kinds of [`record_security_event`].
pub enum SecurityEvent<'a> {
    UserRevoked { user_id: Uuid, not_before: i64 },
    SessionRevoked { session_id: Uuid },
    AccountStatus { account_id: Uuid, status: &'a str },
    ApiKeyRevoked { key_id: Uuid },
}

/// Records what the gateway must apply to tokens it still sees (see `SecurityFeed`).
pub async fn record_security_event(
    conn: &mut PgConnection,
    event: SecurityEvent<'_>,
) -> Result<()> {
    let (kind, subject, not_before, status) = match event {
        SecurityEvent::UserRevoked {
            user_id,
            not_before,
        } => ("user_revoked", user_id, Some(not_before), None),
        SecurityEvent::SessionRevoked { session_id } => ("session_revoked", session_id, None, None),
        SecurityEvent::AccountStatus { account_id, status } => {
            ("account_status", account_id, None, Some(status))
        }
        SecurityEvent::ApiKeyRevoked { key_id } => ("api_key_revoked", key_id, None, None),
    };
    // One writer at a time until commit, so seq order is commit order and the feed's readers
    // never skip an event (these are rare: sign-outs, revocations, status changes).
    sqlx::query("SELECT pg_advisory_xact_lock(7361001)")
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO auth.security_events (kind, subject_id, not_before, status) VALUES ($1, $2, $3, $4)")
        .bind(kind)
        .bind(subject)
        .bind(not_before)
        .bind(status)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Revokes every live session of `user_id` except `keep`, recording each for the gateway.
pub async fn revoke_sessions(
    conn: &mut PgConnection,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<()> {
    let families: Vec<Uuid> = sqlx::query_scalar(
        "WITH revoked AS ( \
             UPDATE auth.refresh_tokens SET revoked_at = now() \
             WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR family_id <> $2) \
             RETURNING family_id) \
         SELECT DISTINCT family_id FROM revoked",
    )
    .bind(user_id)
    .bind(keep)
    .fetch_all(&mut *conn)
    .await?;
    for session_id in families {
        record_security_event(conn, SecurityEvent::SessionRevoked { session_id }).await?;
    }
    Ok(())
}

//! Helpers the operations share: ids, pages, timestamps, plan limits, security events.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, Result};
use igny8_proto::common::v1::{PageInfo, PageRequest};
use sqlx::PgConnection;
use uuid::Uuid;

pub const DEFAULT_PAGE_SIZE: u32 = 25;
pub const MAX_PAGE_SIZE: u32 = 100;

pub fn ts(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

pub fn opt_ts(at: Option<DateTime<Utc>>) -> Option<prost_types::Timestamp> {
    at.map(ts)
}

/// An id from a request; one that is not a UUID is as unknown as a missing row.
pub fn parse_id(value: &str, entity: &'static str) -> Result<Uuid> {
    value.trim().parse().map_err(|_| Error::NotFound(entity))
}

/// Page number and size with defaults and bounds applied.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: u32,
    pub size: u32,
}

impl Page {
    pub fn from_request(request: Option<&PageRequest>) -> Result<Self> {
        let page = request.map_or(1, |p| p.page.max(1));
        let size = request.map_or(0, |p| p.page_size);
        let size = if size == 0 { DEFAULT_PAGE_SIZE } else { size };
        if size > MAX_PAGE_SIZE {
            return Err(igny8_platform::error::FieldErrors::single(
                "page_size",
                format!("must be at most {MAX_PAGE_SIZE}"),
            ));
        }
        Ok(Self { page, size })
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.size)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.size)
    }

    pub fn info(&self, count: i64) -> PageInfo {
        PageInfo {
            count: count.max(0) as u64,
            page: self.page,
            page_size: self.size,
        }
    }
}

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

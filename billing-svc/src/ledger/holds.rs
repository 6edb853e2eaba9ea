//! Holds: reserve credits before an AI call, then capture the actual cost or void; the sweeper
//! expires holds nobody resolved. A hold resolves exactly once.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, Result, error::FieldErrors};
use igny8_proto::billing::v1 as pb;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{BalanceRow, NewTransfer, SYSTEM_KEY_PREFIX};
use crate::{
    convert::{opt_ts, ts},
    domain::{self, Entries, HeldParts, Kind, Pool, pricing::OPERATIONS},
};

/// Largest single hold: far above any real job, far below overflow.
pub const MAX_HOLD_MILLI: i64 = 1 << 50;
const MAX_JOB_ID_LEN: usize = 200;

const HOLD_COLUMNS: &str = "id, account_id, amount, plan_part, bonus_part, plan_epoch, reason, \
     operation, job_id, status, captured, expires_at, created_at, resolved_at, \
     expires_at <= now() AS expired";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HoldRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub amount: i64,
    pub plan_part: i64,
    pub bonus_part: i64,
    pub plan_epoch: i64,
    pub reason: String,
    pub operation: String,
    pub job_id: String,
    pub status: String,
    pub captured: i64,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Past its expiry by the database clock (the one the sweeper uses).
    pub expired: bool,
}

impl HoldRow {
    pub fn to_proto(&self) -> pb::Hold {
        pb::Hold {
            id: self.id.to_string(),
            account_id: self.account_id.to_string(),
            amount_milli: self.amount,
            plan_milli: self.plan_part,
            bonus_milli: self.bonus_part,
            status: self.status.clone(),
            captured_milli: self.captured,
            reason: self.reason.clone(),
            operation: self.operation.clone(),
            job_id: self.job_id.clone(),
            expires_at: Some(ts(self.expires_at)),
            created_at: Some(ts(self.created_at)),
            resolved_at: opt_ts(self.resolved_at),
        }
    }

    fn parts(&self) -> HeldParts {
        HeldParts {
            plan_part: self.plan_part,
            bonus_part: self.bonus_part,
            plan_epoch: self.plan_epoch,
        }
    }
}

/// Hold lifetimes: the default, and the most a caller may ask for.
#[derive(Debug, Clone, Copy)]
pub struct HoldTtl {
    pub default_secs: u32,
    pub max_secs: u32,
}

/// Reserves `req.amount_milli` for the account: plan credits first, then bonus.
pub async fn hold(
    pool: &PgPool,
    account_id: Uuid,
    req: &pb::HoldRequest,
    ttl: HoldTtl,
    created_by: &str,
) -> Result<pb::HoldResult> {
    let mut errors = FieldErrors::new();
    super::check_key(&mut errors, &req.idempotency_key);
    super::check_reason(&mut errors, &req.reason);
    if req.amount_milli <= 0 || req.amount_milli > MAX_HOLD_MILLI {
        errors.add("amount_milli", "must be a positive number of milli-credits");
    }
    if !req.operation.is_empty() && !OPERATIONS.contains(&req.operation.as_str()) {
        errors.add(
            "operation",
            format!("must be empty or one of {}", OPERATIONS.join(", ")),
        );
    }
    if req.job_id.len() > MAX_JOB_ID_LEN {
        errors.add(
            "job_id",
            format!("must be at most {MAX_JOB_ID_LEN} characters"),
        );
    }
    if req.ttl_seconds > ttl.max_secs {
        errors.add(
            "ttl_seconds",
            format!("must be at most {} seconds", ttl.max_secs),
        );
    }
    errors.into_result()?;
    let fingerprint = super::fingerprint(&[
        "hold",
        &req.amount_milli.to_string(),
        &req.reason,
        &req.operation,
        &req.job_id,
        &req.ttl_seconds.to_string(),
    ]);
    let mut tx = pool.begin().await?;
    let Some(mut balance) = super::lock_balance(&mut tx, account_id).await? else {
        return Err(super::insufficient_credits(0, req.amount_milli));
    };
    if let Some(earlier) =
        super::replay(&mut tx, account_id, &req.idempotency_key, &fingerprint).await?
    {
        let hold_id = earlier.hold_id.ok_or(Error::NotFound("hold"))?;
        let hold = load(&mut tx, account_id, hold_id).await?;
        tx.commit().await?;
        return Ok(pb::HoldResult {
            hold: Some(hold.to_proto()),
            transfer_id: earlier.id.to_string(),
            balance: Some(balance.to_proto()),
            replayed: true,
        });
    }
    let pools = balance.pools();
    let (plan_part, bonus_part) = domain::draw_hold(&pools, req.amount_milli)
        .ok_or_else(|| super::insufficient_credits(pools.available(), req.amount_milli))?;
    let ttl_secs = if req.ttl_seconds == 0 {
        ttl.default_secs
    } else {
        req.ttl_seconds
    };
    let hold: HoldRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO billing.holds (id, account_id, amount, plan_part, bonus_part, plan_epoch, \
             reason, operation, job_id, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10)) \
         RETURNING {HOLD_COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(account_id)
    .bind(req.amount_milli)
    .bind(plan_part)
    .bind(bonus_part)
    .bind(balance.plan_epoch)
    .bind(&req.reason)
    .bind(&req.operation)
    .bind(&req.job_id)
    .bind(f64::from(ttl_secs))
    .fetch_one(&mut *tx)
    .await?;
    let entries = Entries::new()
        .moving(Pool::Plan, Pool::HeldPlan, plan_part)
        .moving(Pool::Bonus, Pool::HeldBonus, bonus_part);
    let transfer = super::post(
        &mut tx,
        &mut balance,
        NewTransfer {
            kind: Kind::Hold,
            key: &req.idempotency_key,
            fingerprint,
            hold_id: Some(hold.id),
            reason: &req.reason,
            created_by,
            entries,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(pb::HoldResult {
        hold: Some(hold.to_proto()),
        transfer_id: transfer.id,
        balance: Some(balance.to_proto()),
        replayed: false,
    })
}

/// How a hold is being resolved.
#[derive(Debug, Clone, Copy)]
pub enum Resolution {
    Capture(i64),
    Void,
}

/// Captures (charging at most the held amount) or voids a hold of the account.
pub async fn resolve(
    pool: &PgPool,
    account_id: Uuid,
    key: &str,
    hold_id: &str,
    resolution: Resolution,
    created_by: &str,
) -> Result<pb::HoldResult> {
    let mut errors = FieldErrors::new();
    super::check_key(&mut errors, key);
    if let Resolution::Capture(actual) = resolution
        && actual < 0
    {
        errors.add("actual_milli", "must not be negative");
    }
    errors.into_result()?;
    let hold_id = crate::convert::parse_id(hold_id, "hold")?;
    let fingerprint = match resolution {
        Resolution::Capture(actual) => {
            super::fingerprint(&["capture", &hold_id.to_string(), &actual.to_string()])
        }
        Resolution::Void => super::fingerprint(&["void", &hold_id.to_string()]),
    };
    let mut tx = pool.begin().await?;
    let Some(mut balance) = super::lock_balance(&mut tx, account_id).await? else {
        return Err(Error::NotFound("hold"));
    };
    if let Some(earlier) = super::replay(&mut tx, account_id, key, &fingerprint).await? {
        let hold = load(&mut tx, account_id, hold_id).await?;
        tx.commit().await?;
        return Ok(pb::HoldResult {
            hold: Some(hold.to_proto()),
            transfer_id: earlier.id.to_string(),
            balance: Some(balance.to_proto()),
            replayed: true,
        });
    }
    let hold: HoldRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {HOLD_COLUMNS} FROM billing.holds WHERE id = $1 AND account_id = $2 FOR UPDATE"
    )))
    .bind(hold_id)
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound("hold"))?;
    if hold.status != "held" {
        return Err(Error::precondition(
            "HOLD_RESOLVED",
            format!("this hold is already {}", hold.status),
        ));
    }
    let (charge, kind, status) = match resolution {
        Resolution::Capture(actual) => {
            if actual > hold.amount {
                return Err(Error::precondition(
                    "CAPTURE_EXCEEDS_HOLD",
                    format!(
                        "cannot capture {} credits from a hold of {}",
                        domain::format_milli(actual),
                        domain::format_milli(hold.amount)
                    ),
                ));
            }
            if hold.expired {
                return Err(Error::precondition(
                    "HOLD_EXPIRED",
                    "this hold has expired; its credits are being returned",
                ));
            }
            (actual, Kind::Capture, "captured")
        }
        Resolution::Void => (0, Kind::Release, "voided"),
    };
    let (hold, transfer) = settle(
        &mut tx,
        &mut balance,
        &hold,
        Settlement {
            charge,
            kind,
            status,
            key,
            fingerprint,
            created_by,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(pb::HoldResult {
        hold: Some(hold.to_proto()),
        transfer_id: transfer.id,
        balance: Some(balance.to_proto()),
        replayed: false,
    })
}

struct Settlement<'a> {
    charge: i64,
    kind: Kind,
    status: &'static str,
    key: &'a str,
    fingerprint: String,
    created_by: &'a str,
}

/// Posts the settlement transfer and marks the (locked, open) hold resolved.
async fn settle(
    conn: &mut PgConnection,
    balance: &mut BalanceRow,
    hold: &HoldRow,
    s: Settlement<'_>,
) -> Result<(HoldRow, pb::Transaction)> {
    let entries = domain::settle_hold(&hold.parts(), balance.plan_epoch, s.charge);
    let transfer = super::post(
        conn,
        balance,
        NewTransfer {
            kind: s.kind,
            key: s.key,
            fingerprint: s.fingerprint,
            hold_id: Some(hold.id),
            reason: &hold.reason,
            created_by: s.created_by,
            entries,
        },
    )
    .await?;
    let transfer_id: Uuid = transfer
        .id
        .parse()
        .map_err(|e| Error::Internal(anyhow::anyhow!("transfer id: {e}")))?;
    let resolved: HoldRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE billing.holds SET status = $2, captured = $3, resolved_at = now(), \
             resolution_transfer_id = $4 \
         WHERE id = $1 AND status = 'held' RETURNING {HOLD_COLUMNS}"
    )))
    .bind(hold.id)
    .bind(s.status)
    .bind(s.charge)
    .bind(transfer_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::Internal(anyhow::anyhow!("locked open hold was not open")))?;
    Ok((resolved, transfer))
}

/// A hold of the account (NotFound for another account's hold).
pub async fn load(conn: &mut PgConnection, account_id: Uuid, hold_id: Uuid) -> Result<HoldRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {HOLD_COLUMNS} FROM billing.holds WHERE id = $1 AND account_id = $2"
    )))
    .bind(hold_id)
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("hold"))
}

pub async fn get(pool: &PgPool, account_id: Uuid, hold_id: &str) -> Result<pb::Hold> {
    let hold_id = crate::convert::parse_id(hold_id, "hold")?;
    let mut conn = pool.acquire().await?;
    Ok(load(&mut conn, account_id, hold_id).await?.to_proto())
}

/// Open holds past their expiry, oldest first: (hold, account).
pub async fn due_for_expiry(pool: &PgPool, limit: i64) -> Result<Vec<(Uuid, Uuid)>> {
    Ok(sqlx::query_as(
        "SELECT id, account_id FROM billing.holds WHERE status = 'held' AND expires_at <= now() \
         ORDER BY expires_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Expires one overdue hold, returning its credits; `false` when its account is busy (left
/// for the next round) or the hold was resolved meanwhile. Safe to run on many replicas.
pub async fn expire(pool: &PgPool, hold_id: Uuid, account_id: Uuid) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(mut balance) = super::try_lock_balance(&mut tx, account_id).await? else {
        return Ok(false);
    };
    let hold: Option<HoldRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {HOLD_COLUMNS} FROM billing.holds \
         WHERE id = $1 AND account_id = $2 AND status = 'held' AND expires_at <= now() FOR UPDATE"
    )))
    .bind(hold_id)
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(hold) = hold else {
        return Ok(false);
    };
    let key = format!("{SYSTEM_KEY_PREFIX}hold-expire:{hold_id}");
    settle(
        &mut tx,
        &mut balance,
        &hold,
        Settlement {
            charge: 0,
            kind: Kind::Expire,
            status: "expired",
            fingerprint: super::fingerprint(&["expire", &hold_id.to_string()]),
            key: &key,
            created_by: "sweeper",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

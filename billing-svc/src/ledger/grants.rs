//! Credits coming in or taken out: plan periods, purchases, refunds, admin adjustments, and
//! the plan resets and revocations the subscription events cause.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, Result, error::FieldErrors};
use igny8_proto::billing::v1 as pb;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{BalanceRow, NewTransfer};
use crate::domain::{self, Entries, Kind, Pool};

/// Largest single grant or adjustment (about a trillion credits).
pub const MAX_GRANT_MILLI: i64 = 1 << 50;

/// Adds credits for the account: `plan_period` sets the plan pool to the amount (what was
/// left expires), `purchase` and `refund` add to the bonus pool, which never expires.
pub async fn grant(
    pool: &PgPool,
    account_id: Uuid,
    req: &pb::GrantRequest,
    created_by: &str,
) -> Result<pb::TransferResult> {
    let mut errors = FieldErrors::new();
    super::check_key(&mut errors, &req.idempotency_key);
    super::check_reason(&mut errors, &req.reason);
    let kind = match req.kind.as_str() {
        "plan_period" => Some(Kind::PlanPeriod),
        "purchase" => Some(Kind::Purchase),
        "refund" => Some(Kind::Refund),
        _ => {
            errors.add("kind", "must be one of plan_period, purchase, refund");
            None
        }
    };
    let minimum = if kind == Some(Kind::PlanPeriod) { 0 } else { 1 };
    if req.amount_milli < minimum || req.amount_milli > MAX_GRANT_MILLI {
        errors.add(
            "amount_milli",
            if minimum == 0 {
                "must not be negative"
            } else {
                "must be a positive number of milli-credits"
            },
        );
    }
    errors.into_result()?;
    let kind = kind.ok_or_else(|| Error::Internal(anyhow::anyhow!("kind was validated")))?;
    let fingerprint = super::fingerprint(&[
        "grant",
        kind.as_str(),
        &req.amount_milli.to_string(),
        &req.reason,
    ]);
    let mut tx = pool.begin().await?;
    let mut balance = super::open_and_lock(&mut tx, account_id).await?;
    let result =
        match super::replay(&mut tx, account_id, &req.idempotency_key, &fingerprint).await? {
            Some(earlier) => replayed(&mut tx, &balance, earlier.id).await?,
            None => {
                let entries = if kind == Kind::PlanPeriod {
                    // Counts as the current period's grant, so a revocation takes it back too.
                    balance.plan_epoch += 1;
                    balance.plan_period_start = balance.period_start;
                    domain::reset_plan(&balance.pools(), req.amount_milli)
                } else {
                    Entries::new().moving(Pool::Source, Pool::Bonus, req.amount_milli)
                };
                let transaction = super::post(
                    &mut tx,
                    &mut balance,
                    NewTransfer {
                        kind,
                        key: &req.idempotency_key,
                        fingerprint,
                        hold_id: None,
                        reason: &req.reason,
                        created_by,
                        entries,
                    },
                )
                .await?;
                fresh(transaction, &balance)
            }
        };
    tx.commit().await?;
    Ok(result)
}

/// A developer adds credits to, or removes them from, any account's plan or bonus pool.
pub async fn admin_adjust(
    pool: &PgPool,
    req: &pb::AdminAdjustRequest,
    created_by: &str,
) -> Result<pb::TransferResult> {
    let mut errors = FieldErrors::new();
    super::check_key(&mut errors, &req.idempotency_key);
    super::check_reason(&mut errors, &req.reason);
    if req.reason.trim().is_empty() {
        errors.add("reason", "is required for an adjustment");
    }
    let target = match req.pool.as_str() {
        "" | "bonus" => Some(Pool::Bonus),
        "plan" => Some(Pool::Plan),
        _ => {
            errors.add("pool", "must be plan or bonus");
            None
        }
    };
    if req.amount_milli == 0 || req.amount_milli.unsigned_abs() > MAX_GRANT_MILLI as u64 {
        errors.add("amount_milli", "must be a non-zero number of milli-credits");
    }
    let account_id: Option<Uuid> = req.account_id.trim().parse().ok();
    if account_id.is_none() {
        errors.add("account_id", "must be an account id");
    }
    errors.into_result()?;
    let (Some(target), Some(account_id)) = (target, account_id) else {
        return Err(Error::Internal(anyhow::anyhow!("fields were validated")));
    };
    let fingerprint = super::fingerprint(&[
        "adjust",
        target.as_str(),
        &req.amount_milli.to_string(),
        &req.reason,
    ]);
    let mut tx = pool.begin().await?;
    let mut balance = super::open_and_lock(&mut tx, account_id).await?;
    let result =
        match super::replay(&mut tx, account_id, &req.idempotency_key, &fingerprint).await? {
            Some(earlier) => replayed(&mut tx, &balance, earlier.id).await?,
            None => {
                let entries = if req.amount_milli > 0 {
                    Entries::new().moving(Pool::Source, target, req.amount_milli)
                } else {
                    let removing = -req.amount_milli;
                    let has = if target == Pool::Plan {
                        balance.plan
                    } else {
                        balance.bonus
                    };
                    if has < removing {
                        return Err(super::insufficient_credits(has, removing));
                    }
                    Entries::new().moving(target, Pool::Sink, removing)
                };
                let transaction = super::post(
                    &mut tx,
                    &mut balance,
                    NewTransfer {
                        kind: Kind::Adjustment,
                        key: &req.idempotency_key,
                        fingerprint,
                        hold_id: None,
                        reason: &req.reason,
                        created_by,
                        entries,
                    },
                )
                .await?;
                fresh(transaction, &balance)
            }
        };
    tx.commit().await?;
    Ok(result)
}

fn fresh(transaction: pb::Transaction, balance: &BalanceRow) -> pb::TransferResult {
    pb::TransferResult {
        transaction: Some(transaction),
        balance: Some(balance.to_proto()),
        replayed: false,
    }
}

async fn replayed(
    conn: &mut PgConnection,
    balance: &BalanceRow,
    transfer_id: Uuid,
) -> Result<pb::TransferResult> {
    Ok(pb::TransferResult {
        transaction: Some(super::load_transaction(conn, balance.account_id, transfer_id).await?),
        balance: Some(balance.to_proto()),
        replayed: true,
    })
}

/// Sets the locked account's plan pool to `amount` for the period starting at
/// `period_start` (what was left expires) and records that period as granted.
pub async fn grant_plan_period(
    conn: &mut PgConnection,
    balance: &mut BalanceRow,
    period_start: DateTime<Utc>,
    amount: i64,
    reason: &str,
) -> Result<()> {
    balance.plan_epoch += 1;
    balance.plan_period_start = Some(period_start);
    let key = system_key("plan-period", period_start, balance.plan_epoch);
    let entries = domain::reset_plan(&balance.pools(), amount);
    super::post(
        conn,
        balance,
        NewTransfer {
            kind: Kind::PlanPeriod,
            fingerprint: super::fingerprint(&["plan_period", &key, &amount.to_string()]),
            key: &key,
            hold_id: None,
            reason,
            created_by: "auth-events",
            entries,
        },
    )
    .await?;
    Ok(())
}

/// Takes the locked account's plan credits away (unpaid past grace, suspended, cancelled);
/// `false` when no period's plan credits are granted (already revoked, or never granted).
pub async fn revoke_plan(
    conn: &mut PgConnection,
    balance: &mut BalanceRow,
    reason: &str,
    created_by: &str,
) -> Result<bool> {
    let Some(period_start) = balance.plan_period_start else {
        return Ok(false);
    };
    balance.plan_epoch += 1;
    balance.plan_period_start = None;
    let key = system_key("plan-revoke", period_start, balance.plan_epoch);
    let entries = domain::reset_plan(&balance.pools(), 0);
    super::post(
        conn,
        balance,
        NewTransfer {
            kind: Kind::PlanRevoke,
            fingerprint: super::fingerprint(&["plan_revoke", &key]),
            key: &key,
            hold_id: None,
            reason,
            created_by,
            entries,
        },
    )
    .await?;
    Ok(true)
}

/// `sys:<what>:<period start, µs>:<plan epoch>`: one key per plan change of an account.
fn system_key(what: &str, period_start: DateTime<Utc>, epoch: i64) -> String {
    format!(
        "{}{what}:{}:{epoch}",
        super::SYSTEM_KEY_PREFIX,
        period_start.timestamp_micros()
    )
}

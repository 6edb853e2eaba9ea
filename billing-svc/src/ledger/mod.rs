//! The ledger's write path: lock an account's balances row, recognise replays by idempotency
//! key, and post balanced transfers (transfer + entries + balances in one statement).
//!
//! Every change of an account happens under `SELECT ... FOR UPDATE` of its balances row, so
//! concurrent operations on one account run one after another and each sees the last one's
//! result; different accounts never wait for each other.
//!
//! How credits move between pools (see `domain` for the arithmetic):
//! - hold: takes from `plan` first, then `bonus`, into `held_plan` / `held_bonus`; the hold
//!   records both parts and the plan epoch it was taken in.
//! - capture(actual): `actual` goes to `spent`, charged to the held plan part first; what is
//!   left of each part returns to the pool it came from. void = capture of 0 (kind release);
//!   the sweeper's expiry is the same (kind expire).
//! - A held plan part from an earlier plan epoch (the plan was reset or revoked since) goes to
//!   `sink` instead of `plan`: old-period credits never top up a new period.
//! - grants come from `source`: plan periods reset `plan` (what was left goes to `sink`),
//!   purchases and refunds add to `bonus`; adjustments add from `source` or remove to `sink`.

pub mod grants;
pub mod holds;
pub mod view;

use chrono::{DateTime, Utc};
use igny8_platform::{Error, Result, error::FieldErrors};
use igny8_proto::billing::v1 as pb;
use sha2::{Digest as _, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

pub use view::{TRANSACTION_SELECT, TransactionRow, load_transaction};

use crate::{
    convert::opt_ts,
    domain::{Entries, Kind, Pools},
};

/// Prefix of keys the service derives itself (events, sweeper); callers may not use it.
pub const SYSTEM_KEY_PREFIX: &str = "sys:";
const MAX_KEY_LEN: usize = 200;
pub const MAX_REASON_LEN: usize = 500;

pub const BALANCE_COLUMNS: &str = "account_id, plan, bonus, held_plan, held_bonus, spent, \
     plan_epoch, plan_period_start, plan_slug, plan_included, subscription_status, period_start, period_end, \
     subscription_event_at";

/// One account's balances row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BalanceRow {
    pub account_id: Uuid,
    pub plan: i64,
    pub bonus: i64,
    pub held_plan: i64,
    pub held_bonus: i64,
    pub spent: i64,
    pub plan_epoch: i64,
    pub plan_period_start: Option<DateTime<Utc>>,
    pub plan_slug: Option<String>,
    pub plan_included: i64,
    pub subscription_status: Option<String>,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    pub subscription_event_at: Option<DateTime<Utc>>,
}

impl BalanceRow {
    /// The balance of an account whose ledger is not open yet.
    pub fn empty(account_id: Uuid) -> Self {
        Self {
            account_id,
            plan: 0,
            bonus: 0,
            held_plan: 0,
            held_bonus: 0,
            spent: 0,
            plan_epoch: 0,
            plan_period_start: None,
            plan_slug: None,
            plan_included: 0,
            subscription_status: None,
            period_start: None,
            period_end: None,
            subscription_event_at: None,
        }
    }

    pub fn pools(&self) -> Pools {
        Pools {
            plan: self.plan,
            bonus: self.bonus,
            held_plan: self.held_plan,
            held_bonus: self.held_bonus,
            spent: self.spent,
        }
    }

    fn set_pools(&mut self, pools: Pools) {
        self.plan = pools.plan;
        self.bonus = pools.bonus;
        self.held_plan = pools.held_plan;
        self.held_bonus = pools.held_bonus;
        self.spent = pools.spent;
    }

    pub fn to_proto(&self) -> pb::Balance {
        let pools = self.pools();
        pb::Balance {
            account_id: self.account_id.to_string(),
            plan_milli: pools.plan,
            bonus_milli: pools.bonus,
            held_milli: pools.held(),
            available_milli: pools.available(),
            spent_milli: pools.spent,
            plan_slug: self.plan_slug.clone().unwrap_or_default(),
            plan_included_milli: self.plan_included,
            subscription_status: self.subscription_status.clone().unwrap_or_default(),
            period_start: opt_ts(self.period_start),
            period_end: opt_ts(self.period_end),
        }
    }
}

/// Reads an account's balances without locking (zeros when its ledger is not open).
pub async fn read_balance(conn: &mut PgConnection, account_id: Uuid) -> Result<BalanceRow> {
    let row: Option<BalanceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {BALANCE_COLUMNS} FROM billing.balances WHERE account_id = $1"
    )))
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.unwrap_or_else(|| BalanceRow::empty(account_id)))
}

/// Locks an account's balances row until the transaction ends; `None` if its ledger is not open.
pub async fn lock_balance(conn: &mut PgConnection, account_id: Uuid) -> Result<Option<BalanceRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {BALANCE_COLUMNS} FROM billing.balances WHERE account_id = $1 FOR UPDATE"
    )))
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Like [`lock_balance`], but `None` at once when another transaction holds the lock (the
/// sweeper leaves busy accounts for its next round).
pub async fn try_lock_balance(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<Option<BalanceRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {BALANCE_COLUMNS} FROM billing.balances WHERE account_id = $1 \
         FOR UPDATE SKIP LOCKED"
    )))
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Opens the account's ledger if needed, then locks it.
pub async fn open_and_lock(conn: &mut PgConnection, account_id: Uuid) -> Result<BalanceRow> {
    if let Some(row) = lock_balance(conn, account_id).await? {
        return Ok(row);
    }
    sqlx::query("INSERT INTO billing.balances (account_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    lock_balance(conn, account_id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("balances row vanished after insert")))
}

/// A stored transfer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransferRow {
    pub id: Uuid,
    pub kind: String,
    pub fingerprint: String,
    pub hold_id: Option<Uuid>,
    pub reason: String,
    pub available_after: i64,
    pub created_at: DateTime<Utc>,
}

/// The transfer an account already posted under `key`, if any.
pub async fn find_transfer(
    conn: &mut PgConnection,
    account_id: Uuid,
    key: &str,
) -> Result<Option<TransferRow>> {
    Ok(sqlx::query_as(
        "SELECT id, kind, fingerprint, hold_id, reason, available_after, created_at \
         FROM billing.transfers WHERE account_id = $1 AND idempotency_key = $2",
    )
    .bind(account_id)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The earlier transfer under `key` when the call repeats it exactly; IDEMPOTENCY_CONFLICT
/// when the key was used for something else.
pub async fn replay(
    conn: &mut PgConnection,
    account_id: Uuid,
    key: &str,
    fingerprint: &str,
) -> Result<Option<TransferRow>> {
    match find_transfer(conn, account_id, key).await? {
        Some(row) if row.fingerprint == fingerprint => Ok(Some(row)),
        Some(_) => Err(idempotency_conflict()),
        None => Ok(None),
    }
}

pub fn idempotency_conflict() -> Error {
    Error::conflict(
        "IDEMPOTENCY_CONFLICT",
        "this idempotency key was already used with other arguments",
    )
}

pub fn insufficient_credits(available: i64, needed: i64) -> Error {
    Error::precondition(
        "INSUFFICIENT_CREDITS",
        format!(
            "not enough credits: {} available, {} needed",
            crate::domain::format_milli(available),
            crate::domain::format_milli(needed)
        ),
    )
}

/// SHA-256 (hex) of an operation and its arguments.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    hex::encode(hasher.finalize())
}

/// Checks a caller-given idempotency key.
pub fn check_key(errors: &mut FieldErrors, key: &str) {
    if key.trim().is_empty() {
        errors.add("idempotency_key", "is required");
    } else if key.len() > MAX_KEY_LEN {
        errors.add(
            "idempotency_key",
            format!("must be at most {MAX_KEY_LEN} characters"),
        );
    } else if key.starts_with(SYSTEM_KEY_PREFIX) || key.chars().any(char::is_control) {
        errors.add(
            "idempotency_key",
            "may not start with \"sys:\" or contain control characters",
        );
    }
}

pub fn check_reason(errors: &mut FieldErrors, reason: &str) {
    if reason.chars().count() > MAX_REASON_LEN {
        errors.add(
            "reason",
            format!("must be at most {MAX_REASON_LEN} characters"),
        );
    }
}

/// A transfer about to be posted.
pub struct NewTransfer<'a> {
    pub kind: Kind,
    pub key: &'a str,
    pub fingerprint: String,
    pub hold_id: Option<Uuid>,
    pub reason: &'a str,
    pub created_by: &'a str,
    pub entries: Entries,
}

/// Posts `transfer` for the locked `balance` (whose `plan_epoch` and `plan_period_start` the
/// caller may have moved on): the transfer, its entries and the new balances go in one
/// statement. Fails with
/// INSUFFICIENT_CREDITS rather than letting any pool go negative.
pub async fn post(
    conn: &mut PgConnection,
    balance: &mut BalanceRow,
    transfer: NewTransfer<'_>,
) -> Result<pb::Transaction> {
    debug_assert!(transfer.entries.is_balanced());
    let before = balance.pools();
    let after = before.apply(&transfer.entries).ok_or_else(|| {
        Error::precondition(
            "INSUFFICIENT_CREDITS",
            "not enough credits: this change would take a balance below zero",
        )
    })?;
    let id = Uuid::now_v7();
    let (pools, amounts): (Vec<&str>, Vec<i64>) = transfer
        .entries
        .iter()
        .map(|(pool, amount)| (pool.as_str(), amount))
        .unzip();
    let created_at: DateTime<Utc> = sqlx::query_scalar(
        "WITH t AS ( \
             INSERT INTO billing.transfers (id, account_id, kind, idempotency_key, fingerprint, \
                 hold_id, reason, available_after, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, created_at), \
         e AS ( \
             INSERT INTO billing.entries (transfer_id, pool, amount) \
             SELECT t.id, u.pool, u.amount FROM t, UNNEST($10::text[], $11::bigint[]) AS u(pool, amount)), \
         b AS ( \
             UPDATE billing.balances SET plan = $12, bonus = $13, held_plan = $14, \
                 held_bonus = $15, spent = $16, plan_epoch = $17, plan_period_start = $18, \
                 updated_at = now() \
             WHERE account_id = $2) \
         SELECT created_at FROM t",
    )
    .bind(id)
    .bind(balance.account_id)
    .bind(transfer.kind.as_str())
    .bind(transfer.key)
    .bind(&transfer.fingerprint)
    .bind(transfer.hold_id)
    .bind(transfer.reason)
    .bind(after.available())
    .bind(transfer.created_by)
    .bind(&pools)
    .bind(&amounts)
    .bind(after.plan)
    .bind(after.bonus)
    .bind(after.held_plan)
    .bind(after.held_bonus)
    .bind(after.spent)
    .bind(balance.plan_epoch)
    .bind(balance.plan_period_start)
    .fetch_one(&mut *conn)
    .await?;
    balance.set_pools(after);
    Ok(view::transaction(
        id,
        transfer.kind.as_str(),
        transfer.hold_id,
        transfer.reason,
        after.available(),
        created_at,
        &transfer.entries,
    ))
}

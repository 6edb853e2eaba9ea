//! Transfers as an account sees them: per-pool changes summed from the entries.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, Result};
use igny8_proto::billing::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    convert::ts,
    domain::{Entries, Pool},
};

/// Per-pool changes of one transfer, as listed.
#[derive(Debug, Default, Clone, Copy, sqlx::FromRow)]
pub struct Deltas {
    pub plan_delta: i64,
    pub bonus_delta: i64,
    pub held_delta: i64,
    pub spent_delta: i64,
}

impl From<&Entries> for Deltas {
    fn from(entries: &Entries) -> Self {
        Self {
            plan_delta: entries.get(Pool::Plan),
            bonus_delta: entries.get(Pool::Bonus),
            held_delta: entries.get(Pool::HeldPlan) + entries.get(Pool::HeldBonus),
            spent_delta: entries.get(Pool::Spent),
        }
    }
}

pub fn transaction(
    id: Uuid,
    kind: &str,
    hold_id: Option<Uuid>,
    reason: &str,
    available_after: i64,
    created_at: DateTime<Utc>,
    entries: &Entries,
) -> pb::Transaction {
    transaction_with(
        id,
        kind,
        hold_id,
        reason,
        available_after,
        created_at,
        Deltas::from(entries),
    )
}

pub fn transaction_with(
    id: Uuid,
    kind: &str,
    hold_id: Option<Uuid>,
    reason: &str,
    available_after: i64,
    created_at: DateTime<Utc>,
    d: Deltas,
) -> pb::Transaction {
    pb::Transaction {
        id: id.to_string(),
        kind: kind.to_owned(),
        amount_milli: d.plan_delta + d.bonus_delta,
        plan_delta_milli: d.plan_delta,
        bonus_delta_milli: d.bonus_delta,
        held_delta_milli: d.held_delta,
        spent_delta_milli: d.spent_delta,
        available_after_milli: available_after,
        hold_id: hold_id.map(|id| id.to_string()).unwrap_or_default(),
        reason: reason.to_owned(),
        created_at: Some(ts(created_at)),
    }
}

/// The stored transfer `id` of `account_id` as the account sees it.
pub async fn load_transaction(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
) -> Result<pb::Transaction> {
    let row: TransactionRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TRANSACTION_SELECT} WHERE t.account_id = $1 AND t.id = $2 GROUP BY t.id"
    )))
    .bind(account_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("transaction"))?;
    Ok(row.into_proto())
}

/// A transfer with its per-pool deltas summed from its entries.
pub const TRANSACTION_SELECT: &str = "SELECT t.id, t.kind, t.hold_id, t.reason, \
     t.available_after, t.created_at, \
     COALESCE(sum(e.amount) FILTER (WHERE e.pool = 'plan'), 0)::bigint AS plan_delta, \
     COALESCE(sum(e.amount) FILTER (WHERE e.pool = 'bonus'), 0)::bigint AS bonus_delta, \
     COALESCE(sum(e.amount) FILTER (WHERE e.pool IN ('held_plan', 'held_bonus')), 0)::bigint AS held_delta, \
     COALESCE(sum(e.amount) FILTER (WHERE e.pool = 'spent'), 0)::bigint AS spent_delta \
     FROM billing.transfers t LEFT JOIN billing.entries e ON e.transfer_id = t.id";

#[derive(Debug, sqlx::FromRow)]
pub struct TransactionRow {
    id: Uuid,
    kind: String,
    hold_id: Option<Uuid>,
    reason: String,
    available_after: i64,
    created_at: DateTime<Utc>,
    #[sqlx(flatten)]
    deltas: Deltas,
}

impl TransactionRow {
    pub fn into_proto(self) -> pb::Transaction {
        transaction_with(
            self.id,
            &self.kind,
            self.hold_id,
            &self.reason,
            self.available_after,
            self.created_at,
            self.deltas,
        )
    }
}

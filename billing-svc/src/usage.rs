//! The usage log: one row per AI call, and the reports built from it.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, Result, error::FieldErrors};
use igny8_proto::billing::v1 as pb;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    convert::{self, ts},
    domain::pricing::OPERATIONS,
    ledger,
};

const MAX_TEXT_LEN: usize = 200;
/// Bounds that keep every sum of a year's usage inside i64.
const MAX_TOKENS: i64 = 1 << 40;
const MAX_COST_MICROS: i64 = 1 << 45;
const MAX_CREDITS: i64 = 1 << 45;

const USAGE_COLUMNS: &str = "id, operation, model, input_tokens, output_tokens, cost_micros, \
     credits, job_id, object_type, object_id, hold_id, created_at";

#[derive(Debug, sqlx::FromRow)]
struct UsageLogRow {
    id: Uuid,
    operation: String,
    model: String,
    input_tokens: i64,
    output_tokens: i64,
    cost_micros: i64,
    credits: i64,
    job_id: String,
    object_type: String,
    object_id: String,
    hold_id: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl UsageLogRow {
    fn into_proto(self, replayed: bool) -> pb::UsageRecord {
        pb::UsageRecord {
            id: self.id.to_string(),
            operation: self.operation,
            model: self.model,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cost_micros: self.cost_micros,
            credits_milli: self.credits,
            job_id: self.job_id,
            object_type: self.object_type,
            object_id: self.object_id,
            hold_id: self.hold_id.map(|id| id.to_string()).unwrap_or_default(),
            created_at: Some(ts(self.created_at)),
            replayed,
        }
    }
}

fn check(req: &pb::RecordUsageRequest) -> Result<Option<Uuid>> {
    let mut errors = FieldErrors::new();
    ledger::check_key(&mut errors, &req.idempotency_key);
    if !OPERATIONS.contains(&req.operation.as_str()) {
        errors.add(
            "operation",
            format!("must be one of {}", OPERATIONS.join(", ")),
        );
    }
    for (field, value, max) in [
        ("input_tokens", req.input_tokens, MAX_TOKENS),
        ("output_tokens", req.output_tokens, MAX_TOKENS),
        ("cost_micros", req.cost_micros, MAX_COST_MICROS),
        ("credits_milli", req.credits_milli, MAX_CREDITS),
    ] {
        if !(0..=max).contains(&value) {
            errors.add(field, format!("must be between 0 and {max}"));
        }
    }
    for (field, value) in [
        ("model", &req.model),
        ("job_id", &req.job_id),
        ("object_type", &req.object_type),
        ("object_id", &req.object_id),
    ] {
        if value.chars().count() > MAX_TEXT_LEN {
            errors.add(field, format!("must be at most {MAX_TEXT_LEN} characters"));
        }
    }
    let hold_id = match req.hold_id.trim() {
        "" => None,
        id => match id.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("hold_id", "must be a hold id");
                None
            }
        },
    };
    errors.into_result()?;
    Ok(hold_id)
}

/// Logs one AI call of the account; the same key again returns the first row.
pub async fn record(
    pool: &PgPool,
    account_id: Uuid,
    req: &pb::RecordUsageRequest,
) -> Result<pb::UsageRecord> {
    let hold_id = check(req)?;
    if let Some(hold_id) = hold_id {
        // Another account's hold is as unknown as a missing one.
        let mut conn = pool.acquire().await?;
        ledger::holds::load(&mut conn, account_id, hold_id).await?;
    }
    let numbers = [
        req.input_tokens,
        req.output_tokens,
        req.cost_micros,
        req.credits_milli,
    ]
    .map(|n| n.to_string());
    let hold = hold_id.map(|id| id.to_string()).unwrap_or_default();
    let fingerprint = ledger::fingerprint(&[
        "usage",
        &req.operation,
        req.model.trim(),
        &numbers[0],
        &numbers[1],
        &numbers[2],
        &numbers[3],
        &req.job_id,
        &req.object_type,
        &req.object_id,
        &hold,
    ]);
    let inserted: Option<UsageLogRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO billing.usage (id, account_id, idempotency_key, fingerprint, operation, \
             model, input_tokens, output_tokens, cost_micros, credits, job_id, object_type, \
             object_id, hold_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT ON CONSTRAINT usage_idempotency_key DO NOTHING RETURNING {USAGE_COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(account_id)
    .bind(&req.idempotency_key)
    .bind(&fingerprint)
    .bind(&req.operation)
    .bind(req.model.trim())
    .bind(req.input_tokens)
    .bind(req.output_tokens)
    .bind(req.cost_micros)
    .bind(req.credits_milli)
    .bind(&req.job_id)
    .bind(&req.object_type)
    .bind(&req.object_id)
    .bind(hold_id)
    .fetch_optional(pool)
    .await?;
    if let Some(row) = inserted {
        return Ok(row.into_proto(false));
    }
    // The key was used: the first row if the arguments match, else a conflict.
    let (earlier_fingerprint, row): (String, UsageLogRow) = {
        #[derive(sqlx::FromRow)]
        struct Earlier {
            fingerprint: String,
            #[sqlx(flatten)]
            row: UsageLogRow,
        }
        let earlier: Earlier = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT fingerprint, {USAGE_COLUMNS} FROM billing.usage \
             WHERE account_id = $1 AND idempotency_key = $2"
        )))
        .bind(account_id)
        .bind(&req.idempotency_key)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("conflicting usage row vanished")))?;
        (earlier.fingerprint, earlier.row)
    };
    if earlier_fingerprint != fingerprint {
        return Err(ledger::idempotency_conflict());
    }
    Ok(row.into_proto(true))
}

#[derive(Debug, sqlx::FromRow)]
struct Aggregate {
    key: String,
    calls: i64,
    credits: i64,
    input_tokens: i64,
    output_tokens: i64,
    cost_micros: i64,
}

impl From<Aggregate> for pb::UsageRow {
    fn from(a: Aggregate) -> Self {
        Self {
            key: a.key,
            calls: a.calls,
            credits_milli: a.credits,
            input_tokens: a.input_tokens,
            output_tokens: a.output_tokens,
            cost_micros: a.cost_micros,
        }
    }
}

/// `key` is an SQL expression over billing.usage; sums are bounded (see the MAX_* limits).
async fn aggregate(
    conn: &mut sqlx::PgConnection,
    key: &'static str,
    account_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<pb::UsageRow>> {
    let rows: Vec<Aggregate> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {key} AS key, count(*) AS calls, COALESCE(sum(credits), 0)::bigint AS credits, \
             COALESCE(sum(input_tokens), 0)::bigint AS input_tokens, \
             COALESCE(sum(output_tokens), 0)::bigint AS output_tokens, \
             COALESCE(sum(cost_micros), 0)::bigint AS cost_micros \
         FROM billing.usage WHERE account_id = $1 AND created_at >= $2 AND created_at < $3 \
         GROUP BY 1 ORDER BY 1"
    )))
    .bind(account_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Usage by operation, by model and by UTC day over `[from, to)`.
pub async fn report(
    pool: &PgPool,
    account_id: Uuid,
    req: &pb::UsageRequest,
) -> Result<pb::UsageReport> {
    let (from, to) = convert::date_range(req.from.as_ref(), req.to.as_ref())?;
    // One snapshot, so the three breakdowns add up to the same totals.
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let by_operation = aggregate(&mut tx, "operation", account_id, from, to).await?;
    let by_model = aggregate(&mut tx, "model", account_id, from, to).await?;
    let by_day = aggregate(
        &mut tx,
        "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        account_id,
        from,
        to,
    )
    .await?;
    tx.commit().await?;
    Ok(pb::UsageReport {
        from: Some(ts(from)),
        to: Some(ts(to)),
        by_operation,
        by_model,
        by_day,
    })
}

/// Totals over `[from, to)`: the usage log, credits captured and added, and the balance now.
pub async fn summary(
    pool: &PgPool,
    account_id: Uuid,
    req: &pb::UsageRequest,
) -> Result<pb::UsageSummaryReport> {
    let (from, to) = convert::date_range(req.from.as_ref(), req.to.as_ref())?;
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let mut total = aggregate(&mut tx, "'total'::text", account_id, from, to).await?;
    let (captured, granted): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(sum(e.amount) FILTER (WHERE e.pool = 'spent'), 0)::bigint, \
             COALESCE(-sum(e.amount) FILTER (WHERE e.pool = 'source'), 0)::bigint \
         FROM billing.transfers t JOIN billing.entries e ON e.transfer_id = t.id \
         WHERE t.account_id = $1 AND t.created_at >= $2 AND t.created_at < $3",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .fetch_one(&mut *tx)
    .await?;
    let balance = ledger::read_balance(&mut tx, account_id).await?;
    tx.commit().await?;
    Ok(pb::UsageSummaryReport {
        from: Some(ts(from)),
        to: Some(ts(to)),
        total: Some(total.pop().unwrap_or_else(|| pb::UsageRow {
            key: "total".into(),
            ..Default::default()
        })),
        captured_milli: captured,
        granted_milli: granted,
        balance: Some(balance.to_proto()),
    })
}

//! The cost table (data, edited by developers) and estimates priced from it.

use chrono::{DateTime, Utc};
use igny8_platform::{Result, error::FieldErrors};
use igny8_proto::billing::v1 as pb;
use sqlx::{PgConnection, PgPool};

use crate::{
    convert::ts,
    domain::pricing::{self, OPERATIONS, PriceError, Quantity, Rate, UNITS},
};

const MAX_MODEL_LEN: usize = 100;
const MAX_ENTRIES: usize = 200;
/// Far above any real price per unit (a million credits).
const MAX_CREDITS_PER_UNIT: i64 = 1_000_000_000;

#[derive(Debug, sqlx::FromRow)]
struct CostRow {
    operation: String,
    model: String,
    unit: String,
    unit_size: i32,
    credits_per_unit: i64,
    tokens_per_credit: Option<i32>,
    min_credits: i64,
    updated_at: DateTime<Utc>,
}

impl CostRow {
    fn rate(&self) -> Rate {
        Rate {
            unit: self.unit.clone(),
            unit_size: i64::from(self.unit_size),
            credits_per_unit: self.credits_per_unit,
            tokens_per_credit: self.tokens_per_credit.map(i64::from),
            min_credits: self.min_credits,
        }
    }

    fn into_proto(self) -> pb::CostEntry {
        pb::CostEntry {
            operation: self.operation,
            model: self.model,
            unit: self.unit,
            unit_size: self.unit_size.max(1) as u32,
            credits_per_unit_milli: self.credits_per_unit,
            tokens_per_credit: self.tokens_per_credit.unwrap_or(0).max(0) as u32,
            min_credits_milli: self.min_credits,
            updated_at: Some(ts(self.updated_at)),
        }
    }
}

const COST_COLUMNS: &str = "operation, model, unit, unit_size, credits_per_unit, \
     tokens_per_credit, min_credits, updated_at";

pub async fn get(pool: &PgPool) -> Result<pb::CostConfig> {
    let mut conn = pool.acquire().await?;
    list(&mut conn).await
}

async fn list(conn: &mut PgConnection) -> Result<pb::CostConfig> {
    let rows: Vec<CostRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COST_COLUMNS} FROM billing.cost_config ORDER BY operation, model"
    )))
    .fetch_all(&mut *conn)
    .await?;
    Ok(pb::CostConfig {
        entries: rows.into_iter().map(CostRow::into_proto).collect(),
    })
}

/// Inserts or replaces the given (operation, model) rows, all or none.
pub async fn update(
    pool: &PgPool,
    req: &pb::UpdateCostConfigRequest,
    updated_by: &str,
) -> Result<pb::CostConfig> {
    let mut errors = FieldErrors::new();
    if req.entries.is_empty() || req.entries.len() > MAX_ENTRIES {
        errors.add(
            "entries",
            format!("must hold between 1 and {MAX_ENTRIES} rows"),
        );
    }
    for (i, entry) in req.entries.iter().enumerate() {
        check_entry(&mut errors, i, entry);
    }
    errors.into_result()?;
    let mut tx = pool.begin().await?;
    for entry in &req.entries {
        sqlx::query(
            "INSERT INTO billing.cost_config (operation, model, unit, unit_size, credits_per_unit, \
                 tokens_per_credit, min_credits, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) \
             ON CONFLICT (operation, model) DO UPDATE SET unit = EXCLUDED.unit, \
                 unit_size = EXCLUDED.unit_size, credits_per_unit = EXCLUDED.credits_per_unit, \
                 tokens_per_credit = EXCLUDED.tokens_per_credit, \
                 min_credits = EXCLUDED.min_credits, updated_by = EXCLUDED.updated_by, \
                 updated_at = now()",
        )
        .bind(&entry.operation)
        .bind(entry.model.trim())
        .bind(&entry.unit)
        .bind(entry.unit_size.max(1) as i32)
        .bind(entry.credits_per_unit_milli)
        .bind((entry.tokens_per_credit > 0).then_some(entry.tokens_per_credit as i32))
        .bind(entry.min_credits_milli)
        .bind(updated_by)
        .execute(&mut *tx)
        .await?;
    }
    let config = list(&mut tx).await?;
    tx.commit().await?;
    tracing::info!(rows = req.entries.len(), updated_by, "cost table updated");
    Ok(config)
}

fn check_entry(errors: &mut FieldErrors, i: usize, entry: &pb::CostEntry) {
    let field = |name: &str| format!("entries[{i}].{name}");
    if !OPERATIONS.contains(&entry.operation.as_str()) {
        errors.add(
            field("operation"),
            format!("must be one of {}", OPERATIONS.join(", ")),
        );
    }
    if entry.model.trim().len() > MAX_MODEL_LEN {
        errors.add(
            field("model"),
            format!("must be at most {MAX_MODEL_LEN} characters"),
        );
    }
    if !UNITS.contains(&entry.unit.as_str()) {
        errors.add(
            field("unit"),
            format!("must be one of {}", UNITS.join(", ")),
        );
    }
    if entry.unit_size > 1_000_000 || (entry.unit == "words" && entry.unit_size == 0) {
        errors.add(field("unit_size"), "must be between 1 and 1000000");
    }
    if !(0..=MAX_CREDITS_PER_UNIT).contains(&entry.credits_per_unit_milli) {
        errors.add(
            field("credits_per_unit_milli"),
            format!("must be between 0 and {MAX_CREDITS_PER_UNIT}"),
        );
    }
    if entry.tokens_per_credit > i32::MAX as u32 {
        errors.add(field("tokens_per_credit"), "is too large");
    }
    if !(0..=MAX_CREDITS_PER_UNIT).contains(&entry.min_credits_milli) {
        errors.add(
            field("min_credits_milli"),
            format!("must be between 0 and {MAX_CREDITS_PER_UNIT}"),
        );
    }
}

/// What an operation would cost: the model's row if it has one, else the operation's default.
pub async fn estimate(pool: &PgPool, req: &pb::EstimateRequest) -> Result<pb::EstimateResponse> {
    if !OPERATIONS.contains(&req.operation.as_str()) {
        return Err(FieldErrors::single(
            "operation",
            format!("must be one of {}", OPERATIONS.join(", ")),
        ));
    }
    if req.model.len() > MAX_MODEL_LEN {
        return Err(FieldErrors::single(
            "model",
            format!("must be at most {MAX_MODEL_LEN} characters"),
        ));
    }
    let row: Option<CostRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COST_COLUMNS} FROM billing.cost_config \
         WHERE operation = $1 AND model IN ('', $2) ORDER BY model DESC LIMIT 1"
    )))
    .bind(&req.operation)
    .bind(req.model.trim())
    .fetch_optional(pool)
    .await?;
    // Every operation has a default row unless a developer deleted it by hand.
    let row = row.ok_or_else(|| {
        FieldErrors::single("operation", "has no price in the cost table; ask support")
    })?;
    let tokens = (req.input_tokens > 0 || req.output_tokens > 0)
        .then(|| req.input_tokens.saturating_add(req.output_tokens));
    let quantity = Quantity {
        words: u64::from(req.words),
        items: u64::from(req.items),
        tokens,
    };
    let price = pricing::price(&row.rate(), quantity).map_err(|err| match err {
        PriceError::WordsRequired => {
            FieldErrors::single("words", format!("is required for {}", req.operation))
        }
        PriceError::TooLarge => {
            let field = match (tokens, row.unit.as_str()) {
                (Some(_), _) => "input_tokens",
                (None, "words") => "words",
                (None, _) => "items",
            };
            FieldErrors::single(field, "is too large to price")
        }
    })?;
    Ok(pb::EstimateResponse {
        operation: row.operation,
        model: row.model,
        credits_milli: price.credits,
        unit: price.unit,
        units: price.units,
    })
}

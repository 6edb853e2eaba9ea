//! The JSON shapes of billing resources, mapped from billing-svc's messages.
//!
//! Credits are integers of milli-credits in billing-svc. Every amount appears twice: as
//! `<name>_milli` (the exact integer, for programs) and as `<name>`, a decimal string with
//! three places (`"12.500"`, for people and for clients that must not round through floats).
//! Provider costs likewise: `cost_micros` (micro-dollars) and `cost_usd` (`"0.002500"`).

use chrono::{DateTime, Utc};
use igny8_proto::billing::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::dto::{non_empty, time};

/// Milli-credits as a decimal string with three places.
pub fn credits(milli: i64) -> String {
    let sign = if milli < 0 { "-" } else { "" };
    let abs = milli.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
}

/// Micro-dollars as a decimal string with six places.
pub fn usd(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Balance {
    /// Plan credits left this period (spent first).
    pub plan: String,
    pub plan_milli: i64,
    /// Purchased credits (never expire).
    pub bonus: String,
    pub bonus_milli: i64,
    /// Reserved by AI jobs in progress.
    pub held: String,
    pub held_milli: i64,
    /// plan + bonus: what new work may use.
    pub available: String,
    pub available_milli: i64,
    pub spent: String,
    pub spent_milli: i64,
    pub plan_slug: Option<String>,
    /// The plan's credits per period.
    pub plan_included: String,
    pub plan_included_milli: i64,
    pub subscription_status: Option<String>,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
}

impl From<pb::Balance> for Balance {
    fn from(b: pb::Balance) -> Self {
        Self {
            plan: credits(b.plan_milli),
            plan_milli: b.plan_milli,
            bonus: credits(b.bonus_milli),
            bonus_milli: b.bonus_milli,
            held: credits(b.held_milli),
            held_milli: b.held_milli,
            available: credits(b.available_milli),
            available_milli: b.available_milli,
            spent: credits(b.spent_milli),
            spent_milli: b.spent_milli,
            plan_slug: non_empty(b.plan_slug),
            plan_included: credits(b.plan_included_milli),
            plan_included_milli: b.plan_included_milli,
            subscription_status: non_empty(b.subscription_status),
            period_start: time(b.period_start),
            period_end: time(b.period_end),
        }
    }
}

/// One ledger movement of the account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Transaction {
    pub id: String,
    /// plan_period, plan_revoke, purchase, refund, adjustment, hold, capture, release, expire.
    pub kind: String,
    /// Change of the available balance.
    pub amount: String,
    pub amount_milli: i64,
    pub plan_delta_milli: i64,
    pub bonus_delta_milli: i64,
    pub held_delta_milli: i64,
    pub spent_delta_milli: i64,
    pub available_after: String,
    pub available_after_milli: i64,
    pub hold_id: Option<String>,
    pub reason: String,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<pb::Transaction> for Transaction {
    fn from(t: pb::Transaction) -> Self {
        Self {
            id: t.id,
            kind: t.kind,
            amount: credits(t.amount_milli),
            amount_milli: t.amount_milli,
            plan_delta_milli: t.plan_delta_milli,
            bonus_delta_milli: t.bonus_delta_milli,
            held_delta_milli: t.held_delta_milli,
            spent_delta_milli: t.spent_delta_milli,
            available_after: credits(t.available_after_milli),
            available_after_milli: t.available_after_milli,
            hold_id: non_empty(t.hold_id),
            reason: t.reason,
            created_at: time(t.created_at),
        }
    }
}

/// Usage of one operation, model or day.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageRow {
    /// The operation, the model, or the UTC day (YYYY-MM-DD).
    pub key: String,
    pub calls: i64,
    pub credits: String,
    pub credits_milli: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_usd: String,
    pub cost_micros: i64,
}

impl From<pb::UsageRow> for UsageRow {
    fn from(r: pb::UsageRow) -> Self {
        Self {
            key: r.key,
            calls: r.calls,
            credits: credits(r.credits_milli),
            credits_milli: r.credits_milli,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            cost_usd: usd(r.cost_micros),
            cost_micros: r.cost_micros,
        }
    }
}

fn rows(rows: Vec<pb::UsageRow>) -> Vec<UsageRow> {
    rows.into_iter().map(Into::into).collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub by_operation: Vec<UsageRow>,
    pub by_model: Vec<UsageRow>,
    pub by_day: Vec<UsageRow>,
}

impl From<pb::UsageReport> for Usage {
    fn from(r: pb::UsageReport) -> Self {
        Self {
            from: time(r.from),
            to: time(r.to),
            by_operation: rows(r.by_operation),
            by_model: rows(r.by_model),
            by_day: rows(r.by_day),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageSummary {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Totals of the AI calls in the range.
    pub total: Option<UsageRow>,
    /// Credits charged in the range.
    pub captured: String,
    pub captured_milli: i64,
    /// Credits added in the range (plan periods, purchases, refunds, adjustments).
    pub granted: String,
    pub granted_milli: i64,
    pub balance: Option<Balance>,
}

impl From<pb::UsageSummaryReport> for UsageSummary {
    fn from(r: pb::UsageSummaryReport) -> Self {
        Self {
            from: time(r.from),
            to: time(r.to),
            total: r.total.map(Into::into),
            captured: credits(r.captured_milli),
            captured_milli: r.captured_milli,
            granted: credits(r.granted_milli),
            granted_milli: r.granted_milli,
            balance: r.balance.map(Into::into),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Estimate {
    pub operation: String,
    /// The model whose price applied (null: the operation's default price).
    pub model: Option<String>,
    pub credits: String,
    pub credits_milli: i64,
    /// run, item, image, words or tokens.
    pub unit: String,
    pub units: u64,
}

impl From<pb::EstimateResponse> for Estimate {
    fn from(e: pb::EstimateResponse) -> Self {
        Self {
            operation: e.operation,
            model: non_empty(e.model),
            credits: credits(e.credits_milli),
            credits_milli: e.credits_milli,
            unit: e.unit,
            units: e.units,
        }
    }
}

/// The price of an operation (for one model, or the operation's default).
#[derive(Debug, Serialize, ToSchema)]
pub struct CostEntry {
    pub operation: String,
    /// null: the operation's default price, for models without their own.
    pub model: Option<String>,
    pub unit: String,
    pub unit_size: u32,
    pub credits_per_unit: String,
    pub credits_per_unit_milli: i64,
    /// null: priced by unit only.
    pub tokens_per_credit: Option<u32>,
    pub min_credits: String,
    pub min_credits_milli: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<pb::CostEntry> for CostEntry {
    fn from(e: pb::CostEntry) -> Self {
        Self {
            operation: e.operation,
            model: non_empty(e.model),
            unit: e.unit,
            unit_size: e.unit_size,
            credits_per_unit: credits(e.credits_per_unit_milli),
            credits_per_unit_milli: e.credits_per_unit_milli,
            tokens_per_credit: (e.tokens_per_credit > 0).then_some(e.tokens_per_credit),
            min_credits: credits(e.min_credits_milli),
            min_credits_milli: e.min_credits_milli,
            updated_at: time(e.updated_at),
        }
    }
}

/// One row to insert or replace; amounts in milli-credits.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostEntryIn {
    #[serde(default)]
    pub operation: String,
    /// Empty or absent: the operation's default row.
    #[serde(default)]
    pub model: String,
    /// run, item, image or words.
    #[serde(default)]
    pub unit: String,
    /// Units per price step (words: 500 = "per 500 words"); default 1.
    #[serde(default)]
    pub unit_size: u32,
    #[serde(default)]
    pub credits_per_unit_milli: i64,
    /// Prices calls by tokens when their token counts are known; 0 or absent: never.
    #[serde(default)]
    pub tokens_per_credit: u32,
    #[serde(default)]
    pub min_credits_milli: i64,
}

/// Rows of the cost table to insert or replace (rows not named are kept).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostConfigIn {
    #[validate(length(min = 1, max = 200))]
    pub entries: Vec<CostEntryIn>,
}

impl From<CostEntryIn> for pb::CostEntry {
    fn from(e: CostEntryIn) -> Self {
        Self {
            operation: e.operation,
            model: e.model,
            unit: e.unit,
            unit_size: e.unit_size,
            credits_per_unit_milli: e.credits_per_unit_milli,
            tokens_per_credit: e.tokens_per_credit,
            min_credits_milli: e.min_credits_milli,
            updated_at: None,
        }
    }
}

/// A manual credit adjustment of any account (developer role).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustIn {
    #[serde(default)]
    pub account_id: String,
    /// Non-zero; negative removes credits.
    #[serde(default)]
    pub amount_milli: i64,
    /// plan or bonus (default bonus).
    #[serde(default)]
    pub pool: String,
    #[serde(default)]
    pub reason: String,
    /// Repeating a request with the same key changes nothing and answers the first result.
    #[serde(default)]
    pub idempotency_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Adjusted {
    pub transaction: Option<Transaction>,
    pub balance: Option<Balance>,
    /// True when the key had been used already (nothing changed).
    pub replayed: bool,
}

impl From<pb::TransferResult> for Adjusted {
    fn from(r: pb::TransferResult) -> Self {
        Self {
            transaction: r.transaction.map(Into::into),
            balance: r.balance.map(Into::into),
            replayed: r.replayed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_render_as_exact_decimal_strings() {
        assert_eq!(credits(12_500), "12.500");
        assert_eq!(credits(-1), "-0.001");
        assert_eq!(credits(0), "0.000");
        assert_eq!(usd(2500), "0.002500");
        assert_eq!(usd(12_345_678), "12.345678");
    }
}

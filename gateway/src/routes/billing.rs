//! `/api/v1/billing/`: credit balance, transaction history, usage analytics, estimates and the
//! cost table, each a thin translation to billing-svc's gRPC, which enforces who may see what:
//! owners and admins read (editors and viewers get 403), developers edit the cost table and
//! adjust credits. Amounts are shown twice, exactly: `*_milli` integers and decimal strings.
//!
//! Dates in `from`/`to` are RFC 3339 times or plain dates (`YYYY-MM-DD`, UTC); a plain date as
//! `to` includes that whole day.

pub(crate) mod dto;

use std::collections::BTreeMap;

use axum::{Router, extract::State, routing::get};
use chrono::{DateTime, NaiveDate, Utc};
use igny8_proto::{
    billing::v1::{self as pb, billing_service_client::BillingServiceClient},
    common::v1::Empty,
};
use tonic::transport::Channel;
use utoipa::{Modify, OpenApi};

use self::dto::{
    AdjustIn, Adjusted, Balance, CostConfigIn, CostEntry, CostEntryIn, Estimate, Transaction,
    Usage, UsageRow, UsageSummary,
};
use crate::{
    auth::Caller,
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ListQuery, ValidJson},
    state::AppState,
};

/// The billing routes, merged into the authenticated router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/billing/credits/balance", get(balance))
        .route("/api/v1/billing/transactions", get(transactions))
        .route("/api/v1/billing/credits/transactions", get(transactions))
        .route("/api/v1/billing/credits/usage", get(usage))
        .route("/api/v1/billing/credits/usage/summary", get(usage_summary))
        .route("/api/v1/billing/credits/estimate", get(estimate))
        .route(
            "/api/v1/billing/cost-config",
            get(cost_config)
                .put(update_cost_config)
                .patch(update_cost_config),
        )
        .route(
            "/api/v1/billing/admin/credits/adjust",
            axum::routing::post(adjust),
        )
}

/// billing-svc over the gateway's long-lived channel (a client per call is a cheap clone).
fn billing(state: &AppState) -> BillingServiceClient<Channel> {
    let channel = state
        .clients
        .upstreams()
        .iter()
        .find(|upstream| upstream.name == "billing")
        .map(|upstream| upstream.channel.clone())
        .expect("the billing upstream is configured");
    BillingServiceClient::new(channel)
}

fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

/// `from` and `to`; field errors name the parameter at fault.
fn range(
    query: &ListQuery,
) -> Result<
    (
        Option<prost_types::Timestamp>,
        Option<prost_types::Timestamp>,
    ),
    ApiError,
> {
    let mut errors = BTreeMap::new();
    let mut parse = |name: &str, end_of_day: bool| {
        let raw = query.param(name).map(str::trim).filter(|v| !v.is_empty())?;
        if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
            return Some(timestamp(at.with_timezone(&Utc)));
        }
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(day) => {
                let day = if end_of_day { day.succ_opt()? } else { day };
                Some(timestamp(day.and_hms_opt(0, 0, 0)?.and_utc()))
            }
            Err(_) => {
                errors.insert(
                    name.to_owned(),
                    vec!["must be a date (YYYY-MM-DD) or an RFC 3339 time".to_owned()],
                );
                None
            }
        }
    };
    let from = parse("from", false);
    let to = parse("to", true);
    if errors.is_empty() {
        Ok((from, to))
    } else {
        Err(ApiError::validation(errors))
    }
}

/// An optional non-negative integer query parameter.
fn number<T: std::str::FromStr + Default>(
    query: &ListQuery,
    name: &str,
    errors: &mut BTreeMap<String, Vec<String>>,
) -> T {
    match query.param(name).map(str::trim).filter(|v| !v.is_empty()) {
        None => T::default(),
        Some(raw) => raw.parse().unwrap_or_else(|_| {
            errors.insert(
                name.to_owned(),
                vec!["must be a non-negative integer".to_owned()],
            );
            T::default()
        }),
    }
}

/// The account's credits: plan, bonus, held, available and spent.
#[utoipa::path(get, path = "/api/v1/billing/credits/balance", tag = "billing",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The balance", body = SuccessBody<Balance>),
        (status = 403, description = "Billing is for owners and admins", body = ErrorBody),
    ))]
pub async fn balance(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Envelope<Balance>> {
    let balance = billing(&state)
        .get_balance(caller.forward(Empty {}))
        .await?
        .into_inner();
    Ok(Envelope::ok(balance.into()))
}

/// Every credit movement of the account, newest first (alias `credits/transactions`).
#[utoipa::path(get, path = "/api/v1/billing/transactions", tag = "billing",
    security(("bearer" = [])),
    params(
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
        ("kind" = Option<String>, Query, description = "Comma-separated kinds: plan_period, plan_revoke, purchase, refund, adjustment, hold, capture, release, expire"),
        ("from" = Option<String>, Query, description = "From this date or time on"),
        ("to" = Option<String>, Query, description = "Up to this date (inclusive) or time (exclusive)"),
    ),
    responses(
        (status = 200, description = "A page of transactions", body = ListBody<Transaction>),
        (status = 400, description = "A bad filter or paging parameter", body = ErrorBody),
        (status = 403, description = "Billing is for owners and admins", body = ErrorBody),
    ))]
pub async fn transactions(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<Transaction>> {
    let (from, to) = range(&query)?;
    let kinds = query
        .param("kind")
        .map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let list = billing(&state)
        .list_transactions(caller.forward(pb::ListTransactionsRequest {
            page: Some(query.page_request()),
            kinds,
            from,
            to,
        }))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    let rows = list.transactions.into_iter().map(Into::into).collect();
    Ok(Paginated::page(rows, count, &query))
}

/// Credits, calls, tokens and provider cost by operation, by model and by day.
#[utoipa::path(get, path = "/api/v1/billing/credits/usage", tag = "billing",
    security(("bearer" = [])),
    params(
        ("from" = Option<String>, Query, description = "Default: 30 days before `to`"),
        ("to" = Option<String>, Query, description = "Default: now; at most 366 days after `from`"),
    ),
    responses(
        (status = 200, description = "Usage in the range", body = SuccessBody<Usage>),
        (status = 400, description = "A bad range", body = ErrorBody),
        (status = 403, description = "Billing is for owners and admins", body = ErrorBody),
    ))]
pub async fn usage(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Envelope<Usage>> {
    let (from, to) = range(&query)?;
    let report = billing(&state)
        .usage(caller.forward(pb::UsageRequest { from, to }))
        .await?
        .into_inner();
    Ok(Envelope::ok(report.into()))
}

/// Totals over a range: AI calls, credits charged and added, and the balance now.
#[utoipa::path(get, path = "/api/v1/billing/credits/usage/summary", tag = "billing",
    security(("bearer" = [])),
    params(
        ("from" = Option<String>, Query, description = "Default: 30 days before `to`"),
        ("to" = Option<String>, Query, description = "Default: now"),
    ),
    responses(
        (status = 200, description = "The summary", body = SuccessBody<UsageSummary>),
        (status = 400, description = "A bad range", body = ErrorBody),
        (status = 403, description = "Billing is for owners and admins", body = ErrorBody),
    ))]
pub async fn usage_summary(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Envelope<UsageSummary>> {
    let (from, to) = range(&query)?;
    let summary = billing(&state)
        .usage_summary(caller.forward(pb::UsageRequest { from, to }))
        .await?
        .into_inner();
    Ok(Envelope::ok(summary.into()))
}

/// What an AI operation would cost with the current cost table.
#[utoipa::path(get, path = "/api/v1/billing/credits/estimate", tag = "billing",
    security(("bearer" = [])),
    params(
        ("operation" = String, Query, description = "clustering, idea_generation, content_generation, image_prompt_extraction, image_generation, linking or optimization"),
        ("words" = Option<u32>, Query, description = "Target words (content_generation)"),
        ("items" = Option<u32>, Query, description = "Items, prompts, images or runs (default 1)"),
        ("model" = Option<String>, Query, description = "The model's own price if it has one"),
        ("input_tokens" = Option<u64>, Query, description = "Price known token counts instead"),
        ("output_tokens" = Option<u64>, Query, description = "Price known token counts instead"),
    ),
    responses(
        (status = 200, description = "The estimate", body = SuccessBody<Estimate>),
        (status = 400, description = "Unknown operation or a missing quantity", body = ErrorBody),
        (status = 403, description = "Billing is for owners and admins", body = ErrorBody),
    ))]
pub async fn estimate(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Envelope<Estimate>> {
    let mut errors = BTreeMap::new();
    let request = pb::EstimateRequest {
        operation: query
            .param("operation")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        words: number(&query, "words", &mut errors),
        items: number(&query, "items", &mut errors),
        model: query.param("model").unwrap_or_default().trim().to_owned(),
        input_tokens: number(&query, "input_tokens", &mut errors),
        output_tokens: number(&query, "output_tokens", &mut errors),
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let estimate = billing(&state)
        .estimate(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(estimate.into()))
}

/// The cost table: each operation's price, and models priced apart.
#[utoipa::path(get, path = "/api/v1/billing/cost-config", tag = "billing",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every row of the cost table", body = ListBody<CostEntry>),
        (status = 403, description = "Billing is for owners and admins", body = ErrorBody),
    ))]
pub async fn cost_config(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Paginated<CostEntry>> {
    let config = billing(&state)
        .get_cost_config(caller.forward(Empty {}))
        .await?
        .into_inner();
    Ok(Paginated::all(
        config.entries.into_iter().map(Into::into).collect(),
    ))
}

/// Inserts or replaces rows of the cost table, all or none (developer role; PATCH too).
#[utoipa::path(put, path = "/api/v1/billing/cost-config", tag = "billing",
    request_body = CostConfigIn,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The whole cost table after the change", body = ListBody<CostEntry>),
        (status = 400, description = "Invalid rows, named `entries[i].field`", body = ErrorBody),
        (status = 403, description = "Only developers edit the cost table", body = ErrorBody),
    ))]
pub async fn update_cost_config(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CostConfigIn>,
) -> ApiResult<Paginated<CostEntry>> {
    let request = pb::UpdateCostConfigRequest {
        entries: input.entries.into_iter().map(Into::into).collect(),
    };
    let config = billing(&state)
        .update_cost_config(caller.forward(request))
        .await?
        .into_inner();
    Ok(Paginated::all(
        config.entries.into_iter().map(Into::into).collect(),
    ))
}

/// Adds credits to, or removes them from, any account's plan or bonus pool (developer role).
#[utoipa::path(post, path = "/api/v1/billing/admin/credits/adjust", tag = "billing",
    request_body = AdjustIn,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The adjustment and the account's balance", body = SuccessBody<Adjusted>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 402, description = "Removing more than the pool holds", body = ErrorBody),
        (status = 403, description = "Only developers adjust credits", body = ErrorBody),
        (status = 409, description = "The idempotency key was used with other arguments", body = ErrorBody),
    ))]
pub async fn adjust(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<AdjustIn>,
) -> ApiResult<Envelope<Adjusted>> {
    let request = pb::AdminAdjustRequest {
        idempotency_key: input.idempotency_key.trim().to_owned(),
        account_id: input.account_id.trim().to_owned(),
        amount_milli: input.amount_milli,
        pool: input.pool.trim().to_owned(),
        reason: input.reason.trim().to_owned(),
    };
    let result = billing(&state)
        .admin_adjust(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(result.into()))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        balance, transactions, usage, usage_summary, estimate, cost_config, update_cost_config,
        adjust,
    ),
    components(schemas(
        ErrorBody, Balance, Transaction, UsageRow, Usage, UsageSummary, Estimate, CostEntry,
        CostEntryIn, CostConfigIn, AdjustIn, Adjusted,
    )),
    tags((name = "billing", description = "Credits, their history and usage, estimates and the cost table"))
)]
struct BillingApi;

/// Adds the billing routes to the API document (see `openapi::ApiDoc`'s modifiers).
pub struct BillingDoc;

impl Modify for BillingDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(BillingApi::openapi());
    }
}

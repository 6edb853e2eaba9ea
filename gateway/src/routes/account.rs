//! The caller's account, the plans on offer, and subscription changes.

use axum::extract::State;
use igny8_proto::{auth::v1 as pb, common::v1::Empty};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Caller,
    dto::{Account, Plan},
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiResult, ErrorBody},
    extract::{ValidJson, trimmed_opt, uuid_opt},
    state::AppState,
    validate::{MAX_NAME, MAX_TOKEN, valid_subscription_status},
};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountIn {
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(length(min = 1, max = "MAX_NAME"))]
    pub name: Option<String>,
    /// IANA zone name such as `Europe/Berlin`.
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(length(min = 1, max = 64))]
    pub timezone: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSubscriptionIn {
    #[serde(default, deserialize_with = "uuid_opt")]
    #[validate(required)]
    #[schema(value_type = String, format = Uuid)]
    pub account_id: Option<Uuid>,
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(length(min = 1, max = "MAX_TOKEN"))]
    pub plan_slug: Option<String>,
    /// active, trial, past_due, suspended or cancelled.
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(custom(function = "valid_subscription_status"))]
    pub status: Option<String>,
    /// Start a new billing period now.
    #[serde(default)]
    pub start_new_period: bool,
}

/// The plans on offer with their limits.
#[utoipa::path(get, path = "/api/v1/auth/plans", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every active plan", body = ListBody<Plan>),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn plans(State(state): State<AppState>, caller: Caller) -> ApiResult<Paginated<Plan>> {
    let list = state
        .auth()
        .list_plans(caller.forward(Empty {}))
        .await?
        .into_inner();
    Ok(Paginated::all(
        list.plans.into_iter().map(Plan::from).collect(),
    ))
}

/// The caller's account with plan and subscription.
#[utoipa::path(get, path = "/api/v1/auth/account", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = SuccessBody<Account>),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn get(State(state): State<AppState>, caller: Caller) -> ApiResult<Envelope<Account>> {
    let account = state
        .auth()
        .get_account(caller.forward(Empty {}))
        .await?
        .into_inner();
    Ok(Envelope::ok(account.into()))
}

/// Renames the account or changes its time zone (owner and admin).
#[utoipa::path(patch, path = "/api/v1/auth/account", tag = "account", request_body = UpdateAccountIn,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed account", body = SuccessBody<Account>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "The caller may not change the account", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<UpdateAccountIn>,
) -> ApiResult<Envelope<Account>> {
    let request = pb::UpdateAccountRequest {
        name: input.name,
        timezone: input.timezone,
    };
    let account = state
        .auth()
        .update_account(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(account.into()))
}

/// Changes an account's plan or subscription status (platform developers; billing does the
/// same over gRPC).
#[utoipa::path(patch, path = "/api/v1/auth/account/subscription", tag = "account", request_body = UpdateSubscriptionIn,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account after the change", body = SuccessBody<Account>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Only platform developers may change subscriptions", body = ErrorBody),
        (status = 404, description = "No such account or plan", body = ErrorBody),
    ))]
pub async fn update_subscription(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<UpdateSubscriptionIn>,
) -> ApiResult<Envelope<Account>> {
    let request = pb::UpdateSubscriptionRequest {
        account_id: input
            .account_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        plan_slug: input.plan_slug,
        status: input.status,
        start_new_period: input.start_new_period,
    };
    let account = state
        .auth()
        .update_subscription(caller.forward(request))
        .await?
        .into_inner();
    // The status change decides what the account may reach; apply it before answering.
    state.security.poll_now().await;
    Ok(Envelope::ok(account.into()))
}

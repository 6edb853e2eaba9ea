//! The caller's account, the plan catalogue, and subscription changes.

use chrono::{Duration, Utc};
use igny8_platform::{Error, Principal, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::auth::v1 as pb;
use uuid::Uuid;

use super::{
    common::{SecurityEvent, parse_id, record_security_event},
    views,
};
use crate::{
    domain::validate,
    events::{self, SubscriptionFacts},
    state::AppState,
};

pub async fn list_plans(state: &AppState) -> Result<pb::PlanList> {
    let rows: Vec<views::PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM auth.plans p WHERE p.is_active ORDER BY p.sort_order, p.slug",
        views::PLAN_COLUMNS
    )))
    .fetch_all(&state.pool)
    .await?;
    Ok(pb::PlanList {
        plans: rows.into_iter().map(Into::into).collect(),
    })
}

pub async fn get(state: &AppState, ctx: &RequestContext) -> Result<pb::Account> {
    let mut conn = state.pool.acquire().await?;
    views::account(&mut conn, ctx.account_id()?).await
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateAccountRequest,
) -> Result<pb::Account> {
    ctx.user()?;
    ctx.require_role(Role::Admin)?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let name = req
        .name
        .as_deref()
        .map(|v| validate::text(&mut errors, "name", v, true, validate::MAX_NAME));
    let timezone = req
        .timezone
        .as_deref()
        .map(|v| validate::timezone(&mut errors, "timezone", v));
    errors.into_result()?;
    let mut conn = state.pool.acquire().await?;
    sqlx::query(
        "UPDATE auth.accounts SET name = COALESCE($2, name), timezone = COALESCE($3, timezone), updated_at = now() \
         WHERE id = $1",
    )
    .bind(account_id)
    .bind(name)
    .bind(timezone)
    .execute(&mut *conn)
    .await?;
    views::account(&mut conn, account_id).await
}

const STATUSES: &[&str] = &["active", "trial", "past_due", "suspended", "cancelled"];

#[derive(sqlx::FromRow)]
struct SubscriptionRow {
    id: Uuid,
    status: String,
    current_period_start: chrono::DateTime<Utc>,
    current_period_end: chrono::DateTime<Utc>,
}

/// Changes plan and/or status; developers (support) and platform services only.
pub async fn update_subscription(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateSubscriptionRequest,
) -> Result<pb::Account> {
    let allowed = matches!(ctx.principal, Principal::Service { .. })
        || matches!(
            ctx.principal,
            Principal::User {
                role: Role::Developer,
                ..
            }
        );
    if !allowed {
        return Err(Error::permission_denied(
            "only the platform's developers can change subscriptions",
        ));
    }
    let account_id = parse_id(&req.account_id, "account")?;
    let mut errors = FieldErrors::new();
    if let Some(status) = &req.status
        && !STATUSES.contains(&status.as_str())
    {
        errors.add("status", format!("must be one of {}", STATUSES.join(", ")));
    }
    errors.into_result()?;
    let mut tx = state.pool.begin().await?;
    let current: SubscriptionRow = sqlx::query_as(
        "SELECT id, status, current_period_start, current_period_end FROM auth.subscriptions \
         WHERE account_id = $1 FOR UPDATE",
    )
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound("account"))?;
    let plan: views::PlanRow = match &req.plan_slug {
        Some(slug) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM auth.plans p WHERE p.slug = $1 AND p.is_active",
            views::PLAN_COLUMNS
        )))
        .bind(slug)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| FieldErrors::single("plan_slug", "no such plan"))?,
        None => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM auth.plans p JOIN auth.accounts a ON a.plan_id = p.id WHERE a.id = $1",
            views::PLAN_COLUMNS
        )))
        .bind(account_id)
        .fetch_one(&mut *tx)
        .await?,
    };
    let status = req.status.clone().unwrap_or(current.status.clone());
    let (period_start, period_end) = if req.start_new_period {
        (Utc::now(), Utc::now() + Duration::days(30))
    } else {
        (current.current_period_start, current.current_period_end)
    };
    sqlx::query(
        "UPDATE auth.subscriptions SET plan_id = $2, status = $3, current_period_start = $4, \
         current_period_end = $5, updated_at = now() WHERE id = $1",
    )
    .bind(current.id)
    .bind(plan.id)
    .bind(&status)
    .bind(period_start)
    .bind(period_end)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE auth.accounts SET plan_id = $2, updated_at = now() WHERE id = $1")
        .bind(account_id)
        .bind(plan.id)
        .execute(&mut *tx)
        .await?;
    if status != current.status {
        record_security_event(
            &mut tx,
            SecurityEvent::AccountStatus {
                account_id,
                status: &status,
            },
        )
        .await?;
    }
    let facts = SubscriptionFacts {
        account_id,
        subscription_id: current.id,
        plan_slug: &plan.slug,
        status: &status,
        included_credits: plan.included_credits,
        period_start,
        period_end,
    };
    events::subscription_changed(&mut tx, &facts, &ctx.request_id).await?;
    let account = views::account(&mut tx, account_id).await?;
    tx.commit().await?;
    Ok(account)
}

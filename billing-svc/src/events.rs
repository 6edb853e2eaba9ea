//! auth-svc's events, consumed through the inbox: `auth.account.created` opens the account's
//! ledger with its plan credits, `auth.subscription.changed` resets or revokes them.
//!
//! The rule implemented (PRODUCT.md §2.5 "two-pool credits"), judged under the account's
//! balances row lock against `plan_period_start`, the period whose plan credits the plan pool
//! holds (none once revoked):
//! - `active` or `trial` for a period not granted yet (a new period, or one revoked before):
//!   the plan pool is set to the plan's included credits and what was left of it expires.
//!   A plan change inside a granted period takes effect at the next period.
//! - `past_due` (renewal unpaid): nothing changes during the grace period (default 24 h after
//!   the period start); after it the plan credits go to zero, here when the event arrives late,
//!   else through the sweeper. Paying later (`active` again) grants the period's credits.
//! - `suspended` and `cancelled` take the plan credits to zero at once.
//! - Bonus credits are never touched. Events older than the last one applied are ignored.
//!
//! A plan reset or revocation also moves the plan epoch on, so the plan part of a hold taken
//! before it expires on release instead of flowing into the new period's pool.
//!
//! Exactly once: the inbox records each message id in the handler's transaction; a
//! re-published event (new message id, same facts) finds its period already granted, so it
//! grants nothing; each plan transfer has a system key from the period and the plan epoch.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use igny8_platform::inbox::{Handler, HandlerError, InboundMessage};
use igny8_proto::events::v1::{AccountCreated, SubscriptionChanged};
use prost_types::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    convert::from_ts,
    domain::MILLI,
    ledger::{self, BalanceRow, grants},
};

/// The queue (before the environment prefix) and inbox key of this consumer.
pub const QUEUE: &str = "billing.auth-events";
pub const ACCOUNT_CREATED: &str = "auth.account.created";
pub const SUBSCRIPTION_CHANGED: &str = "auth.subscription.changed";
pub const ROUTING_KEYS: [&str; 2] = [ACCOUNT_CREATED, SUBSCRIPTION_CHANGED];

/// Test seam: runs at the end of the handler, after its effect is written and before the inbox
/// transaction commits. Production passes none.
pub type AfterEffect = Arc<dyn Fn(&InboundMessage) + Send + Sync>;

/// A subscription as an event describes it.
#[derive(Debug, Clone)]
pub struct SubscriptionFacts {
    pub account_id: Uuid,
    pub plan_slug: String,
    pub status: String,
    /// The plan's included credits, in milli-credits.
    pub included: i64,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub occurred_at: DateTime<Utc>,
}

pub struct AuthEvents {
    pub grace: Duration,
    pub after_effect: Option<AfterEffect>,
}

impl Handler for AuthEvents {
    async fn handle<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        message: &'a InboundMessage,
    ) -> Result<(), HandlerError> {
        let facts = match message.routing_key.as_str() {
            ACCOUNT_CREATED => {
                let event: AccountCreated = message.decode()?;
                parse_facts(
                    &event.account_id,
                    event.plan_slug,
                    "active".to_owned(),
                    event.included_credits,
                    [event.period_start, event.period_end, event.occurred_at],
                )?
            }
            SUBSCRIPTION_CHANGED => {
                let event: SubscriptionChanged = message.decode()?;
                parse_facts(
                    &event.account_id,
                    event.plan_slug,
                    event.status,
                    event.included_credits,
                    [event.period_start, event.period_end, event.occurred_at],
                )?
            }
            other => {
                return Err(HandlerError::Permanent(anyhow::anyhow!(
                    "unexpected routing key {other}"
                )));
            }
        };
        apply_subscription(conn, &facts, self.grace)
            .await
            .map_err(handler_error)?;
        if let Some(hook) = &self.after_effect {
            hook(message);
        }
        Ok(())
    }
}

fn parse_facts(
    account_id: &str,
    plan_slug: String,
    status: String,
    included_credits: i64,
    [start, end, occurred]: [Option<Timestamp>; 3],
) -> Result<SubscriptionFacts, HandlerError> {
    let invalid =
        |what: &str| HandlerError::Permanent(anyhow::anyhow!("event has no valid {what}"));
    let time = |value: Option<Timestamp>, what: &str| {
        value
            .as_ref()
            .and_then(from_ts)
            .ok_or_else(|| invalid(what))
    };
    Ok(SubscriptionFacts {
        account_id: account_id.parse().map_err(|_| invalid("account_id"))?,
        plan_slug,
        status,
        included: included_credits
            .checked_mul(MILLI)
            .filter(|milli| *milli >= 0)
            .ok_or_else(|| invalid("included_credits"))?,
        period_start: time(start, "period_start")?,
        period_end: time(end, "period_end")?,
        occurred_at: time(occurred, "occurred_at")?,
    })
}

fn handler_error(err: igny8_platform::Error) -> HandlerError {
    match err {
        igny8_platform::Error::Db(e) => HandlerError::Transient(e.into()),
        other => HandlerError::Permanent(anyhow::anyhow!("{other}")),
    }
}

/// Records the subscription facts and grants or revokes plan credits by the rule above.
pub async fn apply_subscription(
    conn: &mut PgConnection,
    facts: &SubscriptionFacts,
    grace: Duration,
) -> igny8_platform::Result<()> {
    let mut balance = ledger::open_and_lock(conn, facts.account_id).await?;
    if balance
        .subscription_event_at
        .is_some_and(|last| facts.occurred_at < last)
    {
        tracing::info!(account_id = %facts.account_id, "stale subscription event ignored");
        return Ok(());
    }
    sqlx::query(
        "UPDATE billing.balances SET plan_slug = $2, plan_included = $3, \
             subscription_status = $4, period_start = $5, period_end = $6, \
             subscription_event_at = $7, updated_at = now() \
         WHERE account_id = $1",
    )
    .bind(facts.account_id)
    .bind(&facts.plan_slug)
    .bind(facts.included)
    .bind(&facts.status)
    .bind(facts.period_start)
    .bind(facts.period_end)
    .bind(facts.occurred_at)
    .execute(&mut *conn)
    .await?;
    balance.subscription_status = Some(facts.status.clone());
    match facts.status.as_str() {
        "active" | "trial" if balance.plan_period_start != Some(facts.period_start) => {
            let reason = format!("{} plan credits for the period", facts.plan_slug);
            grants::grant_plan_period(
                conn,
                &mut balance,
                facts.period_start,
                facts.included,
                &reason,
            )
            .await?;
        }
        "active" | "trial" => {}
        "past_due" => {
            let grace_ends = facts.period_start
                + chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
            if Utc::now() >= grace_ends {
                revoke(conn, &mut balance, "auth-events").await?;
            }
        }
        "suspended" | "cancelled" => {
            revoke(conn, &mut balance, "auth-events").await?;
        }
        other => {
            tracing::warn!(account_id = %facts.account_id, status = other, "unknown subscription status; plan credits unchanged");
        }
    }
    Ok(())
}

/// Plan credits to zero, if the plan pool holds any period's grant.
pub async fn revoke(
    conn: &mut PgConnection,
    balance: &mut BalanceRow,
    created_by: &str,
) -> igny8_platform::Result<bool> {
    let status = balance.subscription_status.clone().unwrap_or_default();
    let reason = format!("plan credits revoked: subscription {status}");
    grants::revoke_plan(conn, balance, &reason, created_by).await
}

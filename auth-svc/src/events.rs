//! Events auth-svc publishes, written to the outbox in the transaction that causes them.

use chrono::{DateTime, Utc};
use igny8_proto::events::v1::{AccountCreated, SubscriptionChanged};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ops::common::ts;

pub const ACCOUNT_CREATED: &str = "auth.account.created";
pub const SUBSCRIPTION_CHANGED: &str = "auth.subscription.changed";

/// The subscription facts both events carry.
pub struct SubscriptionFacts<'a> {
    pub account_id: Uuid,
    pub subscription_id: Uuid,
    pub plan_slug: &'a str,
    pub status: &'a str,
    pub included_credits: i64,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

pub async fn account_created(
    conn: &mut PgConnection,
    owner_user_id: Uuid,
    facts: &SubscriptionFacts<'_>,
    request_id: &str,
) -> Result<(), sqlx::Error> {
    let event = AccountCreated {
        account_id: facts.account_id.to_string(),
        owner_user_id: owner_user_id.to_string(),
        plan_slug: facts.plan_slug.to_owned(),
        included_credits: facts.included_credits,
        period_start: Some(ts(facts.period_start)),
        period_end: Some(ts(facts.period_end)),
        occurred_at: Some(ts(Utc::now())),
    };
    igny8_platform::outbox::enqueue(conn, ACCOUNT_CREATED, &event, Some(request_id)).await?;
    Ok(())
}

pub async fn subscription_changed(
    conn: &mut PgConnection,
    facts: &SubscriptionFacts<'_>,
    request_id: &str,
) -> Result<(), sqlx::Error> {
    let event = SubscriptionChanged {
        account_id: facts.account_id.to_string(),
        subscription_id: facts.subscription_id.to_string(),
        plan_slug: facts.plan_slug.to_owned(),
        status: facts.status.to_owned(),
        included_credits: facts.included_credits,
        period_start: Some(ts(facts.period_start)),
        period_end: Some(ts(facts.period_end)),
        occurred_at: Some(ts(Utc::now())),
    };
    igny8_platform::outbox::enqueue(conn, SUBSCRIPTION_CHANGED, &event, Some(request_id)).await?;
    Ok(())
}

//! The background sweeper: expires holds nobody resolved (so a crashed job never keeps credits
//! locked) and revokes plan credits of renewals still unpaid after the grace period.
//!
//! Safe with several replicas: each item is settled in its own transaction that first locks
//! the account's balances row with SKIP LOCKED, and re-checks the item under that lock.

use std::time::Duration;

use igny8_platform::Result;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    events,
    ledger::{self, holds},
};

const BATCH: i64 = 200;

pub struct Sweeper {
    pub pool: PgPool,
    pub interval: Duration,
    pub grace: Duration,
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub holds_expired: usize,
    pub plans_revoked: usize,
}

impl Sweeper {
    /// Sweeps every `interval` until `shutdown`; failures are logged and retried next round.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            match self.sweep_once().await {
                Ok(swept) if swept != Swept::default() => {
                    tracing::info!(
                        holds_expired = swept.holds_expired,
                        plans_revoked = swept.plans_revoked,
                        "sweep"
                    );
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error.message = %err, "sweep failed; retrying"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    /// One round over everything due now.
    pub async fn sweep_once(&self) -> Result<Swept> {
        let mut swept = Swept::default();
        loop {
            let due = holds::due_for_expiry(&self.pool, BATCH).await?;
            let mut expired = 0;
            for (hold_id, account_id) in &due {
                if holds::expire(&self.pool, *hold_id, *account_id).await? {
                    expired += 1;
                }
            }
            swept.holds_expired += expired;
            metrics::counter!("billing_holds_expired_total").increment(expired as u64);
            // A short batch, or one whose accounts were all busy: the rest waits a round.
            if (due.len() as i64) < BATCH || expired == 0 {
                break;
            }
        }
        for account_id in self.unpaid_past_grace().await? {
            if self.revoke_plan(account_id).await? {
                swept.plans_revoked += 1;
            }
        }
        Ok(swept)
    }

    /// Accounts whose renewal is unpaid past the grace period, still holding plan credits.
    async fn unpaid_past_grace(&self) -> Result<Vec<Uuid>> {
        Ok(sqlx::query_scalar(
            "SELECT account_id FROM billing.balances \
             WHERE subscription_status = 'past_due' AND plan_period_start IS NOT NULL \
               AND period_start <= now() - make_interval(secs => $1) \
             LIMIT $2",
        )
        .bind(self.grace.as_secs_f64())
        .bind(BATCH)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn revoke_plan(&self, account_id: Uuid) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let Some(mut balance) = ledger::try_lock_balance(&mut tx, account_id).await? else {
            return Ok(false);
        };
        let grace = chrono::Duration::from_std(self.grace).unwrap_or(chrono::Duration::MAX);
        let due = balance.subscription_status.as_deref() == Some("past_due")
            && balance
                .period_start
                .is_some_and(|start| start + grace <= chrono::Utc::now());
        if !due {
            return Ok(false);
        }
        let revoked = events::revoke(&mut tx, &mut balance, "sweeper").await?;
        tx.commit().await?;
        Ok(revoked)
    }
}

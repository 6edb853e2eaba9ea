//! Repairs what crashes leave behind, in every worker process:
//! - a running job whose lease ran out (its worker died) is queued again;
//! - a queued job nobody claimed for a long time (its message lost, e.g. a queue purged by
//!   hand) is queued again;
//! - a finished job whose hold was not settled (crash between finishing and billing) is
//!   settled now.
//!
//! Each is idempotent, so several workers sweeping at once is harmless.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{
    settle,
    store::{self, JobRow},
};
use crate::state::AppState;

pub async fn run(state: AppState, period: Duration, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(period) => {}
        }
        if let Err(err) = requeue_expired(&state).await {
            tracing::warn!(error.message = %err, "requeueing expired jobs failed");
        }
        if let Err(err) = requeue_forgotten(&state).await {
            tracing::warn!(error.message = %err, "requeueing forgotten jobs failed");
        }
        if let Err(err) = settle_finished(&state).await {
            tracing::warn!(error.message = %err, "settling finished jobs failed");
        }
    }
}

/// Queues again every job whose worker stopped renewing its lease.
pub async fn requeue_expired(state: &AppState) -> anyhow::Result<usize> {
    let mut tx = state.pool.begin().await?;
    // Clearing the lease marks the job as re-queued, so the next sweep does not queue it again.
    let expired: Vec<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE ai.jobs SET lease_owner = NULL, lease_until = NULL, updated_at = now() \
         WHERE id IN (SELECT id FROM ai.jobs \
                      WHERE status = 'running' AND lease_until < now() - interval '1 second' \
                      ORDER BY lease_until LIMIT 200 FOR UPDATE SKIP LOCKED) \
         RETURNING {}",
        store::COLUMNS
    )))
    .fetch_all(&mut *tx)
    .await?;
    for job in &expired {
        store::enqueue_run(&mut tx, job).await?;
    }
    tx.commit().await?;
    if !expired.is_empty() {
        tracing::info!(count = expired.len(), "re-queued jobs whose worker stopped");
    }
    Ok(expired.len())
}

/// Queues again jobs that waited unclaimed for longer than any healthy queue takes. A second
/// message for a job is harmless: the claim takes it once.
pub async fn requeue_forgotten(state: &AppState) -> anyhow::Result<usize> {
    let mut tx = state.pool.begin().await?;
    let forgotten: Vec<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE ai.jobs SET updated_at = now() \
         WHERE id IN (SELECT id FROM ai.jobs \
                      WHERE status = 'queued' AND updated_at < now() - interval '2 minutes' \
                      ORDER BY updated_at LIMIT 200 FOR UPDATE SKIP LOCKED) \
         RETURNING {}",
        store::COLUMNS
    )))
    .fetch_all(&mut *tx)
    .await?;
    for job in &forgotten {
        store::enqueue_run(&mut tx, job).await?;
    }
    tx.commit().await?;
    if !forgotten.is_empty() {
        tracing::warn!(count = forgotten.len(), "re-queued jobs nobody claimed");
    }
    Ok(forgotten.len())
}

/// Settles finished jobs the worker could not settle.
pub async fn settle_finished(state: &AppState) -> anyhow::Result<usize> {
    let pending: Vec<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM ai.jobs WHERE settled_at IS NULL AND finished_at IS NOT NULL \
           AND finished_at < now() - interval '2 seconds' ORDER BY finished_at LIMIT 200",
        store::COLUMNS
    )))
    .fetch_all(&state.pool)
    .await?;
    for job in &pending {
        settle::settle(state, job).await?;
    }
    Ok(pending.len())
}

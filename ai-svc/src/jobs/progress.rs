//! Progress of a running job: the job row's phase/percent/message and an append-only event
//! per step, which watchers stream (a trigger notifies them).
//!
//! Phases (ARCHITECTURE §6): queued, initializing, processing, ai_analysis, saving, then
//! completed, failed or cancelled.

use igny8_platform::Result;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub const INITIALIZING: &str = "initializing";
pub const PROCESSING: &str = "processing";
pub const AI_ANALYSIS: &str = "ai_analysis";
pub const SAVING: &str = "saving";

/// Appends an event (the caller holds the job row or is creating it, so seq cannot race).
pub async fn insert_event(
    conn: &mut PgConnection,
    job_id: Uuid,
    phase: &str,
    percent: i16,
    message: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ai.job_events (job_id, seq, phase, percent, message) \
         SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4 FROM ai.job_events WHERE job_id = $1",
    )
    .bind(job_id)
    .bind(phase)
    .bind(percent)
    .bind(message)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reports a step of `owner`'s job. Percent never goes back, also across attempts.
/// Returns false when the worker no longer holds the job.
pub async fn report(
    pool: &PgPool,
    job_id: Uuid,
    owner: &str,
    phase: &str,
    percent: u8,
    message: &str,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let percent: Option<i16> = sqlx::query_scalar(
        "UPDATE ai.jobs SET phase = $3, percent = GREATEST(percent, $4), message = $5, \
             updated_at = now() \
         WHERE id = $1 AND lease_owner = $2 AND status = 'running' RETURNING percent",
    )
    .bind(job_id)
    .bind(owner)
    .bind(phase)
    .bind(i16::from(percent.min(99)))
    .bind(message)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(percent) = percent else {
        return Ok(false);
    };
    insert_event(&mut tx, job_id, phase, percent, message).await?;
    tx.commit().await?;
    Ok(true)
}

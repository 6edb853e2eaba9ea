//! What one `jobs` configuration came to, read from ai-svc's own job rows (`ai.jobs`): the
//! database's timestamps, so the figures do not depend on how fast the bench polls.

use std::time::Duration;

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use sqlx::PgPool;
use tokio::time::{Instant, sleep};
use uuid::Uuid;

use crate::jobs_workers::Workers;

const POLL: Duration = Duration::from_millis(250);
/// Histogram range in microseconds: 1 µs to one hour at three significant figures.
const HISTOGRAM_MAX_MICROS: u64 = 3_600_000_000;

/// One configuration's result.
pub(crate) struct Figures {
    pub(crate) completed: u64,
    /// Failed or cancelled.
    pub(crate) failed: u64,
    pub(crate) first_failure: Option<String>,
    /// First job created to last job finished.
    pub(crate) span: Duration,
    /// Submit to complete (created_at to finished_at) of the completed jobs.
    pub(crate) latency_micros: Histogram<u64>,
}

impl Figures {
    /// Completed jobs per minute over the whole span.
    pub(crate) fn per_minute(&self) -> f64 {
        let secs = self.span.as_secs_f64();
        if secs > 0.0 {
            self.completed as f64 * 60.0 / secs
        } else {
            0.0
        }
    }

    pub(crate) fn millis_at(&self, quantile: f64) -> f64 {
        self.latency_micros.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub(crate) fn max_millis(&self) -> f64 {
        self.latency_micros.max() as f64 / 1000.0
    }
}

/// Waits until every job has finished (any final status). Fails when `limit` passes first or
/// a worker dies, naming how many are left.
pub(crate) async fn wait_finished(
    pool: &PgPool,
    ids: &[Uuid],
    workers: &mut Workers,
    limit: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let finished: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ai.jobs WHERE id = ANY($1) AND finished_at IS NOT NULL",
        )
        .bind(ids)
        .fetch_one(pool)
        .await
        .context("counting finished jobs in ai.jobs")?;
        let left = ids.len() as i64 - finished;
        if left <= 0 {
            return Ok(());
        }
        workers
            .ensure_running()
            .with_context(|| format!("{left} jobs unfinished"))?;
        if Instant::now() >= deadline {
            bail!(
                "{left} of {} jobs still unfinished after {limit:?}",
                ids.len()
            );
        }
        sleep(POLL).await;
    }
}

/// Reads the finished jobs' statuses and timestamps.
pub(crate) async fn read(pool: &PgPool, ids: &[Uuid]) -> anyhow::Result<Figures> {
    // Microseconds since the epoch, so no date-time type is needed here.
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT status, error_code || ': ' || error_message, \
         (extract(epoch FROM created_at) * 1000000)::bigint, \
         (extract(epoch FROM finished_at) * 1000000)::bigint \
         FROM ai.jobs WHERE id = ANY($1) AND finished_at IS NOT NULL",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
    .context("reading the jobs from ai.jobs")?;
    let mut figures = Figures {
        completed: 0,
        failed: 0,
        first_failure: None,
        span: Duration::ZERO,
        latency_micros: Histogram::new_with_bounds(1, HISTOGRAM_MAX_MICROS, 3)
            .context("creating a latency histogram")?,
    };
    let (mut first_created, mut last_finished) = (i64::MAX, i64::MIN);
    for (status, error, created, finished) in rows {
        first_created = first_created.min(created);
        last_finished = last_finished.max(finished);
        if status == "completed" {
            figures.completed += 1;
            let micros = u64::try_from(finished - created).unwrap_or(0).max(1);
            figures.latency_micros.saturating_record(micros);
        } else {
            figures.failed += 1;
            figures
                .first_failure
                .get_or_insert_with(|| format!("{status}, {error}"));
        }
    }
    if last_finished > first_created {
        figures.span = Duration::from_micros(u64::try_from(last_finished - first_created)?);
    }
    Ok(figures)
}

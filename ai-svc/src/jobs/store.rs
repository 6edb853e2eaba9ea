//! The `ai.jobs` row: creating it, claiming it with a lease, renewing the lease, and the
//! one transition to a finished state.

use chrono::{DateTime, Utc};
use igny8_platform::{Result, outbox};
use igny8_proto::events::v1::{AiJobFinished, AiJobQueued};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool, types::Json};
use uuid::Uuid;

use super::{JobKind, progress};

/// Columns of a job, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Option<Uuid>,
    pub kind: String,
    pub status: String,
    pub phase: String,
    pub percent: i16,
    pub message: String,
    pub input_ids: Vec<Uuid>,
    pub params: Json<JobParams>,
    pub hold_id: Uuid,
    pub estimated_milli: i64,
    pub charged_milli: i64,
    pub output: Option<Json<JobOutput>>,
    pub error_code: String,
    pub error_message: String,
    pub attempts: i32,
    pub cancel_requested: bool,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub request_id: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub settled_at: Option<DateTime<Utc>>,
}

impl JobRow {
    pub fn kind(&self) -> JobKind {
        JobKind::parse(&self.kind).expect("the table's CHECK allows only known kinds")
    }

    pub fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }
}

/// What submit decided for the worker.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JobParams {
    /// The model the job was priced (and will run) with.
    #[serde(default)]
    pub model: String,
    /// In-article image prompts per content (generate_image_prompts).
    #[serde(default)]
    pub in_article_images: u32,
}

/// What a job produced (mirrors the contract's JobOutput).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct JobOutput {
    pub object_type: String,
    pub object_ids: Vec<String>,
    pub succeeded: u32,
    pub failed: u32,
    #[serde(default)]
    pub failures: Vec<ItemFailure>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ItemFailure {
    pub id: String,
    pub error: String,
}

pub const STATUS_QUEUED: &str = "queued";
pub const STATUS_RUNNING: &str = "running";
pub const STATUS_COMPLETED: &str = "completed";
pub const STATUS_FAILED: &str = "failed";
pub const STATUS_CANCELLED: &str = "cancelled";

pub const COLUMNS: &str = "id, account_id, site_id, sector_id, kind, status, phase, percent, message, \
    input_ids, params, hold_id, estimated_milli, charged_milli, output, error_code, error_message, \
    attempts, cancel_requested, lease_owner, lease_until, request_id, created_at, started_at, \
    finished_at, settled_at";

pub struct NewJob<'a> {
    pub id: Uuid,
    pub account_id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Option<Uuid>,
    pub kind: JobKind,
    pub input_ids: &'a [Uuid],
    pub params: JobParams,
    pub hold_id: Uuid,
    pub estimated_milli: i64,
    pub requested_by: &'a str,
    pub request_id: &'a str,
}

/// Inserts the queued job, its first progress event and the message that wakes a worker,
/// in the caller's transaction.
pub async fn insert(conn: &mut PgConnection, job: NewJob<'_>) -> Result<JobRow> {
    let row: JobRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO ai.jobs (id, account_id, site_id, sector_id, kind, status, phase, message, \
         input_ids, params, hold_id, estimated_milli, requested_by, request_id) \
         VALUES ($1, $2, $3, $4, $5, 'queued', 'queued', 'Waiting for a worker', $6, $7, $8, $9, $10, $11) \
         RETURNING {COLUMNS}"
    )))
    .bind(job.id)
    .bind(job.account_id)
    .bind(job.site_id)
    .bind(job.sector_id)
    .bind(job.kind.as_str())
    .bind(job.input_ids)
    .bind(Json(&job.params))
    .bind(job.hold_id)
    .bind(job.estimated_milli)
    .bind(job.requested_by)
    .bind(job.request_id)
    .fetch_one(&mut *conn)
    .await?;
    progress::insert_event(conn, job.id, "queued", 0, "Waiting for a worker").await?;
    enqueue_run(conn, &row).await?;
    Ok(row)
}

/// Queues a message that makes some worker (re)try the job.
pub async fn enqueue_run(conn: &mut PgConnection, job: &JobRow) -> Result<()> {
    let message = AiJobQueued {
        job_id: job.id.to_string(),
        account_id: job.account_id.to_string(),
        kind: job.kind.clone(),
    };
    outbox::enqueue(
        conn,
        &job.kind().queue(),
        &message,
        Some(job.request_id.as_str()).filter(|r| !r.is_empty()),
    )
    .await?;
    Ok(())
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<JobRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ai.jobs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// The job if it belongs to `account_id` (another account's job does not exist).
pub async fn get_for(pool: &PgPool, account_id: Uuid, id: Uuid) -> Result<Option<JobRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ai.jobs WHERE id = $1 AND account_id = $2"
    )))
    .bind(id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?)
}

/// What claiming a job found.
pub enum Claim {
    /// Ours until the lease runs out (renew it).
    Claimed(Box<JobRow>),
    /// Finished already (a duplicate message).
    Finished,
    /// Another worker's lease is live; it finishes the job, or the sweeper re-queues it.
    Busy,
    Missing,
}

/// Takes the job for `owner` for `lease_seconds` unless it is finished or leased by a live
/// worker. Counts the attempt.
pub async fn claim(pool: &PgPool, id: Uuid, owner: &str, lease_seconds: u32) -> Result<Claim> {
    let claimed: Option<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE ai.jobs SET status = 'running', lease_owner = $2, \
             lease_until = now() + make_interval(secs => $3), attempts = attempts + 1, \
             started_at = coalesce(started_at, now()), updated_at = now() \
         WHERE id = $1 AND status IN ('queued', 'running') \
           AND (lease_until IS NULL OR lease_until < now()) \
         RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(owner)
    .bind(f64::from(lease_seconds))
    .fetch_optional(pool)
    .await?;
    if let Some(row) = claimed {
        return Ok(Claim::Claimed(Box::new(row)));
    }
    Ok(match get(pool, id).await? {
        None => Claim::Missing,
        Some(row) if row.is_finished() => Claim::Finished,
        Some(_) => Claim::Busy,
    })
}

/// Extends `owner`'s lease; false when the lease was lost (expired and taken, or finished).
pub async fn renew(pool: &PgPool, id: Uuid, owner: &str, lease_seconds: u32) -> Result<bool> {
    let renewed = sqlx::query(
        "UPDATE ai.jobs SET lease_until = now() + make_interval(secs => $3) \
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(owner)
    .bind(f64::from(lease_seconds))
    .execute(pool)
    .await?
    .rows_affected();
    Ok(renewed == 1)
}

/// Gives the job back (a transient failure or shutdown): the next claim may take it at once.
pub async fn release(pool: &PgPool, id: Uuid, owner: &str) -> Result<()> {
    sqlx::query(
        "UPDATE ai.jobs SET lease_until = now() - interval '1 second' \
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn cancel_requested(pool: &PgPool, id: Uuid) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT cancel_requested FROM ai.jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?
            .unwrap_or(true),
    )
}

/// How a job ends.
pub struct Finish<'a> {
    pub status: &'static str,
    pub charged_milli: i64,
    pub output: Option<&'a JobOutput>,
    pub error_code: &'a str,
    pub error_message: &'a str,
    pub message: &'a str,
}

/// Moves the job to its final state once: with `owner`, only while that worker holds it;
/// without, only while nobody holds a live lease (a cancel of a queued job). Writes the last
/// progress event and the `ai.job.*` event in the same transaction. `None` when the job was
/// not in a state to finish (someone else finished it, or the lease was lost).
pub async fn finish(
    pool: &PgPool,
    id: Uuid,
    owner: Option<&str>,
    finish: Finish<'_>,
) -> Result<Option<JobRow>> {
    let mut tx = pool.begin().await?;
    let phase = finish.status;
    let row: Option<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE ai.jobs SET status = $3, phase = $3, \
             percent = CASE WHEN $3 = 'completed' THEN 100 ELSE percent END, \
             message = $4, charged_milli = $5, output = $6, error_code = $7, error_message = $8, \
             finished_at = now(), lease_owner = NULL, lease_until = NULL, updated_at = now() \
         WHERE id = $1 AND status IN ('queued', 'running') \
           AND (($2::text IS NOT NULL AND lease_owner = $2) \
             OR ($2::text IS NULL AND (lease_until IS NULL OR lease_until < now()))) \
         RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(owner)
    .bind(phase)
    .bind(finish.message)
    .bind(finish.charged_milli)
    .bind(finish.output.map(Json))
    .bind(finish.error_code)
    .bind(finish.error_message)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    progress::insert_event(&mut tx, id, phase, row.percent, finish.message).await?;
    let event = AiJobFinished {
        job_id: row.id.to_string(),
        account_id: row.account_id.to_string(),
        site_id: row.site_id.to_string(),
        kind: row.kind.clone(),
        status: row.status.clone(),
        charged_milli: row.charged_milli,
    };
    outbox::enqueue(
        &mut tx,
        &format!("ai.job.{}", row.status),
        &event,
        Some(row.request_id.as_str()).filter(|r| !r.is_empty()),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(row))
}

/// Records that the job's hold was captured or voided.
pub async fn mark_settled(pool: &PgPool, id: Uuid) -> Result<()> {
    sqlx::query("UPDATE ai.jobs SET settled_at = now() WHERE id = $1 AND settled_at IS NULL")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

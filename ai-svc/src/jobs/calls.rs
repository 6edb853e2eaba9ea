//! The log of a job's provider calls. An answer is saved before anything is applied, so a
//! job that runs again (killed worker, redelivery) reuses it instead of paying twice.

use igny8_platform::Result;
use sqlx::PgPool;
use uuid::Uuid;

use super::run::JobError;
use crate::providers::{ChatProvider, ChatRequest, ImageProvider, ImageRequest, ProviderError};

/// One saved call.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct CallRecord {
    pub step: String,
    pub provider: String,
    pub model: String,
    pub answer: String,
    pub file_ref: String,
    pub input_tokens: i32,
    pub output_tokens: i32,
    pub cost_micros: i64,
    /// Non-empty when the call failed for good.
    pub error: String,
    pub credits_milli: i64,
    pub object_type: String,
    pub object_id: String,
}

const COLUMNS: &str = "step, provider, model, answer, file_ref, input_tokens, output_tokens, \
    cost_micros, error, credits_milli, object_type, object_id";

pub async fn find(pool: &PgPool, job_id: Uuid, step: &str) -> Result<Option<CallRecord>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ai.provider_calls WHERE job_id = $1 AND step = $2"
    )))
    .bind(job_id)
    .bind(step)
    .fetch_optional(pool)
    .await?)
}

/// Every call of the job, in the order they were made.
pub async fn all(pool: &PgPool, job_id: Uuid) -> Result<Vec<CallRecord>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ai.provider_calls WHERE job_id = $1 ORDER BY created_at, step"
    )))
    .bind(job_id)
    .fetch_all(pool)
    .await?)
}

/// Saves a call; a call saved already (a concurrent run) wins and is returned.
pub async fn save(pool: &PgPool, job_id: Uuid, record: CallRecord) -> Result<CallRecord> {
    sqlx::query(
        "INSERT INTO ai.provider_calls (job_id, step, provider, model, answer, file_ref, \
         input_tokens, output_tokens, cost_micros, error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
    )
    .bind(job_id)
    .bind(&record.step)
    .bind(&record.provider)
    .bind(&record.model)
    .bind(&record.answer)
    .bind(&record.file_ref)
    .bind(record.input_tokens)
    .bind(record.output_tokens)
    .bind(record.cost_micros)
    .bind(&record.error)
    .execute(pool)
    .await?;
    Ok(find(pool, job_id, &record.step).await?.unwrap_or(record))
}

/// Attributes credits and the produced object to a call once its result is applied.
pub async fn attribute(
    pool: &PgPool,
    job_id: Uuid,
    step: &str,
    credits_milli: i64,
    object_type: &str,
    object_id: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE ai.provider_calls SET credits_milli = $3, object_type = $4, object_id = $5 \
         WHERE job_id = $1 AND step = $2",
    )
    .bind(job_id)
    .bind(step)
    .bind(credits_milli)
    .bind(object_type)
    .bind(object_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Credits of every applied result of the job.
pub async fn attributed_total(pool: &PgPool, job_id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT coalesce(sum(credits_milli), 0)::bigint FROM ai.provider_calls WHERE job_id = $1",
    )
    .bind(job_id)
    .fetch_one(pool)
    .await?)
}

/// The chat answer of `step`: the saved one, else a provider call (saved before returning).
pub async fn chat(
    pool: &PgPool,
    job_id: Uuid,
    step: &str,
    provider: &dyn ChatProvider,
    request: &ChatRequest,
) -> std::result::Result<CallRecord, JobError> {
    if let Some(saved) = find(pool, job_id, step).await? {
        return Ok(saved);
    }
    let answer = provider
        .complete(request)
        .await
        .map_err(JobError::provider)?;
    let record = CallRecord {
        step: step.to_owned(),
        provider: provider.name().to_owned(),
        model: if answer.model.is_empty() {
            request.model.clone()
        } else {
            answer.model
        },
        answer: answer.text,
        input_tokens: i32::try_from(answer.input_tokens).unwrap_or(i32::MAX),
        output_tokens: i32::try_from(answer.output_tokens).unwrap_or(i32::MAX),
        ..CallRecord::default()
    };
    Ok(save(pool, job_id, record).await?)
}

/// An image call's outcome: the provider's bytes, or why it failed for good.
pub enum ImageOutcome {
    Made(crate::providers::ImageResponse),
    Failed(String),
}

/// Calls the image provider (no saved record is looked up: the caller does, since the file
/// must be stored before the record is saved). Transient failures after the provider's
/// retries count as a failed image, as does a refusal.
pub async fn image(
    provider: &dyn ImageProvider,
    request: &ImageRequest,
) -> std::result::Result<ImageOutcome, JobError> {
    match provider.generate(request).await {
        Ok(response) => Ok(ImageOutcome::Made(response)),
        Err(err @ (ProviderError::Refused { .. } | ProviderError::InvalidResponse(_))) => {
            Ok(ImageOutcome::Failed(err.to_string()))
        }
        Err(err @ ProviderError::Exhausted { .. }) => Ok(ImageOutcome::Failed(err.to_string())),
    }
}

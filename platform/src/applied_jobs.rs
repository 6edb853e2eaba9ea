//! Idempotency of the calls that apply an AI job's results in the service that owns them:
//! each (account, kind, job id) is claimed once, and the response is stored in the same
//! transaction as the effects, so a repeated call answers the first response and writes
//! nothing. Each owning service creates the `applied_jobs` table in its schema (columns
//! account_id, kind, job_id, response, created_at; primary key the first three).

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{Error, Result};

/// The stored response of a job applied before, read without claiming (a repeat can be
/// answered before checks it no longer needs).
pub async fn stored(
    pool: &PgPool,
    account_id: Uuid,
    kind: &str,
    job_id: Uuid,
) -> Result<Option<Vec<u8>>> {
    Ok(sqlx::query_scalar(
        "SELECT response FROM applied_jobs \
         WHERE account_id = $1 AND kind = $2 AND job_id = $3 AND response IS NOT NULL",
    )
    .bind(account_id)
    .bind(kind)
    .bind(job_id)
    .fetch_optional(pool)
    .await?)
}

/// Claims `job_id` for `kind`: `Some(response)` when the job was applied before (the caller
/// answers it and writes nothing). A concurrent call with the same id waits on the unique key
/// until the first commits, then sees its response (or claims it, if the first rolled back).
pub async fn claim(
    conn: &mut PgConnection,
    account_id: Uuid,
    kind: &str,
    job_id: Uuid,
) -> Result<Option<Vec<u8>>> {
    let claimed: Option<i32> = sqlx::query_scalar(
        "INSERT INTO applied_jobs (account_id, kind, job_id) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING RETURNING 1",
    )
    .bind(account_id)
    .bind(kind)
    .bind(job_id)
    .fetch_optional(&mut *conn)
    .await?;
    if claimed.is_some() {
        return Ok(None);
    }
    let response: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT response FROM applied_jobs WHERE account_id = $1 AND kind = $2 AND job_id = $3",
    )
    .bind(account_id)
    .bind(kind)
    .bind(job_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(response.unwrap_or_default()))
}

/// Stores the response of a claimed job (same transaction as its effects).
pub async fn remember<M: prost::Message>(
    conn: &mut PgConnection,
    account_id: Uuid,
    kind: &str,
    job_id: Uuid,
    response: &M,
) -> Result<()> {
    sqlx::query(
        "UPDATE applied_jobs SET response = $4 \
         WHERE account_id = $1 AND kind = $2 AND job_id = $3",
    )
    .bind(account_id)
    .bind(kind)
    .bind(job_id)
    .bind(response.encode_to_vec())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Decodes a stored job response.
pub fn decode<M: prost::Message + Default>(bytes: &[u8]) -> Result<M> {
    M::decode(bytes).map_err(|e| Error::Internal(anyhow::anyhow!("stored job response: {e}")))
}

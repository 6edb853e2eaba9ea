//! Paying for a finished job: capture what its applied results cost (completed, or cancelled
//! after some results), void the hold otherwise (failed, or cancelled before any result), and
//! log every provider call as usage. Every billing call carries an idempotency key derived
//! from the job, so settling twice (a crash in between, the sweeper) charges once.

use igny8_platform::grpc::as_service;
use igny8_proto::billing::v1::{CaptureRequest, EstimateRequest, RecordUsageRequest, VoidRequest};
use tonic::Code;

use super::{
    calls,
    store::{self, JobRow, STATUS_COMPLETED},
};
use crate::state::AppState;

/// Captures or voids the job's hold and records its usage, then marks the job settled.
/// Errors leave it unsettled for the sweeper to retry.
pub async fn settle(state: &AppState, job: &JobRow) -> anyhow::Result<()> {
    if job.settled_at.is_some() || !job.is_finished() {
        return Ok(());
    }
    let token = state.tokens.token().await?;

    let mut billing = state.billing.clone();
    let charge = job.charged_milli.min(job.estimated_milli);
    let settled = if charge > 0 {
        billing
            .capture(for_job(
                &token,
                job,
                CaptureRequest {
                    idempotency_key: format!("job:{}:capture", job.id),
                    hold_id: job.hold_id.to_string(),
                    actual_milli: charge,
                },
            ))
            .await
            .map(|_| ())
    } else {
        billing
            .void(for_job(
                &token,
                job,
                VoidRequest {
                    idempotency_key: format!("job:{}:void", job.id),
                    hold_id: job.hold_id.to_string(),
                },
            ))
            .await
            .map(|_| ())
    };
    match settled {
        Ok(()) => {}
        // The hold ran out (billing's sweeper returned it) or was resolved some other way:
        // nothing is left to settle, and retrying would not change that.
        Err(status) if status.code() == Code::FailedPrecondition => {
            tracing::error!(job_id = %job.id, error.message = %status.message(), "hold could not be settled");
        }
        Err(status) => anyhow::bail!("settling job {}: {status}", job.id),
    }
    let captured = job.status == STATUS_COMPLETED || charge > 0;
    for call in calls::all(&state.pool, job.id).await? {
        billing
            .record_usage(for_job(
                &token,
                job,
                RecordUsageRequest {
                    idempotency_key: format!("job:{}:usage:{}", job.id, call.step),
                    operation: job.kind().operation().to_owned(),
                    model: call.model.clone(),
                    input_tokens: i64::from(call.input_tokens),
                    output_tokens: i64::from(call.output_tokens),
                    cost_micros: call.cost_micros,
                    credits_milli: if captured { call.credits_milli } else { 0 },
                    job_id: job.id.to_string(),
                    object_type: call.object_type.clone(),
                    object_id: call.object_id.clone(),
                    hold_id: job.hold_id.to_string(),
                },
            ))
            .await?;
    }
    store::mark_settled(&state.pool, job.id).await?;
    Ok(())
}

/// A request to billing as ai-svc acting for the job's account.
fn for_job<T>(token: &str, job: &JobRow, message: T) -> tonic::Request<T> {
    as_service(message, token, Some(job.account_id), &job.request_id)
}

/// Credits an operation costs by the current cost table (billing's Estimate), for holds and
/// for what a result actually cost.
pub async fn price(
    state: &AppState,
    account_id: uuid::Uuid,
    request_id: &str,
    estimate: EstimateRequest,
) -> std::result::Result<i64, tonic::Status> {
    let token = state.tokens.token().await?;
    let reply = state
        .billing
        .clone()
        .estimate(as_service(estimate, &token, Some(account_id), request_id))
        .await?;
    Ok(reply.into_inner().credits_milli)
}

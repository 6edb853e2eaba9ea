//! `/api/v1/jobs`: the account's AI jobs (a site key: its site's), one job, and cancelling.

use axum::extract::State;
use igny8_proto::ai::v1 as pb;

use super::dto::Job;
use crate::{
    auth::Caller,
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiResult, ErrorBody},
    extract::{Ids, ListQuery},
    state::AppState,
};

fn job_id(id: uuid::Uuid) -> pb::JobIdRequest {
    pb::JobIdRequest {
        job_id: id.to_string(),
    }
}

/// A list filter as sent (empty when absent); ai-svc names a bad one.
fn filter(query: &ListQuery, name: &str) -> String {
    query
        .param(name)
        .map(str::trim)
        .unwrap_or_default()
        .to_owned()
}

/// The caller's jobs, newest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("kind" = Option<String>, Query, description = "auto_cluster, generate_ideas, generate_content, generate_image_prompts or generate_images"),
        ("status" = Option<String>, Query, description = "queued, running, completed, failed or cancelled"),
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site's jobs"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
    ),
    responses(
        (status = 200, description = "A page of jobs", body = ListBody<Job>),
        (status = 400, description = "A bad filter or paging parameter", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<Job>> {
    let request = pb::ListJobsRequest {
        filter: Some(pb::JobFilter {
            kind: filter(&query, "kind"),
            status: filter(&query, "status"),
            site_id: filter(&query, "site_id"),
        }),
        page: Some(query.page_request()),
    };
    let list = state
        .clients
        .ai()
        .list_jobs(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.jobs.into_iter().map(Job::from).collect(),
        count,
        &query,
    ))
}

/// One job: status, progress, cost and output.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job", body = SuccessBody<Job>),
        (status = 404, description = "No such job for the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<Job>> {
    let Ids([id]) = path;
    let job = state
        .clients
        .ai()
        .get_job(caller.forward(job_id(id)))
        .await?
        .into_inner();
    Ok(Envelope::ok(job.into()))
}

/// Cancels a job: a queued one stops at once (its credits are released), a running one
/// between steps (results applied so far stay, and are charged).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job after the request", body = SuccessBody<Job>),
        (status = 403, description = "Viewers cannot cancel jobs", body = ErrorBody),
        (status = 404, description = "No such job for the caller", body = ErrorBody),
        (status = 409, description = "The job has finished already (JOB_FINISHED)", body = ErrorBody),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<Job>> {
    let Ids([id]) = path;
    let job = state
        .clients
        .ai()
        .cancel_job(caller.forward(job_id(id)))
        .await?
        .into_inner();
    Ok(Envelope::ok(job.into()).with_message("cancel requested"))
}

//! Starting AI jobs: `POST .../auto_cluster`, `auto_generate_ideas`, `auto_generate_content`,
//! `generate_image_prompts`, `generate_images` with `{"ids": [...]}`, answered `202` with the
//! queued job and `Location: /api/v1/jobs/{id}`.

use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use igny8_proto::ai::v1 as pb;

use super::dto::{SubmitIn, Submitted};
use crate::{
    auth::Caller,
    envelope::{Envelope, SuccessBody},
    error::{ApiResult, ErrorBody},
    extract::ValidJson,
    state::AppState,
};

async fn submit(
    state: &AppState,
    caller: &Caller,
    kind: &str,
    input: SubmitIn,
) -> ApiResult<Response> {
    let job = state
        .clients
        .ai()
        .submit_job(caller.forward(pb::SubmitJobRequest {
            kind: kind.to_owned(),
            ids: input.ids,
        }))
        .await?
        .into_inner();
    let location = HeaderValue::from_str(&format!("/api/v1/jobs/{}", job.id)).ok();
    let body = Envelope::accepted(Submitted {
        job_id: job.id.clone(),
        job: job.into(),
    })
    .with_message("job queued");
    Ok(match location {
        Some(location) => ([(header::LOCATION, location)], body).into_response(),
        None => body.into_response(),
    })
}

/// Groups keywords (at most 200, one site) into clusters.
#[utoipa::path(post, path = "/api/v1/planner/keywords/auto_cluster", tag = "jobs",
    request_body = SubmitIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 202, description = "The queued job", body = SuccessBody<Submitted>),
        (status = 400, description = "No ids, too many, or spanning sites (named `ids`)", body = ErrorBody),
        (status = 402, description = "Not enough credits (INSUFFICIENT_CREDITS); no job", body = ErrorBody),
        (status = 403, description = "Viewers cannot run jobs", body = ErrorBody),
        (status = 404, description = "An id is not a keyword of the caller", body = ErrorBody),
        (status = 409, description = "No AI provider is configured (AI_PROVIDER_NOT_CONFIGURED)", body = ErrorBody),
    ))]
pub async fn auto_cluster(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<SubmitIn>,
) -> ApiResult<Response> {
    submit(&state, &caller, "auto_cluster", input).await
}

/// Writes content ideas for clusters (at most 10).
#[utoipa::path(post, path = "/api/v1/planner/clusters/auto_generate_ideas", tag = "jobs",
    request_body = SubmitIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 202, description = "The queued job", body = SuccessBody<Submitted>),
        (status = 400, description = "No ids, too many, or spanning sites (named `ids`)", body = ErrorBody),
        (status = 402, description = "Not enough credits (INSUFFICIENT_CREDITS); no job", body = ErrorBody),
        (status = 403, description = "Viewers cannot run jobs", body = ErrorBody),
        (status = 404, description = "An id is not a cluster of the caller", body = ErrorBody),
        (status = 409, description = "No AI provider is configured (AI_PROVIDER_NOT_CONFIGURED)", body = ErrorBody),
    ))]
pub async fn auto_generate_ideas(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<SubmitIn>,
) -> ApiResult<Response> {
    submit(&state, &caller, "generate_ideas", input).await
}

/// Writes the articles of writer tasks (at most 10).
#[utoipa::path(post, path = "/api/v1/writer/tasks/auto_generate_content", tag = "jobs",
    request_body = SubmitIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 202, description = "The queued job", body = SuccessBody<Submitted>),
        (status = 400, description = "No ids, too many, or spanning sites (named `ids`)", body = ErrorBody),
        (status = 402, description = "Not enough credits (INSUFFICIENT_CREDITS); no job", body = ErrorBody),
        (status = 403, description = "Viewers cannot run jobs", body = ErrorBody),
        (status = 404, description = "An id is not a task of the caller", body = ErrorBody),
        (status = 409, description = "No AI provider is configured (AI_PROVIDER_NOT_CONFIGURED)", body = ErrorBody),
    ))]
pub async fn auto_generate_content(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<SubmitIn>,
) -> ApiResult<Response> {
    submit(&state, &caller, "generate_content", input).await
}

/// Writes image prompts (a featured and in-article images) for content items (at most 10).
#[utoipa::path(post, path = "/api/v1/writer/content/generate_image_prompts", tag = "jobs",
    request_body = SubmitIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 202, description = "The queued job", body = SuccessBody<Submitted>),
        (status = 400, description = "No ids, too many, or spanning sites (named `ids`)", body = ErrorBody),
        (status = 402, description = "Not enough credits (INSUFFICIENT_CREDITS); no job", body = ErrorBody),
        (status = 403, description = "Viewers cannot run jobs", body = ErrorBody),
        (status = 404, description = "An id is not content of the caller", body = ErrorBody),
        (status = 409, description = "No AI provider is configured (AI_PROVIDER_NOT_CONFIGURED)", body = ErrorBody),
    ))]
pub async fn generate_image_prompts(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<SubmitIn>,
) -> ApiResult<Response> {
    submit(&state, &caller, "generate_image_prompts", input).await
}

/// Generates the files of images from their prompts (at most 50); each is then served at
/// `/api/v1/writer/images/{id}/file`.
#[utoipa::path(post, path = "/api/v1/writer/images/generate_images", tag = "jobs",
    request_body = SubmitIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 202, description = "The queued job", body = SuccessBody<Submitted>),
        (status = 400, description = "No ids, too many, or spanning sites (named `ids`)", body = ErrorBody),
        (status = 402, description = "Not enough credits (INSUFFICIENT_CREDITS); no job", body = ErrorBody),
        (status = 403, description = "Viewers cannot run jobs", body = ErrorBody),
        (status = 404, description = "An id is not an image of the caller", body = ErrorBody),
        (status = 409, description = "No image provider is configured (AI_PROVIDER_NOT_CONFIGURED)", body = ErrorBody),
    ))]
pub async fn generate_images(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<SubmitIn>,
) -> ApiResult<Response> {
    submit(&state, &caller, "generate_images", input).await
}

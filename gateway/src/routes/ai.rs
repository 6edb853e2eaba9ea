//! AI jobs: the `auto_*`/`generate_*` actions of planner and writer resources, which answer
//! `202` with a queued job, and `/api/v1/jobs` to follow it (status, list, cancel, and a live
//! Server-Sent Events stream). Each is a thin translation to ai-svc's gRPC, which validates the
//! ids (all the caller's, one site), holds the estimated credits and enforces roles (viewers
//! read; editors, site keys and above run jobs).
//!
//! Refusals: too few credits is `402 INSUFFICIENT_CREDITS`; no provider configured for the
//! kind is `409 AI_PROVIDER_NOT_CONFIGURED` (a precondition the account can fix in its AI
//! settings, mapped like every other FAILED_PRECONDITION); either way no job is created.

mod dto;
mod events;
mod jobs;
mod submit;

use axum::{
    Router,
    routing::{get, post},
};
use utoipa::{Modify, OpenApi};

use crate::{error::ErrorBody, state::AppState};

/// The job routes, merged into the authenticated router. The action paths are static
/// segments, so they win over the resources' `/{id}` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/planner/keywords/auto_cluster",
            post(submit::auto_cluster),
        )
        .route(
            "/api/v1/planner/clusters/auto_generate_ideas",
            post(submit::auto_generate_ideas),
        )
        .route(
            "/api/v1/writer/tasks/auto_generate_content",
            post(submit::auto_generate_content),
        )
        .route(
            "/api/v1/writer/content/generate_image_prompts",
            post(submit::generate_image_prompts),
        )
        .route(
            "/api/v1/writer/images/generate_images",
            post(submit::generate_images),
        )
        .route("/api/v1/jobs", get(jobs::list))
        .route("/api/v1/jobs/{id}", get(jobs::get))
        .route("/api/v1/jobs/{id}/cancel", post(jobs::cancel))
        .route("/api/v1/jobs/{id}/events", get(events::stream))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        submit::auto_cluster, submit::auto_generate_ideas, submit::auto_generate_content,
        submit::generate_image_prompts, submit::generate_images,
        jobs::list, jobs::get, jobs::cancel, events::stream,
    ),
    components(schemas(
        ErrorBody, dto::Job, dto::JobOutput, dto::ItemFailure, dto::JobError, dto::Submitted,
        dto::SubmitIn, dto::Progress,
    )),
    tags((name = "jobs", description = "AI jobs: start one on planner or writer rows, follow its progress, cancel it"))
)]
struct AiApi;

/// Adds the job routes to the API document (see `openapi::ApiDoc`'s modifiers).
pub struct AiDoc;

impl Modify for AiDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(AiApi::openapi());
    }
}

#[cfg(test)]
mod tests {
    use crate::openapi::ApiDoc;

    use super::*;

    #[test]
    fn the_api_document_describes_the_job_routes() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for (path, method) in [
            ("/api/v1/planner/keywords/auto_cluster", "post"),
            ("/api/v1/writer/images/generate_images", "post"),
            ("/api/v1/jobs", "get"),
            ("/api/v1/jobs/{id}/cancel", "post"),
            ("/api/v1/jobs/{id}/events", "get"),
            ("/api/v1/writer/images/{id}/file", "get"),
        ] {
            assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        }
        let submitted = &doc["paths"]["/api/v1/planner/keywords/auto_cluster"]["post"];
        assert!(submitted["responses"]["202"].is_object());
        assert!(doc["components"]["schemas"]["Job"]["properties"]["charged_credits"].is_object());
    }
}

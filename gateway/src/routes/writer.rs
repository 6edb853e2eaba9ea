//! `/api/v1/writer/`: tasks, content (with versions), images and taxonomy terms, each a thin
//! translation to writer-svc's gRPC (which validates, scopes to the caller's account and site,
//! and enforces roles: viewers read, editors and site keys write).
//!
//! List filters travel as sent (`site_id`, `sector_id`, `search`, `ordering`, `status`, ...);
//! writer-svc answers bad values with field errors under the parameter's name.

mod content;
mod dto;
mod image_file;
mod images;
mod tasks;
mod taxonomies;

use axum::{
    Router,
    routing::{get, post},
};
use igny8_proto::writer::v1::writer_service_client::WriterServiceClient;
use tonic::transport::Channel;
use utoipa::{Modify, OpenApi};

use crate::{error::ErrorBody, extract::ListQuery, state::AppState};

/// The id message every writer RPC on one row takes.
fn id(uuid: uuid::Uuid) -> igny8_proto::writer::v1::IdRequest {
    igny8_proto::writer::v1::IdRequest {
        id: uuid.to_string(),
    }
}

/// The writer routes, merged into the authenticated router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/writer/tasks", get(tasks::list).post(tasks::create))
        .route("/api/v1/writer/tasks/bulk_delete", post(tasks::bulk_delete))
        .route("/api/v1/writer/tasks/bulk_update", post(tasks::bulk_update))
        .route(
            "/api/v1/writer/tasks/{id}",
            get(tasks::get).patch(tasks::update).delete(tasks::delete),
        )
        .route(
            "/api/v1/writer/content",
            get(content::list).post(content::create),
        )
        .route(
            "/api/v1/writer/content/bulk_delete",
            post(content::bulk_delete),
        )
        .route(
            "/api/v1/writer/content/{id}",
            get(content::get)
                .patch(content::update)
                .delete(content::delete),
        )
        .route(
            "/api/v1/writer/content/{id}/versions",
            get(content::versions),
        )
        .route(
            "/api/v1/writer/content/{id}/versions/{version}/restore",
            post(content::restore),
        )
        .route(
            "/api/v1/writer/images",
            get(images::list).post(images::create),
        )
        .route(
            "/api/v1/writer/images/bulk_update",
            post(images::bulk_update),
        )
        .route(
            "/api/v1/writer/images/content_images",
            get(images::content_images),
        )
        .route(
            "/api/v1/writer/images/{id}",
            get(images::get)
                .patch(images::update)
                .delete(images::delete),
        )
        .route("/api/v1/writer/images/{id}/file", get(image_file::file))
        .route(
            "/api/v1/writer/taxonomies",
            get(taxonomies::list).post(taxonomies::create),
        )
        .route(
            "/api/v1/writer/taxonomies/{id}",
            get(taxonomies::get)
                .patch(taxonomies::update)
                .delete(taxonomies::delete),
        )
}

/// writer-svc over the gateway's long-lived channel (a client per call is a cheap clone).
fn writer(state: &AppState) -> WriterServiceClient<Channel> {
    let channel = state
        .clients
        .upstreams()
        .iter()
        .find(|upstream| upstream.name == "writer")
        .map(|upstream| upstream.channel.clone())
        .expect("the writer upstream is configured");
    WriterServiceClient::new(channel)
}

/// A list filter as sent (empty when absent).
fn param(query: &ListQuery, name: &str) -> String {
    query
        .param(name)
        .map(str::trim)
        .unwrap_or_default()
        .to_owned()
}

/// A boolean query flag (`true`/`1`).
fn flag(query: &ListQuery, name: &str) -> bool {
    matches!(query.param(name).map(str::trim), Some("true" | "1"))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        tasks::list, tasks::create, tasks::get, tasks::update, tasks::delete,
        tasks::bulk_delete, tasks::bulk_update,
        content::list, content::create, content::get, content::update, content::delete,
        content::bulk_delete, content::versions, content::restore,
        images::list, images::create, images::get, images::update, images::delete,
        images::bulk_update, images::content_images, image_file::file,
        taxonomies::list, taxonomies::create, taxonomies::get, taxonomies::update,
        taxonomies::delete,
    ),
    components(schemas(
        ErrorBody,
        dto::Task, dto::OutlineSection, dto::Content, dto::ContentVersion, dto::Image,
        dto::ContentImages, dto::TaxonomyTerm, dto::BulkResult, dto::IdsIn,
    )),
    tags(
        (name = "writer-tasks", description = "Writing tasks, usually queued from planner ideas"),
        (name = "writer-content", description = "Content items, their editorial workflow and versions"),
        (name = "writer-images", description = "Image prompts and generated images of content"),
        (name = "writer-taxonomies", description = "Categories and tags of a site"),
    )
)]
struct WriterApi;

/// Adds the writer routes to the API document (see `openapi::ApiDoc`'s modifiers).
pub struct WriterDoc;

impl Modify for WriterDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(WriterApi::openapi());
    }
}

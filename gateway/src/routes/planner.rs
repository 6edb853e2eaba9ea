//! `/api/v1/planner/` (keywords, clusters, ideas) and `/api/v1/keywords-library/`, each a thin
//! translation to planner-svc's gRPC, which validates, scopes to the caller's account and
//! site, and enforces roles (viewers read; editors, site keys and above write).
//!
//! List filters travel as sent; numbers and flags are parsed here so a malformed one is a
//! field error under the parameter's name. planner-svc names its own refusals the same way.

mod clusters;
mod dto;
mod files;
mod ideas;
mod keywords;
mod library;

use std::collections::BTreeMap;

use axum::{
    Router,
    routing::{get, post},
};
use igny8_proto::planner::v1::{self as pb, planner_service_client::PlannerServiceClient};
use tonic::transport::Channel;
use utoipa::{Modify, OpenApi};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::ListQuery,
    state::AppState,
};

/// The planner and keyword-library routes, merged into the authenticated router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/planner/keywords",
            get(keywords::list).post(keywords::create),
        )
        .route(
            "/api/v1/planner/keywords/bulk_create",
            post(keywords::bulk_create),
        )
        .route(
            "/api/v1/planner/keywords/bulk_delete",
            post(keywords::bulk_delete),
        )
        .route(
            "/api/v1/planner/keywords/bulk_update",
            post(keywords::bulk_update),
        )
        .route(
            "/api/v1/planner/keywords/bulk_add_from_library",
            post(keywords::bulk_add_from_library),
        )
        .route(
            "/api/v1/planner/keywords/filter_options",
            get(keywords::filter_options),
        )
        .route("/api/v1/planner/keywords/import", post(files::import))
        .route("/api/v1/planner/keywords/export", get(files::export))
        .route(
            "/api/v1/planner/keywords/{id}",
            get(keywords::get)
                .patch(keywords::update)
                .delete(keywords::delete),
        )
        .route(
            "/api/v1/planner/clusters",
            get(clusters::list).post(clusters::create),
        )
        .route(
            "/api/v1/planner/clusters/filter_options",
            get(clusters::filter_options),
        )
        .route(
            "/api/v1/planner/clusters/unassign_keywords",
            post(clusters::unassign_keywords),
        )
        .route(
            "/api/v1/planner/clusters/{id}",
            get(clusters::get)
                .patch(clusters::update)
                .delete(clusters::delete),
        )
        .route(
            "/api/v1/planner/clusters/{id}/assign_keywords",
            post(clusters::assign_keywords),
        )
        .route(
            "/api/v1/planner/ideas",
            get(ideas::list).post(ideas::create),
        )
        .route(
            "/api/v1/planner/ideas/filter_options",
            get(ideas::filter_options),
        )
        .route(
            "/api/v1/planner/ideas/bulk_delete",
            post(ideas::bulk_delete),
        )
        .route(
            "/api/v1/planner/ideas/bulk_queue_to_writer",
            post(ideas::bulk_queue_to_writer),
        )
        .route(
            "/api/v1/planner/ideas/{id}",
            get(ideas::get).patch(ideas::update).delete(ideas::delete),
        )
        .route("/api/v1/keywords-library", get(library::list))
        .route(
            "/api/v1/keywords-library/import",
            post(files::import_library),
        )
}

/// planner-svc over the gateway's long-lived channel (a client per call is a cheap clone).
fn planner(state: &AppState) -> PlannerServiceClient<Channel> {
    let channel = state
        .clients
        .upstreams()
        .iter()
        .find(|upstream| upstream.name == "planner")
        .map(|upstream| upstream.channel.clone())
        .expect("the planner upstream is configured");
    // CSV uploads and exports are larger than gRPC's 4 MiB default.
    PlannerServiceClient::new(channel)
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024)
}

fn id(uuid: uuid::Uuid) -> pb::IdRequest {
    pb::IdRequest {
        id: uuid.to_string(),
    }
}

/// Query parameters read with their parse errors collected, reported together.
struct Params<'a> {
    query: &'a ListQuery,
    errors: BTreeMap<String, Vec<String>>,
}

impl<'a> Params<'a> {
    fn new(query: &'a ListQuery) -> Self {
        Self {
            query,
            errors: BTreeMap::new(),
        }
    }

    /// A parameter as sent (empty when absent).
    fn text(&self, name: &str) -> String {
        self.query
            .param(name)
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    }

    fn number<T: std::str::FromStr>(&mut self, name: &str) -> Option<T> {
        let raw = self
            .query
            .param(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())?;
        let parsed = raw.parse().ok();
        if parsed.is_none() {
            self.errors
                .entry(name.to_owned())
                .or_default()
                .push("must be a whole number of at least 0".to_owned());
        }
        parsed
    }

    fn flag(&mut self, name: &str) -> Option<bool> {
        match self.query.param(name).map(str::trim)? {
            "" => None,
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => {
                self.errors
                    .entry(name.to_owned())
                    .or_default()
                    .push("must be true or false".to_owned());
                None
            }
        }
    }

    fn finish<T>(self, value: T) -> ApiResult<T> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// The keyword filter of a list, export or filter-options request.
fn keyword_filter(query: &ListQuery) -> ApiResult<pb::KeywordFilter> {
    let mut p = Params::new(query);
    let filter = pb::KeywordFilter {
        site_id: p.text("site_id"),
        sector_id: p.text("sector_id"),
        search: p.text("search"),
        status: p.text("status"),
        intent: p.text("intent"),
        source: p.text("source"),
        cluster_id: p.text("cluster_id"),
        disabled: p.flag("disabled"),
        volume_min: p.number("volume_min"),
        volume_max: p.number("volume_max"),
        difficulty_min: p.number("difficulty_min"),
        difficulty_max: p.number("difficulty_max"),
    };
    p.finish(filter)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        keywords::list, keywords::create, keywords::get, keywords::update, keywords::delete,
        keywords::bulk_create, keywords::bulk_delete, keywords::bulk_update,
        keywords::bulk_add_from_library, keywords::filter_options,
        files::import, files::export, files::import_library,
        library::list,
        clusters::list, clusters::create, clusters::get, clusters::update, clusters::delete,
        clusters::assign_keywords, clusters::unassign_keywords, clusters::filter_options,
        ideas::list, ideas::create, ideas::get, ideas::update, ideas::delete,
        ideas::bulk_delete, ideas::bulk_queue_to_writer, ideas::filter_options,
    ),
    components(schemas(
        ErrorBody,
        dto::Keyword, dto::KeywordIn, dto::KeywordsAdded, dto::BulkResult, dto::IdsIn,
        dto::ClusterOption, dto::KeywordFilterOptions, dto::LibraryKeyword, dto::LibraryImport,
        dto::Cluster, dto::ClusterFilterOptions, dto::OutlineSection, dto::Idea, dto::QueuedIdea,
        dto::QueuedIdeas, dto::IdeaFilterOptions,
    )),
    tags(
        (name = "planner-keywords", description = "Keywords of a sector, CSV import and export"),
        (name = "keywords-library", description = "The platform keyword library by industry and sector"),
        (name = "planner-clusters", description = "Topic clusters of keywords"),
        (name = "planner-ideas", description = "Content ideas, queued to the writer as tasks"),
    )
)]
struct PlannerApi;

/// Adds the planner routes to the API document (see `openapi::ApiDoc`'s modifiers).
pub struct PlannerDoc;

impl Modify for PlannerDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(PlannerApi::openapi());
    }
}

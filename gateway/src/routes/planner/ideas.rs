//! `/api/v1/planner/ideas`: content ideas, and queueing them to the writer.

use axum::extract::State;
use igny8_proto::planner::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::{
    Params,
    dto::{BulkResult, Idea, IdeaFilterOptions, IdsIn, OutlineSection, QueuedIdeas, nullable_id},
    id, planner,
};
use crate::{
    auth::Caller,
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiResult, ErrorBody},
    extract::{Ids, ListQuery, ValidJson},
    state::AppState,
};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIdeaIn {
    #[serde(default)]
    pub site_id: String,
    #[serde(default)]
    pub sector_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Ordered sections.
    #[serde(default)]
    pub outline: Vec<OutlineSection>,
    /// The first is the primary keyword.
    #[serde(default)]
    pub target_keywords: Vec<String>,
    /// A cluster of the same sector (it becomes mapped).
    #[serde(default)]
    pub cluster_id: String,
    /// post (default), page, product or taxonomy.
    #[serde(default)]
    pub content_type: String,
    /// article (default), guide, how_to, listicle, comparison, review, pillar or landing_page.
    #[serde(default)]
    pub content_structure: String,
    /// Default 1000.
    #[serde(default)]
    pub estimated_word_count: u32,
}

/// Absent fields stay as they are; `cluster_id: null` (or "") detaches the idea.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIdeaIn {
    pub title: Option<String>,
    pub description: Option<String>,
    pub outline: Option<Vec<OutlineSection>>,
    pub target_keywords: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable_id")]
    pub cluster_id: Option<String>,
    pub content_type: Option<String>,
    pub content_structure: Option<String>,
    pub estimated_word_count: Option<u32>,
    /// new or completed (ideas become queued through bulk_queue_to_writer).
    pub status: Option<String>,
    pub disabled: Option<bool>,
}

fn filter(query: &ListQuery) -> ApiResult<pb::IdeaFilter> {
    let mut p = Params::new(query);
    let filter = pb::IdeaFilter {
        site_id: p.text("site_id"),
        sector_id: p.text("sector_id"),
        search: p.text("search"),
        status: p.text("status"),
        cluster_id: p.text("cluster_id"),
        content_type: p.text("content_type"),
        content_structure: p.text("content_structure"),
        disabled: p.flag("disabled"),
    };
    p.finish(filter)
}

/// Ideas of the caller's account (a site key: of its site).
#[utoipa::path(get, path = "/api/v1/planner/ideas", tag = "planner-ideas",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "Only this sector (needs site_id)"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
        ("search" = Option<String>, Query, description = "Case-insensitive substring of the title"),
        ("ordering" = Option<String>, Query, description = "title, estimated_word_count, status or created_at; prefix - to descend (default -created_at)"),
        ("status" = Option<String>, Query, description = "new, queued or completed"),
        ("cluster_id" = Option<String>, Query, description = "A cluster id, or none"),
        ("content_type" = Option<String>, Query, description = "post, page, product or taxonomy"),
        ("content_structure" = Option<String>, Query, description = "article, guide, how_to, ..."),
        ("disabled" = Option<bool>, Query, description = "Only disabled (true) or enabled (false) ideas"),
    ),
    responses(
        (status = 200, description = "A page of ideas", body = ListBody<Idea>),
        (status = 400, description = "A bad filter, ordering or paging parameter", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<Idea>> {
    let request = pb::ListIdeasRequest {
        filter: Some(filter(&query)?),
        page: Some(query.page_request()),
        ordering: query
            .param("ordering")
            .unwrap_or_default()
            .trim()
            .to_owned(),
    };
    let list = planner(&state)
        .list_ideas(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.ideas.into_iter().map(Idea::from).collect(),
        count,
        &query,
    ))
}

/// Creates an idea in a sector.
#[utoipa::path(post, path = "/api/v1/planner/ideas", tag = "planner-ideas", request_body = CreateIdeaIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The new idea", body = SuccessBody<Idea>),
        (status = 400, description = "Invalid input (outline fields named outline[i].field)", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CreateIdeaIn>,
) -> ApiResult<Envelope<Idea>> {
    let request = pb::CreateIdeaRequest {
        site_id: input.site_id,
        sector_id: input.sector_id,
        title: input.title,
        description: input.description,
        outline: input.outline.into_iter().map(Into::into).collect(),
        target_keywords: input.target_keywords,
        cluster_id: input.cluster_id,
        content_type: input.content_type,
        content_structure: input.content_structure,
        estimated_word_count: input.estimated_word_count,
    };
    let idea = planner(&state)
        .create_idea(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::created(idea.into()))
}

/// One idea.
#[utoipa::path(get, path = "/api/v1/planner/ideas/{id}", tag = "planner-ideas",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Idea id")),
    responses(
        (status = 200, description = "The idea", body = SuccessBody<Idea>),
        (status = 404, description = "No such idea for the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<Idea>> {
    let Ids([uuid]) = path;
    let idea = planner(&state)
        .get_idea(caller.forward(id(uuid)))
        .await?
        .into_inner();
    Ok(Envelope::ok(idea.into()))
}

/// Changes an idea.
#[utoipa::path(patch, path = "/api/v1/planner/ideas/{id}", tag = "planner-ideas", request_body = UpdateIdeaIn,
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Idea id")),
    responses(
        (status = 200, description = "The changed idea", body = SuccessBody<Idea>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such idea for the caller", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<UpdateIdeaIn>,
) -> ApiResult<Envelope<Idea>> {
    let Ids([uuid]) = path;
    let request = pb::UpdateIdeaRequest {
        id: uuid.to_string(),
        title: input.title,
        description: input.description,
        outline: input.outline.map(|sections| pb::Outline {
            sections: sections.into_iter().map(Into::into).collect(),
        }),
        target_keywords: input
            .target_keywords
            .map(|values| pb::StringList { values }),
        cluster_id: input.cluster_id,
        content_type: input.content_type,
        content_structure: input.content_structure,
        estimated_word_count: input.estimated_word_count,
        status: input.status,
        disabled: input.disabled,
    };
    let idea = planner(&state)
        .update_idea(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(idea.into()))
}

/// Deletes an idea.
#[utoipa::path(delete, path = "/api/v1/planner/ideas/{id}", tag = "planner-ideas",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Idea id")),
    responses(
        (status = 200, description = "Deleted (data is null)", body = SuccessBody<Option<String>>),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such idea for the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<()>> {
    let Ids([uuid]) = path;
    planner(&state)
        .delete_idea(caller.forward(id(uuid)))
        .await?;
    Ok(Envelope::done("idea deleted"))
}

/// Deletes ideas by id; ids the caller cannot see are skipped.
#[utoipa::path(post, path = "/api/v1/planner/ideas/bulk_delete", tag = "planner-ideas", request_body = IdsIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "How many were deleted", body = SuccessBody<BulkResult>),
        (status = 400, description = "Missing or malformed ids", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
    ))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<IdsIn>,
) -> ApiResult<Envelope<BulkResult>> {
    let result = planner(&state)
        .bulk_delete_ideas(caller.forward(pb::IdsRequest { ids: input.ids }))
        .await?
        .into_inner();
    Ok(Envelope::ok(result.into()))
}

/// Creates one writer task per idea (at most 100); idempotent: an idea queued before gets its
/// existing task back. Ideas become queued once the writer confirmed.
#[utoipa::path(post, path = "/api/v1/planner/ideas/bulk_queue_to_writer", tag = "planner-ideas", request_body = IdsIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The task of each idea", body = SuccessBody<QueuedIdeas>),
        (status = 400, description = "Missing, malformed or disabled ideas", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 503, description = "The writer is unavailable; nothing changed", body = ErrorBody),
    ))]
pub async fn bulk_queue_to_writer(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<IdsIn>,
) -> ApiResult<Envelope<QueuedIdeas>> {
    let result = planner(&state)
        .queue_ideas_to_writer(caller.forward(pb::IdsRequest { ids: input.ids }))
        .await?
        .into_inner();
    Ok(Envelope::ok(result.into()))
}

/// The values present for each idea filter, given the other filters.
#[utoipa::path(get, path = "/api/v1/planner/ideas/filter_options", tag = "planner-ideas",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "Only this sector (needs site_id)"),
    ),
    responses(
        (status = 200, description = "Values per filter", body = SuccessBody<IdeaFilterOptions>),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn filter_options(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Envelope<IdeaFilterOptions>> {
    let options = planner(&state)
        .idea_filter_options(caller.forward(filter(&query)?))
        .await?
        .into_inner();
    Ok(Envelope::ok(options.into()))
}

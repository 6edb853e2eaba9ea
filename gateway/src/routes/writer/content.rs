//! `/api/v1/writer/content`: content items, their editorial workflow and version history.

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use igny8_proto::writer::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::{
    dto::{BulkResult, Content, ContentVersion, IdsIn},
    flag, param, writer,
};
use crate::{
    auth::Caller,
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{Ids, ListQuery, ValidJson},
    state::AppState,
};

use super::id;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContentIn {
    /// Site and sector may be left out when task_id is given (the task's are used).
    #[serde(default)]
    pub site_id: String,
    #[serde(default)]
    pub sector_id: String,
    #[serde(default)]
    pub task_id: String,
    #[serde(default)]
    pub cluster_id: String,
    #[serde(default)]
    pub title: String,
    /// HTML; sanitised on write (no scripts, event handlers or javascript: URLs).
    #[serde(default)]
    pub content_html: String,
    #[serde(default)]
    pub meta_title: String,
    #[serde(default)]
    pub meta_description: String,
    #[serde(default)]
    pub excerpt: String,
    #[serde(default)]
    pub primary_keyword: String,
    #[serde(default)]
    pub secondary_keywords: Vec<String>,
    /// Ids of categories and tags of the same site.
    #[serde(default)]
    pub taxonomy_term_ids: Vec<String>,
    #[serde(default)]
    pub content_type: String,
    #[serde(default)]
    pub content_structure: String,
    /// igny8 (default), wordpress or import.
    #[serde(default)]
    pub source: String,
    /// draft (default) or review.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub external_id: String,
    #[serde(default)]
    pub external_url: String,
}

/// Absent fields stay as they are. A change of title or body is kept as a new version.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContentIn {
    pub title: Option<String>,
    pub content_html: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub excerpt: Option<String>,
    pub primary_keyword: Option<String>,
    pub secondary_keywords: Option<Vec<String>>,
    /// Replaces the categories and tags (an empty list clears them).
    pub taxonomy_term_ids: Option<Vec<String>>,
    /// An empty string unlinks the cluster.
    pub cluster_id: Option<String>,
    pub content_type: Option<String>,
    pub content_structure: Option<String>,
    /// draft -> review -> approved -> published; review -> draft; approved -> review or draft;
    /// published -> draft. Other moves answer 409 INVALID_TRANSITION.
    pub status: Option<String>,
    /// Schedules publishing of approved content.
    pub scheduled_publish_at: Option<DateTime<Utc>>,
    /// Cancels a schedule.
    #[serde(default)]
    pub clear_schedule: bool,
}

/// Content of the caller's account (a site key: of its site).
#[utoipa::path(get, path = "/api/v1/writer/content", tag = "writer-content",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "Only this sector (needs site_id)"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
        ("search" = Option<String>, Query, description = "Substring of the title or primary keyword"),
        ("ordering" = Option<String>, Query, description = "created_at, updated_at, title, word_count, status, site_status or scheduled_publish_at; prefix - to descend (default -created_at)"),
        ("status" = Option<String>, Query, description = "draft, review, approved or published"),
        ("site_status" = Option<String>, Query, description = "not_published, scheduled, publishing, published or failed"),
        ("source" = Option<String>, Query, description = "igny8, wordpress or import"),
        ("cluster_id" = Option<uuid::Uuid>, Query, description = "Only this cluster's content"),
        ("task_id" = Option<uuid::Uuid>, Query, description = "Only this task's content"),
        ("taxonomy_term_id" = Option<uuid::Uuid>, Query, description = "Only content with this term"),
        ("content_type" = Option<String>, Query, description = "post, page, product or taxonomy"),
        ("content_structure" = Option<String>, Query, description = "article, guide, how_to, ..."),
        ("include_body" = Option<bool>, Query, description = "Include content_html (default false)"),
    ),
    responses(
        (status = 200, description = "A page of content", body = ListBody<Content>),
        (status = 400, description = "A bad filter, ordering or paging parameter", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<Content>> {
    let include_body = flag(&query, "include_body");
    let request = pb::ListContentRequest {
        site_id: param(&query, "site_id"),
        sector_id: param(&query, "sector_id"),
        page: Some(query.page_request()),
        search: param(&query, "search"),
        ordering: param(&query, "ordering"),
        status: param(&query, "status"),
        site_status: param(&query, "site_status"),
        source: param(&query, "source"),
        cluster_id: param(&query, "cluster_id"),
        task_id: param(&query, "task_id"),
        content_type: param(&query, "content_type"),
        content_structure: param(&query, "content_structure"),
        taxonomy_term_id: param(&query, "taxonomy_term_id"),
        include_body,
    };
    let list = writer(&state)
        .list_content(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    let items = list
        .items
        .into_iter()
        .map(|c| Content::new(c, include_body))
        .collect();
    Ok(Paginated::page(items, count, &query))
}

/// Creates a content item (editors and above); its body is sanitised and counted.
#[utoipa::path(post, path = "/api/v1/writer/content", tag = "writer-content", request_body = CreateContentIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The new content item (version 1)", body = SuccessBody<Content>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such site, sector or task for the caller", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CreateContentIn>,
) -> ApiResult<Envelope<Content>> {
    let request = pb::CreateContentRequest {
        site_id: input.site_id,
        sector_id: input.sector_id,
        task_id: input.task_id,
        cluster_id: input.cluster_id,
        title: input.title,
        body_html: input.content_html,
        meta_title: input.meta_title,
        meta_description: input.meta_description,
        excerpt: input.excerpt,
        primary_keyword: input.primary_keyword,
        secondary_keywords: input.secondary_keywords,
        taxonomy_term_ids: input.taxonomy_term_ids,
        content_type: input.content_type,
        content_structure: input.content_structure,
        source: input.source,
        status: input.status,
        external_id: input.external_id,
        external_url: input.external_url,
    };
    let content = writer(&state)
        .create_content(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::created(Content::new(content, true)))
}

/// One content item with its body.
#[utoipa::path(get, path = "/api/v1/writer/content/{id}", tag = "writer-content",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Content id")),
    responses(
        (status = 200, description = "The content item", body = SuccessBody<Content>),
        (status = 404, description = "No such content for the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<Content>> {
    let Ids([content_id]) = path;
    let content = writer(&state)
        .get_content(caller.forward(id(content_id)))
        .await?
        .into_inner();
    Ok(Envelope::ok(Content::new(content, true)))
}

/// Edits a content item, moves its editorial status, or (un)schedules it.
#[utoipa::path(patch, path = "/api/v1/writer/content/{id}", tag = "writer-content", request_body = UpdateContentIn,
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Content id")),
    responses(
        (status = 200, description = "The changed content item", body = SuccessBody<Content>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such content for the caller", body = ErrorBody),
        (status = 409, description = "A refused status move (INVALID_TRANSITION) or scheduling of unapproved content (NOT_APPROVED)", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<UpdateContentIn>,
) -> ApiResult<Envelope<Content>> {
    let Ids([content_id]) = path;
    let request = pb::UpdateContentRequest {
        id: content_id.to_string(),
        title: input.title,
        body_html: input.content_html,
        meta_title: input.meta_title,
        meta_description: input.meta_description,
        excerpt: input.excerpt,
        primary_keyword: input.primary_keyword,
        secondary_keywords: input
            .secondary_keywords
            .map(|values| pb::StringList { values }),
        taxonomy_term_ids: input.taxonomy_term_ids.map(|ids| pb::IdList { ids }),
        cluster_id: input.cluster_id,
        content_type: input.content_type,
        content_structure: input.content_structure,
        status: input.status,
        scheduled_publish_at: input.scheduled_publish_at.map(igny8_platform::wire::ts),
        clear_schedule: input.clear_schedule,
    };
    let content = writer(&state)
        .update_content(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(Content::new(content, true)))
}

/// Deletes a content item with its images and versions.
#[utoipa::path(delete, path = "/api/v1/writer/content/{id}", tag = "writer-content",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Content id")),
    responses(
        (status = 200, description = "Deleted (data is null)", body = SuccessBody<Option<String>>),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such content for the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<()>> {
    let Ids([content_id]) = path;
    writer(&state)
        .delete_content(caller.forward(id(content_id)))
        .await?;
    Ok(Envelope::done("content deleted"))
}

/// Deletes the caller's content among `ids` (others are skipped).
#[utoipa::path(post, path = "/api/v1/writer/content/bulk_delete", tag = "writer-content", request_body = IdsIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "How many were deleted", body = SuccessBody<BulkResult>),
        (status = 400, description = "No ids, too many, or a malformed one", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
    ))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<IdsIn>,
) -> ApiResult<Envelope<BulkResult>> {
    let request = pb::BulkIdsRequest { ids: input.ids };
    let result = writer(&state)
        .bulk_delete_content(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(result.into()))
}

/// Versions of a content item's title and body, newest first.
#[utoipa::path(get, path = "/api/v1/writer/content/{id}/versions", tag = "writer-content",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Content id"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
    ),
    responses(
        (status = 200, description = "A page of versions", body = ListBody<ContentVersion>),
        (status = 404, description = "No such content for the caller", body = ErrorBody),
    ))]
pub async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    query: ListQuery,
) -> ApiResult<Paginated<ContentVersion>> {
    let Ids([content_id]) = path;
    let request = pb::ListContentVersionsRequest {
        content_id: content_id.to_string(),
        page: Some(query.page_request()),
    };
    let list = writer(&state)
        .list_content_versions(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.versions
            .into_iter()
            .map(ContentVersion::from)
            .collect(),
        count,
        &query,
    ))
}

/// Makes an old version current again (recorded as a new version).
#[utoipa::path(post, path = "/api/v1/writer/content/{id}/versions/{version}/restore", tag = "writer-content",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Content id"),
        ("version" = u32, Path, description = "The version to restore"),
    ),
    responses(
        (status = 200, description = "The content item at its new version", body = SuccessBody<Content>),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such content or version for the caller", body = ErrorBody),
    ))]
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    Path((content_id, version)): Path<(String, String)>,
) -> ApiResult<Envelope<Content>> {
    // Neither a malformed id nor a malformed version can name a version: 404 like an unknown one.
    let content_id = uuid::Uuid::try_parse(&content_id).map_err(|_| ApiError::not_found())?;
    let version: u32 = version.parse().map_err(|_| ApiError::not_found())?;
    let request = pb::RestoreContentVersionRequest {
        content_id: content_id.to_string(),
        version,
    };
    let content = writer(&state)
        .restore_content_version(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(Content::new(content, true)))
}

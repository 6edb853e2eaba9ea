//! `/api/v1/writer/tasks`: writing tasks.

use axum::extract::State;
use igny8_proto::writer::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::{
    dto::{BulkResult, IdsIn, OutlineSection, Task},
    param, writer,
};
use crate::{
    auth::Caller,
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiResult, ErrorBody},
    extract::{Ids, ListQuery, ValidJson},
    state::AppState,
};

use super::id;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTaskIn {
    #[serde(default)]
    pub site_id: String,
    #[serde(default)]
    pub sector_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub brief: String,
    #[serde(default)]
    pub cluster_id: String,
    /// A planner idea may have one task.
    #[serde(default)]
    pub idea_id: String,
    #[serde(default)]
    pub primary_keyword: String,
    #[serde(default)]
    pub secondary_keywords: Vec<String>,
    /// post (default), page, product or taxonomy.
    #[serde(default)]
    pub content_type: String,
    /// article (default), guide, how_to, listicle, comparison, review, pillar or landing_page.
    #[serde(default)]
    pub content_structure: String,
    /// 100-20000 (default 1000).
    #[serde(default)]
    pub target_word_count: u32,
    #[serde(default)]
    pub taxonomy_term_id: String,
    #[serde(default)]
    pub outline: Vec<OutlineSection>,
    /// queued (default), in_progress, completed or failed.
    #[serde(default)]
    pub status: String,
}

/// Absent fields stay as they are; an empty id clears the reference.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTaskIn {
    pub title: Option<String>,
    pub brief: Option<String>,
    pub cluster_id: Option<String>,
    pub primary_keyword: Option<String>,
    pub secondary_keywords: Option<Vec<String>>,
    pub content_type: Option<String>,
    pub content_structure: Option<String>,
    pub target_word_count: Option<u32>,
    pub taxonomy_term_id: Option<String>,
    pub status: Option<String>,
    pub outline: Option<Vec<OutlineSection>>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdateTasksIn {
    #[serde(default)]
    pub ids: Vec<String>,
    pub status: Option<String>,
    /// An empty string unassigns the cluster.
    pub cluster_id: Option<String>,
}

/// Tasks of the caller's account (a site key: of its site).
#[utoipa::path(get, path = "/api/v1/writer/tasks", tag = "writer-tasks",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "Only this sector (needs site_id)"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
        ("search" = Option<String>, Query, description = "Substring of the title or keywords"),
        ("ordering" = Option<String>, Query, description = "created_at, updated_at, title, status, target_word_count or content_type; prefix - to descend (default -created_at)"),
        ("status" = Option<String>, Query, description = "queued, in_progress, completed or failed"),
        ("cluster_id" = Option<uuid::Uuid>, Query, description = "Only this cluster's tasks"),
        ("idea_id" = Option<uuid::Uuid>, Query, description = "The task of this idea"),
        ("content_type" = Option<String>, Query, description = "post, page, product or taxonomy"),
        ("content_structure" = Option<String>, Query, description = "article, guide, how_to, ..."),
    ),
    responses(
        (status = 200, description = "A page of tasks", body = ListBody<Task>),
        (status = 400, description = "A bad filter, ordering or paging parameter", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<Task>> {
    let request = pb::ListTasksRequest {
        site_id: param(&query, "site_id"),
        sector_id: param(&query, "sector_id"),
        page: Some(query.page_request()),
        search: param(&query, "search"),
        ordering: param(&query, "ordering"),
        status: param(&query, "status"),
        cluster_id: param(&query, "cluster_id"),
        idea_id: param(&query, "idea_id"),
        content_type: param(&query, "content_type"),
        content_structure: param(&query, "content_structure"),
    };
    let list = writer(&state)
        .list_tasks(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.tasks.into_iter().map(Task::from).collect(),
        count,
        &query,
    ))
}

/// Creates a task in a sector (editors and above).
#[utoipa::path(post, path = "/api/v1/writer/tasks", tag = "writer-tasks", request_body = CreateTaskIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The new task", body = SuccessBody<Task>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
        (status = 409, description = "The idea already has a task (TASK_EXISTS)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CreateTaskIn>,
) -> ApiResult<Envelope<Task>> {
    let request = pb::CreateTaskRequest {
        site_id: input.site_id,
        sector_id: input.sector_id,
        title: input.title,
        brief: input.brief,
        cluster_id: input.cluster_id,
        idea_id: input.idea_id,
        primary_keyword: input.primary_keyword,
        secondary_keywords: input.secondary_keywords,
        content_type: input.content_type,
        content_structure: input.content_structure,
        target_word_count: input.target_word_count,
        taxonomy_term_id: input.taxonomy_term_id,
        outline: input.outline.into_iter().map(Into::into).collect(),
        status: input.status,
    };
    let task = writer(&state)
        .create_task(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::created(task.into()))
}

/// One task.
#[utoipa::path(get, path = "/api/v1/writer/tasks/{id}", tag = "writer-tasks",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Task id")),
    responses(
        (status = 200, description = "The task", body = SuccessBody<Task>),
        (status = 404, description = "No such task for the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<Task>> {
    let Ids([task_id]) = path;
    let task = writer(&state)
        .get_task(caller.forward(id(task_id)))
        .await?
        .into_inner();
    Ok(Envelope::ok(task.into()))
}

/// Changes a task; absent fields stay as they are.
#[utoipa::path(patch, path = "/api/v1/writer/tasks/{id}", tag = "writer-tasks", request_body = UpdateTaskIn,
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Task id")),
    responses(
        (status = 200, description = "The changed task", body = SuccessBody<Task>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such task for the caller", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<UpdateTaskIn>,
) -> ApiResult<Envelope<Task>> {
    let Ids([task_id]) = path;
    let request = pb::UpdateTaskRequest {
        id: task_id.to_string(),
        title: input.title,
        brief: input.brief,
        cluster_id: input.cluster_id,
        primary_keyword: input.primary_keyword,
        secondary_keywords: input
            .secondary_keywords
            .map(|values| pb::StringList { values }),
        content_type: input.content_type,
        content_structure: input.content_structure,
        target_word_count: input.target_word_count,
        taxonomy_term_id: input.taxonomy_term_id,
        status: input.status,
        outline: input.outline.map(|sections| pb::Outline {
            sections: sections.into_iter().map(Into::into).collect(),
        }),
    };
    let task = writer(&state)
        .update_task(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(task.into()))
}

/// Deletes a task (its content stays, unlinked).
#[utoipa::path(delete, path = "/api/v1/writer/tasks/{id}", tag = "writer-tasks",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Task id")),
    responses(
        (status = 200, description = "Deleted (data is null)", body = SuccessBody<Option<String>>),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such task for the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<()>> {
    let Ids([task_id]) = path;
    writer(&state)
        .delete_task(caller.forward(id(task_id)))
        .await?;
    Ok(Envelope::done("task deleted"))
}

/// Deletes the caller's tasks among `ids` (others are skipped).
#[utoipa::path(post, path = "/api/v1/writer/tasks/bulk_delete", tag = "writer-tasks", request_body = IdsIn,
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
        .bulk_delete_tasks(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(result.into()))
}

/// Sets the status and/or cluster of the caller's tasks among `ids`.
#[utoipa::path(post, path = "/api/v1/writer/tasks/bulk_update", tag = "writer-tasks", request_body = BulkUpdateTasksIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "How many were changed", body = SuccessBody<BulkResult>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
    ))]
pub async fn bulk_update(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<BulkUpdateTasksIn>,
) -> ApiResult<Envelope<BulkResult>> {
    let request = pb::BulkUpdateTasksRequest {
        ids: input.ids,
        status: input.status,
        cluster_id: input.cluster_id,
    };
    let result = writer(&state)
        .bulk_update_tasks(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(result.into()))
}

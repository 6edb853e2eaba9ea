//! `/api/v1/planner/clusters`: topic clusters of a sector's keywords.

use axum::extract::State;
use igny8_proto::planner::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::{
    Params,
    dto::{BulkResult, Cluster, ClusterFilterOptions, IdsIn},
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
pub struct CreateClusterIn {
    #[serde(default)]
    pub site_id: String,
    #[serde(default)]
    pub sector_id: String,
    /// Unique in the sector, ignoring case.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Keywords of the sector to put in it at once.
    #[serde(default)]
    pub keyword_ids: Vec<String>,
}

/// Absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClusterIn {
    pub name: Option<String>,
    pub description: Option<String>,
    /// new or mapped.
    pub status: Option<String>,
    pub disabled: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignIn {
    /// Keywords of the cluster's sector.
    #[serde(default)]
    pub keyword_ids: Vec<String>,
}

fn filter(query: &ListQuery) -> ApiResult<pb::ClusterFilter> {
    let mut p = Params::new(query);
    let filter = pb::ClusterFilter {
        site_id: p.text("site_id"),
        sector_id: p.text("sector_id"),
        search: p.text("search"),
        status: p.text("status"),
        disabled: p.flag("disabled"),
        volume_min: p.number("volume_min"),
        volume_max: p.number("volume_max"),
        difficulty_min: p.number("difficulty_min"),
        difficulty_max: p.number("difficulty_max"),
    };
    p.finish(filter)
}

/// Clusters of the caller's account (a site key: of its site) with their aggregates.
#[utoipa::path(get, path = "/api/v1/planner/clusters", tag = "planner-clusters",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "Only this sector (needs site_id)"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
        ("search" = Option<String>, Query, description = "Case-insensitive substring of the name"),
        ("ordering" = Option<String>, Query, description = "name, keyword_count, total_volume, avg_difficulty, idea_count or created_at; prefix - to descend (default -created_at)"),
        ("status" = Option<String>, Query, description = "new or mapped"),
        ("disabled" = Option<bool>, Query, description = "Only disabled (true) or enabled (false) clusters"),
        ("volume_min" = Option<u64>, Query, description = "Lowest total volume"),
        ("volume_max" = Option<u64>, Query, description = "Highest total volume"),
        ("difficulty_min" = Option<u32>, Query, description = "Lowest average difficulty"),
        ("difficulty_max" = Option<u32>, Query, description = "Highest average difficulty"),
    ),
    responses(
        (status = 200, description = "A page of clusters", body = ListBody<Cluster>),
        (status = 400, description = "A bad filter, ordering or paging parameter", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<Cluster>> {
    let request = pb::ListClustersRequest {
        filter: Some(filter(&query)?),
        page: Some(query.page_request()),
        ordering: query
            .param("ordering")
            .unwrap_or_default()
            .trim()
            .to_owned(),
    };
    let list = planner(&state)
        .list_clusters(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.clusters.into_iter().map(Cluster::from).collect(),
        count,
        &query,
    ))
}

/// Creates a cluster in a sector, optionally with keywords.
#[utoipa::path(post, path = "/api/v1/planner/clusters", tag = "planner-clusters", request_body = CreateClusterIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The new cluster", body = SuccessBody<Cluster>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
        (status = 409, description = "The sector has a cluster of this name (DUPLICATE_CLUSTER)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CreateClusterIn>,
) -> ApiResult<Envelope<Cluster>> {
    let request = pb::CreateClusterRequest {
        site_id: input.site_id,
        sector_id: input.sector_id,
        name: input.name,
        description: input.description,
        keyword_ids: input.keyword_ids,
    };
    let cluster = planner(&state)
        .create_cluster(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::created(cluster.into()))
}

/// One cluster.
#[utoipa::path(get, path = "/api/v1/planner/clusters/{id}", tag = "planner-clusters",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Cluster id")),
    responses(
        (status = 200, description = "The cluster", body = SuccessBody<Cluster>),
        (status = 404, description = "No such cluster for the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<Cluster>> {
    let Ids([uuid]) = path;
    let cluster = planner(&state)
        .get_cluster(caller.forward(id(uuid)))
        .await?
        .into_inner();
    Ok(Envelope::ok(cluster.into()))
}

/// Renames, describes, (dis)ables a cluster or sets its status.
#[utoipa::path(patch, path = "/api/v1/planner/clusters/{id}", tag = "planner-clusters", request_body = UpdateClusterIn,
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Cluster id")),
    responses(
        (status = 200, description = "The changed cluster", body = SuccessBody<Cluster>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such cluster for the caller", body = ErrorBody),
        (status = 409, description = "The sector has a cluster of this name (DUPLICATE_CLUSTER)", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<UpdateClusterIn>,
) -> ApiResult<Envelope<Cluster>> {
    let Ids([uuid]) = path;
    let request = pb::UpdateClusterRequest {
        id: uuid.to_string(),
        name: input.name,
        description: input.description,
        status: input.status,
        disabled: input.disabled,
    };
    let cluster = planner(&state)
        .update_cluster(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(cluster.into()))
}

/// Deletes a cluster; its keywords leave it (mapped ones become new) and its ideas lose it.
#[utoipa::path(delete, path = "/api/v1/planner/clusters/{id}", tag = "planner-clusters",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Cluster id")),
    responses(
        (status = 200, description = "Deleted (data is null)", body = SuccessBody<Option<String>>),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such cluster for the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<()>> {
    let Ids([uuid]) = path;
    planner(&state)
        .delete_cluster(caller.forward(id(uuid)))
        .await?;
    Ok(Envelope::done("cluster deleted"))
}

/// Puts keywords of the cluster's sector into it; they become mapped (used stays used).
#[utoipa::path(post, path = "/api/v1/planner/clusters/{id}/assign_keywords", tag = "planner-clusters", request_body = AssignIn,
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Cluster id")),
    responses(
        (status = 200, description = "How many keywords moved in", body = SuccessBody<BulkResult>),
        (status = 400, description = "Malformed ids, or keywords of another sector", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such cluster for the caller", body = ErrorBody),
    ))]
pub async fn assign_keywords(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<AssignIn>,
) -> ApiResult<Envelope<BulkResult>> {
    let Ids([uuid]) = path;
    let request = pb::AssignKeywordsRequest {
        cluster_id: uuid.to_string(),
        keyword_ids: input.keyword_ids,
    };
    let result = planner(&state)
        .assign_keywords(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(result.into()))
}

/// Takes keywords (by id) out of their clusters; mapped ones become new.
#[utoipa::path(post, path = "/api/v1/planner/clusters/unassign_keywords", tag = "planner-clusters", request_body = IdsIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "How many keywords left a cluster", body = SuccessBody<BulkResult>),
        (status = 400, description = "Missing or malformed ids", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
    ))]
pub async fn unassign_keywords(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<IdsIn>,
) -> ApiResult<Envelope<BulkResult>> {
    let result = planner(&state)
        .unassign_keywords(caller.forward(pb::IdsRequest { ids: input.ids }))
        .await?
        .into_inner();
    Ok(Envelope::ok(result.into()))
}

/// The values present for each cluster filter.
#[utoipa::path(get, path = "/api/v1/planner/clusters/filter_options", tag = "planner-clusters",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "Only this sector (needs site_id)"),
    ),
    responses(
        (status = 200, description = "Values per filter", body = SuccessBody<ClusterFilterOptions>),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn filter_options(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Envelope<ClusterFilterOptions>> {
    let options = planner(&state)
        .cluster_filter_options(caller.forward(filter(&query)?))
        .await?
        .into_inner();
    Ok(Envelope::ok(ClusterFilterOptions {
        statuses: options.statuses,
    }))
}

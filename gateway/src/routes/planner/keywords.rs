//! `/api/v1/planner/keywords`: keywords of a sector, one at a time and in bulk.

use axum::extract::State;
use igny8_proto::planner::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::{
    dto::{
        BulkResult, IdsIn, Keyword, KeywordFilterOptions, KeywordIn, KeywordsAdded, decimal,
        decimal_opt, nullable_id,
    },
    id, keyword_filter, planner,
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
pub struct CreateKeywordIn {
    #[serde(default)]
    pub site_id: String,
    #[serde(default)]
    pub sector_id: String,
    #[serde(default)]
    pub keyword: String,
    #[serde(default)]
    pub search_volume: u32,
    /// 0-100.
    #[serde(default)]
    pub difficulty: u32,
    /// A decimal amount, number or string (e.g. 1.25).
    #[serde(default, deserialize_with = "decimal")]
    #[schema(value_type = String)]
    pub cpc: String,
    /// informational (default), commercial, transactional or navigational.
    #[serde(default)]
    pub intent: String,
    /// A cluster of the same sector (the keyword is then mapped).
    #[serde(default)]
    pub cluster_id: String,
}

/// Absent fields stay as they are; `cluster_id: null` (or "") takes the keyword out of its
/// cluster.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKeywordIn {
    pub keyword: Option<String>,
    pub search_volume: Option<u32>,
    pub difficulty: Option<u32>,
    #[serde(default, deserialize_with = "decimal_opt")]
    #[schema(value_type = Option<String>)]
    pub cpc: Option<String>,
    pub intent: Option<String>,
    /// new (leaves its cluster), mapped (needs a cluster) or used.
    pub status: Option<String>,
    #[serde(default, deserialize_with = "nullable_id")]
    pub cluster_id: Option<String>,
    pub disabled: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkCreateIn {
    #[serde(default)]
    pub site_id: String,
    #[serde(default)]
    pub sector_id: String,
    /// At most 1000; import a CSV file for more.
    #[serde(default)]
    pub keywords: Vec<KeywordIn>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdateIn {
    #[serde(default)]
    pub ids: Vec<String>,
    pub status: Option<String>,
    pub disabled: Option<bool>,
    /// A cluster of the keywords' sector; `null` or "" takes them out of their clusters.
    #[serde(default, deserialize_with = "nullable_id")]
    pub cluster_id: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromLibraryIn {
    #[serde(default)]
    pub site_id: String,
    #[serde(default)]
    pub sector_id: String,
    /// Ids of keyword-library rows.
    #[serde(default)]
    pub library_ids: Vec<String>,
}

/// Keywords of the caller's account (a site key: of its site), filtered and ordered.
#[utoipa::path(get, path = "/api/v1/planner/keywords", tag = "planner-keywords",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "Only this sector (needs site_id)"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
        ("search" = Option<String>, Query, description = "Case-insensitive substring of the keyword"),
        ("ordering" = Option<String>, Query, description = "keyword, search_volume, difficulty, cpc or created_at; prefix - to descend (default -created_at)"),
        ("status" = Option<String>, Query, description = "new, mapped or used"),
        ("intent" = Option<String>, Query, description = "informational, commercial, transactional or navigational"),
        ("source" = Option<String>, Query, description = "manual, csv_import, library or api"),
        ("cluster_id" = Option<String>, Query, description = "A cluster id, or none"),
        ("disabled" = Option<bool>, Query, description = "Only disabled (true) or enabled (false) keywords"),
        ("volume_min" = Option<u32>, Query, description = "Lowest search volume"),
        ("volume_max" = Option<u32>, Query, description = "Highest search volume"),
        ("difficulty_min" = Option<u32>, Query, description = "Lowest difficulty"),
        ("difficulty_max" = Option<u32>, Query, description = "Highest difficulty"),
    ),
    responses(
        (status = 200, description = "A page of keywords", body = ListBody<Keyword>),
        (status = 400, description = "A bad filter, ordering or paging parameter", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<Keyword>> {
    let request = pb::ListKeywordsRequest {
        filter: Some(keyword_filter(&query)?),
        page: Some(query.page_request()),
        ordering: query
            .param("ordering")
            .unwrap_or_default()
            .trim()
            .to_owned(),
    };
    let list = planner(&state)
        .list_keywords(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.keywords.into_iter().map(Keyword::from).collect(),
        count,
        &query,
    ))
}

/// Adds a keyword to a sector (editors and above).
#[utoipa::path(post, path = "/api/v1/planner/keywords", tag = "planner-keywords", request_body = CreateKeywordIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The new keyword", body = SuccessBody<Keyword>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 402, description = "The plan's keyword limit is reached (PLAN_LIMIT)", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
        (status = 409, description = "The sector has this keyword (DUPLICATE_KEYWORD)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CreateKeywordIn>,
) -> ApiResult<Envelope<Keyword>> {
    let request = pb::CreateKeywordRequest {
        site_id: input.site_id,
        sector_id: input.sector_id,
        keyword: Some(pb::KeywordInput {
            keyword: input.keyword,
            search_volume: input.search_volume,
            difficulty: input.difficulty,
            cpc: input.cpc,
            intent: input.intent,
        }),
        cluster_id: input.cluster_id,
    };
    let keyword = planner(&state)
        .create_keyword(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::created(keyword.into()))
}

/// One keyword.
#[utoipa::path(get, path = "/api/v1/planner/keywords/{id}", tag = "planner-keywords",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Keyword id")),
    responses(
        (status = 200, description = "The keyword", body = SuccessBody<Keyword>),
        (status = 404, description = "No such keyword for the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<Keyword>> {
    let Ids([uuid]) = path;
    let keyword = planner(&state)
        .get_keyword(caller.forward(id(uuid)))
        .await?
        .into_inner();
    Ok(Envelope::ok(keyword.into()))
}

/// Changes a keyword; its status follows its cluster (mapped in one, new when not).
#[utoipa::path(patch, path = "/api/v1/planner/keywords/{id}", tag = "planner-keywords", request_body = UpdateKeywordIn,
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Keyword id")),
    responses(
        (status = 200, description = "The changed keyword", body = SuccessBody<Keyword>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such keyword for the caller", body = ErrorBody),
        (status = 409, description = "The sector has this keyword (DUPLICATE_KEYWORD)", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<UpdateKeywordIn>,
) -> ApiResult<Envelope<Keyword>> {
    let Ids([uuid]) = path;
    let request = pb::UpdateKeywordRequest {
        id: uuid.to_string(),
        keyword: input.keyword,
        search_volume: input.search_volume,
        difficulty: input.difficulty,
        cpc: input.cpc,
        intent: input.intent,
        status: input.status,
        cluster_id: input.cluster_id,
        disabled: input.disabled,
    };
    let keyword = planner(&state)
        .update_keyword(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(keyword.into()))
}

/// Deletes a keyword.
#[utoipa::path(delete, path = "/api/v1/planner/keywords/{id}", tag = "planner-keywords",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Keyword id")),
    responses(
        (status = 200, description = "Deleted (data is null)", body = SuccessBody<Option<String>>),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such keyword for the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<()>> {
    let Ids([uuid]) = path;
    planner(&state)
        .delete_keyword(caller.forward(id(uuid)))
        .await?;
    Ok(Envelope::done("keyword deleted"))
}

/// Adds up to 1000 keywords to a sector: all or nothing; ones it has are skipped and counted.
#[utoipa::path(post, path = "/api/v1/planner/keywords/bulk_create", tag = "planner-keywords", request_body = BulkCreateIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Counts created and skipped", body = SuccessBody<KeywordsAdded>),
        (status = 400, description = "Invalid input (fields named keywords[i].field)", body = ErrorBody),
        (status = 402, description = "The plan's keyword limit is reached (PLAN_LIMIT)", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn bulk_create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<BulkCreateIn>,
) -> ApiResult<Envelope<KeywordsAdded>> {
    let request = pb::BulkCreateKeywordsRequest {
        site_id: input.site_id,
        sector_id: input.sector_id,
        keywords: input.keywords.into_iter().map(Into::into).collect(),
    };
    let added = planner(&state)
        .bulk_create_keywords(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(added.into()))
}

/// Deletes keywords by id; ids the caller cannot see are skipped.
#[utoipa::path(post, path = "/api/v1/planner/keywords/bulk_delete", tag = "planner-keywords", request_body = IdsIn,
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
        .bulk_delete_keywords(caller.forward(pb::IdsRequest { ids: input.ids }))
        .await?
        .into_inner();
    Ok(Envelope::ok(result.into()))
}

/// Sets status, disabled and/or cluster of keywords by id.
#[utoipa::path(post, path = "/api/v1/planner/keywords/bulk_update", tag = "planner-keywords", request_body = BulkUpdateIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "How many were changed", body = SuccessBody<BulkResult>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
    ))]
pub async fn bulk_update(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<BulkUpdateIn>,
) -> ApiResult<Envelope<BulkResult>> {
    let request = pb::BulkUpdateKeywordsRequest {
        ids: input.ids,
        status: input.status,
        disabled: input.disabled,
        cluster_id: input.cluster_id,
    };
    let result = planner(&state)
        .bulk_update_keywords(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(result.into()))
}

/// Copies keyword-library rows into a sector (source library); ones it has are skipped.
#[utoipa::path(post, path = "/api/v1/planner/keywords/bulk_add_from_library", tag = "planner-keywords", request_body = FromLibraryIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Counts created and skipped", body = SuccessBody<KeywordsAdded>),
        (status = 400, description = "Invalid or unknown library ids", body = ErrorBody),
        (status = 402, description = "The plan's keyword limit is reached (PLAN_LIMIT)", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn bulk_add_from_library(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<FromLibraryIn>,
) -> ApiResult<Envelope<KeywordsAdded>> {
    let request = pb::AddKeywordsFromLibraryRequest {
        site_id: input.site_id,
        sector_id: input.sector_id,
        library_ids: input.library_ids,
    };
    let added = planner(&state)
        .add_keywords_from_library(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(added.into()))
}

/// The values present for each keyword filter, given the other filters.
#[utoipa::path(get, path = "/api/v1/planner/keywords/filter_options", tag = "planner-keywords",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "Only this sector (needs site_id)"),
        ("status" = Option<String>, Query, description = "Other filters as in the list"),
    ),
    responses(
        (status = 200, description = "Values per filter", body = SuccessBody<KeywordFilterOptions>),
        (status = 400, description = "A bad filter parameter", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn filter_options(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Envelope<KeywordFilterOptions>> {
    let options = planner(&state)
        .keyword_filter_options(caller.forward(keyword_filter(&query)?))
        .await?
        .into_inner();
    Ok(Envelope::ok(options.into()))
}

//! `/api/v1/keywords-library`: the platform keyword list by industry and sector.

use axum::extract::State;
use igny8_proto::planner::v1 as pb;

use super::{Params, dto::LibraryKeyword, planner};
use crate::{
    auth::Caller,
    envelope::{ListBody, Paginated},
    error::{ApiResult, ErrorBody},
    extract::ListQuery,
    state::AppState,
};

/// Searches the library (any signed-in caller).
#[utoipa::path(get, path = "/api/v1/keywords-library", tag = "keywords-library",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("industry" = Option<String>, Query, description = "Industry slug, e.g. technology"),
        ("sector" = Option<String>, Query, description = "Industry sector slug, e.g. saas"),
        ("search" = Option<String>, Query, description = "Case-insensitive substring of the keyword"),
        ("intent" = Option<String>, Query, description = "informational, commercial, transactional or navigational"),
        ("volume_min" = Option<u32>, Query, description = "Lowest search volume"),
        ("volume_max" = Option<u32>, Query, description = "Highest search volume"),
        ("difficulty_min" = Option<u32>, Query, description = "Lowest difficulty"),
        ("difficulty_max" = Option<u32>, Query, description = "Highest difficulty"),
        ("ordering" = Option<String>, Query, description = "keyword, search_volume or difficulty; prefix - to descend (default -search_volume)"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
    ),
    responses(
        (status = 200, description = "A page of library keywords", body = ListBody<LibraryKeyword>),
        (status = 400, description = "A bad filter, ordering or paging parameter", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<LibraryKeyword>> {
    let mut p = Params::new(&query);
    let request = pb::ListLibraryKeywordsRequest {
        industry: p.text("industry"),
        sector: p.text("sector"),
        search: p.text("search"),
        intent: p.text("intent"),
        volume_min: p.number("volume_min"),
        volume_max: p.number("volume_max"),
        difficulty_min: p.number("difficulty_min"),
        difficulty_max: p.number("difficulty_max"),
        page: Some(query.page_request()),
        ordering: p.text("ordering"),
    };
    let request = p.finish(request)?;
    let list = planner(&state)
        .list_library_keywords(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.keywords
            .into_iter()
            .map(LibraryKeyword::from)
            .collect(),
        count,
        &query,
    ))
}

//! Sectors (content categories of a site) and the industry templates they come from.

use axum::extract::State;
use igny8_proto::{auth::v1 as pb, common::v1::Empty};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Caller,
    dto::{Industry, Sector},
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{Ids, ListQuery, ValidJson, trimmed, trimmed_opt, uuid_opt},
    state::AppState,
    validate::{MAX_NAME, MAX_TOKEN},
};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSectorIn {
    #[serde(default, deserialize_with = "uuid_opt")]
    #[validate(required)]
    #[schema(value_type = String, format = Uuid)]
    pub site_id: Option<Uuid>,
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(min = 1, max = "MAX_NAME"))]
    pub name: String,
    /// Slug of an industry template sector this one follows, if any.
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(max = "MAX_TOKEN"))]
    pub industry_sector: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSectorIn {
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(length(min = 1, max = "MAX_NAME"))]
    pub name: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// Sectors of the caller's account, optionally of one site.
#[utoipa::path(get, path = "/api/v1/auth/sectors", tag = "sectors",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site's sectors"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
    ),
    responses(
        (status = 200, description = "A page of sectors", body = ListBody<Sector>),
        (status = 400, description = "Bad site id or paging parameters", body = ErrorBody),
        (status = 404, description = "No such site for the caller", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<Sector>> {
    let site_id = match query
        .param("site_id")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => String::new(),
        Some(raw) => Uuid::try_parse(raw)
            .map_err(|_| ApiError::field("site_id", "must be a valid id"))?
            .to_string(),
    };
    let request = pb::ListSectorsRequest {
        site_id,
        page: Some(query.page_request()),
        active_only: false,
    };
    let list = state
        .auth()
        .list_sectors(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.sectors.into_iter().map(Sector::from).collect(),
        count,
        &query,
    ))
}

/// Creates a sector on a site, within the plan's sector limit.
#[utoipa::path(post, path = "/api/v1/auth/sectors", tag = "sectors", request_body = CreateSectorIn,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new sector", body = SuccessBody<Sector>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 402, description = "The plan's sector limit is reached (PLAN_LIMIT)", body = ErrorBody),
        (status = 404, description = "No such site for the caller", body = ErrorBody),
        (status = 409, description = "The site has a sector with this name", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CreateSectorIn>,
) -> ApiResult<Envelope<Sector>> {
    let request = pb::CreateSectorRequest {
        site_id: input.site_id.map(|id| id.to_string()).unwrap_or_default(),
        name: input.name,
        industry_sector: input.industry_sector,
    };
    let sector = state
        .auth()
        .create_sector(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::created(sector.into()))
}

/// One sector.
#[utoipa::path(get, path = "/api/v1/auth/sectors/{id}", tag = "sectors",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Sector id")),
    responses(
        (status = 200, description = "The sector", body = SuccessBody<Sector>),
        (status = 404, description = "No such sector for the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<Sector>> {
    let Ids([id]) = path;
    let sector = state
        .auth()
        .get_sector(caller.forward(pb::IdRequest { id: id.to_string() }))
        .await?
        .into_inner();
    Ok(Envelope::ok(sector.into()))
}

/// Renames or (de)activates a sector.
#[utoipa::path(patch, path = "/api/v1/auth/sectors/{id}", tag = "sectors", request_body = UpdateSectorIn,
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Sector id")),
    responses(
        (status = 200, description = "The changed sector", body = SuccessBody<Sector>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 404, description = "No such sector for the caller", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<UpdateSectorIn>,
) -> ApiResult<Envelope<Sector>> {
    let Ids([id]) = path;
    let request = pb::UpdateSectorRequest {
        id: id.to_string(),
        name: input.name,
        is_active: input.is_active,
    };
    let sector = state
        .auth()
        .update_sector(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(sector.into()))
}

/// Deletes a sector.
#[utoipa::path(delete, path = "/api/v1/auth/sectors/{id}", tag = "sectors",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Sector id")),
    responses(
        (status = 200, description = "Deleted (data is null)", body = SuccessBody<Option<String>>),
        (status = 404, description = "No such sector for the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<()>> {
    let Ids([id]) = path;
    state
        .auth()
        .delete_sector(caller.forward(pb::IdRequest { id: id.to_string() }))
        .await?;
    Ok(Envelope::done("sector deleted"))
}

/// Industries with their template sectors.
#[utoipa::path(get, path = "/api/v1/auth/industries", tag = "sectors",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Every industry", body = ListBody<Industry>),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn industries(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Paginated<Industry>> {
    let list = state
        .auth()
        .list_industries(caller.forward(Empty {}))
        .await?
        .into_inner();
    Ok(Paginated::all(
        list.industries.into_iter().map(Industry::from).collect(),
    ))
}

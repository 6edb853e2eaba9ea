//! Sites of the caller's account, their sectors from industry templates, and their API keys.
//! A site API key reaches only its own site; every other id answers 404.

use axum::extract::State;
use igny8_proto::auth::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::{
    auth::Caller,
    dto::{ApiKey, CreatedApiKey, Sector, Site},
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiResult, ErrorBody},
    extract::{Ids, ListQuery, ValidJson, trimmed, trimmed_list, trimmed_opt},
    state::AppState,
    validate::{MAX_NAME, MAX_TEXT, MAX_TOKEN},
};

/// Longest host name (RFC 1035).
const MAX_DOMAIN: u64 = 253;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSiteIn {
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(min = 1, max = "MAX_NAME"))]
    pub name: String,
    /// Host name such as `example.com` (a scheme or path is dropped).
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(max = "MAX_DOMAIN"))]
    pub domain: String,
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(max = "MAX_TEXT"))]
    pub description: String,
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(max = "MAX_TOKEN"))]
    pub industry_slug: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSiteIn {
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(length(min = 1, max = "MAX_NAME"))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(length(max = "MAX_DOMAIN"))]
    pub domain: Option<String>,
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(length(max = "MAX_TEXT"))]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(length(max = "MAX_TOKEN"))]
    pub industry_slug: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectSectorsIn {
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(min = 1, max = "MAX_TOKEN"))]
    pub industry_slug: String,
    /// Slugs of the industry's template sectors to create on the site (empty: all of them).
    #[serde(default, deserialize_with = "trimmed_list")]
    #[validate(length(max = 100))]
    pub sector_slugs: Vec<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyIn {
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(min = 1, max = "MAX_NAME"))]
    pub name: String,
}

fn id(uuid: uuid::Uuid) -> pb::IdRequest {
    pb::IdRequest {
        id: uuid.to_string(),
    }
}

/// Sites of the caller's account.
#[utoipa::path(get, path = "/api/v1/auth/sites", tag = "sites",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
    ),
    responses(
        (status = 200, description = "A page of sites", body = ListBody<Site>),
        (status = 400, description = "Bad paging parameters", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<Site>> {
    let request = pb::ListSitesRequest {
        page: Some(query.page_request()),
    };
    let list = state
        .auth()
        .list_sites(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.sites.into_iter().map(Site::from).collect(),
        count,
        &query,
    ))
}

/// Creates a site (owner and admin), within the plan's site limit.
#[utoipa::path(post, path = "/api/v1/auth/sites", tag = "sites", request_body = CreateSiteIn,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new site", body = SuccessBody<Site>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 402, description = "The plan's site limit is reached (PLAN_LIMIT)", body = ErrorBody),
        (status = 403, description = "The caller may not manage sites", body = ErrorBody),
        (status = 409, description = "A site with this name exists", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CreateSiteIn>,
) -> ApiResult<Envelope<Site>> {
    let request = pb::CreateSiteRequest {
        name: input.name,
        domain: input.domain,
        description: input.description,
        industry_slug: input.industry_slug,
    };
    let site = state
        .auth()
        .create_site(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::created(site.into()))
}

/// One site.
#[utoipa::path(get, path = "/api/v1/auth/sites/{id}", tag = "sites",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Site id")),
    responses(
        (status = 200, description = "The site", body = SuccessBody<Site>),
        (status = 404, description = "No such site for the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<Site>> {
    let Ids([site]) = path;
    let site = state
        .auth()
        .get_site(caller.forward(id(site)))
        .await?
        .into_inner();
    Ok(Envelope::ok(site.into()))
}

/// Changes a site (owner and admin).
#[utoipa::path(patch, path = "/api/v1/auth/sites/{id}", tag = "sites", request_body = UpdateSiteIn,
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Site id")),
    responses(
        (status = 200, description = "The changed site", body = SuccessBody<Site>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "The caller may not manage sites", body = ErrorBody),
        (status = 404, description = "No such site for the caller", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<UpdateSiteIn>,
) -> ApiResult<Envelope<Site>> {
    let Ids([site]) = path;
    let request = pb::UpdateSiteRequest {
        id: site.to_string(),
        name: input.name,
        domain: input.domain,
        description: input.description,
        industry_slug: input.industry_slug,
        is_active: input.is_active,
    };
    let site = state
        .auth()
        .update_site(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(site.into()))
}

/// Deletes a site with its sectors and keys (owner and admin).
#[utoipa::path(delete, path = "/api/v1/auth/sites/{id}", tag = "sites",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Site id")),
    responses(
        (status = 200, description = "Deleted (data is null)", body = SuccessBody<Option<String>>),
        (status = 403, description = "The caller may not manage sites", body = ErrorBody),
        (status = 404, description = "No such site for the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<()>> {
    let Ids([site]) = path;
    state.auth().delete_site(caller.forward(id(site))).await?;
    Ok(Envelope::done("site deleted"))
}

/// Makes this the caller's active site.
#[utoipa::path(post, path = "/api/v1/auth/sites/{id}/set_active", tag = "sites",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Site id")),
    responses(
        (status = 200, description = "The site", body = SuccessBody<Site>),
        (status = 404, description = "No such site for the caller", body = ErrorBody),
    ))]
pub async fn set_active(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<Site>> {
    let Ids([site]) = path;
    let site = state
        .auth()
        .set_active_site(caller.forward(id(site)))
        .await?
        .into_inner();
    Ok(Envelope::ok(site.into()))
}

/// Creates sectors on the site from an industry's templates, within the plan's sector limit.
#[utoipa::path(post, path = "/api/v1/auth/sites/{id}/select_sectors", tag = "sites", request_body = SelectSectorsIn,
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Site id")),
    responses(
        (status = 200, description = "The site's sectors after the change", body = ListBody<Sector>),
        (status = 400, description = "Invalid input or unknown industry/sector slugs", body = ErrorBody),
        (status = 402, description = "The plan's sector limit is reached (PLAN_LIMIT)", body = ErrorBody),
        (status = 404, description = "No such site for the caller", body = ErrorBody),
    ))]
pub async fn select_sectors(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<SelectSectorsIn>,
) -> ApiResult<Paginated<Sector>> {
    let Ids([site]) = path;
    let request = pb::SelectSectorsRequest {
        site_id: site.to_string(),
        industry_slug: input.industry_slug,
        sector_slugs: input.sector_slugs,
    };
    let list = state
        .auth()
        .select_sectors(caller.forward(request))
        .await?
        .into_inner();
    Ok(Paginated::all(
        list.sectors.into_iter().map(Sector::from).collect(),
    ))
}

/// The site's active sectors.
#[utoipa::path(get, path = "/api/v1/auth/sites/{id}/sectors", tag = "sites",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Site id"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
    ),
    responses(
        (status = 200, description = "A page of sectors", body = ListBody<Sector>),
        (status = 404, description = "No such site for the caller", body = ErrorBody),
    ))]
pub async fn sectors(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    query: ListQuery,
) -> ApiResult<Paginated<Sector>> {
    let Ids([site]) = path;
    let request = pb::ListSectorsRequest {
        site_id: site.to_string(),
        page: Some(query.page_request()),
        active_only: true,
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

/// The site's API keys (without the secrets).
#[utoipa::path(get, path = "/api/v1/auth/sites/{id}/api-keys", tag = "sites",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Site id")),
    responses(
        (status = 200, description = "The site's keys", body = ListBody<ApiKey>),
        (status = 403, description = "The caller may not manage keys", body = ErrorBody),
        (status = 404, description = "No such site for the caller", body = ErrorBody),
    ))]
pub async fn api_keys(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Paginated<ApiKey>> {
    let Ids([site]) = path;
    let list = state
        .auth()
        .list_api_keys(caller.forward(id(site)))
        .await?
        .into_inner();
    Ok(Paginated::all(
        list.keys.into_iter().map(ApiKey::from).collect(),
    ))
}

/// Issues an API key for the site; the answer holds the whole key, shown this once.
#[utoipa::path(post, path = "/api/v1/auth/sites/{id}/api-keys", tag = "sites", request_body = CreateApiKeyIn,
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Site id")),
    responses(
        (status = 201, description = "The new key with its plaintext in `key`", body = SuccessBody<CreatedApiKey>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "The caller may not manage keys", body = ErrorBody),
        (status = 404, description = "No such site for the caller", body = ErrorBody),
    ))]
pub async fn create_api_key(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<CreateApiKeyIn>,
) -> ApiResult<Envelope<CreatedApiKey>> {
    let Ids([site]) = path;
    let request = pb::CreateApiKeyRequest {
        site_id: site.to_string(),
        name: input.name,
    };
    let created = state
        .auth()
        .create_api_key(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::created(created.into()))
}

/// Revokes an API key; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/auth/sites/{id}/api-keys/{key_id}", tag = "sites",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Site id"),
        ("key_id" = uuid::Uuid, Path, description = "API key id"),
    ),
    responses(
        (status = 200, description = "Revoked (data is null)", body = SuccessBody<Option<String>>),
        (status = 403, description = "The caller may not manage keys", body = ErrorBody),
        (status = 404, description = "No such key on a site of the caller", body = ErrorBody),
    ))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<2>,
) -> ApiResult<Envelope<()>> {
    let Ids([site, key]) = path;
    let request = pb::RevokeApiKeyRequest {
        site_id: site.to_string(),
        key_id: key.to_string(),
    };
    state.auth().revoke_api_key(caller.forward(request)).await?;
    state.security.revoke_key(key);
    Ok(Envelope::done("API key revoked"))
}

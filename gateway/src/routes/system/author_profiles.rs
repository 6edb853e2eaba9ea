//! `/api/v1/system/author-profiles`: the voices content is written in (one may be the default).

use axum::extract::State;
use igny8_proto::{ai::v1 as pb, common::v1::Empty};

use super::dto::{AuthorProfile, CreateAuthorProfileIn, UpdateAuthorProfileIn};
use crate::{
    auth::Caller,
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiResult, ErrorBody},
    extract::{Ids, ValidJson},
    state::AppState,
};

fn profile_id(id: uuid::Uuid) -> pb::AuthorProfileIdRequest {
    pb::AuthorProfileIdRequest { id: id.to_string() }
}

/// The account's author profiles.
#[utoipa::path(get, path = "/api/v1/system/author-profiles", tag = "author-profiles",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "Every profile of the account", body = ListBody<AuthorProfile>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Paginated<AuthorProfile>> {
    let profiles = state
        .clients
        .ai()
        .list_author_profiles(caller.forward(Empty {}))
        .await?
        .into_inner()
        .profiles;
    Ok(Paginated::all(
        profiles.into_iter().map(Into::into).collect(),
    ))
}

/// Creates an author profile (editors and above).
#[utoipa::path(post, path = "/api/v1/system/author-profiles", tag = "author-profiles",
    request_body = CreateAuthorProfileIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The new profile", body = SuccessBody<AuthorProfile>),
        (status = 400, description = "Invalid input, named by field", body = ErrorBody),
        (status = 403, description = "Viewers cannot change profiles", body = ErrorBody),
        (status = 409, description = "The name is taken (DUPLICATE_AUTHOR_PROFILE)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CreateAuthorProfileIn>,
) -> ApiResult<Envelope<AuthorProfile>> {
    let profile = state
        .clients
        .ai()
        .create_author_profile(caller.forward(input.into()))
        .await?
        .into_inner();
    Ok(Envelope::created(profile.into()))
}

/// One author profile.
#[utoipa::path(get, path = "/api/v1/system/author-profiles/{id}", tag = "author-profiles",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Profile id")),
    responses(
        (status = 200, description = "The profile", body = SuccessBody<AuthorProfile>),
        (status = 404, description = "No such profile for the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<AuthorProfile>> {
    let Ids([id]) = path;
    let profile = state
        .clients
        .ai()
        .get_author_profile(caller.forward(profile_id(id)))
        .await?
        .into_inner();
    Ok(Envelope::ok(profile.into()))
}

/// Changes an author profile (editors and above).
#[utoipa::path(patch, path = "/api/v1/system/author-profiles/{id}", tag = "author-profiles",
    request_body = UpdateAuthorProfileIn,
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Profile id")),
    responses(
        (status = 200, description = "The changed profile", body = SuccessBody<AuthorProfile>),
        (status = 400, description = "Invalid input, named by field", body = ErrorBody),
        (status = 403, description = "Viewers cannot change profiles", body = ErrorBody),
        (status = 404, description = "No such profile for the caller", body = ErrorBody),
        (status = 409, description = "The name is taken (DUPLICATE_AUTHOR_PROFILE)", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<UpdateAuthorProfileIn>,
) -> ApiResult<Envelope<AuthorProfile>> {
    let Ids([id]) = path;
    let request = pb::UpdateAuthorProfileRequest {
        id: id.to_string(),
        name: input.name,
        description: input.description,
        tone: input.tone,
        audience: input.audience,
        style: input.style,
        language: input.language,
        is_default: input.is_default,
    };
    let profile = state
        .clients
        .ai()
        .update_author_profile(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(profile.into()))
}

/// Deletes an author profile (editors and above).
#[utoipa::path(delete, path = "/api/v1/system/author-profiles/{id}", tag = "author-profiles",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Profile id")),
    responses(
        (status = 200, description = "Deleted (data is null)", body = SuccessBody<Option<String>>),
        (status = 403, description = "Viewers cannot change profiles", body = ErrorBody),
        (status = 404, description = "No such profile for the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<()>> {
    let Ids([id]) = path;
    state
        .clients
        .ai()
        .delete_author_profile(caller.forward(profile_id(id)))
        .await?;
    Ok(Envelope::done("author profile deleted"))
}

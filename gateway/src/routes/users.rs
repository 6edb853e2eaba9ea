//! Users of the caller's account: list, invite, read, change, deactivate. Who may do what is
//! auth-svc's rule (owner/admin manage users; only the owner touches the owner).

use axum::extract::State;
use igny8_proto::auth::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::{
    auth::Caller,
    dto::User,
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiResult, ErrorBody},
    extract::{Ids, ListQuery, ValidJson, trimmed, trimmed_opt},
    state::AppState,
    validate::{MAX_NAME, valid_email, valid_role},
};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteUserIn {
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(custom(function = "valid_email"))]
    pub email: String,
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(max = "MAX_NAME"))]
    pub first_name: String,
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(max = "MAX_NAME"))]
    pub last_name: String,
    /// admin, editor or viewer (owner only by the owner).
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(custom(function = "valid_role"))]
    pub role: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserIn {
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(length(max = "MAX_NAME"))]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(length(max = "MAX_NAME"))]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "trimmed_opt")]
    #[validate(custom(function = "valid_role"))]
    pub role: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// Users of the caller's account, oldest first.
#[utoipa::path(get, path = "/api/v1/auth/users", tag = "users",
    security(("bearer" = [])),
    params(
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
    ),
    responses(
        (status = 200, description = "A page of users", body = ListBody<User>),
        (status = 400, description = "Bad paging parameters", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<User>> {
    let request = pb::ListUsersRequest {
        page: Some(query.page_request()),
    };
    let list = state
        .auth()
        .list_users(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.users.into_iter().map(User::from).collect(),
        count,
        &query,
    ))
}

/// Invites a user into the caller's account (they set a password from the mailed link).
#[utoipa::path(post, path = "/api/v1/auth/users", tag = "users", request_body = InviteUserIn,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The invited user", body = SuccessBody<User>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 402, description = "The plan's user limit is reached (PLAN_LIMIT)", body = ErrorBody),
        (status = 403, description = "The caller may not manage users or grant this role", body = ErrorBody),
        (status = 409, description = "Email already registered", body = ErrorBody),
    ))]
pub async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<InviteUserIn>,
) -> ApiResult<Envelope<User>> {
    let request = pb::InviteUserRequest {
        email: input.email,
        first_name: input.first_name,
        last_name: input.last_name,
        role: input.role,
    };
    let user = state
        .auth()
        .invite_user(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::created(user.into()))
}

/// One user of the caller's account.
#[utoipa::path(get, path = "/api/v1/auth/users/{id}", tag = "users",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = SuccessBody<User>),
        (status = 404, description = "No such user in the caller's account", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<User>> {
    let Ids([id]) = path;
    let user = state
        .auth()
        .get_user(caller.forward(pb::IdRequest { id: id.to_string() }))
        .await?
        .into_inner();
    Ok(Envelope::ok(user.into()))
}

/// Changes a user's name, role or active flag.
#[utoipa::path(patch, path = "/api/v1/auth/users/{id}", tag = "users", request_body = UpdateUserIn,
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The changed user", body = SuccessBody<User>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "The caller may not make this change", body = ErrorBody),
        (status = 404, description = "No such user in the caller's account", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<UpdateUserIn>,
) -> ApiResult<Envelope<User>> {
    let Ids([id]) = path;
    let request = pb::UpdateUserRequest {
        id: id.to_string(),
        first_name: input.first_name,
        last_name: input.last_name,
        role: input.role,
        is_active: input.is_active,
    };
    let user = state
        .auth()
        .update_user(caller.forward(request))
        .await?
        .into_inner();
    // A role change or deactivation revokes the user's tokens in auth-svc; apply it now.
    state.security.poll_now().await;
    Ok(Envelope::ok(user.into()))
}

/// Deactivates a user: they cannot sign in and their tokens stop working.
#[utoipa::path(delete, path = "/api/v1/auth/users/{id}", tag = "users",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Deactivated (data is null)", body = SuccessBody<Option<String>>),
        (status = 403, description = "The caller may not deactivate this user", body = ErrorBody),
        (status = 404, description = "No such user in the caller's account", body = ErrorBody),
    ))]
pub async fn deactivate(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<()>> {
    let Ids([id]) = path;
    state
        .auth()
        .deactivate_user(caller.forward(pb::IdRequest { id: id.to_string() }))
        .await?;
    state.security.poll_now().await;
    Ok(Envelope::done("user deactivated"))
}

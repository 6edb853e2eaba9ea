//! Sessions: register, sign in, refresh, sign out, `me`, passwords, and the public key set.
//!
//! The unauthenticated routes call auth-svc with the gateway's service token (they are rate
//! limited per client IP in `routes::router`).

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use igny8_proto::{auth::v1 as pb, common::v1::Empty};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::{
    auth::{Caller, bearer_token, verify_user_token},
    context::RequestMeta,
    dto::{AuthTokens, Jwks, User},
    envelope::{Envelope, SuccessBody},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ValidJson, trimmed},
    state::AppState,
    validate::{MAX_NAME, MAX_PASSWORD, MAX_TOKEN, MIN_PASSWORD, valid_email},
};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterIn {
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(custom(function = "valid_email"))]
    pub email: String,
    /// At least 8 characters.
    #[serde(default)]
    #[validate(length(min = "MIN_PASSWORD", max = "MAX_PASSWORD"))]
    pub password: String,
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(max = "MAX_NAME"))]
    pub first_name: String,
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(max = "MAX_NAME"))]
    pub last_name: String,
    /// Defaults to a name made from the user's.
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(max = "MAX_NAME"))]
    pub account_name: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(custom(function = "valid_email"))]
    pub email: String,
    #[serde(default)]
    #[validate(length(min = 1, max = "MAX_PASSWORD"))]
    pub password: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshIn {
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(min = 1, max = "MAX_TOKEN"))]
    pub refresh: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordIn {
    #[serde(default)]
    #[validate(length(min = 1, max = "MAX_PASSWORD"))]
    pub current_password: String,
    #[serde(default)]
    #[validate(length(min = "MIN_PASSWORD", max = "MAX_PASSWORD"))]
    pub new_password: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetIn {
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(custom(function = "valid_email"))]
    pub email: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirmIn {
    /// The token from the reset mail.
    #[serde(default, deserialize_with = "trimmed")]
    #[validate(length(min = 1, max = "MAX_TOKEN"))]
    pub token: String,
    #[serde(default)]
    #[validate(length(min = "MIN_PASSWORD", max = "MAX_PASSWORD"))]
    pub new_password: String,
}

/// Creates an account with its owner, subscribed to the default plan, and signs the owner in.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterIn,
    responses(
        (status = 201, description = "Account created and signed in", body = SuccessBody<AuthTokens>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 409, description = "Email already registered", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(input): ValidJson<RegisterIn>,
) -> ApiResult<Envelope<AuthTokens>> {
    let request = pb::RegisterRequest {
        email: input.email,
        password: input.password,
        first_name: input.first_name,
        last_name: input.last_name,
        account_name: input.account_name,
    };
    let result = state
        .gateway
        .call(
            &meta,
            request,
            |mut c, r| async move { c.register(r).await },
        )
        .await?;
    Ok(Envelope::created(result.into()))
}

/// Signs in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginIn,
    responses(
        (status = 200, description = "Token pair and the user with their account", body = SuccessBody<AuthTokens>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Wrong email or password, or the user is deactivated", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(input): ValidJson<LoginIn>,
) -> ApiResult<Envelope<AuthTokens>> {
    let request = pb::LoginRequest {
        email: input.email,
        password: input.password,
    };
    let result = state
        .gateway
        .call(&meta, request, |mut c, r| async move { c.login(r).await })
        .await?;
    Ok(Envelope::ok(result.into()))
}

/// Trades a refresh token for a new pair. Each refresh token works once; presenting a spent
/// one revokes the whole session.
#[utoipa::path(post, path = "/api/v1/auth/token/refresh", tag = "auth", request_body = RefreshIn,
    responses(
        (status = 200, description = "A new token pair", body = SuccessBody<AuthTokens>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Unknown, expired, spent or revoked refresh token", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(input): ValidJson<RefreshIn>,
) -> ApiResult<Envelope<AuthTokens>> {
    let request = pb::RefreshRequest {
        refresh: input.refresh,
    };
    match state
        .gateway
        .call(&meta, request, |mut c, r| async move { c.refresh(r).await })
        .await
    {
        Ok(result) => Ok(Envelope::ok(result.into())),
        Err(err) => {
            // A spent token presented again makes auth-svc revoke its whole session: apply
            // that now, so the session's access tokens stop here before the next poll.
            if err.status() == StatusCode::UNAUTHORIZED {
                state.security.poll_now().await;
            }
            Err(err)
        }
    }
}

/// Ends the session the refresh token belongs to.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshIn,
    responses(
        (status = 200, description = "Signed out", body = SuccessBody<Option<String>>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Unknown refresh token", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    ValidJson(input): ValidJson<RefreshIn>,
) -> ApiResult<Envelope<()>> {
    let request = pb::LogoutRequest {
        refresh: input.refresh,
    };
    state
        .gateway
        .call(&meta, request, |mut c, r| async move { c.logout(r).await })
        .await?;
    // The access token sent along (if any) dies with its session here and now; the feed
    // carries the same revocation to every other gateway.
    if let Ok(Some(token)) = bearer_token(&headers)
        && let Ok(claims) = verify_user_token(&state, token).await
        && let Some(session_id) = claims.sid
    {
        state.security.revoke_session(session_id);
    }
    state.security.poll_now().await;
    Ok(Envelope::done("signed out"))
}

/// The signed-in user with their account, plan and subscription.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = SuccessBody<User>),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
    ))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Envelope<User>> {
    let user = state
        .auth()
        .me(caller.forward(Empty {}))
        .await?
        .into_inner();
    Ok(Envelope::ok(user.into()))
}

/// Changes the caller's password; every other session of the user is signed out.
#[utoipa::path(post, path = "/api/v1/auth/password/change", tag = "auth", request_body = ChangePasswordIn,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Password changed", body = SuccessBody<Option<String>>),
        (status = 400, description = "Invalid input or wrong current password", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<ChangePasswordIn>,
) -> ApiResult<Envelope<()>> {
    let request = pb::ChangePasswordRequest {
        current_password: input.current_password,
        new_password: input.new_password,
    };
    state
        .auth()
        .change_password(caller.forward(request))
        .await?;
    // auth-svc revoked the other sessions; apply that before answering.
    state.security.poll_now().await;
    Ok(Envelope::done("password changed"))
}

const RESET_MESSAGE: &str = "if an account uses this email, a reset link is on its way";

/// Mails a password reset link. The answer is the same whether or not the email is known.
#[utoipa::path(post, path = "/api/v1/auth/password/reset", tag = "auth", request_body = PasswordResetIn,
    responses(
        (status = 200, description = "Accepted (always, to not reveal which emails exist)", body = SuccessBody<Option<String>>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    ))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(input): ValidJson<PasswordResetIn>,
) -> ApiResult<Envelope<()>> {
    let request = pb::PasswordResetRequest { email: input.email };
    match state
        .gateway
        .call(&meta, request, |mut c, r| async move {
            c.request_password_reset(r).await
        })
        .await
    {
        Ok(_) => Ok(Envelope::done(RESET_MESSAGE)),
        // Unknown users get the same answer as everyone else.
        Err(err) if err.status() == StatusCode::NOT_FOUND => Ok(Envelope::done(RESET_MESSAGE)),
        Err(err) => Err(err),
    }
}

/// Sets a new password with the token from the reset mail (single use). Every session of the
/// user is signed out.
#[utoipa::path(post, path = "/api/v1/auth/password/reset/confirm", tag = "auth", request_body = PasswordResetConfirmIn,
    responses(
        (status = 200, description = "Password set", body = SuccessBody<Option<String>>),
        (status = 400, description = "Invalid input, or an unknown, used or expired token", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    ))]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(input): ValidJson<PasswordResetConfirmIn>,
) -> ApiResult<Envelope<()>> {
    let request = pb::PasswordResetConfirm {
        token: input.token,
        new_password: input.new_password,
    };
    state
        .gateway
        .call(&meta, request, |mut c, r| async move {
            c.confirm_password_reset(r).await
        })
        .await?;
    state.security.poll_now().await;
    Ok(Envelope::done("password has been reset"))
}

/// The public keys that verify auth-svc's tokens, as a standard JWKS document.
#[utoipa::path(get, path = "/api/v1/auth/jwks.json", tag = "auth",
    responses(
        (status = 200, description = "JSON Web Key Set (not enveloped)", body = Jwks),
    ))]
pub async fn jwks(State(state): State<AppState>, meta: RequestMeta) -> Result<Response, ApiError> {
    let mut request = tonic::Request::new(Empty {});
    if let Ok(id) = meta.request_id.parse() {
        request
            .metadata_mut()
            .insert(igny8_platform::grpc::REQUEST_ID_HEADER, id);
    }
    let set = state.auth().get_jwks(request).await?.into_inner();
    let mut response = Json(Jwks::from(set)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}

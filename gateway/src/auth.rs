//! Who is calling: `X-IGNY8-API-Key` first, else `Authorization: Bearer <jwt>`.
//!
//! User JWTs are verified here with auth-svc's public keys (no call per request) and checked
//! against the security feed; API keys are exchanged for a site-scoped token (cached). Either
//! way the services receive a signed token, never a bare identity header. The middleware then
//! applies the account's subscription status and its rate limit, and leaves a [`Caller`] for
//! the handler.

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, HeaderName, header, request::Parts},
    middleware::Next,
    response::{IntoResponse as _, Response},
};
use igny8_platform::{
    Principal, RequestContext,
    token::{Claims, TokenError, TokenKind, TokenVerifier},
};

use crate::{
    context::{RequestMeta, current_request_id},
    error::ApiError,
    state::AppState,
};

/// Header carrying a site API key (header names are case-insensitive).
pub const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-igny8-api-key");

/// The authenticated caller. A handler taking it cannot run without authentication: outside
/// the middleware it rejects with 401.
#[derive(Debug, Clone)]
pub struct Caller(pub RequestContext);

impl Caller {
    /// An outgoing request carrying the caller's token, request id and trace context.
    pub fn forward<T>(&self, message: T) -> tonic::Request<T> {
        igny8_platform::grpc::forward(message, &self.0)
    }

    pub fn principal(&self) -> &Principal {
        &self.0.principal
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(not_provided)
    }
}

fn not_provided() -> ApiError {
    ApiError::unauthenticated("authentication credentials were not provided")
}

/// Routes an account with a lapsed subscription may still use: signing in and out, its
/// account and plan, and paying.
fn open_to_inactive_accounts(path: &str) -> bool {
    ["/api/v1/auth", "/api/v1/billing"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Middleware of every authenticated route.
pub async fn require_auth(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let meta = request
        .extensions()
        .get::<RequestMeta>()
        .cloned()
        .unwrap_or_else(|| RequestMeta {
            request_id: current_request_id().into(),
            traceparent: None,
        });
    let ctx = match authenticate(&state, request.headers(), meta).await {
        Ok(ctx) => ctx,
        Err(err) => return err.into_response(),
    };
    let account_id = match &ctx.principal {
        Principal::User { account_id, .. } | Principal::SiteKey { account_id, .. } => *account_id,
        Principal::Service { .. } => return not_provided().into_response(),
    };
    if !open_to_inactive_accounts(request.uri().path())
        && !state.security.account_active(account_id)
    {
        return ApiError::account_inactive().into_response();
    }
    let decision = state.limits.account.check(&account_id);
    if let Some(refused) = decision.filter(|d| d.retry_after.is_some()) {
        return refused.throttled_response();
    }
    request.extensions_mut().insert(Caller(ctx));
    let mut response = next.run(request).await;
    if let Some(decision) = decision {
        decision.write_headers(response.headers_mut());
    }
    response
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    meta: RequestMeta,
) -> Result<RequestContext, ApiError> {
    if let Some(raw) = headers.get(API_KEY_HEADER) {
        let key = raw
            .to_str()
            .map_err(|_| ApiError::unauthenticated("invalid API key"))?
            .trim();
        let exchanged = state.api_keys.resolve(key, &state.gateway, &meta).await?;
        if state.security.key_revoked(exchanged.key_id) {
            state.api_keys.evict(exchanged.key_id);
            return Err(ApiError::unauthenticated("invalid API key"));
        }
        return Ok(RequestContext {
            principal: Principal::SiteKey {
                key_id: exchanged.key_id,
                account_id: exchanged.account_id,
                site_id: exchanged.site_id,
            },
            bearer: exchanged.access.clone(),
            request_id: meta.request_id.to_string(),
            traceparent: meta.traceparent,
        });
    }
    let token = bearer_token(headers)?.ok_or_else(not_provided)?;
    let claims = verify_user_token(state, token).await?;
    let principal = claims.principal().map_err(|_| invalid_token())?;
    Ok(RequestContext {
        principal,
        bearer: token.to_owned(),
        request_id: meta.request_id.to_string(),
        traceparent: meta.traceparent,
    })
}

/// The bearer token of `Authorization`, if the header is present.
pub fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || ApiError::unauthenticated("expected Authorization: Bearer <token>");
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed());
    }
    Ok(Some(token))
}

fn invalid_token() -> ApiError {
    ApiError::unauthenticated("invalid token")
}

/// Verifies a client's access token: signature by a current auth-svc key, expiry, issuer,
/// audience, `kind: user` (site and service tokens are not for clients) and not revoked.
pub async fn verify_user_token(state: &AppState, token: &str) -> Result<Claims, ApiError> {
    let verified = match state.verifier.verify(token) {
        Err(TokenError::UnknownKey) => {
            // A key auth-svc rotated in since the last refresh; fetch (rate-limited) and retry.
            if let Ok(kid) = TokenVerifier::kid_of(token) {
                state.jwks.ensure_kid(&kid).await;
            }
            state.verifier.verify(token)
        }
        other => other,
    };
    let claims = verified.map_err(|err| match err {
        TokenError::Expired => ApiError::unauthenticated("token has expired"),
        _ => invalid_token(),
    })?;
    if claims.kind != TokenKind::User {
        return Err(invalid_token());
    }
    let Ok(Principal::User {
        user_id,
        session_id,
        ..
    }) = claims.principal()
    else {
        return Err(invalid_token());
    };
    if state
        .security
        .user_token_revoked(user_id, session_id, claims.iat)
    {
        return Err(ApiError::unauthenticated("token has been revoked"));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn lapsed_accounts_keep_auth_and_billing_only() {
        assert!(open_to_inactive_accounts("/api/v1/auth/me"));
        assert!(open_to_inactive_accounts("/api/v1/billing/invoices"));
        assert!(!open_to_inactive_accounts("/api/v1/authx"));
        assert!(!open_to_inactive_accounts("/api/v1/planner/keywords"));
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_required() {
        let mut headers = HeaderMap::new();
        assert!(bearer_token(&headers).unwrap().is_none());
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer_token(&headers).unwrap(), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(bearer_token(&headers).is_err());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert!(bearer_token(&headers).is_err());
    }
}

//! The whole HTTP surface: route table, per-route limits, and the layers every request passes.
//!
//! Layers, outermost first (see `router`):
//! 1. `context::middleware`: request id, trace context, span, metrics, 5xx log line.
//! 2. panic catcher: a handler panic becomes a 500 envelope inside that span.
//! 3. CORS: preflights are answered here, before authentication.
//! 4. body limit: enforced where the JSON extractor reads the body (413 envelope).
//! 5. per route: the per-IP limit (public auth routes) or `auth::require_auth`.
//!
//! Path normalisation (an optional trailing slash) wraps all of it in `startup`, because it
//! must rewrite the path before routing.

pub mod account;
pub mod ai;
pub mod auth;
pub mod billing;
pub mod planner;
pub mod sectors;
pub mod sites;
pub mod system;
pub mod users;
pub mod writer;

use std::time::Duration;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderName, Method, header},
    middleware::{from_fn, from_fn_with_state},
    response::{IntoResponse as _, Response},
    routing::{get, post},
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
};

use crate::{
    auth::{API_KEY_HEADER, require_auth},
    context::{self, REQUEST_ID_HEADER},
    error::ApiError,
    health, openapi,
    ratelimit::{IpClass, IpRule, LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER, limit_by_ip},
    state::AppState,
};

pub fn router(state: AppState) -> Router {
    let limits = state.limits.clone();
    let per_ip = |class: IpClass, route: &'static str| {
        from_fn_with_state(
            IpRule {
                limits: limits.clone(),
                class,
                route,
            },
            limit_by_ip,
        )
    };

    let public = Router::new()
        .route(
            "/api/v1/auth/register",
            post(auth::register).route_layer(per_ip(IpClass::Auth, "register")),
        )
        .route(
            "/api/v1/auth/login",
            post(auth::login).route_layer(per_ip(IpClass::Strict, "login")),
        )
        .route(
            "/api/v1/auth/token/refresh",
            post(auth::refresh).route_layer(per_ip(IpClass::Auth, "refresh")),
        )
        .route(
            "/api/v1/auth/logout",
            post(auth::logout).route_layer(per_ip(IpClass::Auth, "logout")),
        )
        .route(
            "/api/v1/auth/password/reset",
            post(auth::request_password_reset)
                .route_layer(per_ip(IpClass::Strict, "password_reset")),
        )
        .route(
            "/api/v1/auth/password/reset/confirm",
            post(auth::confirm_password_reset)
                .route_layer(per_ip(IpClass::Strict, "password_reset_confirm")),
        )
        .route("/api/v1/auth/jwks.json", get(auth::jwks));

    let authenticated = Router::new()
        .route("/api/v1/auth/me", get(auth::me))
        .route("/api/v1/auth/password/change", post(auth::change_password))
        .route("/api/v1/auth/users", get(users::list).post(users::invite))
        .route(
            "/api/v1/auth/users/{id}",
            get(users::get)
                .patch(users::update)
                .delete(users::deactivate),
        )
        .route("/api/v1/auth/plans", get(account::plans))
        .route(
            "/api/v1/auth/account",
            get(account::get).patch(account::update),
        )
        .route(
            "/api/v1/auth/account/subscription",
            axum::routing::patch(account::update_subscription),
        )
        .route("/api/v1/auth/sites", get(sites::list).post(sites::create))
        .route(
            "/api/v1/auth/sites/{id}",
            get(sites::get).patch(sites::update).delete(sites::delete),
        )
        .route(
            "/api/v1/auth/sites/{id}/set_active",
            post(sites::set_active),
        )
        .route(
            "/api/v1/auth/sites/{id}/select_sectors",
            post(sites::select_sectors),
        )
        .route("/api/v1/auth/sites/{id}/sectors", get(sites::sectors))
        .route(
            "/api/v1/auth/sites/{id}/api-keys",
            get(sites::api_keys).post(sites::create_api_key),
        )
        .route(
            "/api/v1/auth/sites/{id}/api-keys/{key_id}",
            axum::routing::delete(sites::revoke_api_key),
        )
        .route(
            "/api/v1/auth/sectors",
            get(sectors::list).post(sectors::create),
        )
        .route(
            "/api/v1/auth/sectors/{id}",
            get(sectors::get)
                .patch(sectors::update)
                .delete(sectors::delete),
        )
        .route("/api/v1/auth/industries", get(sectors::industries))
        .merge(planner::routes())
        .merge(writer::routes())
        .merge(billing::routes())
        .merge(ai::routes())
        .merge(system::routes())
        // route_layer: only matched routes authenticate, so unknown paths stay 404s.
        .route_layer(from_fn_with_state(state.clone(), require_auth));

    let operations = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics));

    let body_limit = state.config.body_limit_bytes;
    let cors = cors_layer(&state);
    Router::new()
        .merge(public)
        .merge(authenticated)
        .merge(operations)
        .merge(openapi::docs())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(cors)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn(context::middleware))
}

fn cors_layer(state: &AppState) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.config.cors_origins.clone()))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            API_KEY_HEADER,
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            REQUEST_ID_HEADER,
            HeaderName::from_static("traceparent"),
        ])
        .expose_headers([
            LIMIT_HEADER,
            REMAINING_HEADER,
            RESET_HEADER,
            header::RETRY_AFTER,
            REQUEST_ID_HEADER,
        ])
        .max_age(Duration::from_secs(600))
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::internal(format!("handler panicked: {detail}")).into_response()
}

//! Per-request context: the request id (accepted or made), the W3C trace context, the request's
//! tracing span, metrics, and the one log line a failed (5xx) request gets.
//!
//! The request id lives in a task-local for the whole request, so every envelope, including
//! those rendered deep inside extractors and fallbacks, can carry it without threading it
//! through each handler.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request},
    http::{HeaderMap, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use igny8_platform::grpc::{ACCOUNT_HEADER, TRACEPARENT_HEADER, trace_id_of};
use tracing::Instrument as _;
use uuid::Uuid;

use crate::error::ErrorDetail;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");
const MAX_REQUEST_ID_LEN: usize = 128;

tokio::task_local! {
    static REQUEST_ID: Arc<str>;
}

/// Marks a 5xx answer that is expected and must not be logged (a failing readiness probe).
#[derive(Debug, Clone, Copy)]
pub struct Quiet;

/// Correlation data of the current request, in its extensions.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: Arc<str>,
    /// The caller's `traceparent`, passed on to services when well formed.
    pub traceparent: Option<String>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestMeta>()
            .cloned()
            .unwrap_or_else(|| RequestMeta {
                request_id: current_request_id().into(),
                traceparent: None,
            }))
    }
}

/// The current request's id, or empty outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(|id| id.to_string()).unwrap_or_default()
}

/// A client's id is kept when it is short printable ASCII; anything else could smuggle
/// control characters into logs and metadata, so it is replaced.
fn accepted_request_id(headers: &HeaderMap) -> Option<&str> {
    let id = headers.get(&REQUEST_ID_HEADER)?.to_str().ok()?;
    let ok = !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(id)
}

/// Outermost request middleware (inside path normalisation).
pub async fn middleware(mut request: Request, next: Next) -> Response {
    // Identity only travels signed; a bare header claiming an account is never believed.
    request.headers_mut().remove(ACCOUNT_HEADER);
    let request_id: Arc<str> = accepted_request_id(request.headers())
        .map_or_else(|| Arc::from(Uuid::new_v4().to_string()), Arc::from);
    let traceparent = request
        .headers()
        .get(TRACEPARENT_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|tp| trace_id_of(Some(tp)).is_some())
        .map_or_else(igny8_platform::grpc::new_traceparent, str::to_owned);
    let traceparent = Some(traceparent);
    let method = request.method().as_str().to_owned();
    // The route template, not the raw path, keeps metric labels bounded.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let span = tracing::info_span!(
        "http",
        method = %method,
        path = %request.uri().path(),
        request_id = %request_id,
        trace_id = trace_id_of(traceparent.as_deref()).unwrap_or(""),
    );
    request.extensions_mut().insert(RequestMeta {
        request_id: request_id.clone(),
        traceparent,
    });

    let started = Instant::now();
    let mut response = REQUEST_ID
        .scope(request_id.clone(), next.run(request))
        .instrument(span.clone())
        .await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }

    let status = response.status();
    let elapsed = started.elapsed();
    metrics::counter!(
        "http_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status.as_str().to_owned(),
    )
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
    if status.is_server_error() && response.extensions().get::<Quiet>().is_none() {
        let detail = response
            .extensions()
            .get::<ErrorDetail>()
            .map_or("", |d| d.0.as_str());
        span.in_scope(|| {
            tracing::error!(
                status = status.as_u16(),
                elapsed_ms = elapsed.as_millis() as u64,
                error.message = detail,
                "request failed"
            );
        });
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_with_id(id: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_str(id).unwrap());
        headers
    }

    #[test]
    fn client_request_ids_are_kept_only_when_short_and_printable() {
        assert_eq!(
            accepted_request_id(&headers_with_id("abc-123")),
            Some("abc-123")
        );
        assert_eq!(
            accepted_request_id(&headers_with_id(&"x".repeat(128))).map(str::len),
            Some(128)
        );
        assert_eq!(
            accepted_request_id(&headers_with_id(&"x".repeat(129))),
            None
        );
        assert_eq!(accepted_request_id(&headers_with_id("has space")), None);
        assert_eq!(accepted_request_id(&HeaderMap::new()), None);
    }
}

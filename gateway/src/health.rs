//! Probes and metrics: `/healthz` (the process answers), `/readyz` (every service's
//! `grpc.health.v1` says SERVING and the security feed is loaded), `/metrics` (Prometheus).

use std::{collections::BTreeMap, time::Duration};

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::future::join_all;
use serde::Serialize;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use utoipa::ToSchema;

use crate::{
    clients::Upstream, context::Quiet, envelope::Envelope, error::ApiError, state::AppState,
};

/// A probe that hangs must not hang the readiness answer.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// Each dependency and its state (`serving`, `loaded`).
    pub checks: BTreeMap<String, String>,
}

pub async fn healthz() -> Envelope<Health> {
    Envelope::ok(Health { status: "ok" })
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let results = join_all(state.clients.upstreams().iter().map(check)).await;
    let mut checks = BTreeMap::new();
    let mut failures = BTreeMap::new();
    for (name, result) in results {
        match result {
            Ok(()) => {
                checks.insert(name.to_owned(), "serving".to_owned());
            }
            Err(problem) => {
                failures.insert(name.to_owned(), vec![problem.to_owned()]);
            }
        }
    }
    if state.security.is_loaded() {
        checks.insert("security_feed".to_owned(), "loaded".to_owned());
    } else {
        failures.insert(
            "security_feed".to_owned(),
            vec!["not loaded yet".to_owned()],
        );
    }
    if failures.is_empty() {
        Envelope::ok(Readiness { checks }).into_response()
    } else {
        let mut response = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "NOT_READY", "not ready")
            .with_fields(failures)
            .into_response();
        // Not being ready is expected while dependencies start; probes must not flood the log.
        response.extensions_mut().insert(Quiet);
        response
    }
}

async fn check(upstream: &Upstream) -> (&'static str, Result<(), &'static str>) {
    let mut client = HealthClient::new(upstream.channel.clone());
    let request = HealthCheckRequest {
        service: String::new(),
    };
    let result = match tokio::time::timeout(CHECK_TIMEOUT, client.check(request)).await {
        Ok(Ok(response)) if response.get_ref().status() == ServingStatus::Serving => Ok(()),
        Ok(Ok(_)) => Err("not serving"),
        Ok(Err(_)) => Err("unreachable"),
        Err(_) => Err("timed out"),
    };
    (upstream.name, result)
}

pub async fn metrics() -> Response {
    let body = igny8_platform::metrics::handle().render();
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

//! Probes, metrics, the OpenAPI document, the docs page and CORS.

use std::net::SocketAddr;

use igny8_platform::discovery::ServiceAddr;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::harness::{TestApp, read};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_and_readiness_report_each_dependency() {
    let app = TestApp::spawn().await;
    let live = app.get("/healthz", None).await;
    live.assert_status(200);
    assert_eq!(live.body["data"]["status"], json!("ok"));

    // Only auth-svc runs in this test: the others are reported, by name.
    let ready = app.get("/readyz", None).await;
    ready.assert_error(503, "NOT_READY");
    for down in ["planner", "writer", "billing", "integration", "ai"] {
        assert!(
            !ready.field_errors(down).is_empty(),
            "{down} is reported: {}",
            ready.text
        );
    }
    assert!(ready.body["errors"].get("auth").is_none(), "{}", ready.text);
    assert!(
        ready.body["errors"].get("security_feed").is_none(),
        "{}",
        ready.text
    );
}

/// A gRPC server that only answers health checks, like a freshly started service.
async fn health_server(shutdown: CancellationToken) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reporter, service) = tonic_health::server::health_reporter();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                shutdown.cancelled_owned(),
            )
            .await
            .unwrap();
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_when_every_service_serves() {
    let shutdown = CancellationToken::new();
    let mut peers = Vec::new();
    for _ in 0..5 {
        peers.push(ServiceAddr::Static(format!(
            "http://{}",
            health_server(shutdown.clone()).await
        )));
    }
    let app = TestApp::spawn_with(move |config| {
        config.planner_svc = peers[0].clone();
        config.writer_svc = peers[1].clone();
        config.billing_svc = peers[2].clone();
        config.integration_svc = peers[3].clone();
        config.ai_svc = peers[4].clone();
    })
    .await;
    let ready = app.get("/readyz", None).await;
    ready.assert_status(200);
    let checks = &ready.body["data"]["checks"];
    for name in ["auth", "planner", "writer", "billing", "integration", "ai"] {
        assert_eq!(checks[name], json!("serving"), "{}", ready.text);
    }
    assert_eq!(checks["security_feed"], json!("loaded"));
    shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/auth/me", None).await.assert_status(401);
    let metrics = app.get("/metrics", None).await;
    metrics.assert_status(200);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/plain"))
    );
    let line = metrics
        .text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total")
                && l.contains("route=\"/api/v1/auth/me\"")
                && l.contains("status=\"401\"")
        })
        .unwrap_or_else(|| panic!("no counter for the 401 on /me: {}", metrics.text));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 1.0);
    assert!(metrics.text.contains("http_request_duration_seconds"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_and_docs_page_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/v1/openapi.json", None).await;
    doc.assert_status(200);
    assert!(
        doc.body["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with('3')),
        "{}",
        doc.text
    );
    let paths = doc.body["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/token/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/auth/password/reset/confirm",
        "/api/v1/auth/users/{id}",
        "/api/v1/auth/sites/{id}/api-keys/{key_id}",
        "/api/v1/auth/sectors",
        "/api/v1/auth/jwks.json",
    ] {
        assert!(paths.contains_key(path), "{path} documented");
    }
    assert!(paths["/api/v1/auth/users/{id}"].get("delete").is_some());
    assert!(doc.body["components"]["securitySchemes"]["bearer"].is_object());

    for path in ["/api/docs", "/api/docs/"] {
        let page = app.get(path, None).await;
        page.assert_status(200);
        assert!(
            page.header("content-type")
                .is_some_and(|c| c.starts_with("text/html")),
            "{path}"
        );
        assert!(
            page.text.to_lowercase().contains("swagger"),
            "{path}: {}",
            page.text
        );
    }
    let script = app.get("/api/docs/swagger-ui-bundle.js", None).await;
    script.assert_status(200);
    assert!(
        script.text.len() > 100_000,
        "the UI's JavaScript comes from the binary"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_configured_origins_only() {
    let app = TestApp::spawn().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type,authorization,x-igny8-api-key,x-request-id",
            )
    };
    let allowed = read(preflight("http://localhost:5173").send().await.unwrap()).await;
    assert!(
        allowed.status == 200 || allowed.status == 204,
        "{allowed:?}"
    );
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let methods = allowed
        .header("access-control-allow-methods")
        .unwrap_or_default()
        .to_uppercase();
    assert!(methods.contains("POST"), "{methods}");
    let headers = allowed
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_lowercase();
    for header in [
        "content-type",
        "authorization",
        "x-igny8-api-key",
        "x-request-id",
    ] {
        assert!(headers.contains(header), "{header} allowed: {headers}");
    }

    let denied = read(preflight("http://evil.example").send().await.unwrap()).await;
    assert!(denied.header("access-control-allow-origin").is_none());

    // Actual requests expose the throttle and request-id headers to the browser.
    let actual = read(
        app.client
            .get(app.url("/healthz"))
            .header("Origin", "http://127.0.0.1:5173")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        actual.header("access-control-allow-origin"),
        Some("http://127.0.0.1:5173")
    );
    let exposed = actual
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_lowercase();
    for header in [
        "x-throttle-limit",
        "x-throttle-remaining",
        "x-throttle-reset",
        "x-request-id",
    ] {
        assert!(exposed.contains(header), "{header} exposed: {exposed}");
    }
}

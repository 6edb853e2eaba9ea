//! Rate limits: per client IP on the public auth routes, per account elsewhere, with the
//! X-Throttle-* headers on every limited answer and Retry-After on 429.

use serde_json::json;

use crate::harness::{PASSWORD, Resp, TestApp, unique_email};

fn number(response: &Resp, header: &str) -> u64 {
    response
        .header(header)
        .unwrap_or_else(|| panic!("{header} missing: {:?}", response.headers))
        .parse()
        .unwrap()
}

fn now() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_is_limited_per_address_with_headers_that_count_down() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit_auth_strict_per_minute = 3;
        config.rate_limit_auth_per_minute = 1000;
        config.rate_limit_account_per_minute = 1000;
    })
    .await;
    let body = json!({"email": unique_email("nobody"), "password": PASSWORD});
    for remaining in [2, 1, 0] {
        let response = app.post("/api/v1/auth/login", None, body.clone()).await;
        response.assert_error(401, "UNAUTHENTICATED");
        assert_eq!(number(&response, "x-throttle-limit"), 3);
        assert_eq!(number(&response, "x-throttle-remaining"), remaining);
        let reset = number(&response, "x-throttle-reset");
        assert!(reset > now() && reset <= now() + 61, "reset {reset}");
        assert!(response.header("retry-after").is_none());
    }
    let refused = app.post("/api/v1/auth/login", None, body.clone()).await;
    refused.assert_error(429, "THROTTLED");
    assert_eq!(number(&refused, "x-throttle-limit"), 3);
    assert_eq!(number(&refused, "x-throttle-remaining"), 0);
    let retry_after = number(&refused, "retry-after");
    assert!(
        (1..=20).contains(&retry_after),
        "one login comes back every 20 s: {retry_after}"
    );
    assert!(number(&refused, "x-throttle-reset") >= now() + 40);
    assert!(refused.body["request_id"].is_string());

    // Other routes have their own budget.
    let reset = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            json!({"email": unique_email("r")}),
        )
        .await;
    reset.assert_status(200);
    assert_eq!(number(&reset, "x-throttle-remaining"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authenticated_routes_are_limited_per_account() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit_auth_strict_per_minute = 1000;
        config.rate_limit_auth_per_minute = 1000;
        config.rate_limit_account_per_minute = 4;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for remaining in (0..4).rev() {
        let response = app.get("/api/v1/auth/me", Some(&alice.access)).await;
        response.assert_status(200);
        assert_eq!(number(&response, "x-throttle-limit"), 4);
        assert_eq!(number(&response, "x-throttle-remaining"), remaining);
    }
    let refused = app.get("/api/v1/auth/sites", Some(&alice.access)).await;
    refused.assert_error(429, "THROTTLED");
    assert!(number(&refused, "retry-after") >= 1);
    // Another account is not affected.
    let other = app.get("/api/v1/auth/me", Some(&bob.access)).await;
    other.assert_status(200);
    assert_eq!(number(&other, "x-throttle-remaining"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_has_the_wider_auth_limit() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit_auth_strict_per_minute = 1;
        config.rate_limit_auth_per_minute = 2;
    })
    .await;
    let first = app
        .post("/api/v1/auth/register", None, json!({"email": "bad"}))
        .await;
    first.assert_status(400);
    assert_eq!(number(&first, "x-throttle-limit"), 2);
    app.post("/api/v1/auth/register", None, json!({"email": "bad"}))
        .await
        .assert_status(400);
    app.post("/api/v1/auth/register", None, json!({"email": "bad"}))
        .await
        .assert_error(429, "THROTTLED");
}

//! Bad input on every route answers 400 with the field named, before any service is asked.

use reqwest::{Method, header};
use serde_json::{Value, json};

use crate::harness::{PASSWORD, TestApp, read, unique_email};

/// Method, path, bearer token, body, and the fields the answer must name.
type Case<'a> = (Method, String, Option<&'a str>, Body, &'a [&'a str]);

/// A body for `send_raw`: JSON, or text sent as JSON.
enum Body {
    Json(Value),
    Raw(&'static str),
}

async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Body,
) -> crate::harness::Resp {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request = match body {
        Body::Json(value) => request.body(value.to_string()),
        Body::Raw(text) => request.body(text),
    };
    read(request.send().await.expect("request reaches the gateway")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_names_the_fields_it_refuses() {
    let app = TestApp::spawn().await;
    let owner = app.register("validation").await;
    let site = app
        .post(
            "/api/v1/auth/sites",
            Some(&owner.access),
            json!({"name": "Blog"}),
        )
        .await;
    site.assert_status(201);
    let site_id = site.body["data"]["id"].as_str().unwrap().to_owned();
    let sectors = app
        .post(
            &format!("/api/v1/auth/sites/{site_id}/select_sectors"),
            Some(&owner.access),
            json!({"industry_slug": "technology", "sector_slugs": ["saas"]}),
        )
        .await;
    sectors.assert_status(200);
    let sector_id = sectors.body["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ok_email = unique_email("ok");
    let long = |n: usize| "x".repeat(n);
    let user_path = format!("/api/v1/auth/users/{}", owner.user_id);
    let site_path = format!("/api/v1/auth/sites/{site_id}");
    let sector_path = format!("/api/v1/auth/sectors/{sector_id}");
    let token = Some(owner.access.as_str());

    let cases: Vec<Case<'_>> = vec![
        // register
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            None,
            Body::Raw("{\"email\": "),
            &["body"],
        ),
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            None,
            Body::Raw("[1, 2]"),
            &["body"],
        ),
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            None,
            Body::Json(json!({})),
            &["email", "password"],
        ),
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            None,
            Body::Json(json!({"email": "not-an-email", "password": PASSWORD})),
            &["email"],
        ),
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            None,
            Body::Json(json!({"email": ok_email, "password": "short"})),
            &["password"],
        ),
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            None,
            Body::Json(json!({"email": ok_email, "password": PASSWORD, "first_name": long(151)})),
            &["first_name"],
        ),
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            None,
            Body::Json(json!({"email": ok_email, "password": PASSWORD, "account_name": long(151)})),
            &["account_name"],
        ),
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            None,
            Body::Json(json!({"email": ok_email, "password": PASSWORD, "is_staff": true})),
            &["is_staff"],
        ),
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            None,
            Body::Json(json!({"email": 42, "password": PASSWORD})),
            &["email"],
        ),
        // login, refresh, logout
        (
            Method::POST,
            "/api/v1/auth/login".into(),
            None,
            Body::Json(json!({"email": "nope"})),
            &["email", "password"],
        ),
        (
            Method::POST,
            "/api/v1/auth/login".into(),
            None,
            Body::Raw("not json"),
            &["body"],
        ),
        (
            Method::POST,
            "/api/v1/auth/token/refresh".into(),
            None,
            Body::Json(json!({})),
            &["refresh"],
        ),
        (
            Method::POST,
            "/api/v1/auth/token/refresh".into(),
            None,
            Body::Json(json!({"refresh": long(513)})),
            &["refresh"],
        ),
        (
            Method::POST,
            "/api/v1/auth/logout".into(),
            None,
            Body::Json(json!({"refresh": ""})),
            &["refresh"],
        ),
        // passwords
        (
            Method::POST,
            "/api/v1/auth/password/reset".into(),
            None,
            Body::Json(json!({"email": "bad@"})),
            &["email"],
        ),
        (
            Method::POST,
            "/api/v1/auth/password/reset/confirm".into(),
            None,
            Body::Json(json!({"token": "", "new_password": "short"})),
            &["token", "new_password"],
        ),
        (
            Method::POST,
            "/api/v1/auth/password/change".into(),
            token,
            Body::Json(json!({"new_password": "short"})),
            &["current_password", "new_password"],
        ),
        // users
        (
            Method::POST,
            "/api/v1/auth/users".into(),
            token,
            Body::Json(json!({"email": "bad", "role": "root"})),
            &["email", "role"],
        ),
        (
            Method::PATCH,
            user_path.clone(),
            token,
            Body::Json(json!({"role": "superuser"})),
            &["role"],
        ),
        (
            Method::PATCH,
            user_path.clone(),
            token,
            Body::Json(json!({"first_name": long(151)})),
            &["first_name"],
        ),
        (
            Method::PATCH,
            user_path,
            token,
            Body::Json(json!({"is_active": "no"})),
            &["is_active"],
        ),
        // account
        (
            Method::PATCH,
            "/api/v1/auth/account".into(),
            token,
            Body::Json(json!({"name": "  "})),
            &["name"],
        ),
        (
            Method::PATCH,
            "/api/v1/auth/account".into(),
            token,
            Body::Json(json!({"timezone": long(65)})),
            &["timezone"],
        ),
        (
            Method::PATCH,
            "/api/v1/auth/account/subscription".into(),
            token,
            Body::Json(json!({"account_id": "nope"})),
            &["account_id"],
        ),
        (
            Method::PATCH,
            "/api/v1/auth/account/subscription".into(),
            token,
            Body::Json(json!({"status": "paused"})),
            &["account_id", "status"],
        ),
        // sites
        (
            Method::POST,
            "/api/v1/auth/sites".into(),
            token,
            Body::Json(json!({})),
            &["name"],
        ),
        (
            Method::POST,
            "/api/v1/auth/sites".into(),
            token,
            Body::Json(json!({"name": "ok", "description": long(1001)})),
            &["description"],
        ),
        (
            Method::PATCH,
            site_path.clone(),
            token,
            Body::Json(json!({"name": ""})),
            &["name"],
        ),
        (
            Method::PATCH,
            site_path.clone(),
            token,
            Body::Json(json!({"is_active": "yes"})),
            &["is_active"],
        ),
        (
            Method::POST,
            format!("{site_path}/select_sectors"),
            token,
            Body::Json(json!({"sector_slugs": ["saas"]})),
            &["industry_slug"],
        ),
        (
            Method::POST,
            format!("{site_path}/select_sectors"),
            token,
            Body::Json(json!({"industry_slug": "technology", "sector_slugs": "saas"})),
            &["sector_slugs"],
        ),
        (
            Method::POST,
            format!("{site_path}/api-keys"),
            token,
            Body::Json(json!({"name": ""})),
            &["name"],
        ),
        // sectors
        (
            Method::POST,
            "/api/v1/auth/sectors".into(),
            token,
            Body::Json(json!({"name": "News"})),
            &["site_id"],
        ),
        (
            Method::POST,
            "/api/v1/auth/sectors".into(),
            token,
            Body::Json(json!({"site_id": "not-a-uuid", "name": "News"})),
            &["site_id"],
        ),
        (
            Method::PATCH,
            sector_path,
            token,
            Body::Json(json!({"name": long(151)})),
            &["name"],
        ),
    ];
    for (method, path, token, body, fields) in cases {
        let label = format!("{method} {path}");
        let response = send_raw(&app, method, &path, token, body).await;
        assert_eq!(response.status, 400, "{label}: {}", response.text);
        assert_eq!(
            response.body["code"],
            json!("VALIDATION_ERROR"),
            "{label}: {}",
            response.text
        );
        for field in fields {
            assert!(
                !response.field_errors(field).is_empty(),
                "{label}: expected an error for {field}: {}",
                response.text
            );
        }
    }

    // Paging parameters are checked and named too.
    for path in [
        "/api/v1/auth/users?page=0".to_owned(),
        "/api/v1/auth/sites?page=abc".to_owned(),
        format!("/api/v1/auth/sites/{site_id}/sectors?page=-1"),
    ] {
        app.get(&path, token).await.assert_field_error("page");
    }
    for path in [
        "/api/v1/auth/sites?page_size=101",
        "/api/v1/auth/users?page_size=0",
        "/api/v1/auth/sectors?page_size=x",
    ] {
        app.get(path, token).await.assert_field_error("page_size");
    }
    app.get("/api/v1/auth/sectors?site_id=zzz", token)
        .await
        .assert_field_error("site_id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_say_what_is_wrong() {
    let app = TestApp::spawn().await;
    let response = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "", "password": "short", "extra": 1}),
        )
        .await;
    response.assert_status(400);
    // serde stops at the first unknown field; once the body parses, every field is checked.
    assert_eq!(response.field_errors("extra"), vec!["unknown field"]);
    let response = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "", "password": "short"}),
        )
        .await;
    assert_eq!(
        response.field_errors("email"),
        vec!["this field is required"]
    );
    assert_eq!(
        response.field_errors("password"),
        vec!["must have at least 8 characters"]
    );
    let response = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "x@", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        response.field_errors("email"),
        vec!["enter a valid email address"]
    );
    let malformed = send_raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Body::Raw("{\"email\": "),
    )
    .await;
    assert!(
        malformed.field_errors("body")[0].starts_with("malformed JSON"),
        "{}",
        malformed.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_must_be_json_and_within_the_size_limit() {
    let app = TestApp::spawn_with(|config| config.body_limit_bytes = 1024).await;
    let form = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("email=a@b.c&password=x")
        .send()
        .await
        .unwrap();
    read(form).await.assert_error(415, "UNSUPPORTED_MEDIA_TYPE");

    let big = json!({"email": unique_email("big"), "password": "x".repeat(2048)});
    app.post("/api/v1/auth/login", None, big)
        .await
        .assert_error(413, "PAYLOAD_TOO_LARGE");
    // Within the limit the same route works.
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": unique_email("small"), "password": PASSWORD}),
    )
    .await
    .assert_error(401, "UNAUTHENTICATED");
}

//! Register, login, refresh rotation with reuse detection, logout, me, password change.

use serde_json::json;

use crate::harness::{PASSWORD, TestApp, unique_email};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_creates_an_owner_on_the_default_plan_and_signs_them_in() {
    let app = TestApp::spawn().await;
    let email = unique_email("reg");
    let response = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": format!("  {email}  "), "password": PASSWORD, "first_name": "Ann", "last_name": "Lee", "account_name": "Acme"}),
        )
        .await;
    response.assert_status(201);
    let data = &response.body["data"];
    assert!(
        data["access"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3),
        "access is a JWT"
    );
    assert!(data["refresh"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(data["user"]["email"], json!(email), "email trimmed");
    assert_eq!(data["user"]["role"], json!("owner"));
    assert_eq!(data["user"]["first_name"], json!("Ann"));
    assert_eq!(data["user"]["account"]["name"], json!("Acme"));

    let plans = app.get("/api/v1/auth/plans", data["access"].as_str()).await;
    plans.assert_status(200);
    let default_plan = plans.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["is_default"] == json!(true))
        .expect("a default plan is seeded")
        .clone();
    assert_eq!(
        data["user"]["account"]["plan"]["slug"],
        default_plan["slug"]
    );
    assert_eq!(
        data["user"]["account"]["subscription"]["status"],
        json!("active")
    );

    // The same address again, in other case, is taken.
    let again = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": email.to_uppercase(), "password": PASSWORD, "account_name": "Other"}),
        )
        .await;
    again.assert_field_error("email");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_answers_tokens_and_the_user_with_account_and_refuses_wrong_credentials() {
    let app = TestApp::spawn().await;
    let owner = app.register("login").await;
    let response = app.login(&owner.email, PASSWORD).await;
    response.assert_status(200);
    let data = &response.body["data"];
    assert!(data["access"].is_string() && data["refresh"].is_string());
    assert_eq!(data["user"]["id"], json!(owner.user_id));
    assert_eq!(data["user"]["account"]["id"], json!(owner.account_id));
    assert!(
        data["user"]["last_login_at"].is_string(),
        "login time recorded: {data}"
    );

    app.login(&owner.email, "wrong password")
        .await
        .assert_error(401, "UNAUTHENTICATED");
    app.login(&unique_email("nobody"), PASSWORD)
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_answers_the_caller_with_or_without_a_trailing_slash() {
    let app = TestApp::spawn().await;
    let owner = app.register("me").await;
    for path in ["/api/v1/auth/me", "/api/v1/auth/me/"] {
        let me = app.get(path, Some(&owner.access)).await;
        me.assert_status(200);
        assert_eq!(me.body["data"]["id"], json!(owner.user_id));
        assert_eq!(me.body["data"]["email"], json!(owner.email));
        assert_eq!(me.body["data"]["account"]["id"], json!(owner.account_id));
    }
    app.get("/api/v1/auth/me", None)
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_reusing_a_spent_token_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    let owner = app.register("refresh").await;

    let first = app
        .post(
            "/api/v1/auth/token/refresh",
            None,
            json!({"refresh": owner.refresh}),
        )
        .await;
    first.assert_status(200);
    let access2 = first.body["data"]["access"].as_str().unwrap().to_owned();
    let refresh2 = first.body["data"]["refresh"].as_str().unwrap().to_owned();
    assert_ne!(refresh2, owner.refresh, "refresh tokens rotate");
    assert_eq!(first.body["data"]["user"]["id"], json!(owner.user_id));
    app.get("/api/v1/auth/me", Some(&access2))
        .await
        .assert_status(200);

    // The spent token again: refused, and the session it belongs to is revoked.
    app.post(
        "/api/v1/auth/token/refresh",
        None,
        json!({"refresh": owner.refresh}),
    )
    .await
    .assert_error(401, "UNAUTHENTICATED");
    app.post(
        "/api/v1/auth/token/refresh",
        None,
        json!({"refresh": refresh2}),
    )
    .await
    .assert_error(401, "UNAUTHENTICATED");
    // The gateway applies the revocation before answering the reuse, so the session's access
    // tokens stop at once.
    app.get("/api/v1/auth/me", Some(&access2))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    app.get("/api/v1/auth/me", Some(&owner.access))
        .await
        .assert_error(401, "UNAUTHENTICATED");

    // Other sessions of the user are untouched.
    let other = app.login_session(&owner.email, PASSWORD).await;
    app.get("/api/v1/auth/me", Some(&other.access))
        .await
        .assert_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_session_and_its_access_tokens() {
    let app = TestApp::spawn().await;
    let owner = app.register("logout").await;
    let second = app.login_session(&owner.email, PASSWORD).await;

    // With the access token sent along.
    let response = app
        .post(
            "/api/v1/auth/logout",
            Some(&owner.access),
            json!({"refresh": owner.refresh}),
        )
        .await;
    response.assert_status(200);
    assert_eq!(response.body["data"], json!(null));
    assert!(response.body["message"].is_string());
    app.get("/api/v1/auth/me", Some(&owner.access))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    app.post(
        "/api/v1/auth/token/refresh",
        None,
        json!({"refresh": owner.refresh}),
    )
    .await
    .assert_error(401, "UNAUTHENTICATED");

    // Without it: the revocation arrives through auth-svc's feed before the answer.
    app.get("/api/v1/auth/me", Some(&second.access))
        .await
        .assert_status(200);
    app.post(
        "/api/v1/auth/logout",
        None,
        json!({"refresh": second.refresh}),
    )
    .await
    .assert_status(200);
    app.get("/api/v1/auth/me", Some(&second.access))
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_password_signs_out_other_sessions_only() {
    let app = TestApp::spawn().await;
    let owner = app.register("pwchange").await;
    let other = app.login_session(&owner.email, PASSWORD).await;
    let new_password = "a brand new secret";

    app.post(
        "/api/v1/auth/password/change",
        Some(&owner.access),
        json!({"current_password": "not it", "new_password": new_password}),
    )
    .await
    .assert_field_error("current_password");

    app.post(
        "/api/v1/auth/password/change",
        Some(&owner.access),
        json!({"current_password": PASSWORD, "new_password": new_password}),
    )
    .await
    .assert_status(200);
    app.get("/api/v1/auth/me", Some(&owner.access))
        .await
        .assert_status(200);
    app.get("/api/v1/auth/me", Some(&other.access))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    app.login(&owner.email, PASSWORD)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    app.login(&owner.email, new_password)
        .await
        .assert_status(200);
}

//! Password reset through the mail: neutral answer, single-use token, sessions ended.

use serde_json::json;

use crate::harness::{PASSWORD, TestApp, unique_email};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_works_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let owner = app.register("reset").await;
    let before = app.smtp.mails().await.len();

    let known = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            json!({"email": owner.email}),
        )
        .await;
    known.assert_status(200);
    let unknown = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            json!({"email": unique_email("ghost")}),
        )
        .await;
    unknown.assert_status(200);
    assert_eq!(
        known.body["message"], unknown.body["message"],
        "the answer does not reveal accounts"
    );
    assert_eq!(known.body["data"], json!(null));

    let token = app.mailed_token(&owner.email, before).await;
    let mails = app.smtp.mails().await;
    assert!(
        mails
            .iter()
            .skip(before)
            .all(|m| m.to.iter().all(|to| to == &owner.email)),
        "only the known address got mail"
    );

    let new_password = "reset to something new";
    app.post(
        "/api/v1/auth/password/reset/confirm",
        None,
        json!({"token": token, "new_password": "short"}),
    )
    .await
    .assert_field_error("new_password");
    app.post(
        "/api/v1/auth/password/reset/confirm",
        None,
        json!({"token": token, "new_password": new_password}),
    )
    .await
    .assert_status(200);
    // Single use.
    app.post(
        "/api/v1/auth/password/reset/confirm",
        None,
        json!({"token": token, "new_password": "yet another one"}),
    )
    .await
    .assert_field_error("token");
    app.post(
        "/api/v1/auth/password/reset/confirm",
        None,
        json!({"token": "f".repeat(64), "new_password": new_password}),
    )
    .await
    .assert_field_error("token");

    // Every earlier session is over; the new password works, the old does not.
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
    app.login(&owner.email, PASSWORD)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    let session = app.login_session(&owner.email, new_password).await;
    app.get("/api/v1/auth/me", Some(&session.access))
        .await
        .assert_status(200);
}

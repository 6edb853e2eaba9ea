//! Role rules: viewers and editors cannot manage users or sites, admins cannot touch the
//! owner, and platform-only roles cannot be handed out.

use serde_json::json;

use crate::harness::{TestApp, unique_email};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_and_editors_cannot_manage_users_or_sites() {
    let app = TestApp::spawn().await;
    let owner = app.register("roles").await;
    let site = app
        .post(
            "/api/v1/auth/sites",
            Some(&owner.access),
            json!({"name": "Main"}),
        )
        .await;
    site.assert_status(201);
    let site_path = format!(
        "/api/v1/auth/sites/{}",
        site.body["data"]["id"].as_str().unwrap()
    );
    let editor = app.invite_and_login(&owner, "editor").await;
    let viewer = app.invite_and_login(&owner, "viewer").await;

    for member in [&editor, &viewer] {
        let t = Some(member.access.as_str());
        // Reading is fine.
        app.get("/api/v1/auth/users", t).await.assert_status(200);
        app.get(&site_path, t).await.assert_status(200);
        // Managing is not.
        app.post(
            "/api/v1/auth/users",
            t,
            json!({"email": unique_email("x"), "role": "viewer"}),
        )
        .await
        .assert_error(403, "PERMISSION_DENIED");
        app.patch(
            &format!("/api/v1/auth/users/{}", owner.user_id),
            t,
            json!({"role": "viewer"}),
        )
        .await
        .assert_error(403, "PERMISSION_DENIED");
        app.delete(&format!("/api/v1/auth/users/{}", owner.user_id), t)
            .await
            .assert_error(403, "PERMISSION_DENIED");
        app.post("/api/v1/auth/sites", t, json!({"name": "Mine"}))
            .await
            .assert_error(403, "PERMISSION_DENIED");
        app.patch(&site_path, t, json!({"name": "Renamed"}))
            .await
            .assert_error(403, "PERMISSION_DENIED");
        app.delete(&site_path, t)
            .await
            .assert_error(403, "PERMISSION_DENIED");
        app.post(&format!("{site_path}/api-keys"), t, json!({"name": "k"}))
            .await
            .assert_error(403, "PERMISSION_DENIED");
        app.patch("/api/v1/auth/account", t, json!({"name": "Taken over"}))
            .await
            .assert_error(403, "PERMISSION_DENIED");
    }
    // The viewer cannot promote themself either.
    app.patch(
        &format!("/api/v1/auth/users/{}", viewer.user_id),
        Some(&viewer.access),
        json!({"role": "admin"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_changes_the_owner_and_platform_roles_cannot_be_assigned() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner").await;
    let admin = app.invite_and_login(&owner, "admin").await;
    let owner_path = format!("/api/v1/auth/users/{}", owner.user_id);

    app.patch(
        &owner_path,
        Some(&admin.access),
        json!({"first_name": "Renamed"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    app.patch(
        &owner_path,
        Some(&admin.access),
        json!({"is_active": false}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    app.delete(&owner_path, Some(&admin.access))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.patch(
        &format!("/api/v1/auth/users/{}", admin.user_id),
        Some(&admin.access),
        json!({"role": "owner"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    // An admin may still manage the others.
    let editor = app.invite_and_login(&owner, "editor").await;
    let demoted = app
        .patch(
            &format!("/api/v1/auth/users/{}", editor.user_id),
            Some(&admin.access),
            json!({"role": "viewer"}),
        )
        .await;
    demoted.assert_status(200);
    assert_eq!(demoted.body["data"]["role"], json!("viewer"));

    for role in ["developer", "system_bot"] {
        app.post(
            "/api/v1/auth/users",
            Some(&owner.access),
            json!({"email": unique_email(role), "role": role}),
        )
        .await
        .assert_field_error("role");
        app.patch(
            &format!("/api/v1/auth/users/{}", editor.user_id),
            Some(&owner.access),
            json!({"role": role}),
        )
        .await
        .assert_field_error("role");
    }
}

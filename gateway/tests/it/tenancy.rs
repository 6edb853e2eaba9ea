//! Another account's ids answer 404 on every route, exactly like ids that do not exist, and
//! the answer carries nothing of the other account.

use serde_json::json;

use crate::harness::{Resp, TestApp};

#[track_caller]
fn assert_hidden(response: &Resp, secrets: &[&str]) {
    response.assert_error(404, "NOT_FOUND");
    for secret in secrets {
        assert!(
            !response.text.contains(secret),
            "the answer leaks {secret:?}: {}",
            response.text
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mallory = app.register("mallory").await;
    let a = Some(alice.access.as_str());
    let m = Some(mallory.access.as_str());

    let site = app
        .post(
            "/api/v1/auth/sites",
            a,
            json!({"name": "Alpha secret site", "domain": "alpha.example"}),
        )
        .await;
    site.assert_status(201);
    let site_id = site.body["data"]["id"].as_str().unwrap().to_owned();
    let sectors = app
        .post(
            &format!("/api/v1/auth/sites/{site_id}/select_sectors"),
            a,
            json!({"industry_slug": "technology", "sector_slugs": ["saas"]}),
        )
        .await;
    sectors.assert_status(200);
    let sector_id = sectors.body["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = app
        .post(
            &format!("/api/v1/auth/sites/{site_id}/api-keys"),
            a,
            json!({"name": "wp"}),
        )
        .await;
    key.assert_status(201);
    let key_id = key.body["data"]["id"].as_str().unwrap().to_owned();
    let secrets = ["Alpha secret site", "alpha.example", alice.email.as_str()];

    let site_path = format!("/api/v1/auth/sites/{site_id}");
    assert_hidden(&app.get(&site_path, m).await, &secrets);
    assert_hidden(
        &app.patch(&site_path, m, json!({"name": "mine now"})).await,
        &secrets,
    );
    assert_hidden(&app.delete(&site_path, m).await, &secrets);
    assert_hidden(
        &app.post(&format!("{site_path}/set_active"), m, json!({}))
            .await,
        &secrets,
    );
    assert_hidden(
        &app.post(
            &format!("{site_path}/select_sectors"),
            m,
            json!({"industry_slug": "technology", "sector_slugs": ["saas"]}),
        )
        .await,
        &secrets,
    );
    assert_hidden(&app.get(&format!("{site_path}/sectors"), m).await, &secrets);
    assert_hidden(
        &app.get(&format!("{site_path}/api-keys"), m).await,
        &secrets,
    );
    assert_hidden(
        &app.post(
            &format!("{site_path}/api-keys"),
            m,
            json!({"name": "steal"}),
        )
        .await,
        &secrets,
    );
    assert_hidden(
        &app.delete(&format!("{site_path}/api-keys/{key_id}"), m)
            .await,
        &secrets,
    );
    assert_hidden(
        &app.get(&format!("/api/v1/auth/sectors?site_id={site_id}"), m)
            .await,
        &secrets,
    );
    assert_hidden(
        &app.post(
            "/api/v1/auth/sectors",
            m,
            json!({"site_id": site_id, "name": "Injected"}),
        )
        .await,
        &secrets,
    );

    let sector_path = format!("/api/v1/auth/sectors/{sector_id}");
    assert_hidden(&app.get(&sector_path, m).await, &secrets);
    assert_hidden(
        &app.patch(&sector_path, m, json!({"name": "mine"})).await,
        &secrets,
    );
    assert_hidden(&app.delete(&sector_path, m).await, &secrets);

    let user_path = format!("/api/v1/auth/users/{}", alice.user_id);
    assert_hidden(&app.get(&user_path, m).await, &secrets);
    assert_hidden(
        &app.patch(&user_path, m, json!({"first_name": "Pwned"}))
            .await,
        &secrets,
    );
    assert_hidden(&app.delete(&user_path, m).await, &secrets);

    // Lists only ever show the caller's own rows.
    let sites = app.get("/api/v1/auth/sites", m).await;
    sites.assert_status(200);
    assert_eq!(sites.body["count"], json!(0));
    let sectors = app.get("/api/v1/auth/sectors", m).await;
    assert_eq!(sectors.body["count"], json!(0));
    let users = app.get("/api/v1/auth/users", m).await;
    assert_eq!(users.body["count"], json!(1));
    assert_eq!(users.body["results"][0]["id"], json!(mallory.user_id));

    // Nothing changed for the owner.
    let mine = app.get(&site_path, a).await;
    mine.assert_status(200);
    assert_eq!(mine.body["data"]["name"], json!("Alpha secret site"));
    app.get(&sector_path, a).await.assert_status(200);
    let keys = app.get(&format!("{site_path}/api-keys"), a).await;
    assert_eq!(keys.body["count"], json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_that_are_not_uuids_are_simply_not_found() {
    let app = TestApp::spawn().await;
    let owner = app.register("badids").await;
    let token = Some(owner.access.as_str());
    for path in [
        "/api/v1/auth/sites/123",
        "/api/v1/auth/sites/not-a-uuid/sectors",
        "/api/v1/auth/sectors/abc",
        "/api/v1/auth/users/%27%20OR%201=1",
    ] {
        app.get(path, token).await.assert_error(404, "NOT_FOUND");
    }
    let random = uuid::Uuid::new_v4();
    app.get(&format!("/api/v1/auth/sites/{random}"), token)
        .await
        .assert_error(404, "NOT_FOUND");
    app.delete(&format!("/api/v1/auth/sites/{random}/api-keys/nope"), token)
        .await
        .assert_error(404, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_account_header_is_ignored() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mallory = app.register("mallory").await;
    let response = app
        .client
        .get(app.url("/api/v1/auth/account"))
        .bearer_auth(&mallory.access)
        .header("x-igny8-account", &alice.account_id)
        .send()
        .await
        .unwrap();
    let response = crate::harness::read(response).await;
    response.assert_status(200);
    assert_eq!(response.body["data"]["id"], json!(mallory.account_id));
}

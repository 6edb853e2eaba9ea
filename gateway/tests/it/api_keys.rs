//! Site API keys: issue (plaintext once), use for their one site only, list without secrets,
//! revoke (then refused at once).

use serde_json::json;

use crate::harness::{TestApp, read};

async fn with_key(app: &TestApp, path: &str, key: &str) -> crate::harness::Resp {
    read(
        app.client
            .get(app.url(path))
            .header("X-IGNY8-API-Key", key)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_reach_their_own_site_only_until_revoked() {
    let app = TestApp::spawn().await;
    let owner = app.register("keys").await;
    let t = Some(owner.access.as_str());
    // Two sites need a plan that allows them.
    app.set_subscription(&owner.account_id, Some("scale"), None)
        .await;
    let one = app
        .post("/api/v1/auth/sites", t, json!({"name": "One"}))
        .await;
    let two = app
        .post("/api/v1/auth/sites", t, json!({"name": "Two"}))
        .await;
    let (one, two) = (
        one.body["data"]["id"].as_str().unwrap().to_owned(),
        two.body["data"]["id"].as_str().unwrap().to_owned(),
    );

    let created = app
        .post(
            &format!("/api/v1/auth/sites/{one}/api-keys"),
            t,
            json!({"name": "WordPress"}),
        )
        .await;
    created.assert_status(201);
    let key = created.body["data"]["key"]
        .as_str()
        .expect("the plaintext key, once")
        .to_owned();
    let key_id = created.body["data"]["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("igny8_sk_"));
    assert!(key.starts_with(created.body["data"]["prefix"].as_str().unwrap()));
    assert_eq!(created.body["data"]["name"], json!("WordPress"));

    let listed = app
        .get(&format!("/api/v1/auth/sites/{one}/api-keys"), t)
        .await;
    listed.assert_status(200);
    assert_eq!(listed.body["count"], json!(1));
    assert_eq!(listed.body["results"][0]["id"], json!(key_id));
    assert!(listed.body["results"][0].get("key").is_none());
    assert!(
        !listed.text.contains(&key),
        "the plaintext is never shown again"
    );

    // The key reaches its site (twice: the second answer comes from the cached exchange).
    for _ in 0..2 {
        let site = with_key(&app, &format!("/api/v1/auth/sites/{one}"), &key).await;
        site.assert_status(200);
        assert_eq!(site.body["data"]["id"], json!(one));
    }
    with_key(&app, &format!("/api/v1/auth/sites/{one}/sectors"), &key)
        .await
        .assert_status(200);
    // Another site of the same account does not exist for it.
    with_key(&app, &format!("/api/v1/auth/sites/{two}"), &key)
        .await
        .assert_error(404, "NOT_FOUND");
    let sites = with_key(&app, "/api/v1/auth/sites", &key).await;
    sites.assert_status(200);
    assert_eq!(sites.body["count"], json!(1));
    // The key wins over a bearer token sent along.
    let both = read(
        app.client
            .get(app.url(&format!("/api/v1/auth/sites/{two}")))
            .header("x-igny8-api-key", &key)
            .bearer_auth(&owner.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    both.assert_error(404, "NOT_FOUND");
    // A key acts as an editor: it cannot issue keys.
    let issued = read(
        app.client
            .post(app.url(&format!("/api/v1/auth/sites/{one}/api-keys")))
            .header("X-IGNY8-API-Key", &key)
            .json(&json!({"name": "escalate"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    issued.assert_error(403, "PERMISSION_DENIED");

    // Made-up and mistyped keys.
    with_key(&app, "/api/v1/auth/sites", "igny8_sk_made-up")
        .await
        .assert_error(401, "UNAUTHENTICATED");
    let mut typo = key.clone().into_bytes();
    let i = "igny8_sk_".len() + 5;
    typo[i] = if typo[i] == b'a' { b'b' } else { b'a' };
    with_key(
        &app,
        "/api/v1/auth/sites",
        std::str::from_utf8(&typo).unwrap(),
    )
    .await
    .assert_error(401, "UNAUTHENTICATED");

    // Revoked: refused at once, although an exchange of it was cached.
    let revoked = app
        .delete(&format!("/api/v1/auth/sites/{one}/api-keys/{key_id}"), t)
        .await;
    revoked.assert_status(200);
    with_key(&app, &format!("/api/v1/auth/sites/{one}"), &key)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    let listed = app
        .get(&format!("/api/v1/auth/sites/{one}/api-keys"), t)
        .await;
    assert_eq!(listed.body["count"], json!(0));
    // Revoking twice: the key is gone.
    app.delete(&format!("/api/v1/auth/sites/{one}/api-keys/{key_id}"), t)
        .await
        .assert_error(404, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_elsewhere_stops_through_the_security_feed() {
    let app = TestApp::spawn().await;
    let owner = app.register("feedkeys").await;
    let t = Some(owner.access.as_str());
    let site = app
        .post("/api/v1/auth/sites", t, json!({"name": "Blog"}))
        .await;
    let site_id = site.body["data"]["id"].as_str().unwrap().to_owned();
    let created = app
        .post(
            &format!("/api/v1/auth/sites/{site_id}/api-keys"),
            t,
            json!({"name": "wp"}),
        )
        .await;
    let key = created.body["data"]["key"].as_str().unwrap().to_owned();
    let key_id = created.body["data"]["id"].as_str().unwrap().to_owned();
    with_key(&app, &format!("/api/v1/auth/sites/{site_id}"), &key)
        .await
        .assert_status(200);

    // Revoked straight at auth-svc (as another gateway replica would), bypassing this one.
    let mut request = tonic::Request::new(igny8_proto::auth::v1::RevokeApiKeyRequest {
        site_id: site_id.clone(),
        key_id,
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", owner.access).parse().unwrap(),
    );
    app.grpc()
        .await
        .revoke_api_key(request)
        .await
        .expect("revoked at auth-svc");

    let path = format!("/api/v1/auth/sites/{site_id}");
    for _ in 0..100 {
        let response = with_key(&app, &path, &key).await;
        if response.status == 401 {
            return;
        }
        response.assert_status(200);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the revoked key kept working");
}

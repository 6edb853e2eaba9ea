//! `/api/v1/writer/*` through the gateway: envelopes, paging links, field errors, workflow
//! conflicts, versions, roles, tenancy and site keys, against real auth-svc and writer-svc.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Resp, Session, TestApp, read};

/// An account with one site and two sectors of it.
struct Scope {
    owner: Session,
    site: String,
    sector: String,
    other_sector: String,
}

async fn scope(app: &TestApp, tag: &str) -> Scope {
    let owner = app.register(tag).await;
    let t = Some(owner.access.as_str());
    let site = app
        .post(
            "/api/v1/auth/sites",
            t,
            json!({"name": format!("{tag} site")}),
        )
        .await;
    site.assert_status(201);
    let site = site.body["data"]["id"].as_str().unwrap().to_owned();
    let mut sectors = Vec::new();
    for name in ["News", "Guides"] {
        let sector = app
            .post(
                "/api/v1/auth/sectors",
                t,
                json!({"site_id": site, "name": name}),
            )
            .await;
        sector.assert_status(201);
        sectors.push(sector.body["data"]["id"].as_str().unwrap().to_owned());
    }
    Scope {
        other_sector: sectors.pop().unwrap(),
        sector: sectors.pop().unwrap(),
        owner,
        site,
    }
}

fn id_of(response: &Resp) -> String {
    response.body["data"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

async fn with_key(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> Resp {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("X-IGNY8-API-Key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_are_managed_over_http_with_envelopes_and_paging_links() {
    let app = TestApp::spawn_with_writer().await;
    let s = scope(&app, "tasks").await;
    let t = Some(s.owner.access.as_str());
    let mut ids = Vec::new();
    for title in ["Charlie", "Alpha", "Bravo"] {
        let created = app
            .post(
                "/api/v1/writer/tasks",
                t,
                json!({"site_id": s.site, "sector_id": s.sector, "title": title,
                       "secondary_keywords": ["rust"], "outline": [{"heading": "Intro"}]}),
            )
            .await;
        created.assert_status(201);
        assert_eq!(created.body["success"], json!(true));
        assert_eq!(created.body["data"]["status"], json!("queued"));
        assert_eq!(
            created.body["data"]["outline"][0]["heading"],
            json!("Intro")
        );
        assert!(created.body["data"]["idea_id"].is_null());
        ids.push(id_of(&created));
    }
    let page = app
        .get(
            &format!(
                "/api/v1/writer/tasks/?site_id={}&ordering=title&page_size=2",
                s.site
            ),
            t,
        )
        .await;
    page.assert_status(200);
    assert_eq!(page.body["count"], json!(3));
    let titles: Vec<&str> = page.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Alpha", "Bravo"]);
    let next = page.body["next"].as_str().expect("a next link");
    assert!(
        next.contains("page=2") && next.contains("ordering=title"),
        "{next}"
    );
    assert!(page.body["previous"].is_null());
    let last = app
        .client
        .get(next)
        .bearer_auth(&s.owner.access)
        .send()
        .await
        .unwrap();
    let last = read(last).await;
    assert_eq!(last.body["results"][0]["title"], json!("Charlie"));
    assert!(last.body["next"].is_null());

    let path = format!("/api/v1/writer/tasks/{}", ids[0]);
    let patched = app
        .patch(
            &path,
            t,
            json!({"status": "in_progress", "target_word_count": 1800}),
        )
        .await;
    patched.assert_status(200);
    assert_eq!(patched.body["data"]["status"], json!("in_progress"));
    assert_eq!(patched.body["data"]["target_word_count"], json!(1800));
    let filtered = app.get("/api/v1/writer/tasks?status=in_progress", t).await;
    assert_eq!(filtered.body["count"], json!(1));

    let bulk = app
        .post(
            "/api/v1/writer/tasks/bulk_update",
            t,
            json!({"ids": [ids[1], ids[2]], "status": "failed"}),
        )
        .await;
    bulk.assert_status(200);
    assert_eq!(bulk.body["data"]["affected"], json!(2));
    let deleted = app.delete(&path, t).await;
    deleted.assert_status(200);
    assert!(deleted.body["data"].is_null());
    app.get(&path, t).await.assert_error(404, "NOT_FOUND");
    let bulk = app
        .post(
            "/api/v1/writer/tasks/bulk_delete",
            t,
            json!({"ids": [ids[1], ids[2], ids[0]]}),
        )
        .await;
    assert_eq!(bulk.body["data"]["affected"], json!(2));
    assert_eq!(
        app.get("/api/v1/writer/tasks", t).await.body["count"],
        json!(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_writer_input_answers_field_errors() {
    let app = TestApp::spawn_with_writer().await;
    let s = scope(&app, "invalid").await;
    let t = Some(s.owner.access.as_str());
    let bad = app
        .post(
            "/api/v1/writer/tasks",
            t,
            json!({"site_id": s.site, "sector_id": "nope", "title": "", "content_type": "novel", "target_word_count": 5}),
        )
        .await;
    for field in ["sector_id", "title", "content_type", "target_word_count"] {
        bad.assert_field_error(field);
    }
    app.post(
        "/api/v1/writer/tasks",
        t,
        json!({"site_id": s.site, "colour": "red"}),
    )
    .await
    .assert_field_error("colour");
    app.post("/api/v1/writer/tasks", t, json!({"title": 5}))
        .await
        .assert_field_error("title");
    app.get("/api/v1/writer/tasks?page_size=101", t)
        .await
        .assert_field_error("page_size");
    app.get("/api/v1/writer/tasks?ordering=secret", t)
        .await
        .assert_field_error("ordering");
    app.get("/api/v1/writer/content?status=gone", t)
        .await
        .assert_field_error("status");
    app.get(&format!("/api/v1/writer/images?sector_id={}", s.sector), t)
        .await
        .assert_field_error("sector_id");
    app.post("/api/v1/writer/images", t, json!({"image_type": "banner"}))
        .await
        .assert_field_error("image_type");
    app.post(
        "/api/v1/writer/taxonomies",
        t,
        json!({"site_id": s.site, "name": "x", "taxonomy_type": "topic"}),
    )
    .await
    .assert_field_error("taxonomy_type");
    app.post("/api/v1/writer/content/bulk_delete", t, json!({"ids": []}))
        .await
        .assert_field_error("ids");
    app.get("/api/v1/writer/tasks/not-a-uuid", t)
        .await
        .assert_error(404, "NOT_FOUND");
    app.get("/api/v1/writer/tasks", None)
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_is_sanitised_follows_its_workflow_and_keeps_versions() {
    let app = TestApp::spawn_with_writer().await;
    let s = scope(&app, "content").await;
    let t = Some(s.owner.access.as_str());
    let term = app
        .post(
            "/api/v1/writer/taxonomies",
            t,
            json!({"site_id": s.site, "name": "How To", "taxonomy_type": "category"}),
        )
        .await;
    term.assert_status(201);
    assert_eq!(term.body["data"]["slug"], json!("how-to"));
    let created = app
        .post(
            "/api/v1/writer/content",
            t,
            json!({"site_id": s.site, "sector_id": s.sector, "title": "First",
                   "content_html": "<h2>Hi</h2><p onclick=\"x()\">two words</p><script>alert(1)</script><a href=\"javascript:alert(1)\">link</a>",
                   "taxonomy_term_ids": [id_of(&term)]}),
        )
        .await;
    created.assert_status(201);
    let html = created.body["data"]["content_html"].as_str().unwrap();
    assert!(
        !html.contains("script") && !html.contains("onclick") && !html.contains("javascript:"),
        "{html}"
    );
    assert!(html.contains("<h2>Hi</h2>"), "{html}");
    assert_eq!(created.body["data"]["word_count"], json!(4));
    assert_eq!(
        created.body["data"]["categories"][0]["name"],
        json!("How To")
    );
    let id = id_of(&created);
    let path = format!("/api/v1/writer/content/{id}");

    let refused = app.patch(&path, t, json!({"status": "published"})).await;
    refused.assert_error(409, "INVALID_TRANSITION");
    app.patch(&path, t, json!({"status": "review"}))
        .await
        .assert_status(200);
    app.patch(
        &path,
        t,
        json!({"title": "Second", "content_html": "<p>new text</p>"}),
    )
    .await
    .assert_status(200);
    let listed = app
        .get(
            &format!("/api/v1/writer/content?site_id={}&status=review", s.site),
            t,
        )
        .await;
    assert_eq!(listed.body["count"], json!(1));
    assert!(
        listed.body["results"][0]["content_html"].is_null(),
        "lists leave bodies out"
    );
    let with_body = app.get("/api/v1/writer/content?include_body=true", t).await;
    assert_eq!(
        with_body.body["results"][0]["content_html"],
        json!("<p>new text</p>")
    );

    let versions = app.get(&format!("{path}/versions"), t).await;
    versions.assert_status(200);
    assert_eq!(versions.body["count"], json!(2));
    assert_eq!(versions.body["results"][0]["version"], json!(2));
    let restored = app
        .post(&format!("{path}/versions/1/restore"), t, json!({}))
        .await;
    restored.assert_status(200);
    assert_eq!(restored.body["data"]["title"], json!("First"));
    assert_eq!(restored.body["data"]["version"], json!(3));
    app.post(&format!("{path}/versions/9/restore"), t, json!({}))
        .await
        .assert_error(404, "NOT_FOUND");
    app.post(&format!("{path}/versions/x/restore"), t, json!({}))
        .await
        .assert_error(404, "NOT_FOUND");

    let unapproved = app
        .patch(
            &path,
            t,
            json!({"scheduled_publish_at": "2099-01-01T09:00:00Z"}),
        )
        .await;
    unapproved.assert_error(409, "NOT_APPROVED");
    app.patch(&path, t, json!({"status": "approved"}))
        .await
        .assert_status(200);
    let scheduled = app
        .patch(
            &path,
            t,
            json!({"scheduled_publish_at": "2099-01-01T09:00:00Z"}),
        )
        .await;
    scheduled.assert_status(200);
    assert_eq!(scheduled.body["data"]["site_status"], json!("scheduled"));
    assert_eq!(
        scheduled.body["data"]["scheduled_publish_at"],
        json!("2099-01-01T09:00:00Z")
    );

    let image = app
        .post(
            "/api/v1/writer/images",
            t,
            json!({"content_id": id, "image_type": "featured", "prompt": "a cat"}),
        )
        .await;
    image.assert_status(201);
    app.post(
        "/api/v1/writer/images",
        t,
        json!({"content_id": id, "image_type": "featured"}),
    )
    .await
    .assert_error(409, "IMAGE_SLOT_TAKEN");
    let bulk = app
        .post(
            "/api/v1/writer/images/bulk_update",
            t,
            json!({"content_id": id, "status": "generated"}),
        )
        .await;
    assert_eq!(bulk.body["data"]["affected"], json!(1));
    let grouped = app.get("/api/v1/writer/images/content_images", t).await;
    grouped.assert_status(200);
    assert_eq!(grouped.body["results"][0]["content_id"], json!(id));
    assert_eq!(
        grouped.body["results"][0]["featured_image"]["status"],
        json!("generated")
    );
    assert_eq!(grouped.body["results"][0]["generated"], json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_other_accounts_and_site_keys_are_kept_in_their_place() {
    let app = TestApp::spawn_with_writer().await;
    let s = scope(&app, "guarded").await;
    let t = Some(s.owner.access.as_str());
    app.set_subscription(&s.owner.account_id, Some("growth"), None)
        .await;
    let second = app
        .post("/api/v1/auth/sites", t, json!({"name": "Second site"}))
        .await;
    second.assert_status(201);
    let second_site = id_of(&second);
    let second_sector = app
        .post(
            "/api/v1/auth/sectors",
            t,
            json!({"site_id": second_site, "name": "Other"}),
        )
        .await;
    let second_sector = id_of(&second_sector);
    let ours = app
        .post(
            "/api/v1/writer/tasks",
            t,
            json!({"site_id": s.site, "sector_id": s.other_sector, "title": "Ours"}),
        )
        .await;
    ours.assert_status(201);
    let ours_path = format!("/api/v1/writer/tasks/{}", id_of(&ours));
    let elsewhere = app
        .post(
            "/api/v1/writer/tasks",
            t,
            json!({"site_id": second_site, "sector_id": second_sector, "title": "Elsewhere"}),
        )
        .await;
    let elsewhere_path = format!("/api/v1/writer/tasks/{}", id_of(&elsewhere));

    let viewer = app.invite_and_login(&s.owner, "viewer").await;
    let v = Some(viewer.access.as_str());
    assert_eq!(
        app.get("/api/v1/writer/tasks", v).await.body["count"],
        json!(2)
    );
    app.post(
        "/api/v1/writer/tasks",
        v,
        json!({"site_id": s.site, "sector_id": s.sector, "title": "No"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    app.patch(&ours_path, v, json!({"title": "No"}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.delete(&ours_path, v)
        .await
        .assert_error(403, "PERMISSION_DENIED");

    let mallory = app.register("mallory").await;
    let m = Some(mallory.access.as_str());
    let hidden = app.get(&ours_path, m).await;
    hidden.assert_error(404, "NOT_FOUND");
    assert!(!hidden.text.contains("Ours"));
    app.delete(&ours_path, m)
        .await
        .assert_error(404, "NOT_FOUND");
    app.get(&format!("/api/v1/writer/tasks?site_id={}", s.site), m)
        .await
        .assert_error(404, "NOT_FOUND");
    app.post(
        "/api/v1/writer/tasks",
        m,
        json!({"site_id": s.site, "sector_id": s.sector, "title": "Theirs"}),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    assert_eq!(
        app.get("/api/v1/writer/tasks", m).await.body["count"],
        json!(0)
    );

    let key = app
        .post(
            &format!("/api/v1/auth/sites/{}/api-keys", s.site),
            t,
            json!({"name": "wp"}),
        )
        .await;
    let key = key.body["data"]["key"].as_str().unwrap().to_owned();
    let listed = with_key(&app, Method::GET, "/api/v1/writer/tasks", &key, None).await;
    listed.assert_status(200);
    assert_eq!(
        listed.body["count"],
        json!(1),
        "the key sees its own site only"
    );
    with_key(&app, Method::GET, &elsewhere_path, &key, None)
        .await
        .assert_error(404, "NOT_FOUND");
    with_key(
        &app,
        Method::GET,
        &format!("/api/v1/writer/content?site_id={second_site}"),
        &key,
        None,
    )
    .await
    .assert_error(404, "NOT_FOUND");
    let by_key = with_key(&app, Method::POST, "/api/v1/writer/content", &key, Some(json!({"site_id": s.site, "sector_id": s.sector, "title": "From WordPress", "source": "wordpress"}))).await;
    by_key.assert_status(201);
    assert_eq!(by_key.body["data"]["source"], json!("wordpress"));
    with_key(
        &app,
        Method::POST,
        "/api/v1/writer/content",
        &key,
        Some(json!({"site_id": second_site, "sector_id": second_sector, "title": "No"})),
    )
    .await
    .assert_error(404, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_document_describes_the_writer_routes() {
    let app = TestApp::spawn_with_writer().await;
    let doc = app.get("/api/v1/openapi.json", None).await;
    doc.assert_status(200);
    for path in [
        "/api/v1/writer/tasks",
        "/api/v1/writer/tasks/{id}",
        "/api/v1/writer/tasks/bulk_update",
        "/api/v1/writer/content/{id}/versions/{version}/restore",
        "/api/v1/writer/images/content_images",
        "/api/v1/writer/taxonomies/{id}",
    ] {
        assert!(doc.body["paths"][path].is_object(), "{path} is documented");
    }
    assert!(doc.body["components"]["schemas"]["Content"].is_object());
    // The auth routes are still there.
    assert!(doc.body["paths"]["/api/v1/auth/login"].is_object());
}

//! Clusters, ideas, the library and queueing to the writer over REST; site keys.

use serde_json::{Value, json};

use super::{keywords_of, site, upload};
use crate::harness::{TestApp, read};

#[tokio::test]
async fn clusters_ideas_library_and_queueing_work_end_to_end() {
    let app = TestApp::spawn_with_planner().await;
    let owner = app.register("ideas").await;
    let (site_id, sectors) = site(&app, &owner).await;
    let token = Some(owner.access.as_str());
    let library = app
        .get(
            "/api/v1/keywords-library?industry=technology&sector=saas&page_size=3",
            token,
        )
        .await;
    library.assert_status(200);
    assert_eq!(library.body["results"].as_array().unwrap().len(), 3);
    let ids: Vec<Value> = library.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].clone())
        .collect();
    let added = app
        .post(
            "/api/v1/planner/keywords/bulk_add_from_library",
            token,
            json!({"site_id": site_id, "sector_id": sectors[0], "library_ids": ids}),
        )
        .await;
    assert_eq!(added.body["data"]["created"], json!(3));
    upload(
        &app,
        "/api/v1/keywords-library/import",
        &owner.access,
        "text/csv",
        b"industry,sector,keyword\ntechnology,saas,x\n".to_vec(),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");

    let keywords = app
        .get(
            &format!(
                "/api/v1/planner/keywords?site_id={site_id}&sector_id={}",
                sectors[0]
            ),
            token,
        )
        .await;
    let keyword_ids: Vec<Value> = keywords.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].clone())
        .collect();
    let cluster = app
        .post(
            "/api/v1/planner/clusters",
            token,
            json!({"site_id": site_id, "sector_id": sectors[0], "name": "CRM"}),
        )
        .await;
    cluster.assert_status(201);
    let cluster_id = cluster.body["data"]["id"].as_str().unwrap().to_owned();
    let assigned = app
        .post(
            &format!("/api/v1/planner/clusters/{cluster_id}/assign_keywords"),
            token,
            json!({"keyword_ids": keyword_ids}),
        )
        .await;
    assert_eq!(assigned.body["data"]["affected"], json!(3));
    let fetched = app
        .get(&format!("/api/v1/planner/clusters/{cluster_id}"), token)
        .await;
    assert_eq!(fetched.body["data"]["keyword_count"], json!(3));
    app.post(
        "/api/v1/planner/clusters",
        token,
        json!({"site_id": site_id, "sector_id": sectors[0], "name": "crm"}),
    )
    .await
    .assert_error(409, "DUPLICATE_CLUSTER");

    let idea = app
        .post(
            "/api/v1/planner/ideas",
            token,
            json!({"site_id": site_id, "sector_id": sectors[0], "title": "Best CRM for startups", "cluster_id": cluster_id,
                   "content_structure": "comparison", "target_keywords": ["best crm"],
                   "outline": [{"heading": "Why a CRM", "covers": "pipeline", "keywords": ["crm"]}]}),
        )
        .await;
    idea.assert_status(201);
    let idea_id = idea.body["data"]["id"].clone();
    app.post("/api/v1/planner/ideas", token, json!({"site_id": site_id, "sector_id": sectors[0], "title": "x", "outline": [{"heading": ""}]}))
        .await
        .assert_field_error("outline[0].heading");
    let queued = app
        .post(
            "/api/v1/planner/ideas/bulk_queue_to_writer",
            token,
            json!({"ids": [idea_id]}),
        )
        .await;
    queued.assert_status(200);
    assert_eq!(queued.body["data"]["queued"], json!(1));
    let task_id = queued.body["data"]["ideas"][0]["task_id"].clone();
    let again = app
        .post(
            "/api/v1/planner/ideas/bulk_queue_to_writer",
            token,
            json!({"ids": [idea_id]}),
        )
        .await;
    assert_eq!(
        (
            again.body["data"]["queued"].clone(),
            again.body["data"]["ideas"][0]["task_id"].clone()
        ),
        (json!(0), task_id.clone())
    );
    let idea_now = app
        .get(
            &format!("/api/v1/planner/ideas/{}", idea_id.as_str().unwrap()),
            token,
        )
        .await;
    assert_eq!(
        (
            idea_now.body["data"]["status"].clone(),
            idea_now.body["data"]["writer_task_id"].clone()
        ),
        (json!("queued"), task_id)
    );
    let listed = app
        .get(
            &format!("/api/v1/planner/ideas?site_id={site_id}&status=queued"),
            token,
        )
        .await;
    assert_eq!(listed.body["count"], json!(1));

    app.delete(&format!("/api/v1/planner/clusters/{cluster_id}"), token)
        .await
        .assert_status(200);
    let freed = app
        .get(
            &format!("/api/v1/planner/keywords?site_id={site_id}&status=new"),
            token,
        )
        .await;
    assert_eq!(freed.body["count"], json!(3));
}

#[tokio::test]
async fn a_site_key_reaches_only_its_site() {
    let app = TestApp::spawn_with_planner().await;
    let owner = app.register("key").await;
    let (site_id, sectors) = site(&app, &owner).await;
    let created = app
        .post(
            &format!("/api/v1/auth/sites/{site_id}/api-keys"),
            Some(&owner.access),
            json!({"name": "WordPress"}),
        )
        .await;
    created.assert_status(201);
    let key = created.body["data"]["key"].as_str().unwrap().to_owned();
    let with_key =
        |request: reqwest::RequestBuilder| request.header("X-IGNY8-API-Key", key.clone());
    let response = with_key(app.client.post(app.url("/api/v1/planner/keywords")))
        .json(&json!({"site_id": site_id, "sector_id": sectors[0], "keyword": "from wordpress"}))
        .send()
        .await
        .unwrap();
    read(response).await.assert_status(201);
    let listed = read(
        with_key(app.client.get(app.url("/api/v1/planner/keywords")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    listed.assert_status(200);
    assert_eq!(keywords_of(&listed), ["from wordpress"]);
    let stranger = app.register("other").await;
    let (their_site, _) = site(&app, &stranger).await;
    let response = with_key(
        app.client
            .get(app.url(&format!("/api/v1/planner/keywords?site_id={their_site}"))),
    )
    .send()
    .await
    .unwrap();
    read(response).await.assert_error(404, "NOT_FOUND");
    let doc = app.get("/api/v1/openapi.json", None).await;
    for path in [
        "/api/v1/planner/keywords",
        "/api/v1/planner/keywords/import",
        "/api/v1/keywords-library",
        "/api/v1/planner/ideas/bulk_queue_to_writer",
    ] {
        assert!(doc.body["paths"][path].is_object(), "{path} documented");
    }
}

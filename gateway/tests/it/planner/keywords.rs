//! Keywords over REST: envelopes, status codes, filters, tenancy, roles, plan limit.

use serde_json::{Value, json};

use super::{keywords_of, site};
use crate::harness::TestApp;

#[tokio::test]
async fn keywords_answer_envelopes_with_the_right_status_codes() {
    let app = TestApp::spawn_with_planner().await;
    let owner = app.register("planner").await;
    let (site_id, sectors) = site(&app, &owner).await;
    let token = Some(owner.access.as_str());
    let created = app
        .post(
            "/api/v1/planner/keywords/",
            token,
            json!({"site_id": site_id, "sector_id": sectors[0], "keyword": " Best  CRM ", "search_volume": 1200, "difficulty": 45, "cpc": 1.25, "intent": "commercial"}),
        )
        .await;
    created.assert_status(201);
    let kw = &created.body["data"];
    assert_eq!(
        (
            kw["keyword"].as_str(),
            kw["cpc"].as_str(),
            kw["status"].as_str()
        ),
        (Some("Best CRM"), Some("1.25"), Some("new"))
    );
    assert_eq!(kw["cluster_id"], Value::Null);
    let id = kw["id"].as_str().unwrap().to_owned();
    app.post(
        "/api/v1/planner/keywords",
        token,
        json!({"site_id": site_id, "sector_id": sectors[0], "keyword": "best crm"}),
    )
    .await
    .assert_error(409, "DUPLICATE_KEYWORD");
    app.post(
        "/api/v1/planner/keywords",
        token,
        json!({"site_id": site_id, "sector_id": sectors[0], "keyword": "x", "difficulty": 101, "cpc": "abc"}),
    )
    .await
    .assert_field_error("difficulty")
    .assert_field_error("cpc");
    app.post(
        "/api/v1/planner/keywords",
        token,
        json!({"site_id": site_id, "sector_id": sectors[0], "keyword": "x", "search_volume": -1}),
    )
    .await
    .assert_field_error("search_volume");

    let words: Vec<Value> = (1..=30)
        .map(|i| json!({"keyword": format!("crm tip {i:02}"), "search_volume": i * 10}))
        .collect();
    let bulk = app
        .post(
            "/api/v1/planner/keywords/bulk_create",
            token,
            json!({"site_id": site_id, "sector_id": sectors[0], "keywords": words}),
        )
        .await;
    bulk.assert_status(200);
    assert_eq!(
        bulk.body["data"],
        json!({"created": 30, "skipped": 0, "rejected": 0})
    );
    let base = format!(
        "/api/v1/planner/keywords/?site_id={site_id}&sector_id={}",
        sectors[0]
    );
    let page = app
        .get(
            &format!("{base}&page_size=10&ordering=-search_volume&search=tip"),
            token,
        )
        .await;
    page.assert_status(200);
    assert_eq!(page.body["count"], json!(30));
    assert_eq!(
        keywords_of(&page)[..2],
        ["crm tip 30".to_owned(), "crm tip 29".to_owned()]
    );
    assert!(page.body["next"].as_str().unwrap().contains("page=2"));
    assert_eq!(page.body["previous"], Value::Null);
    let ranged = app
        .get(
            &format!("{base}&volume_min=100&volume_max=150&ordering=keyword"),
            token,
        )
        .await;
    assert_eq!(
        keywords_of(&ranged),
        [
            "crm tip 10",
            "crm tip 11",
            "crm tip 12",
            "crm tip 13",
            "crm tip 14",
            "crm tip 15"
        ]
    );
    app.get(&format!("{base}&volume_min=lots"), token)
        .await
        .assert_field_error("volume_min");
    app.get(&format!("{base}&ordering=password"), token)
        .await
        .assert_field_error("ordering");
    let options = app
        .get(
            &format!("/api/v1/planner/keywords/filter_options?site_id={site_id}"),
            token,
        )
        .await;
    options.assert_status(200);
    assert_eq!(options.body["data"]["statuses"], json!(["new"]));

    // Updates, then a keyword of another account is not found.
    let patched = app
        .patch(
            &format!("/api/v1/planner/keywords/{id}"),
            token,
            json!({"disabled": true, "cpc": "0.5"}),
        )
        .await;
    patched.assert_status(200);
    assert_eq!(
        (
            patched.body["data"]["disabled"].as_bool(),
            patched.body["data"]["cpc"].as_str()
        ),
        (Some(true), Some("0.50"))
    );
    let stranger = app.register("stranger").await;
    app.get(
        &format!("/api/v1/planner/keywords/{id}"),
        Some(&stranger.access),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    app.get(&base, Some(&stranger.access))
        .await
        .assert_error(404, "NOT_FOUND");

    // Viewers read but cannot write.
    let viewer = app.invite_and_login(&owner, "viewer").await;
    app.get(&base, Some(&viewer.access))
        .await
        .assert_status(200);
    app.delete(
        &format!("/api/v1/planner/keywords/{id}"),
        Some(&viewer.access),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");

    // The free plan holds 100 keywords.
    let many: Vec<Value> = (0..80)
        .map(|i| json!({"keyword": format!("more {i}")}))
        .collect();
    app.post(
        "/api/v1/planner/keywords/bulk_create",
        token,
        json!({"site_id": site_id, "sector_id": sectors[1], "keywords": many}),
    )
    .await
    .assert_error(402, "PLAN_LIMIT");
    let deleted = app
        .post(
            "/api/v1/planner/keywords/bulk_delete",
            token,
            json!({"ids": [id]}),
        )
        .await;
    assert_eq!(deleted.body["data"]["affected"], json!(1));
    app.delete(&format!("/api/v1/planner/keywords/{id}"), token)
        .await
        .assert_error(404, "NOT_FOUND");
}

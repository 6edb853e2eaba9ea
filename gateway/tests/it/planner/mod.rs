//! `/api/v1/planner/` and `/api/v1/keywords-library/` through the gateway, with real auth-,
//! planner- and writer-svc: envelopes, status codes, tenancy, roles, site keys, CSV in and out.

mod files;
mod flows;
mod keywords;

use reqwest::header::CONTENT_TYPE;
use serde_json::json;

use crate::harness::{Resp, Session, TestApp, read};

/// A site (technology) with the saas and cybersecurity sectors: (site id, sector ids).
pub async fn site(app: &TestApp, owner: &Session) -> (String, Vec<String>) {
    let site = app
        .post(
            "/api/v1/auth/sites",
            Some(&owner.access),
            json!({"name": "Blog", "industry_slug": "technology"}),
        )
        .await;
    site.assert_status(201);
    let site_id = site.body["data"]["id"].as_str().unwrap().to_owned();
    let sectors = app
        .post(
            &format!("/api/v1/auth/sites/{site_id}/select_sectors"),
            Some(&owner.access),
            json!({"industry_slug": "technology", "sector_slugs": ["saas", "cybersecurity"]}),
        )
        .await;
    sectors.assert_status(200);
    let ids = sectors.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    (site_id, ids)
}

/// Posts a raw body with `content_type`, as an upload.
pub async fn upload(
    app: &TestApp,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Resp {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("request reaches the gateway");
    read(response).await
}

pub fn keywords_of(list: &Resp) -> Vec<String> {
    list.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["keyword"].as_str().unwrap().to_owned())
        .collect()
}

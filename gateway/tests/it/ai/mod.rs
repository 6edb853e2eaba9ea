//! The AI routes through the gateway, with real auth-, planner-, writer-, billing- and ai-svc
//! and a fake AI provider: jobs from the planner and writer actions to their results, the
//! event stream, image files, refusals (credits, tenancy, roles, no provider), cancelling,
//! and the system routes (prompts, author profiles, AI settings).

mod events;
mod jobs;
mod refusals;
mod storage;
mod system;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{Resp, Session, TestApp};

/// An account with its owner, one site and two sectors, its opening credits granted.
pub struct Tenant {
    pub owner: Session,
    pub site: String,
    pub sectors: Vec<String>,
}

pub async fn tenant(app: &TestApp, tag: &str) -> Tenant {
    let owner = app.register(tag).await;
    let (site, sectors) = crate::planner::site(app, &owner).await;
    let tenant = Tenant {
        owner,
        site,
        sectors,
    };
    wait_for_credits(app, &tenant).await;
    tenant
}

/// The owner's balance (`data` of the balance route).
pub async fn balance(app: &TestApp, tenant: &Tenant) -> Value {
    let balance = app
        .get(
            "/api/v1/billing/credits/balance",
            Some(&tenant.owner.access),
        )
        .await;
    balance.assert_status(200);
    balance.body["data"].clone()
}

/// Waits until billing granted the account's plan credits (from auth-svc's event).
async fn wait_for_credits(app: &TestApp, tenant: &Tenant) {
    for _ in 0..200 {
        if balance(app, tenant).await["available_milli"].as_i64() > Some(0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("billing never granted the opening credits");
}

/// Waits until nothing is held (every job settled) and returns the balance.
pub async fn settled_balance(app: &TestApp, tenant: &Tenant) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let balance = balance(app, tenant).await;
        if balance["held_milli"] == json!(0) {
            return balance;
        }
        assert!(Instant::now() < deadline, "credits still held: {balance}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Adds `count` keywords named `<tag> keyword NNN` to the first sector; their ids in order.
pub async fn keywords(app: &TestApp, tenant: &Tenant, count: usize, tag: &str) -> Vec<String> {
    let token = Some(tenant.owner.access.as_str());
    let words: Vec<Value> = (0..count)
        .map(|i| json!({"keyword": format!("{tag} keyword {i:03}"), "search_volume": 100 + i}))
        .collect();
    app.post(
        "/api/v1/planner/keywords/bulk_create",
        token,
        json!({"site_id": tenant.site, "sector_id": tenant.sectors[0], "keywords": words}),
    )
    .await
    .assert_status(200);
    let list = app
        .get(
            &format!(
                "/api/v1/planner/keywords?site_id={}&sector_id={}&search={tag}&ordering=keyword&page_size=100",
                tenant.site, tenant.sectors[0]
            ),
            token,
        )
        .await;
    list.assert_status(200);
    let ids = ids_of(&list.body["results"]);
    assert_eq!(ids.len(), count, "{}", list.text);
    ids
}

/// The `id` of each object of a JSON array.
pub fn ids_of(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|row| row["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Starts a job with `POST path {"ids": ids}`.
pub async fn submit(app: &TestApp, token: &str, path: &str, ids: &[String]) -> Resp {
    app.post(path, Some(token), json!({ "ids": ids })).await
}

/// Starts a job that must be accepted; its id.
pub async fn accepted(app: &TestApp, token: &str, path: &str, ids: &[String]) -> String {
    let response = submit(app, token, path, ids).await;
    response.assert_status(202);
    response.body["data"]["job_id"]
        .as_str()
        .expect("a job id")
        .to_owned()
}

/// Polls the job until it finished; the job JSON.
pub async fn finished(app: &TestApp, token: &str, job_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = app
            .get(&format!("/api/v1/jobs/{job_id}"), Some(token))
            .await;
        job.assert_status(200);
        if !job.body["data"]["finished_at"].is_null() {
            return job.body["data"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "job {job_id} never finished: {}",
            job.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Fetches a generated image's file through the gateway and checks it is the fake provider's
/// PNG, served privately.
pub async fn assert_serves_png(app: &TestApp, token: &str, image_id: &str) {
    let file = app
        .client
        .get(app.url(&format!("/api/v1/writer/images/{image_id}/file")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(file.headers()["cache-control"], "private, max-age=3600");
    assert_eq!(
        file.bytes().await.unwrap().as_ref(),
        igny8_test_support::fake_provider::TINY_PNG
    );
}

/// Waits for the job to complete (not fail) and returns it.
pub async fn completed(app: &TestApp, token: &str, job_id: &str) -> Value {
    let job = finished(app, token, job_id).await;
    assert_eq!(job["status"], json!("completed"), "{job}");
    assert_eq!(job["error"], Value::Null, "{job}");
    job
}

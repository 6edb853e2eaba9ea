//! Jobs that must not start (short credits, another account's ids, bad input, viewers, no
//! provider) create nothing and hold nothing; a queued job can be cancelled.

use serde_json::{Value, json};

use super::{accepted, balance, keywords, settled_balance, submit, tenant};
use crate::harness::{AiOptions, TestApp};

const AUTO_CLUSTER: &str = "/api/v1/planner/keywords/auto_cluster";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_jobs_create_nothing_and_hold_nothing() {
    let app = TestApp::spawn_with_ai().await;
    let account = tenant(&app, "refused").await;
    let token = account.owner.access.as_str();
    let ids = keywords(&app, &account, 3, "refused").await;

    // Another account's keywords do not exist for it.
    let other = tenant(&app, "refused-other").await;
    submit(&app, &other.owner.access, AUTO_CLUSTER, &ids)
        .await
        .assert_error(404, "NOT_FOUND");

    // Bad input names the field; viewers cannot run jobs.
    submit(&app, token, AUTO_CLUSTER, &[])
        .await
        .assert_field_error("ids");
    submit(&app, token, AUTO_CLUSTER, &["nope".to_owned()])
        .await
        .assert_field_error("ids[0]");
    app.post(AUTO_CLUSTER, Some(token), json!({"ids": ids, "kind": "x"}))
        .await
        .assert_field_error("kind");
    let viewer = app.invite_and_login(&account.owner, "viewer").await;
    submit(&app, &viewer.access, AUTO_CLUSTER, &ids)
        .await
        .assert_error(403, "PERMISSION_DENIED");

    // Credits short of the 10 a clustering run costs: 402, and still no job.
    let before = balance(&app, &account).await;
    let operator = app.register("refused-ops").await;
    let operator = app.make_developer(&operator).await;
    app.post(
        "/api/v1/billing/admin/credits/adjust",
        Some(&operator.access),
        json!({
            "account_id": account.owner.account_id,
            "amount_milli": 5_000 - before["available_milli"].as_i64().unwrap(),
            "pool": "plan",
            "reason": "leave 5 credits",
            "idempotency_key": format!("drain-{}", account.owner.account_id),
        }),
    )
    .await
    .assert_status(200);
    let short = submit(&app, token, AUTO_CLUSTER, &ids).await;
    short.assert_error(402, "INSUFFICIENT_CREDITS");

    for tenant in [&account, &other] {
        let jobs = app.get("/api/v1/jobs", Some(&tenant.owner.access)).await;
        assert_eq!(jobs.body["count"], json!(0), "{}", jobs.text);
        assert_eq!(balance(&app, tenant).await["held_milli"], json!(0));
    }
    assert_eq!(
        balance(&app, &account).await["available_milli"],
        json!(5_000)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_job_is_cancelled_at_once_and_its_credits_released() {
    // An ai-svc without workers: jobs stay queued.
    let options = AiOptions {
        role: ai_svc::Role::Api,
        ..AiOptions::default()
    };
    let app = TestApp::spawn_with_ai_options(options, |_| {}).await;
    let account = tenant(&app, "cancel").await;
    let token = account.owner.access.as_str();
    let ids = keywords(&app, &account, 3, "cancel").await;
    let before = balance(&app, &account).await;
    let job_id = accepted(&app, token, AUTO_CLUSTER, &ids).await;
    assert_eq!(balance(&app, &account).await["held_milli"], json!(10_000));
    let cancel = format!("/api/v1/jobs/{job_id}/cancel");

    let viewer = app.invite_and_login(&account.owner, "viewer").await;
    app.post(&cancel, Some(&viewer.access), json!({}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let other = tenant(&app, "cancel-other").await;
    let theirs = Some(other.owner.access.as_str());
    app.post(&cancel, theirs, json!({}))
        .await
        .assert_error(404, "NOT_FOUND");
    app.get(&format!("/api/v1/jobs/{job_id}"), theirs)
        .await
        .assert_error(404, "NOT_FOUND");

    let cancelled = app.post(&cancel, Some(token), json!({})).await;
    cancelled.assert_status(200);
    let job = &cancelled.body["data"];
    assert_eq!(job["status"], json!("cancelled"), "{job}");
    assert_eq!(job["cancel_requested"], json!(true));
    assert_eq!(job["charged_milli"], json!(0));
    assert!(!job["finished_at"].is_null());
    let after = settled_balance(&app, &account).await;
    assert_eq!(after["available_milli"], before["available_milli"]);
    app.post(&cancel, Some(token), json!({}))
        .await
        .assert_error(409, "JOB_FINISHED");
    let listed = app.get("/api/v1/jobs?status=cancelled", Some(token)).await;
    assert_eq!(listed.body["count"], json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_provider_key_jobs_are_refused_until_the_account_brings_one() {
    let options = AiOptions {
        platform_key: false,
        ..AiOptions::default()
    };
    let app = TestApp::spawn_with_ai_options(options, |_| {}).await;
    let account = tenant(&app, "no-provider").await;
    let token = account.owner.access.as_str();
    let ids = keywords(&app, &account, 3, "noprov").await;
    let settings = app.get("/api/v1/system/settings/ai", Some(token)).await;
    assert_eq!(settings.body["data"]["text_ready"], json!(false));

    // A precondition the account can fix: 409 with its own code, nothing held, no job.
    submit(&app, token, AUTO_CLUSTER, &ids)
        .await
        .assert_error(409, "AI_PROVIDER_NOT_CONFIGURED");
    assert_eq!(
        app.get("/api/v1/jobs", Some(token)).await.body["count"],
        json!(0)
    );
    assert_eq!(balance(&app, &account).await["held_milli"], json!(0));

    let key = "sk-own-key-9876";
    let saved = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/system/settings/ai",
            Some(token),
            Some(json!({ "text_api_key": key })),
        )
        .await;
    saved.assert_status(200);
    assert!(!saved.text.contains(key));
    assert_eq!(saved.body["data"]["text_ready"], json!(true));
    assert_eq!(saved.body["data"]["text_api_key_hint"], json!("9876"));
    let job_id = accepted(&app, token, AUTO_CLUSTER, &ids).await;
    let job = super::completed(&app, token, &job_id).await;
    assert_eq!(job["output"]["object_type"], json!("cluster"));
    // The job ran on the account's own key.
    let fake = app.fake.as_ref().expect("the fake provider");
    let authorised: Vec<Value> = fake
        .received()
        .iter()
        .map(|r| json!(r.headers.get("authorization").and_then(|v| v.to_str().ok())))
        .collect();
    assert!(
        authorised.contains(&json!(format!("Bearer {key}"))),
        "{authorised:?}"
    );
}

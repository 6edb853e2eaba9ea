//! Plans and their limits, the account, subscriptions, and deactivated users.

use serde_json::{Value, json};

use crate::harness::{PASSWORD, TestApp};

async fn plan(app: &TestApp, token: &str, slug: &str) -> Value {
    let plans = app.get("/api/v1/auth/plans", Some(token)).await;
    plans.assert_status(200);
    plans.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == json!(slug))
        .unwrap_or_else(|| panic!("plan {slug} is seeded"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_limits_answer_payment_required() {
    let app = TestApp::spawn().await;
    let owner = app.register("limits").await;
    let t = Some(owner.access.as_str());
    let account = app.get("/api/v1/auth/account", t).await;
    account.assert_status(200);
    let slug = account.body["data"]["plan"]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let limits = plan(&app, &owner.access, &slug).await;
    let max_sites = limits["max_sites"].as_u64().unwrap();
    let max_sectors = limits["max_sectors_per_site"].as_u64().unwrap();
    assert!(
        max_sites >= 1 && max_sectors >= 1,
        "the default plan allows some sites and sectors: {limits}"
    );

    let mut first_site = None;
    for n in 0..max_sites {
        let site = app
            .post(
                "/api/v1/auth/sites",
                t,
                json!({"name": format!("Site {n}")}),
            )
            .await;
        site.assert_status(201);
        first_site.get_or_insert_with(|| site.body["data"]["id"].as_str().unwrap().to_owned());
    }
    let over = app
        .post("/api/v1/auth/sites", t, json!({"name": "One too many"}))
        .await;
    over.assert_error(402, "PLAN_LIMIT");
    let sites = app.get("/api/v1/auth/sites", t).await;
    assert_eq!(sites.body["count"], json!(max_sites));

    // Sectors per site: pick one more template sector than the plan allows.
    let industries = app.get("/api/v1/auth/industries", t).await;
    industries.assert_status(200);
    let industry = industries.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["sectors"]
                .as_array()
                .is_some_and(|s| s.len() as u64 > max_sectors)
        })
        .expect("an industry with more template sectors than the plan allows")
        .clone();
    let slugs: Vec<Value> = industry["sectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].clone())
        .collect();
    let site_id = first_site.unwrap();
    let select =
        |n: usize| json!({"industry_slug": industry["slug"], "sector_slugs": slugs[..n].to_vec()});
    app.post(
        &format!("/api/v1/auth/sites/{site_id}/select_sectors"),
        t,
        select(max_sectors as usize + 1),
    )
    .await
    .assert_error(402, "PLAN_LIMIT");
    let allowed = app
        .post(
            &format!("/api/v1/auth/sites/{site_id}/select_sectors"),
            t,
            select(max_sectors as usize),
        )
        .await;
    allowed.assert_status(200);
    assert_eq!(allowed.body["count"], json!(max_sectors));
    let active = app
        .get(&format!("/api/v1/auth/sites/{site_id}/sectors"), t)
        .await;
    assert_eq!(active.body["count"], json!(max_sectors));
    app.post(
        "/api/v1/auth/sectors",
        t,
        json!({"site_id": site_id, "name": "Extra"}),
    )
    .await
    .assert_error(402, "PLAN_LIMIT");

    // A bigger plan lifts the site limit.
    app.set_subscription(&owner.account_id, Some("scale"), None)
        .await;
    app.post("/api/v1/auth/sites", t, json!({"name": "Now allowed"}))
        .await
        .assert_status(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_can_be_read_and_renamed() {
    let app = TestApp::spawn().await;
    let owner = app.register("account").await;
    let t = Some(owner.access.as_str());
    let updated = app
        .patch(
            "/api/v1/auth/account/",
            t,
            json!({"name": "  Renamed Co  ", "timezone": "Europe/Berlin"}),
        )
        .await;
    updated.assert_status(200);
    assert_eq!(updated.body["data"]["name"], json!("Renamed Co"));
    assert_eq!(updated.body["data"]["timezone"], json!("Europe/Berlin"));
    let account = app.get("/api/v1/auth/account", t).await;
    assert_eq!(account.body["data"]["name"], json!("Renamed Co"));
    assert!(
        account.body["data"]["created_at"]
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_changed_by_the_platform_not_by_customers() {
    let app = TestApp::spawn().await;
    let owner = app.register("subs").await;
    let t = Some(owner.access.as_str());
    app.patch(
        "/api/v1/auth/account/subscription",
        t,
        json!({"account_id": owner.account_id, "plan_slug": "scale"}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");

    // Billing suspends the account; sign-in and account routes stay open so the customer can
    // see why and pay.
    app.set_subscription(&owner.account_id, None, Some("suspended"))
        .await;
    let account = app.get("/api/v1/auth/account", t).await;
    account.assert_status(200);
    assert_eq!(
        account.body["data"]["subscription"]["status"],
        json!("suspended")
    );
    app.get("/api/v1/auth/me", t).await.assert_status(200);
    app.login(&owner.email, PASSWORD).await.assert_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_user_cannot_sign_in_and_their_tokens_stop_working() {
    let app = TestApp::spawn().await;
    let owner = app.register("deact").await;
    let editor = app.invite_and_login(&owner, "editor").await;
    app.get("/api/v1/auth/me", Some(&editor.access))
        .await
        .assert_status(200);

    let response = app
        .delete(
            &format!("/api/v1/auth/users/{}/", editor.user_id),
            Some(&owner.access),
        )
        .await;
    response.assert_status(200);
    assert_eq!(response.body["data"], json!(null));
    assert!(response.body["message"].is_string());

    app.login(&editor.email, PASSWORD)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    app.eventually_status("/api/v1/auth/me", &editor.access, 401)
        .await;
    app.post(
        "/api/v1/auth/token/refresh",
        None,
        json!({"refresh": editor.refresh}),
    )
    .await
    .assert_error(401, "UNAUTHENTICATED");
    let listed = app
        .get(
            &format!("/api/v1/auth/users/{}", editor.user_id),
            Some(&owner.access),
        )
        .await;
    assert_eq!(listed.body["data"]["is_active"], json!(false));
    // The owner is unaffected.
    app.get("/api/v1/auth/me", Some(&owner.access))
        .await
        .assert_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inactive_account_gets_402_everywhere_but_auth_and_billing() {
    let app = TestApp::spawn_with_planner().await;
    let owner = app.register("inactive").await;
    let t = owner.access.as_str();
    let before = app.get("/api/v1/planner/keywords", Some(t)).await;
    assert_ne!(
        before.status, 402,
        "an active account is served: {before:?}"
    );

    app.set_subscription(&owner.account_id, None, Some("suspended"))
        .await;
    app.eventually_status("/api/v1/planner/keywords", t, 402)
        .await
        .assert_error(402, "ACCOUNT_INACTIVE");
    // Signing in and seeing the account stay open, so the customer can find out why and pay.
    app.get("/api/v1/auth/me", Some(t)).await.assert_status(200);

    app.set_subscription(&owner.account_id, None, Some("active"))
        .await;
    app.eventually_status("/api/v1/planner/keywords", t, before.status)
        .await;
}

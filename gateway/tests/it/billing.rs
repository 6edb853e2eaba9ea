//! `/api/v1/billing/` through the gateway with real auth-svc and billing-svc: owners and admins
//! read their account's credits, editors and viewers get 403, developers edit the cost table
//! and adjust credits; amounts come as exact milli integers and decimal strings.

use igny8_proto::billing::v1::{self as pb, billing_service_client::BillingServiceClient};
use serde_json::{Value, json};

use crate::harness::{Session, TestApp};

const READS: [&str; 7] = [
    "/api/v1/billing/credits/balance",
    "/api/v1/billing/transactions",
    "/api/v1/billing/credits/transactions",
    "/api/v1/billing/credits/usage",
    "/api/v1/billing/credits/usage/summary",
    "/api/v1/billing/credits/estimate?operation=clustering",
    "/api/v1/billing/cost-config",
];

/// Waits until billing-svc opened the account's ledger (from auth-svc's event).
async fn ledger_open(app: &TestApp, owner: &Session) -> Value {
    for _ in 0..200 {
        let balance = app
            .get("/api/v1/billing/credits/balance", Some(&owner.access))
            .await;
        balance.assert_status(200);
        if balance.body["data"]["plan_slug"] == json!("free") {
            return balance.body["data"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("billing never opened the ledger");
}

/// billing-svc over gRPC as a platform service acting for `account`.
struct Service {
    client: BillingServiceClient<tonic::transport::Channel>,
    token: String,
    account: String,
}

impl Service {
    async fn new(app: &TestApp, account: &str) -> Self {
        let addr = app.billing_grpc.expect("billing-svc runs");
        Self {
            client: BillingServiceClient::connect(format!("http://{addr}"))
                .await
                .expect("billing gRPC"),
            token: app.service_token().await,
            account: account.to_owned(),
        }
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        igny8_platform::grpc::as_service(
            message,
            &self.token,
            Some(self.account.parse().expect("account id")),
            "test",
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_and_admins_see_billing_and_editors_and_viewers_get_403() {
    let app = TestApp::spawn_with_billing().await;
    let owner = app.register("billing-roles").await;
    ledger_open(&app, &owner).await;
    // The free plan has room for three users; this test needs four.
    app.set_subscription(&owner.account_id, Some("growth"), None)
        .await;
    let admin = app.invite_and_login(&owner, "admin").await;
    let editor = app.invite_and_login(&owner, "editor").await;
    let viewer = app.invite_and_login(&owner, "viewer").await;
    for path in READS {
        for reader in [&owner, &admin] {
            app.get(path, Some(&reader.access)).await.assert_status(200);
        }
        for outsider in [&editor, &viewer] {
            app.get(path, Some(&outsider.access))
                .await
                .assert_error(403, "PERMISSION_DENIED");
        }
        app.get(path, None)
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }
    let trailing = app
        .get("/api/v1/billing/credits/balance/", Some(&owner.access))
        .await;
    trailing.assert_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_history_and_usage_show_the_accounts_credits_exactly() {
    let app = TestApp::spawn_with_billing().await;
    let owner = app.register("billing-ledger").await;
    let other = app.register("billing-other").await;
    let opened = ledger_open(&app, &owner).await;
    assert_eq!(opened["available"], json!("100.000"));
    assert_eq!(opened["available_milli"], json!(100_000));
    ledger_open(&app, &other).await;

    // An AI job: hold 5 credits, charge 2.5, log the call.
    let mut service = Service::new(&app, &owner.account_id).await;
    let hold = service
        .client
        .hold(service.request(pb::HoldRequest {
            idempotency_key: "job-1:hold".into(),
            amount_milli: 5000,
            reason: "content".into(),
            operation: "content_generation".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    let request = service.request(pb::CaptureRequest {
        idempotency_key: "job-1:capture".into(),
        hold_id: hold.id.clone(),
        actual_milli: 2500,
    });
    service.client.capture(request).await.unwrap();
    let request = service.request(pb::RecordUsageRequest {
        idempotency_key: "job-1:usage".into(),
        operation: "content_generation".into(),
        model: "gpt-4.1".into(),
        input_tokens: 900,
        output_tokens: 2100,
        cost_micros: 31_500,
        credits_milli: 2500,
        job_id: "job-1".into(),
        object_type: "content".into(),
        object_id: uuid::Uuid::new_v4().to_string(),
        hold_id: hold.id,
    });
    service.client.record_usage(request).await.unwrap();

    let t = Some(owner.access.as_str());
    let balance = app.get("/api/v1/billing/credits/balance", t).await;
    let data = &balance.assert_status(200).body["data"];
    assert_eq!(data["available"], json!("97.500"));
    assert_eq!(data["spent_milli"], json!(2500));
    assert_eq!(data["held"], json!("0.000"));

    let history = app.get("/api/v1/billing/transactions?page_size=2", t).await;
    history.assert_status(200);
    assert_eq!(history.body["count"], json!(3));
    let kinds: Vec<&str> = history.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["capture", "hold"]);
    assert_eq!(history.body["results"][0]["amount"], json!("2.500"));
    assert!(history.body["next"].as_str().unwrap().contains("page=2"));
    let captures = app
        .get(
            "/api/v1/billing/credits/transactions?kind=capture,release",
            t,
        )
        .await;
    assert_eq!(captures.assert_status(200).body["count"], json!(1));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let dated = app
        .get(
            &format!("/api/v1/billing/transactions?from={today}&to={today}"),
            t,
        )
        .await;
    assert_eq!(dated.assert_status(200).body["count"], json!(3));
    app.get("/api/v1/billing/transactions?kind=theft", t)
        .await
        .assert_field_error("kind");
    app.get("/api/v1/billing/transactions?from=yesterday", t)
        .await
        .assert_field_error("from");
    // The other account sees none of it.
    let theirs = app
        .get("/api/v1/billing/transactions", Some(&other.access))
        .await;
    assert_eq!(theirs.assert_status(200).body["count"], json!(1));

    let usage = app.get("/api/v1/billing/credits/usage", t).await;
    let data = &usage.assert_status(200).body["data"];
    assert_eq!(data["by_operation"][0]["key"], json!("content_generation"));
    assert_eq!(data["by_operation"][0]["credits"], json!("2.500"));
    assert_eq!(data["by_model"][0]["key"], json!("gpt-4.1"));
    assert_eq!(data["by_day"][0]["key"], json!(today));
    assert_eq!(data["by_day"][0]["cost_usd"], json!("0.031500"));
    let summary = app.get("/api/v1/billing/credits/usage/summary", t).await;
    let data = &summary.assert_status(200).body["data"];
    assert_eq!(data["total"]["calls"], json!(1));
    assert_eq!(data["captured"], json!("2.500"));
    assert_eq!(data["granted_milli"], json!(100_000));
    app.get(
        "/api/v1/billing/credits/usage?from=2026-01-02&to=2026-01-01",
        t,
    )
    .await
    .assert_field_error("from");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimates_price_operations_from_the_cost_table() {
    let app = TestApp::spawn_with_billing().await;
    let owner = app.register("billing-estimate").await;
    let t = Some(owner.access.as_str());
    let content = app
        .get(
            "/api/v1/billing/credits/estimate?operation=content_generation&words=1500",
            t,
        )
        .await;
    let data = &content.assert_status(200).body["data"];
    assert_eq!(data["credits"], json!("3.000"));
    assert_eq!(
        (data["unit"].clone(), data["units"].clone()),
        (json!("words"), json!(3))
    );
    let images = app
        .get(
            "/api/v1/billing/credits/estimate?operation=image_generation&items=3&model=google:4@2",
            t,
        )
        .await;
    let data = &images.assert_status(200).body["data"];
    assert_eq!(data["credits_milli"], json!(12_000));
    assert_eq!(data["model"], json!("google:4@2"));
    app.get(
        "/api/v1/billing/credits/estimate?operation=content_generation",
        t,
    )
    .await
    .assert_field_error("words");
    app.get(
        "/api/v1/billing/credits/estimate?operation=content_generation&words=lots",
        t,
    )
    .await
    .assert_field_error("words");
    app.get("/api/v1/billing/credits/estimate?operation=alchemy", t)
        .await
        .assert_field_error("operation");
    // Documented once each (the `credits/transactions` alias shares `transactions`' entry).
    let document = app.get("/api/v1/openapi.json", None).await;
    let documented = READS
        .iter()
        .map(|p| p.split('?').next().unwrap())
        .filter(|p| !p.ends_with("credits/transactions"));
    for path in documented {
        assert!(document.body["paths"].get(path).is_some(), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn developers_edit_the_cost_table_and_adjust_credits_and_nobody_else_does() {
    let app = TestApp::spawn_with_billing().await;
    let customer = app.register("billing-customer").await;
    ledger_open(&app, &customer).await;
    let staff = app.register("billing-staff").await;
    let developer = app.make_developer(&staff).await;
    let rows = json!({"entries": [{"operation": "clustering", "unit": "run", "credits_per_unit_milli": 8000}]});
    let adjust = |key: &str, amount: i64| {
        json!({"account_id": customer.account_id, "amount_milli": amount, "pool": "bonus",
               "reason": "goodwill", "idempotency_key": key})
    };
    let path = "/api/v1/billing/cost-config";
    let adjust_path = "/api/v1/billing/admin/credits/adjust";
    app.send(
        reqwest::Method::PUT,
        path,
        Some(&customer.access),
        Some(rows.clone()),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    app.post(adjust_path, Some(&customer.access), adjust("a", 5000))
        .await
        .assert_error(403, "PERMISSION_DENIED");

    let table = app
        .send(
            reqwest::Method::PUT,
            path,
            Some(&developer.access),
            Some(rows),
        )
        .await;
    table.assert_status(200);
    let clustering = table.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["operation"] == json!("clustering") && r["model"].is_null())
        .cloned()
        .unwrap();
    assert_eq!(clustering["credits_per_unit"], json!("8.000"));
    let estimate = app
        .get(
            "/api/v1/billing/credits/estimate?operation=clustering",
            Some(&customer.access),
        )
        .await;
    assert_eq!(estimate.body["data"]["credits"], json!("8.000"));
    let patched = app
        .patch(
            path,
            Some(&developer.access),
            json!({"entries": [{"operation": "clustering", "unit": "furlongs", "credits_per_unit_milli": 1}]}),
        )
        .await;
    patched.assert_field_error("entries[0].unit");

    let adjusted = app
        .post(
            adjust_path,
            Some(&developer.access),
            adjust("goodwill-1", 5000),
        )
        .await;
    let data = &adjusted.assert_status(200).body["data"];
    assert_eq!(data["balance"]["bonus"], json!("5.000"));
    assert_eq!(data["replayed"], json!(false));
    let replayed = app
        .post(
            adjust_path,
            Some(&developer.access),
            adjust("goodwill-1", 5000),
        )
        .await;
    assert_eq!(
        replayed.assert_status(200).body["data"]["replayed"],
        json!(true)
    );
    app.post(
        adjust_path,
        Some(&developer.access),
        adjust("goodwill-1", 6000),
    )
    .await
    .assert_error(409, "IDEMPOTENCY_CONFLICT");
    app.post(
        adjust_path,
        Some(&developer.access),
        adjust("take-1", -5001),
    )
    .await
    .assert_error(402, "INSUFFICIENT_CREDITS");
    app.post(
        adjust_path,
        Some(&developer.access),
        json!({"account_id": "nope", "amount_milli": 0}),
    )
    .await
    .assert_field_error("account_id");
    let balance = app
        .get("/api/v1/billing/credits/balance", Some(&customer.access))
        .await;
    assert_eq!(balance.body["data"]["bonus_milli"], json!(5000));
}

//! The cost table and estimates, the usage log and its reports, and the transaction history.

use chrono::{Duration, Utc};
use igny8_platform::Role;
use igny8_proto::billing::v1 as pb;
use tonic::Code;

use crate::helpers::{
    Account, FREE_PLAN_MILLI, Harness, assert_error, bearer, capture, field_errors, grant, hold,
};

async fn estimate(
    h: &Harness,
    account: &Account,
    req: pb::EstimateRequest,
) -> pb::EstimateResponse {
    h.billing()
        .estimate(bearer(req, &account.owner_token))
        .await
        .expect("estimate")
        .into_inner()
}

fn op(operation: &str) -> pb::EstimateRequest {
    pb::EstimateRequest {
        operation: operation.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn estimates_follow_the_seeded_cost_table() {
    let h = Harness::start().await;
    let account = h.account().await;
    let words = |words| pb::EstimateRequest {
        words,
        ..op("content_generation")
    };
    assert_eq!(
        estimate(&h, &account, words(1500)).await.credits_milli,
        3000
    );
    assert_eq!(
        estimate(&h, &account, words(1501)).await.credits_milli,
        4000
    );
    assert_eq!(
        estimate(&h, &account, op("clustering")).await.credits_milli,
        10_000
    );
    let prompts = pb::EstimateRequest {
        items: 4,
        ..op("image_prompt_extraction")
    };
    assert_eq!(estimate(&h, &account, prompts).await.credits_milli, 2000);
    let images = |model: &str| pb::EstimateRequest {
        items: 3,
        model: model.into(),
        ..op("image_generation")
    };
    let premium = estimate(&h, &account, images("google:4@2")).await;
    assert_eq!(
        (premium.credits_milli, premium.model.as_str()),
        (12_000, "google:4@2")
    );
    let unknown = estimate(&h, &account, images("someone:new@1")).await;
    assert_eq!((unknown.credits_milli, unknown.model.as_str()), (3000, ""));
    let status = h
        .billing()
        .estimate(bearer(op("content_generation"), &account.owner_token))
        .await
        .unwrap_err();
    assert_eq!(field_errors(&status), vec!["words"]);
    let status = h
        .billing()
        .estimate(bearer(op("telepathy"), &account.owner_token))
        .await
        .unwrap_err();
    assert_eq!(field_errors(&status), vec!["operation"]);
    h.cleanup().await;
}

#[tokio::test]
async fn a_developer_edits_the_cost_table_and_estimates_follow() {
    let h = Harness::start().await;
    let account = h.account().await;
    let developer = h.token_with_role(&account, Role::Developer).await;
    let mut billing = h.billing();
    let entries = vec![
        pb::CostEntry {
            operation: "content_generation".into(),
            unit: "words".into(),
            unit_size: 500,
            credits_per_unit_milli: 2000,
            min_credits_milli: 1000,
            ..Default::default()
        },
        pb::CostEntry {
            operation: "content_generation".into(),
            model: "gpt-4o-mini".into(),
            unit: "words".into(),
            unit_size: 500,
            credits_per_unit_milli: 500,
            tokens_per_credit: 10_000,
            min_credits_milli: 100,
            ..Default::default()
        },
    ];
    let config = billing
        .update_cost_config(bearer(pb::UpdateCostConfigRequest { entries }, &developer))
        .await
        .unwrap()
        .into_inner();
    assert!(
        config
            .entries
            .iter()
            .any(|e| e.model == "gpt-4o-mini" && e.tokens_per_credit == 10_000)
    );
    let words = |model: &str| pb::EstimateRequest {
        words: 1500,
        model: model.into(),
        ..op("content_generation")
    };
    assert_eq!(estimate(&h, &account, words("")).await.credits_milli, 6000);
    assert_eq!(
        estimate(&h, &account, words("gpt-4o-mini"))
            .await
            .credits_milli,
        1500
    );
    let tokens = pb::EstimateRequest {
        input_tokens: 3000,
        output_tokens: 2001,
        ..words("gpt-4o-mini")
    };
    let priced = estimate(&h, &account, tokens).await;
    assert_eq!(
        (priced.credits_milli, priced.unit.as_str()),
        (501, "tokens")
    );

    let bad = pb::CostEntry {
        operation: "content_generation".into(),
        unit: "parsecs".into(),
        credits_per_unit_milli: -1,
        ..Default::default()
    };
    let status = billing
        .update_cost_config(bearer(
            pb::UpdateCostConfigRequest { entries: vec![bad] },
            &developer,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        field_errors(&status),
        vec!["entries[0].credits_per_unit_milli", "entries[0].unit"]
    );
    assert_eq!(estimate(&h, &account, words("")).await.credits_milli, 6000);
    h.cleanup().await;
}

fn usage(key: &str, operation: &str, model: &str, credits: i64) -> pb::RecordUsageRequest {
    pb::RecordUsageRequest {
        idempotency_key: key.into(),
        operation: operation.into(),
        model: model.into(),
        input_tokens: 1200,
        output_tokens: 800,
        cost_micros: 2500,
        credits_milli: credits,
        job_id: format!("job-{key}"),
        object_type: "content".into(),
        object_id: uuid::Uuid::new_v4().to_string(),
        hold_id: String::new(),
    }
}

#[tokio::test]
async fn usage_is_logged_once_and_reported_by_operation_model_and_day() {
    let h = Harness::start().await;
    let account = h.account().await;
    let mut billing = h.billing();
    let held = billing
        .hold(account.acting(hold("job-a", 5000)))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    billing
        .capture(account.acting(capture("job-a:capture", &held.id, 3000)))
        .await
        .unwrap();
    let mut first = usage("a", "content_generation", "gpt-4.1", 3000);
    first.hold_id = held.id.clone();
    let recorded = billing
        .record_usage(account.acting(first.clone()))
        .await
        .unwrap()
        .into_inner();
    let again = billing
        .record_usage(account.acting(first.clone()))
        .await
        .unwrap()
        .into_inner();
    assert!(again.replayed && !recorded.replayed);
    assert_eq!(again.id, recorded.id);
    let status = billing
        .record_usage(account.acting(pb::RecordUsageRequest {
            credits_milli: 1,
            ..first
        }))
        .await
        .unwrap_err();
    assert_error(&status, Code::Aborted, "IDEMPOTENCY_CONFLICT");
    for request in [
        usage("b", "content_generation", "gpt-4.1", 4000),
        usage("c", "image_generation", "dall-e-3", 3000),
    ] {
        billing.record_usage(account.acting(request)).await.unwrap();
    }
    let report = billing
        .usage(bearer(pb::UsageRequest::default(), &account.owner_token))
        .await
        .unwrap()
        .into_inner();
    let row = |rows: &[pb::UsageRow], key: &str| {
        rows.iter()
            .find(|r| r.key == key)
            .map(|r| (r.calls, r.credits_milli))
            .unwrap_or_default()
    };
    assert_eq!(row(&report.by_operation, "content_generation"), (2, 7000));
    assert_eq!(row(&report.by_operation, "image_generation"), (1, 3000));
    assert_eq!(row(&report.by_model, "gpt-4.1"), (2, 7000));
    let today = Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(report.by_day.len(), 1);
    assert_eq!(row(&report.by_day, &today), (3, 10_000));
    assert_eq!(report.by_day[0].cost_micros, 7500);

    let summary = billing
        .usage_summary(bearer(pb::UsageRequest::default(), &account.owner_token))
        .await
        .unwrap()
        .into_inner();
    let total = summary.total.unwrap();
    assert_eq!(
        (total.calls, total.credits_milli, total.input_tokens),
        (3, 10_000, 3600)
    );
    assert_eq!(summary.captured_milli, 3000);
    assert_eq!(summary.granted_milli, FREE_PLAN_MILLI);
    assert_eq!(summary.balance.unwrap().spent_milli, 3000);

    // A range in the past sees nothing; a backwards or over-long range is refused.
    let past = pb::UsageRequest {
        from: Some(ts(Utc::now() - Duration::days(60))),
        to: Some(ts(Utc::now() - Duration::days(59))),
    };
    let empty = billing
        .usage(bearer(past, &account.owner_token))
        .await
        .unwrap()
        .into_inner();
    assert!(empty.by_operation.is_empty() && empty.by_day.is_empty());
    for (from, to) in [(1, 2), (400, 0)] {
        let status = billing
            .usage(bearer(
                pb::UsageRequest {
                    from: Some(ts(Utc::now() - Duration::days(from))),
                    to: Some(ts(Utc::now() - Duration::days(to))),
                },
                &account.owner_token,
            ))
            .await
            .unwrap_err();
        assert_eq!(field_errors(&status), vec!["from"]);
    }
    h.cleanup().await;
}

fn ts(at: chrono::DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

#[tokio::test]
async fn transactions_are_listed_newest_first_paginated_and_filtered_by_kind_and_date() {
    let h = Harness::start().await;
    let account = h.account().await;
    let mut billing = h.billing();
    for i in 0..4 {
        billing
            .grant(account.acting(grant(&format!("pack-{i}"), "purchase", 1000 + i)))
            .await
            .unwrap();
    }
    billing.hold(account.acting(hold("h", 500))).await.unwrap();
    let list = |req: pb::ListTransactionsRequest| {
        let mut billing = h.billing();
        let token = account.owner_token.clone();
        async move {
            billing
                .list_transactions(bearer(req, &token))
                .await
                .map(|r| r.into_inner())
        }
    };
    let page = |page, page_size| Some(igny8_proto::common::v1::PageRequest { page, page_size });
    let first = list(pb::ListTransactionsRequest {
        page: page(1, 2),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(first.page.unwrap().count, 6);
    let kinds: Vec<&str> = first.transactions.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, vec!["hold", "purchase"]);
    assert_eq!(first.transactions[0].amount_milli, -500);
    assert_eq!(first.transactions[0].held_delta_milli, 500);
    assert_eq!(first.transactions[1].amount_milli, 1003);
    let last = list(pb::ListTransactionsRequest {
        page: page(3, 2),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(last.transactions.last().unwrap().kind, "plan_period");
    assert_eq!(
        last.transactions.last().unwrap().available_after_milli,
        FREE_PLAN_MILLI
    );
    let purchases = list(pb::ListTransactionsRequest {
        kinds: vec!["purchase".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(purchases.page.unwrap().count, 4);
    let future = list(pb::ListTransactionsRequest {
        from: Some(ts(Utc::now() + Duration::hours(1))),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(future.page.unwrap().count, 0);
    let status = list(pb::ListTransactionsRequest {
        kinds: vec!["theft".into()],
        page: page(1, 500),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_eq!(field_errors(&status), vec!["kind", "page_size"]);
    h.cleanup().await;
}

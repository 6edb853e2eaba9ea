//! The sweeper: overdue holds expire and return their credits, once, with several sweepers.

use std::time::Duration;

use billing_svc::{BillingArgs, Hooks, sweeper::Sweeper};
use igny8_proto::billing::v1 as pb;
use tonic::Code;

use crate::helpers::{FREE_PLAN_MILLI, Harness, assert_error, capture, hold, test_settings};

fn short_hold(key: &str, amount_milli: i64) -> pb::HoldRequest {
    pb::HoldRequest {
        ttl_seconds: 1,
        ..hold(key, amount_milli)
    }
}

#[tokio::test]
async fn an_expired_hold_is_swept_and_its_credits_return() {
    let h = Harness::start().await;
    let account = h.account().await;
    let mut billing = h.billing();
    let held = billing
        .hold(account.acting(short_hold("crashed-job", 40_000)))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    assert_eq!(h.balance(&account).await.available_milli, 60_000);
    // The job "crashed": nobody captures or voids. The sweeper (every 100 ms) expires it.
    let expired = h
        .eventually(|| async {
            let hold = h
                .billing()
                .get_hold(account.acting(pb::GetHoldRequest {
                    hold_id: held.id.clone(),
                }))
                .await
                .unwrap()
                .into_inner();
            (hold.status != "held").then_some(hold)
        })
        .await;
    assert_eq!(expired.status, "expired");
    assert!(expired.resolved_at.is_some());
    let balance = h.balance(&account).await;
    assert_eq!(
        (balance.available_milli, balance.held_milli),
        (FREE_PLAN_MILLI, 0)
    );
    let status = billing
        .capture(account.acting(capture("late", &held.id, 1000)))
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "HOLD_RESOLVED");
    h.cleanup().await;
}

#[tokio::test]
async fn an_overdue_hold_cannot_be_captured_and_two_sweepers_expire_each_hold_once() {
    // This service's own sweeper runs once at start, then not for an hour: the test sweeps.
    let settings = BillingArgs {
        sweep_interval_ms: 3_600_000,
        ..test_settings()
    };
    let h = Harness::start_with(settings, Hooks::default()).await;
    let account = h.account().await;
    let mut billing = h.billing();
    let mut ids = Vec::new();
    for i in 0..30 {
        let held = billing
            .hold(account.acting(short_hold(&format!("job-{i}"), 1000)))
            .await
            .unwrap()
            .into_inner();
        ids.push(held.hold.unwrap().id);
    }
    let lasting = billing
        .hold(account.acting(hold("lasting", 5000)))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let status = billing
        .capture(account.acting(capture("too-late", &ids[0], 1000)))
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "HOLD_EXPIRED");

    let sweeper = || Sweeper {
        pool: h.pool.clone(),
        interval: Duration::from_secs(3600),
        grace: Duration::from_secs(86_400),
    };
    let (one, two) = (sweeper(), sweeper());
    let (first, second) = tokio::join!(one.sweep_once(), two.sweep_once());
    let (first, second) = (first.unwrap(), second.unwrap());
    // Either sweeper may skip an account the other is busy with; a later round finishes.
    let third = sweeper().sweep_once().await.unwrap();
    assert_eq!(
        first.holds_expired + second.holds_expired + third.holds_expired,
        30
    );
    let expired: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM billing.transfers WHERE account_id = $1 AND kind = 'expire'",
    )
    .bind(account.uuid())
    .fetch_one(&h.pool)
    .await
    .unwrap();
    assert_eq!(expired, 30);
    let balance = h.balance(&account).await;
    assert_eq!(
        (balance.available_milli, balance.held_milli),
        (FREE_PLAN_MILLI - 5000, 5000)
    );
    let still = billing
        .get_hold(account.acting(pb::GetHoldRequest {
            hold_id: lasting.id,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(still.status, "held");
    h.cleanup().await;
}

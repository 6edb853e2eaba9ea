//! Holds, captures and voids: idempotency, pool order, and the rules of resolution.

use igny8_proto::billing::v1 as pb;
use tonic::Code;

use crate::helpers::{
    FREE_PLAN_MILLI, Harness, assert_error, capture, field_errors, grant, hold, transfers_of, void,
};

#[tokio::test]
async fn a_repeated_hold_returns_the_first_result_and_changes_nothing() {
    let h = Harness::start().await;
    let account = h.account().await;
    let mut billing = h.billing();
    let first = billing
        .hold(account.acting(hold("job-1:hold", 5000)))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.replayed);
    let again = billing
        .hold(account.acting(hold("job-1:hold", 5000)))
        .await
        .unwrap()
        .into_inner();
    assert!(again.replayed);
    assert_eq!(again.transfer_id, first.transfer_id);
    assert_eq!(
        again.hold.as_ref().unwrap().id,
        first.hold.as_ref().unwrap().id
    );
    assert_eq!(again.balance, first.balance);
    assert_eq!(h.balance(&account).await.held_milli, 5000);
    assert_eq!(transfers_of(&h.pool, &account, "hold").await, 1);

    // The same key with another amount is refused and changes nothing either.
    let status = billing
        .hold(account.acting(hold("job-1:hold", 6000)))
        .await
        .unwrap_err();
    assert_error(&status, Code::Aborted, "IDEMPOTENCY_CONFLICT");
    assert_eq!(
        igny8_platform::error::decode_status(&status).http_status,
        409
    );
    let balance = h.balance(&account).await;
    assert_eq!(
        (balance.available_milli, balance.held_milli),
        (FREE_PLAN_MILLI - 5000, 5000)
    );

    // Captures are idempotent the same way, and a key is one operation's only.
    let hold_id = first.hold.unwrap().id;
    let captured = billing
        .capture(account.acting(capture("job-1:capture", &hold_id, 3000)))
        .await
        .unwrap()
        .into_inner();
    let recaptured = billing
        .capture(account.acting(capture("job-1:capture", &hold_id, 3000)))
        .await
        .unwrap()
        .into_inner();
    assert!(recaptured.replayed && !captured.replayed);
    assert_eq!(recaptured.transfer_id, captured.transfer_id);
    let status = billing
        .capture(account.acting(capture("job-1:capture", &hold_id, 4000)))
        .await
        .unwrap_err();
    assert_error(&status, Code::Aborted, "IDEMPOTENCY_CONFLICT");
    let status = billing
        .void(account.acting(void("job-1:hold", &hold_id)))
        .await
        .unwrap_err();
    assert_error(&status, Code::Aborted, "IDEMPOTENCY_CONFLICT");
    let balance = h.balance(&account).await;
    assert_eq!(balance.spent_milli, 3000);
    assert_eq!(balance.available_milli, FREE_PLAN_MILLI - 3000);
    assert_eq!(transfers_of(&h.pool, &account, "capture").await, 1);
    h.cleanup().await;
}

#[tokio::test]
async fn plan_credits_are_spent_before_bonus_credits_and_the_rest_returns_where_it_came_from() {
    let h = Harness::start().await;
    let account = h.account().await;
    let mut billing = h.billing();
    let granted = billing
        .grant(account.acting(grant("pack-1", "purchase", 50_000)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(granted.transaction.unwrap().bonus_delta_milli, 50_000);
    // 100 plan credits and 50 bonus: a hold of 30 takes only plan credits.
    let small = billing
        .hold(account.acting(hold("small", 30_000)))
        .await
        .unwrap()
        .into_inner();
    let small_hold = small.hold.unwrap();
    assert_eq!((small_hold.plan_milli, small_hold.bonus_milli), (30_000, 0));
    // A hold of 90 takes the remaining 70 plan credits, then 20 bonus.
    let big = billing
        .hold(account.acting(hold("big", 90_000)))
        .await
        .unwrap()
        .into_inner();
    let big_hold = big.hold.unwrap();
    assert_eq!(
        (big_hold.plan_milli, big_hold.bonus_milli),
        (70_000, 20_000)
    );
    let balance = big.balance.unwrap();
    assert_eq!(
        (balance.plan_milli, balance.bonus_milli, balance.held_milli),
        (0, 30_000, 120_000)
    );
    // Charging 80 of the 90 spends its plan part first; the 10 left were bonus: back to bonus.
    let captured = billing
        .capture(account.acting(capture("big:capture", &big_hold.id, 80_000)))
        .await
        .unwrap()
        .into_inner();
    let tx = billing
        .list_transactions(account.acting(pb::ListTransactionsRequest {
            kinds: vec!["capture".into()],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .transactions;
    assert_eq!(tx.len(), 1);
    assert_eq!(tx[0].id, captured.transfer_id);
    assert_eq!(
        (
            tx[0].spent_delta_milli,
            tx[0].bonus_delta_milli,
            tx[0].held_delta_milli
        ),
        (80_000, 10_000, -90_000)
    );
    // Voiding the small hold returns its 30 plan credits to the plan pool.
    let voided = billing
        .void(account.acting(void("small:void", &small_hold.id)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(voided.hold.unwrap().status, "voided");
    let balance = h.balance(&account).await;
    assert_eq!(
        (
            balance.plan_milli,
            balance.bonus_milli,
            balance.held_milli,
            balance.spent_milli
        ),
        (30_000, 40_000, 0, 80_000)
    );
    assert_eq!(balance.available_milli, 70_000);
    h.cleanup().await;
}

#[tokio::test]
async fn capturing_more_than_was_held_is_refused_and_changes_nothing() {
    let h = Harness::start().await;
    let account = h.account().await;
    let mut billing = h.billing();
    let held = billing
        .hold(account.acting(hold("h", 2000)))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    let status = billing
        .capture(account.acting(capture("c", &held.id, 2001)))
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "CAPTURE_EXCEEDS_HOLD");
    let balance = h.balance(&account).await;
    assert_eq!((balance.held_milli, balance.spent_milli), (2000, 0));
    // The refused key was not spent: the same key with a valid amount works.
    let ok = billing
        .capture(account.acting(capture("c", &held.id, 2000)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.hold.unwrap().captured_milli, 2000);
    let status = billing
        .capture(account.acting(capture("c2", &held.id, -1)))
        .await
        .unwrap_err();
    assert_eq!(field_errors(&status), vec!["actual_milli"]);
    h.cleanup().await;
}

#[tokio::test]
async fn a_hold_resolves_once_so_void_after_capture_and_capture_after_void_are_refused() {
    let h = Harness::start().await;
    let account = h.account().await;
    let mut billing = h.billing();
    let first = billing
        .hold(account.acting(hold("h1", 1000)))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    billing
        .capture(account.acting(capture("h1:capture", &first.id, 500)))
        .await
        .unwrap();
    let status = billing
        .void(account.acting(void("h1:void", &first.id)))
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "HOLD_RESOLVED");
    assert_eq!(
        igny8_platform::error::decode_status(&status).http_status,
        409
    );
    let status = billing
        .capture(account.acting(capture("h1:capture-again", &first.id, 500)))
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "HOLD_RESOLVED");

    let second = billing
        .hold(account.acting(hold("h2", 1000)))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    billing
        .void(account.acting(void("h2:void", &second.id)))
        .await
        .unwrap();
    let status = billing
        .capture(account.acting(capture("h2:capture", &second.id, 1000)))
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "HOLD_RESOLVED");
    let balance = h.balance(&account).await;
    assert_eq!(balance.spent_milli, 500);
    assert_eq!(balance.available_milli, FREE_PLAN_MILLI - 500);
    h.cleanup().await;
}

#[tokio::test]
async fn a_hold_beyond_the_available_balance_fails_with_insufficient_credits() {
    let h = Harness::start().await;
    let account = h.account().await;
    let mut billing = h.billing();
    let status = billing
        .hold(account.acting(hold("too-much", FREE_PLAN_MILLI + 1)))
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "INSUFFICIENT_CREDITS");
    assert_eq!(
        igny8_platform::error::decode_status(&status).http_status,
        402
    );
    // Exactly the balance is fine; then nothing more.
    billing
        .hold(account.acting(hold("all", FREE_PLAN_MILLI)))
        .await
        .unwrap();
    let status = billing
        .hold(account.acting(hold("one-more", 1)))
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "INSUFFICIENT_CREDITS");
    let status = billing
        .hold(account.acting(pb::HoldRequest {
            idempotency_key: "sys:mine".into(),
            amount_milli: 0,
            operation: "juggling".into(),
            ttl_seconds: 10_000_000,
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        field_errors(&status),
        vec![
            "amount_milli",
            "idempotency_key",
            "operation",
            "ttl_seconds"
        ]
    );
    h.cleanup().await;
}

//! Plan credits driven by auth-svc's real events: account creation, new periods, unpaid
//! renewals, and duplicate deliveries.

use billing_svc::{BillingArgs, Hooks};
use igny8_platform::amqp::{Amqp, EVENTS_EXCHANGE, message_properties};
use igny8_proto::{auth::v1 as auth_pb, billing::v1 as pb, common::v1::Empty};
use lapin::options::BasicPublishOptions;

use crate::helpers::{
    Account, FREE_PLAN_MILLI, Harness, bearer, capture, grant, hold, test_settings, transfers_of,
    void,
};

/// The growth plan's included credits (auth-svc's seed: 2,000).
const GROWTH_PLAN_MILLI: i64 = 2_000_000;

/// Changes the account's subscription through auth-svc, as billing (a service) would.
async fn change_subscription(
    h: &Harness,
    account: &Account,
    plan: Option<&str>,
    status: Option<&str>,
    new_period: bool,
) {
    let token = h.service_token("billing-svc").await;
    h.auth()
        .update_subscription(bearer(
            auth_pb::UpdateSubscriptionRequest {
                account_id: account.id.clone(),
                plan_slug: plan.map(Into::into),
                status: status.map(Into::into),
                start_new_period: new_period,
            },
            &token,
        ))
        .await
        .expect("update subscription");
}

#[tokio::test]
async fn a_new_period_resets_plan_credits_keeps_bonus_and_expires_old_held_plan_credits() {
    let h = Harness::start().await;
    let account = h.account().await;
    let mut billing = h.billing();
    billing
        .grant(account.acting(grant("pack", "purchase", 5000)))
        .await
        .unwrap();
    let spent = billing
        .hold(account.acting(hold("job-1", 40_000)))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    billing
        .capture(account.acting(capture("job-1:capture", &spent.id, 30_000)))
        .await
        .unwrap();
    let in_flight = billing
        .hold(account.acting(hold("job-2", 20_000)))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    let before = h.balance(&account).await;
    assert_eq!(
        (before.plan_milli, before.bonus_milli, before.held_milli),
        (50_000, 5000, 20_000)
    );

    change_subscription(&h, &account, Some("growth"), None, true).await;
    let after = h
        .eventually(|| async {
            let balance = h.balance(&account).await;
            (balance.plan_slug == "growth").then_some(balance)
        })
        .await;
    assert_eq!(
        (
            after.plan_milli,
            after.bonus_milli,
            after.held_milli,
            after.spent_milli
        ),
        (GROWTH_PLAN_MILLI, 5000, 20_000, 30_000)
    );
    assert_eq!(after.plan_included_milli, GROWTH_PLAN_MILLI);
    let resets = billing
        .list_transactions(account.acting(pb::ListTransactionsRequest {
            kinds: vec!["plan_period".into()],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .transactions;
    assert_eq!(resets.len(), 2, "account creation and the new period");
    assert_eq!(resets[0].plan_delta_milli, GROWTH_PLAN_MILLI - 50_000);

    // The in-flight job fails: its plan credits were the old period's, so they expire.
    billing
        .void(account.acting(void("job-2:void", &in_flight.id)))
        .await
        .unwrap();
    let last = h.balance(&account).await;
    assert_eq!(
        (last.plan_milli, last.bonus_milli, last.held_milli),
        (GROWTH_PLAN_MILLI, 5000, 0)
    );
    h.cleanup().await;
}

#[tokio::test]
async fn an_unpaid_renewal_keeps_plan_credits_through_grace_then_loses_them_until_paid() {
    let settings = BillingArgs {
        plan_grace_secs: 2,
        ..test_settings()
    };
    let h = Harness::start_with(settings, Hooks::default()).await;
    let account = h.account().await;
    let mut billing = h.billing();
    billing
        .grant(account.acting(grant("pack", "purchase", 10_000)))
        .await
        .unwrap();
    change_subscription(&h, &account, None, Some("past_due"), true).await;
    let during_grace = h
        .eventually(|| async {
            let balance = h.balance(&account).await;
            (balance.subscription_status == "past_due").then_some(balance)
        })
        .await;
    assert_eq!(during_grace.plan_milli, FREE_PLAN_MILLI);
    // After the grace period the sweeper takes the plan credits; bonus credits stay.
    let revoked = h
        .eventually(|| async {
            let balance = h.balance(&account).await;
            (balance.plan_milli == 0).then_some(balance)
        })
        .await;
    assert_eq!(revoked.bonus_milli, 10_000);
    assert_eq!(transfers_of(&h.pool, &account, "plan_revoke").await, 1);

    // Paid at last: the period's plan credits arrive.
    change_subscription(&h, &account, None, Some("active"), false).await;
    let paid = h
        .eventually(|| async {
            let balance = h.balance(&account).await;
            (balance.plan_milli == FREE_PLAN_MILLI).then_some(balance)
        })
        .await;
    assert_eq!(paid.subscription_status, "active");
    // A suspension takes them at once, without waiting for any grace period.
    change_subscription(&h, &account, None, Some("suspended"), false).await;
    let suspended = h
        .eventually(|| async {
            let balance = h.balance(&account).await;
            (balance.subscription_status == "suspended").then_some(balance)
        })
        .await;
    assert_eq!((suspended.plan_milli, suspended.bonus_milli), (0, 10_000));
    assert_eq!(transfers_of(&h.pool, &account, "plan_revoke").await, 2);
    assert_eq!(transfers_of(&h.pool, &account, "plan_period").await, 2);
    h.cleanup().await;
}

#[tokio::test]
async fn a_duplicate_account_created_delivery_grants_once() {
    let h = Harness::start().await;
    let account = h.account().await;
    let (message_id, payload, message_type): (uuid::Uuid, Vec<u8>, String) = sqlx::query_as(
        "SELECT message_id, payload, message_type FROM auth.outbox \
         WHERE routing_key = 'auth.account.created'",
    )
    .fetch_one(&h.auth_pool)
    .await
    .unwrap();
    // The relay publishes the same message again (as after dying before marking it sent)...
    sqlx::query("UPDATE auth.outbox SET published_at = NULL WHERE message_id = $1")
        .bind(message_id)
        .execute(&h.auth_pool)
        .await
        .unwrap();
    h.eventually(|| async {
        let pending: i64 =
            sqlx::query_scalar("SELECT count(*) FROM auth.outbox WHERE published_at IS NULL")
                .fetch_one(&h.auth_pool)
                .await
                .unwrap();
        (pending == 0).then_some(())
    })
    .await;
    // ...and then someone publishes the same event under a new message id.
    let copy_id = uuid::Uuid::new_v4();
    let amqp = Amqp::connect(&igny8_test_support::amqp::amqp_url(), &h.prefix)
        .await
        .unwrap();
    let channel = amqp.publisher().await.unwrap();
    let confirm = channel
        .basic_publish(
            amqp.name(EVENTS_EXCHANGE).as_str().into(),
            "auth.account.created".into(),
            BasicPublishOptions::default(),
            &payload,
            message_properties(&copy_id.to_string(), &message_type, None),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(confirm.is_ack());
    // Deliveries are handled in order, so once the copy is in the inbox both were handled.
    h.eventually(|| async {
        let seen: i64 =
            sqlx::query_scalar("SELECT count(*) FROM billing.inbox WHERE message_id = $1")
                .bind(copy_id)
                .fetch_one(&h.pool)
                .await
                .unwrap();
        (seen == 1).then_some(())
    })
    .await;
    let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM billing.inbox")
        .fetch_one(&h.pool)
        .await
        .unwrap();
    assert_eq!(
        inbox, 2,
        "the original and the copy; the re-publication was a duplicate"
    );
    assert_eq!(transfers_of(&h.pool, &account, "plan_period").await, 1);
    let balance = h
        .billing()
        .get_balance(account.acting(Empty {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(balance.plan_milli, FREE_PLAN_MILLI);
    h.cleanup().await;
}

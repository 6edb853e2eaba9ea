//! Many callers at once against one account: the balance is exact and never negative.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use tokio::task::JoinSet;
use tonic::Code;

use crate::helpers::{FREE_PLAN_MILLI, Harness, capture, hold, transfers_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_holds_of_one_credit_against_one_hundred_succeed_exactly_one_hundred_times()
 {
    let h = Harness::start().await;
    let account = Arc::new(h.account().await);
    // Watches the balances row throughout, recording the lowest value any pool reached.
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (pool, done, id) = (h.pool.clone(), done.clone(), account.uuid());
        tokio::spawn(async move {
            let mut lowest = i64::MAX;
            let mut samples = 0;
            while !done.load(Ordering::Relaxed) {
                let row: (i64, i64, i64, i64) = sqlx::query_as(
                    "SELECT plan, bonus, held_plan, held_bonus FROM billing.balances WHERE account_id = $1",
                )
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
                lowest = lowest.min(row.0.min(row.1).min(row.2).min(row.3));
                samples += 1;
            }
            (lowest, samples)
        })
    };

    let mut calls = JoinSet::new();
    for i in 0..200 {
        let (mut billing, account) = (h.billing(), account.clone());
        calls.spawn(async move {
            billing
                .hold(account.acting(hold(&format!("job-{i}"), 1000)))
                .await
        });
    }
    let mut held = Vec::new();
    let mut refused = 0;
    while let Some(result) = calls.join_next().await {
        match result.unwrap() {
            Ok(response) => held.push(response.into_inner().hold.unwrap().id),
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                assert_eq!(
                    igny8_platform::error::decode_status(&status).code,
                    "INSUFFICIENT_CREDITS"
                );
                refused += 1;
            }
        }
    }
    assert_eq!((held.len(), refused), (100, 100));
    let balance = h.balance(&account).await;
    assert_eq!(
        (balance.available_milli, balance.held_milli),
        (0, FREE_PLAN_MILLI)
    );
    assert_eq!(transfers_of(&h.pool, &account, "hold").await, 100);

    // Capturing all of them at once charges exactly what was held.
    let mut captures = JoinSet::new();
    for (i, hold_id) in held.into_iter().enumerate() {
        let (mut billing, account) = (h.billing(), account.clone());
        captures.spawn(async move {
            billing
                .capture(account.acting(capture(&format!("job-{i}:capture"), &hold_id, 1000)))
                .await
        });
    }
    while let Some(result) = captures.join_next().await {
        result.unwrap().expect("capture");
    }
    done.store(true, Ordering::Relaxed);
    let (lowest, samples) = watcher.await.unwrap();
    assert!(samples > 0);
    assert!(lowest >= 0, "a pool went negative: {lowest}");
    let balance = h.balance(&account).await;
    assert_eq!(
        (
            balance.available_milli,
            balance.held_milli,
            balance.spent_milli
        ),
        (0, 0, FREE_PLAN_MILLI)
    );
    h.cleanup().await;
}

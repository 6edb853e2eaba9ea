//! auth-svc's events reach a consumer exactly once in effect, across relay and consumer
//! restarts and re-published (duplicate) messages.

use std::time::Duration;

use igny8_platform::{
    amqp::Amqp,
    inbox::{Consumer, Handler, HandlerError, InboundMessage},
};
use igny8_proto::{
    auth::v1 as pb,
    events::v1::{AccountCreated, SubscriptionChanged},
};
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;

use crate::helpers::{Platform, bearer, unique_email};

const QUEUE: &str = "test.auth-events";

/// Records each event's effect in a table of its own schema.
struct RecordingHandler;

impl Handler for RecordingHandler {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        message: &InboundMessage,
    ) -> Result<(), HandlerError> {
        let account_id = match message.routing_key.as_str() {
            "auth.account.created" => message.decode::<AccountCreated>()?.account_id,
            "auth.subscription.changed" => message.decode::<SubscriptionChanged>()?.account_id,
            other => {
                return Err(HandlerError::Permanent(anyhow::anyhow!(
                    "unexpected event {other}"
                )));
            }
        };
        sqlx::query("INSERT INTO receipts (kind, account_id) VALUES ($1, $2::uuid)")
            .bind(&message.routing_key)
            .bind(account_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

async fn consumer_pool(platform: &Platform) -> sqlx::PgPool {
    let pool = igny8_platform::db::connect(&platform.db.url, 5, "consumer")
        .await
        .unwrap();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS consumer.inbox (consumer TEXT NOT NULL, message_id UUID NOT NULL, \
         received_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (consumer, message_id))",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("CREATE TABLE IF NOT EXISTS consumer.receipts (kind TEXT NOT NULL, account_id UUID NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    pool
}

fn start_consumer(
    pool: &sqlx::PgPool,
    amqp: &Amqp,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let consumer = Consumer::new(
        pool.clone(),
        amqp.clone(),
        QUEUE,
        &["auth.account.created", "auth.subscription.changed"],
        RecordingHandler,
    );
    let shutdown = CancellationToken::new();
    (shutdown.clone(), tokio::spawn(consumer.run(shutdown)))
}

async fn receipts(pool: &sqlx::PgPool) -> Vec<(String, uuid::Uuid, i64)> {
    sqlx::query_as(
        "SELECT kind, account_id, count(*) FROM consumer.receipts GROUP BY kind, account_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_event_takes_effect_once_across_restarts_and_redeliveries() {
    let mut platform = Platform::start().await;
    let pool = consumer_pool(&platform).await;
    let amqp = Amqp::connect(&igny8_test_support::amqp::amqp_url(), &platform.prefix)
        .await
        .unwrap();
    // Declared before anything is published, so nothing is dropped while no one consumes.
    Consumer::new(
        pool.clone(),
        amqp.clone(),
        QUEUE,
        &["auth.account.created", "auth.subscription.changed"],
        RecordingHandler,
    )
    .declare()
    .await
    .unwrap();
    let mut first_consumer = Some(start_consumer(&pool, &amqp));

    let mut accounts = Vec::new();
    for i in 0..30 {
        if i == 10 {
            // The relay stops mid-way with whatever it has not published yet.
            platform.stop_auth().await;
            platform.start_auth().await;
        }
        if i == 20
            && let Some((stop, task)) = first_consumer.take()
        {
            stop.cancel();
            task.await.unwrap();
        }
        let registered = platform.register(&unique_email()).await;
        accounts.push(registered.user.unwrap().account.unwrap().id);
    }
    // A relay that died after publishing and before marking publishes again: simulate it for
    // the first ten messages, which the consumer has already applied.
    let republished = sqlx::query(
        "UPDATE auth.outbox SET published_at = NULL WHERE seq IN (SELECT seq FROM auth.outbox ORDER BY seq LIMIT 10)",
    )
    .execute(&platform.pool)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(republished, 10);
    let service = platform.service_token("billing-svc").await;
    for account in accounts.iter().take(5) {
        platform
            .auth_client()
            .update_subscription(bearer(
                pb::UpdateSubscriptionRequest {
                    account_id: account.clone(),
                    plan_slug: Some("growth".into()),
                    status: None,
                    start_new_period: true,
                },
                &service,
            ))
            .await
            .unwrap();
    }
    // Restart the consumer after the backlog built up.
    let (consumer_stop, consumer_task) = start_consumer(&pool, &amqp);

    let expected = accounts.len() + 5;
    let mut seen = Vec::new();
    for _ in 0..200 {
        seen = receipts(&pool).await;
        let unpublished: i64 =
            sqlx::query_scalar("SELECT count(*) FROM auth.outbox WHERE published_at IS NULL")
                .fetch_one(&platform.pool)
                .await
                .unwrap();
        if seen.len() == expected && unpublished == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    consumer_stop.cancel();
    consumer_task.await.unwrap();
    assert_eq!(
        seen.len(),
        expected,
        "every account created and 5 subscription changes arrived"
    );
    assert!(
        seen.iter().all(|(_, _, n)| *n == 1),
        "no effect was applied twice: {seen:?}"
    );
    for account in &accounts {
        let id: uuid::Uuid = account.parse().unwrap();
        assert!(
            seen.iter()
                .any(|(kind, a, _)| kind == "auth.account.created" && *a == id)
        );
    }
    let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM consumer.inbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        inbox as usize, expected,
        "the inbox holds each message id once"
    );
    pool.close().await;
    platform.cleanup(&[QUEUE]).await;
}

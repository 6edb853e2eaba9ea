//! writer-svc's task events complete ideas: once per message id, only the account's own
//! idea, only when the task is completed.

use std::time::Duration;

use futures_util::StreamExt as _;
use igny8_platform::amqp::{Amqp, EVENTS_EXCHANGE, message_properties};
use igny8_proto::{
    events::v1::{PlannerIdeaEvent, WriterTaskStatusChanged},
    planner::v1 as pb,
};
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicPublishOptions};
use prost::{Message as _, Name as _};
use uuid::Uuid;

use crate::helpers::{Tenant, TestEnv, bearer};

const QUEUE: &str = "test.planner-completed";

async fn new_idea(env: &TestEnv, t: &Tenant, title: &str) -> String {
    env.planner()
        .create_idea(bearer(
            pb::CreateIdeaRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                title: title.into(),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .expect("create idea")
        .into_inner()
        .id
}

async fn status_of(env: &TestEnv, idea_id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM planner.ideas WHERE id = $1::uuid")
        .bind(idea_id)
        .fetch_one(&env.planner_pool)
        .await
        .expect("idea status")
}

/// Publishes a task status change as writer-svc's relay would, under `message_id`.
async fn publish(amqp: &Amqp, message_id: Uuid, account_id: &str, idea_id: &str, to_status: &str) {
    let event = WriterTaskStatusChanged {
        account_id: account_id.into(),
        task_id: Uuid::now_v7().to_string(),
        idea_id: idea_id.into(),
        from_status: "in_progress".into(),
        to_status: to_status.into(),
        ..Default::default()
    };
    let channel = amqp.publisher().await.expect("publisher");
    let confirm = channel
        .basic_publish(
            amqp.name(EVENTS_EXCHANGE).as_str().into(),
            planner_svc::consumer::TASK_STATUS_CHANGED.into(),
            BasicPublishOptions::default(),
            &event.encode_to_vec(),
            message_properties(
                &message_id.to_string(),
                &WriterTaskStatusChanged::full_name(),
                None,
            ),
        )
        .await
        .expect("publish")
        .await
        .expect("confirm");
    assert!(confirm.is_ack());
    channel.close(200, "done".into()).await.ok();
}

/// Waits until the consumer recorded `message_id` (deliveries are handled in order, so every
/// message published before it was handled too).
async fn handled(env: &TestEnv, message_id: Uuid) {
    for _ in 0..150 {
        let seen: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM planner.inbox WHERE consumer = $1 AND message_id = $2",
        )
        .bind(planner_svc::consumer::QUEUE)
        .bind(message_id)
        .fetch_one(&env.planner_pool)
        .await
        .expect("inbox");
        if seen == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("message {message_id} was not handled in time");
}

#[tokio::test]
async fn a_completed_writer_task_completes_its_idea_once() {
    let env = TestEnv::start().await;
    let amqp = Amqp::connect(&igny8_test_support::amqp::amqp_url(), &env.prefix)
        .await
        .unwrap();
    let channel = amqp.channel().await.unwrap();
    let queue = amqp
        .declare_consumer_queue(&channel, QUEUE, &["planner.idea.completed"])
        .await
        .unwrap();
    let t = env.tenant().await;
    let other = env.tenant().await;
    let new = new_idea(&env, &t, "New idea").await;
    let queued = new_idea(&env, &t, "Queued idea").await;
    let untouched = new_idea(&env, &t, "Untouched idea").await;
    sqlx::query("UPDATE planner.ideas SET status = 'queued' WHERE id = $1::uuid")
        .bind(&queued)
        .execute(&env.planner_pool)
        .await
        .unwrap();

    let first = Uuid::new_v4();
    publish(&amqp, first, &t.account_id, &new, "completed").await;
    handled(&env, first).await;
    assert_eq!(status_of(&env, &new).await, "completed");
    // The same message again must not apply again: reopen the idea to be able to tell.
    sqlx::query("UPDATE planner.ideas SET status = 'queued' WHERE id = $1::uuid")
        .bind(&new)
        .execute(&env.planner_pool)
        .await
        .unwrap();
    publish(&amqp, first, &t.account_id, &new, "completed").await;
    publish(&amqp, Uuid::new_v4(), &t.account_id, &queued, "completed").await;
    // Another account's event naming this idea, and a task that is not completed yet.
    publish(
        &amqp,
        Uuid::new_v4(),
        &other.account_id,
        &untouched,
        "completed",
    )
    .await;
    publish(
        &amqp,
        Uuid::new_v4(),
        &t.account_id,
        &untouched,
        "in_progress",
    )
    .await;
    let last = Uuid::new_v4();
    publish(&amqp, last, &t.account_id, "", "completed").await;
    handled(&env, last).await;

    assert_eq!(status_of(&env, &new).await, "queued", "duplicate ignored");
    assert_eq!(status_of(&env, &queued).await, "completed");
    assert_eq!(status_of(&env, &untouched).await, "new");
    let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM planner.inbox WHERE consumer = $1")
        .bind(planner_svc::consumer::QUEUE)
        .fetch_one(&env.planner_pool)
        .await
        .unwrap();
    assert_eq!(inbox, 5, "five distinct message ids");
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT payload FROM planner.outbox WHERE routing_key = 'planner.idea.completed' ORDER BY seq",
    )
    .fetch_all(&env.planner_pool)
    .await
    .unwrap()
    .into_iter()
    .map(|payload: Vec<u8>| PlannerIdeaEvent::decode(payload.as_slice()).unwrap().idea_id)
    .collect();
    assert_eq!(events, vec![new.clone(), queued.clone()]);

    // The events reach the broker as well.
    let mut consumer = channel
        .basic_consume(
            queue.as_str().into(),
            "planner-test".into(),
            BasicConsumeOptions::default(),
            Default::default(),
        )
        .await
        .unwrap();
    let mut delivered = Vec::new();
    while delivered.len() < 2 {
        let delivery = tokio::time::timeout(Duration::from_secs(15), consumer.next())
            .await
            .expect("events arrive")
            .expect("stream open")
            .expect("delivery");
        delivery.ack(BasicAckOptions::default()).await.unwrap();
        let event = PlannerIdeaEvent::decode(delivery.data.as_slice()).unwrap();
        assert_eq!(event.account_id, t.account_id);
        delivered.push(event.idea_id);
    }
    delivered.sort();
    let mut expected = vec![new, queued];
    expected.sort();
    assert_eq!(delivered, expected);
    channel.close(200, "done".into()).await.ok();
    env.cleanup(&[QUEUE]).await;
}

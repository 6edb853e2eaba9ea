//! writer's events reach RabbitMQ through the outbox: ids only, typed protobuf bodies.

use std::time::Duration;

use futures_util::StreamExt as _;
use igny8_platform::amqp::Amqp;
use igny8_proto::{
    events::v1::{WriterContentEvent, WriterTaskEvent},
    writer::v1 as pb,
};
use lapin::{
    options::{BasicAckOptions, BasicConsumeOptions},
    types::FieldTable,
};
use prost::Message as _;

use crate::helpers::{Platform, bearer};

const QUEUE: &str = "test.writer-events";

#[tokio::test]
async fn changes_are_published_as_events_with_ids_only() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let amqp = Amqp::connect(&igny8_test_support::amqp::amqp_url(), &p.prefix)
        .await
        .unwrap();
    let channel = amqp.channel().await.unwrap();
    // Declared before anything is published, so nothing is dropped.
    let queue = amqp
        .declare_consumer_queue(&channel, QUEUE, &["writer.#"])
        .await
        .unwrap();
    let task = p
        .writer()
        .create_task(bearer(
            pb::CreateTaskRequest {
                site_id: t.site_a.clone(),
                sector_id: t.sector_a1.clone(),
                title: "Evented".into(),
                ..Default::default()
            },
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    let content = p
        .writer()
        .create_content(bearer(
            pb::CreateContentRequest {
                task_id: task.id.clone(),
                title: "Secret title".into(),
                body_html: "<p>secret body</p>".into(),
                ..Default::default()
            },
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut deliveries = channel
        .basic_consume(
            queue.as_str().into(),
            "writer-test".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut received = Vec::new();
    while received.len() < 2 {
        let delivery = tokio::time::timeout(Duration::from_secs(20), deliveries.next())
            .await
            .expect("events arrive")
            .expect("stream open")
            .expect("delivery");
        delivery.ack(BasicAckOptions::default()).await.unwrap();
        let kind = delivery
            .properties
            .kind()
            .as_ref()
            .map(|k| k.to_string())
            .unwrap_or_default();
        received.push((delivery.routing_key.to_string(), kind, delivery.data));
    }
    assert_eq!(received[0].0, "writer.task.created");
    assert_eq!(received[0].1, "igny8.events.v1.WriterTaskEvent");
    let event = WriterTaskEvent::decode(received[0].2.as_slice()).unwrap();
    assert_eq!(
        (
            event.task_id.as_str(),
            event.account_id.as_str(),
            event.site_id.as_str()
        ),
        (task.id.as_str(), t.account_id.as_str(), t.site_a.as_str())
    );
    assert_eq!(received[1].0, "writer.content.created");
    let event = WriterContentEvent::decode(received[1].2.as_slice()).unwrap();
    assert_eq!(
        (
            event.content_id.as_str(),
            event.task_id.as_str(),
            event.version
        ),
        (content.id.as_str(), task.id.as_str(), 1)
    );
    // Ids, not content: the body and title never travel in an event.
    for (_, _, payload) in &received {
        let text = String::from_utf8_lossy(payload);
        assert!(!text.contains("secret") && !text.contains("Secret"));
    }
    channel.close(200, "done".into()).await.unwrap();
    p.cleanup(&[QUEUE]).await;
}

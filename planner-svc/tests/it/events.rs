//! planner-svc publishes its domain events through the outbox, ids and counts only.

use std::time::Duration;

use futures_util::StreamExt as _;
use igny8_platform::amqp::Amqp;
use igny8_proto::{
    events::v1::{
        PlannerClusterEvent, PlannerKeywordEvent, PlannerKeywordsDeleted, PlannerKeywordsImported,
    },
    planner::v1 as pb,
};
use lapin::options::{BasicAckOptions, BasicConsumeOptions};
use prost::Message as _;

use crate::helpers::{TestEnv, bearer};

const QUEUE: &str = "test.planner-events";

#[tokio::test]
async fn keyword_and_cluster_changes_publish_events() {
    let env = TestEnv::start().await;
    let amqp = Amqp::connect(&igny8_test_support::amqp::amqp_url(), &env.prefix)
        .await
        .unwrap();
    let channel = amqp.channel().await.unwrap();
    let queue = amqp
        .declare_consumer_queue(&channel, QUEUE, &["planner.#"])
        .await
        .unwrap();
    let t = env.tenant().await;
    let mut planner = env.planner();
    let kw = planner
        .create_keyword(bearer(
            pb::CreateKeywordRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                keyword: Some(pb::KeywordInput {
                    keyword: "event keyword".into(),
                    ..Default::default()
                }),
                cluster_id: String::new(),
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let csv = b"keyword\none\ntwo\nEVENT keyword\n".to_vec();
    planner
        .import_keywords(bearer(
            pb::ImportKeywordsRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                csv,
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap();
    let cluster = planner
        .create_cluster(bearer(
            pb::CreateClusterRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                name: "Events".into(),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    planner
        .bulk_delete_keywords(bearer(
            pb::IdsRequest {
                ids: vec![kw.id.clone()],
            },
            &t.token,
        ))
        .await
        .unwrap();

    let mut consumer = channel
        .basic_consume(
            queue.as_str().into(),
            "planner-test".into(),
            BasicConsumeOptions::default(),
            Default::default(),
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let delivery = tokio::time::timeout(Duration::from_secs(15), consumer.next())
            .await
            .expect("events arrive")
            .expect("stream open")
            .expect("delivery");
        delivery.ack(BasicAckOptions::default()).await.unwrap();
        let body = delivery.data.as_slice();
        match delivery.routing_key.as_str() {
            "planner.keyword.created" => {
                let e = PlannerKeywordEvent::decode(body).unwrap();
                assert_eq!(
                    (e.keyword_id.as_str(), e.account_id.as_str()),
                    (kw.id.as_str(), t.account_id.as_str())
                );
                assert_eq!(e.sector_id, t.sector());
            }
            "planner.keyword.bulk_imported" => {
                let e = PlannerKeywordsImported::decode(body).unwrap();
                assert_eq!(
                    (e.source.as_str(), e.created, e.skipped),
                    ("csv_import", 2, 1)
                );
            }
            "planner.cluster.created" => {
                assert_eq!(
                    PlannerClusterEvent::decode(body).unwrap().cluster_id,
                    cluster.id
                );
            }
            "planner.keyword.bulk_deleted" => {
                assert_eq!(
                    PlannerKeywordsDeleted::decode(body).unwrap().keyword_ids,
                    vec![kw.id.clone()]
                );
            }
            other => panic!("unexpected event {other}"),
        }
        let kind = delivery
            .properties
            .kind()
            .as_ref()
            .map(|k| k.as_str().to_owned())
            .unwrap_or_default();
        assert!(kind.starts_with("igny8.events.v1.Planner"), "{kind}");
        seen.push(delivery.routing_key.as_str().to_owned());
    }
    seen.sort();
    assert_eq!(
        seen,
        vec![
            "planner.cluster.created",
            "planner.keyword.bulk_deleted",
            "planner.keyword.bulk_imported",
            "planner.keyword.created"
        ]
    );
    channel.close(200, "done".into()).await.ok();
    env.cleanup(&[QUEUE]).await;
}

//! Content ideas: validation, outline, clusters becoming mapped, lists, and idempotent
//! queueing to writer-svc.

use igny8_platform::amqp::Amqp;
use igny8_proto::{events::v1::PlannerIdeaQueued, planner::v1 as pb};
use lapin::options::BasicGetOptions;
use prost::Message as _;
use tonic::Code;

use crate::helpers::{Tenant, TestEnv, bearer, violations};

const QUEUE: &str = "test.planner-queued";

fn section(heading: &str, covers: &str, keywords: &[&str]) -> pb::OutlineSection {
    pb::OutlineSection {
        heading: heading.into(),
        covers: covers.into(),
        keywords: keywords.iter().map(|k| (*k).into()).collect(),
    }
}

fn new_idea(t: &Tenant, title: &str, cluster_id: &str) -> pb::CreateIdeaRequest {
    pb::CreateIdeaRequest {
        site_id: t.site_id.clone(),
        sector_id: t.sector().into(),
        title: title.into(),
        description: "Why teams pick a CRM and what it costs.".into(),
        outline: vec![
            section("What a CRM does", "contacts, pipeline, reporting", &["crm"]),
            section(
                "Pricing compared",
                "per-seat plans",
                &["crm pricing", "CRM Pricing"],
            ),
        ],
        target_keywords: vec!["best crm".into(), "crm pricing".into()],
        cluster_id: cluster_id.into(),
        content_type: "post".into(),
        content_structure: "comparison".into(),
        estimated_word_count: 1800,
    }
}

async fn cluster(env: &TestEnv, t: &Tenant, name: &str) -> pb::Cluster {
    env.planner()
        .create_cluster(bearer(
            pb::CreateClusterRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                name: name.into(),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn ideas_are_validated_created_updated_and_listed() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let crm = cluster(&env, &t, "CRM").await;
    let mut planner = env.planner();
    let idea = planner
        .create_idea(bearer(
            new_idea(&t, "Best CRM for startups", &crm.id),
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (idea.status.as_str(), idea.cluster_name.as_str()),
        ("new", "CRM")
    );
    assert_eq!(idea.outline.len(), 2);
    assert_eq!(
        idea.outline[1].keywords,
        vec!["crm pricing"],
        "section keywords deduplicated"
    );
    assert_eq!(
        (idea.content_structure.as_str(), idea.estimated_word_count),
        ("comparison", 1800)
    );
    let c = planner
        .get_cluster(bearer(pb::IdRequest { id: crm.id.clone() }, &t.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (c.status.as_str(), c.idea_count),
        ("mapped", 1),
        "a cluster with ideas is mapped"
    );

    let mut bad = new_idea(&t, "", "");
    bad.outline.push(section(" ", "", &[]));
    bad.content_type = "essay".into();
    bad.content_structure = "poem".into();
    bad.estimated_word_count = 50_000;
    let status = planner
        .create_idea(bearer(bad, &t.token))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&status),
        vec![
            "content_structure",
            "content_type",
            "estimated_word_count",
            "outline[2].heading",
            "title"
        ]
    );

    let updated = planner
        .update_idea(bearer(
            pb::UpdateIdeaRequest {
                id: idea.id.clone(),
                outline: Some(pb::Outline {
                    sections: vec![section("Only section", "", &[])],
                }),
                target_keywords: Some(pb::StringList { values: vec![] }),
                cluster_id: Some(String::new()),
                status: Some("completed".into()),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.outline, vec![section("Only section", "", &[])]);
    assert!(updated.target_keywords.is_empty());
    assert_eq!(
        (updated.cluster_id.as_str(), updated.status.as_str()),
        ("", "completed")
    );
    assert_eq!(updated.title, idea.title, "absent fields stay");
    let c = planner
        .get_cluster(bearer(pb::IdRequest { id: crm.id.clone() }, &t.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(c.idea_count, 0);
    let status = planner
        .update_idea(bearer(
            pb::UpdateIdeaRequest {
                id: idea.id.clone(),
                status: Some("queued".into()),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["status"]);

    for (title, structure) in [("How to choose a CRM", "how_to"), ("CRM review", "review")] {
        let mut request = new_idea(&t, title, &crm.id);
        request.content_structure = structure.into();
        planner
            .create_idea(bearer(request, &t.token))
            .await
            .unwrap();
    }
    let list = |filter: pb::IdeaFilter, ordering: &str| pb::ListIdeasRequest {
        filter: Some(pb::IdeaFilter {
            site_id: t.site_id.clone(),
            sector_id: t.sector().into(),
            ..filter
        }),
        page: None,
        ordering: ordering.into(),
    };
    let all = planner
        .list_ideas(bearer(list(Default::default(), "title"), &t.token))
        .await
        .unwrap()
        .into_inner();
    let titles: Vec<&str> = all.ideas.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        vec!["Best CRM for startups", "CRM review", "How to choose a CRM"]
    );
    assert_eq!(all.page.unwrap().count, 3);
    let in_cluster = planner
        .list_ideas(bearer(
            list(
                pb::IdeaFilter {
                    cluster_id: crm.id.clone(),
                    ..Default::default()
                },
                "",
            ),
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_cluster.page.unwrap().count, 2);
    let how_to = planner
        .list_ideas(bearer(
            list(
                pb::IdeaFilter {
                    content_structure: "how_to".into(),
                    search: "choose".into(),
                    ..Default::default()
                },
                "",
            ),
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(how_to.ideas.len(), 1);
    let options = planner
        .idea_filter_options(bearer(
            pb::IdeaFilter {
                site_id: t.site_id.clone(),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(options.statuses, vec!["new", "completed"]);
    assert_eq!(
        options.content_structures,
        vec!["how_to", "comparison", "review"]
    );
    assert_eq!(options.clusters.len(), 1);

    let removed = planner
        .bulk_delete_ideas(bearer(
            pb::IdsRequest {
                ids: all.ideas.iter().map(|i| i.id.clone()).collect(),
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(removed.affected, 3);
    let c = planner
        .get_cluster(bearer(pb::IdRequest { id: crm.id }, &t.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(c.idea_count, 0);
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn queueing_ideas_to_the_writer_creates_each_task_once() {
    let env = TestEnv::start_with_writer().await;
    let amqp = Amqp::connect(&igny8_test_support::amqp::amqp_url(), &env.prefix)
        .await
        .unwrap();
    let channel = amqp.channel().await.unwrap();
    let event_queue = amqp
        .declare_consumer_queue(&channel, QUEUE, &["planner.idea.queued"])
        .await
        .unwrap();
    let t = env.tenant().await;
    let crm = cluster(&env, &t, "CRM").await;
    let mut planner = env.planner();
    let mut ids = Vec::new();
    for title in ["Best CRM for startups", "CRM pricing explained"] {
        ids.push(
            planner
                .create_idea(bearer(new_idea(&t, title, &crm.id), &t.token))
                .await
                .unwrap()
                .into_inner()
                .id,
        );
    }
    let queue = |ids: Vec<String>| bearer(pb::IdsRequest { ids }, &t.token);
    let first = planner
        .queue_ideas_to_writer(queue(ids.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.queued, 2);
    assert!(
        first
            .ideas
            .iter()
            .all(|q| q.created && !q.task_id.is_empty())
    );
    for q in &first.ideas {
        let idea = planner
            .get_idea(bearer(
                pb::IdRequest {
                    id: q.idea_id.clone(),
                },
                &t.token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (idea.status.as_str(), idea.writer_task_id.as_str()),
            ("queued", q.task_id.as_str())
        );
    }
    // Again: the same tasks come back and nothing is created or moved twice.
    let second = planner
        .queue_ideas_to_writer(queue(ids.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.queued, 0);
    assert!(second.ideas.iter().all(|q| !q.created));
    let task_ids = |r: &pb::QueueIdeasResponse| {
        let mut v: Vec<(String, String)> = r
            .ideas
            .iter()
            .map(|q| (q.idea_id.clone(), q.task_id.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(task_ids(&first), task_ids(&second));
    let tasks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM writer.tasks WHERE account_id = $1::uuid")
            .bind(&t.account_id)
            .fetch_one(&env.planner_pool)
            .await
            .unwrap();
    assert_eq!(tasks, 2, "one writer task per idea");

    // Viewers may not queue; disabled ideas are refused.
    let viewer = env.member(&t, "viewer").await;
    let status = planner
        .queue_ideas_to_writer(bearer(pb::IdsRequest { ids: ids.clone() }, &viewer))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let off = planner
        .create_idea(bearer(new_idea(&t, "Disabled idea", &crm.id), &t.token))
        .await
        .unwrap()
        .into_inner();
    planner
        .update_idea(bearer(
            pb::UpdateIdeaRequest {
                id: off.id.clone(),
                disabled: Some(true),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap();
    let status = planner
        .queue_ideas_to_writer(queue(vec![off.id]))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["ids"]);
    // One planner.idea.queued per idea, however often it was queued: once the outbox is
    // drained, the queue holds every event there will be.
    for _ in 0..100 {
        let pending: i64 =
            sqlx::query_scalar("SELECT count(*) FROM planner.outbox WHERE published_at IS NULL")
                .fetch_one(&env.planner_pool)
                .await
                .unwrap();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut queued_events = Vec::new();
    while let Some(message) = channel
        .basic_get(
            event_queue.as_str().into(),
            BasicGetOptions { no_ack: true },
        )
        .await
        .unwrap()
    {
        queued_events.push(
            PlannerIdeaQueued::decode(message.delivery.data.as_slice())
                .unwrap()
                .idea_id,
        );
    }
    queued_events.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(queued_events, expected);
    channel.close(200, "done".into()).await.ok();
    env.cleanup(&[QUEUE]).await;
}

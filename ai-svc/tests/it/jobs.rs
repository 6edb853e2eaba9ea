//! The job pipeline over gRPC: submit, the worker, results in planner and writer, credits in
//! billing, and how provider failures, invalid answers, missing providers, short credits,
//! another tenant's ids and cancels are handled.

use std::time::{Duration, Instant};

use igny8_proto::{
    ai::v1::{Job, JobIdRequest, SubmitJobRequest, WatchJobRequest},
    billing::v1::HoldRequest,
    common::v1::Empty,
    planner::v1::{
        ClusterFilter, IdeaFilter, IdsRequest, KeywordInput, ListClustersRequest, ListIdeasRequest,
    },
    writer::v1::{IdRequest, ListImagesRequest},
};
use igny8_test_support::fake_provider::Fault;
use tonic::Code;

use crate::harness::{Options, Platform, Tenant, acting, bearer};

/// Adds `count` keywords to the tenant's sector a1 and returns their ids.
async fn keywords(platform: &Platform, tenant: &Tenant, count: usize, tag: &str) -> Vec<String> {
    let keywords = (0..count)
        .map(|i| KeywordInput {
            keyword: format!("{tag} keyword {i:03}"),
            search_volume: 100 + i as u32,
            difficulty: 10,
            ..KeywordInput::default()
        })
        .collect();
    platform.add_keywords(tenant, keywords).await
}

async fn submit(
    platform: &Platform,
    token: &str,
    kind: &str,
    ids: &[String],
) -> Result<Job, tonic::Status> {
    platform
        .ai()
        .submit_job(bearer(
            SubmitJobRequest {
                kind: kind.into(),
                ids: ids.to_vec(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// Waits until the job is finished and settled, and returns it.
async fn finished(platform: &Platform, token: &str, job_id: &str) -> Job {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = platform
            .ai()
            .get_job(bearer(
                JobIdRequest {
                    job_id: job_id.into(),
                },
                token,
            ))
            .await
            .expect("get job")
            .into_inner();
        let settled: bool =
            sqlx::query_scalar("SELECT settled_at IS NOT NULL FROM ai.jobs WHERE id = $1::uuid")
                .bind(job_id)
                .fetch_one(&platform.ai_pool)
                .await
                .expect("settled");
        if job.finished_at.is_some() && settled {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "job {job_id} not finished: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// (status, captured) of the job's hold.
async fn hold_of(platform: &Platform, job_id: &str) -> (String, i64) {
    sqlx::query_as("SELECT status, captured FROM billing.holds WHERE job_id = $1")
        .bind(job_id)
        .fetch_one(&platform.billing_pool)
        .await
        .expect("hold")
}

async fn held(platform: &Platform, tenant: &Tenant) -> i64 {
    platform
        .billing()
        .get_balance(bearer(Empty {}, &tenant.owner))
        .await
        .expect("balance")
        .into_inner()
        .held_milli
}

#[tokio::test]
async fn every_function_runs_end_to_end_and_is_charged_once() {
    let platform = Platform::start().await;
    let tenant = platform.tenant().await;
    let token = &tenant.editor;

    // auto_cluster: 6 keywords -> 2 clusters of 3, keywords mapped, 10 credits.
    let ids = keywords(&platform, &tenant, 6, "chain").await;
    let job = submit(&platform, token, "auto_cluster", &ids)
        .await
        .expect("submit");
    assert_eq!(job.status, "queued");
    assert_eq!(job.estimated_milli, 10_000);
    let job = finished(&platform, token, &job.id).await;
    assert_eq!(job.status, "completed", "{job:?}");
    assert_eq!(job.charged_milli, 10_000);
    assert_eq!(job.percent, 100);
    let output = job.output.expect("output");
    assert_eq!(output.object_type, "cluster");
    assert_eq!(output.object_ids.len(), 2);
    assert_eq!(output.succeeded, 6);
    assert_eq!(
        hold_of(&platform, &job.id).await,
        ("captured".into(), 10_000)
    );
    let clusters = platform
        .planner()
        .list_clusters(bearer(
            ListClustersRequest {
                filter: Some(ClusterFilter {
                    site_id: tenant.site_a.clone(),
                    sector_id: tenant.sector_a1.clone(),
                    ..ClusterFilter::default()
                }),
                ..ListClustersRequest::default()
            },
            token,
        ))
        .await
        .expect("clusters")
        .into_inner()
        .clusters;
    assert_eq!(clusters.len(), 2);
    assert!(clusters.iter().all(|c| c.keyword_count == 3));
    let mapped: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM planner.keywords WHERE id = ANY($1::uuid[]) AND status = 'mapped'",
    )
    .bind(&ids)
    .fetch_one(&platform.planner_pool)
    .await
    .unwrap();
    assert_eq!(mapped, 6);

    // generate_ideas: 2 clusters -> 3 ideas each, clusters mapped, 2 credits per cluster.
    let cluster_ids: Vec<String> = clusters.iter().map(|c| c.id.clone()).collect();
    let job = submit(&platform, token, "generate_ideas", &cluster_ids)
        .await
        .expect("submit");
    let job = finished(&platform, token, &job.id).await;
    assert_eq!(job.status, "completed", "{job:?}");
    assert_eq!(job.charged_milli, 4_000);
    let ideas = platform
        .planner()
        .list_ideas(bearer(
            ListIdeasRequest {
                filter: Some(IdeaFilter {
                    site_id: tenant.site_a.clone(),
                    ..IdeaFilter::default()
                }),
                ..ListIdeasRequest::default()
            },
            token,
        ))
        .await
        .expect("ideas")
        .into_inner()
        .ideas;
    assert_eq!(ideas.len(), 6);
    assert!(ideas.iter().all(|i| !i.outline.is_empty()));

    // Queue two ideas to the writer, then generate_content for their tasks.
    let idea_ids: Vec<String> = ideas.iter().take(2).map(|i| i.id.clone()).collect();
    let queued = platform
        .planner()
        .queue_ideas_to_writer(bearer(
            IdsRequest {
                ids: idea_ids.clone(),
            },
            token,
        ))
        .await
        .expect("queue")
        .into_inner();
    let task_ids: Vec<String> = queued.ideas.iter().map(|q| q.task_id.clone()).collect();
    assert_eq!(task_ids.len(), 2);
    let job = submit(&platform, token, "generate_content", &task_ids)
        .await
        .expect("submit");
    let job = finished(&platform, token, &job.id).await;
    assert_eq!(job.status, "completed", "{job:?}");
    let output = job.output.expect("output");
    assert_eq!((output.succeeded, output.failed), (2, 0));
    let content_ids = output.object_ids;
    // 1200-word ideas: ceil(words / 500) credits per article.
    let mut expected = 0;
    for id in &content_ids {
        let content = platform
            .writer()
            .get_content(bearer(IdRequest { id: id.clone() }, token))
            .await
            .expect("content")
            .into_inner();
        assert!(content.word_count >= 1200, "{}", content.word_count);
        assert!(content.body_html.contains("<h2>"));
        expected += i64::from(content.word_count.div_ceil(500)) * 1000;
    }
    assert_eq!(job.charged_milli, expected);
    for task in &task_ids {
        let task = platform
            .writer()
            .get_task(bearer(IdRequest { id: task.clone() }, token))
            .await
            .expect("task")
            .into_inner();
        assert_eq!(task.status, "completed");
    }
    // The planner completes the ideas from the writer's event.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM planner.ideas WHERE id = ANY($1::uuid[]) AND status = 'completed'",
        )
        .bind(&idea_ids)
        .fetch_one(&platform.planner_pool)
        .await
        .unwrap();
        if done == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "ideas not completed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // generate_image_prompts: featured + 2 in-article per content, 0.5 credits each.
    let job = submit(
        &platform,
        token,
        "generate_image_prompts",
        &content_ids[..1],
    )
    .await
    .expect("submit");
    let job = finished(&platform, token, &job.id).await;
    assert_eq!(job.status, "completed", "{job:?}");
    assert_eq!(job.charged_milli, 1_500);
    let images = platform
        .writer()
        .list_images(bearer(
            ListImagesRequest {
                content_id: content_ids[0].clone(),
                ..ListImagesRequest::default()
            },
            token,
        ))
        .await
        .expect("images")
        .into_inner()
        .images;
    assert_eq!(images.len(), 3);
    assert!(
        images
            .iter()
            .all(|i| i.status == "pending" && !i.prompt.is_empty())
    );

    // generate_images: the provider refuses the first image (failed, not charged); the
    // others are stored and charged at dall-e-3's 3 credits each.
    let image_ids: Vec<String> = images.iter().map(|i| i.id.clone()).collect();
    platform.fake.push_faults([Fault::Status(400, None)]);
    let job = submit(&platform, token, "generate_images", &image_ids)
        .await
        .expect("submit");
    assert_eq!(job.estimated_milli, 9_000);
    let job = finished(&platform, token, &job.id).await;
    assert_eq!(job.status, "completed", "{job:?}");
    assert_eq!(job.charged_milli, 6_000);
    let output = job.output.expect("output");
    assert_eq!((output.succeeded, output.failed), (2, 1));
    assert_eq!(output.failures[0].id, image_ids[0]);
    for (i, image) in image_ids.iter().enumerate() {
        let image = platform
            .writer()
            .get_image(bearer(IdRequest { id: image.clone() }, token))
            .await
            .expect("image")
            .into_inner();
        if i == 0 {
            assert_eq!(image.status, "failed");
            assert!(!image.error.is_empty());
            continue;
        }
        assert_eq!(image.status, "generated");
        let bytes = std::fs::read(platform.image_dir.join(&image.file_ref)).expect("stored file");
        assert_eq!(bytes, igny8_test_support::fake_provider::TINY_PNG);
    }

    // Every job: one capture; nothing held; the usage log has a row per provider call.
    assert_eq!(held(&platform, &tenant).await, 0);
    let usage: i64 = sqlx::query_scalar("SELECT count(*) FROM billing.usage")
        .fetch_one(&platform.billing_pool)
        .await
        .unwrap();
    let calls: i64 = sqlx::query_scalar("SELECT count(*) FROM ai.provider_calls")
        .fetch_one(&platform.ai_pool)
        .await
        .unwrap();
    assert_eq!(usage, calls);
    platform.cleanup().await;
}

#[tokio::test]
async fn progress_streams_until_the_result() {
    let platform = Platform::start().await;
    let tenant = platform.tenant().await;
    platform.fake.set_delay(Duration::from_millis(300));
    let ids = keywords(&platform, &tenant, 3, "watch").await;
    let job = submit(&platform, &tenant.editor, "auto_cluster", &ids)
        .await
        .expect("submit");
    let mut stream = platform
        .ai()
        .watch_job(bearer(
            WatchJobRequest {
                job_id: job.id.clone(),
                after_seq: 0,
            },
            &tenant.viewer,
        ))
        .await
        .expect("watch")
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = tokio::time::timeout(Duration::from_secs(30), stream.message())
        .await
        .expect("an event in time")
        .expect("stream ok")
    {
        events.push(event);
    }
    let phases: Vec<&str> = events.iter().map(|e| e.phase.as_str()).collect();
    assert_eq!(phases.first(), Some(&"queued"));
    for phase in [
        "initializing",
        "processing",
        "ai_analysis",
        "saving",
        "completed",
    ] {
        assert!(phases.contains(&phase), "{phases:?}");
    }
    assert!(
        events
            .windows(2)
            .all(|w| w[0].seq < w[1].seq && w[0].percent <= w[1].percent)
    );
    let last = events.last().unwrap();
    assert_eq!(last.percent, 100);
    assert_eq!(
        last.job
            .as_ref()
            .expect("finishing event carries the job")
            .status,
        "completed"
    );
    assert!(events[..events.len() - 1].iter().all(|e| e.job.is_none()));
    // Resuming after the last event still says how it ended.
    let resumed: Vec<_> = {
        let mut stream = platform
            .ai()
            .watch_job(bearer(
                WatchJobRequest {
                    job_id: job.id.clone(),
                    after_seq: last.seq,
                },
                &tenant.viewer,
            ))
            .await
            .expect("watch")
            .into_inner();
        let mut got = Vec::new();
        while let Some(e) = stream.message().await.expect("stream ok") {
            got.push(e);
        }
        got
    };
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].job.as_ref().unwrap().status, "completed");
    platform.cleanup().await;
}

#[tokio::test]
async fn provider_failures_are_retried_then_fail_the_job_and_void_the_hold() {
    let platform = Platform::start().await;
    let tenant = platform.tenant().await;
    let ids = keywords(&platform, &tenant, 3, "flaky").await;

    // Two 429s (Retry-After 0) and a 500 are retried through; the job completes.
    platform
        .fake
        .push_faults([Fault::Status(429, Some(0)), Fault::Status(500, None)]);
    let job = submit(&platform, &tenant.editor, "auto_cluster", &ids)
        .await
        .expect("submit");
    let job = finished(&platform, &tenant.editor, &job.id).await;
    assert_eq!(job.status, "completed", "{job:?}");

    // Failing every attempt (three in tests): failed, voided, nothing charged.
    let more = keywords(&platform, &tenant, 3, "broken").await;
    platform.fake.push_faults([
        Fault::Status(500, None),
        Fault::Status(503, None),
        Fault::Status(500, None),
    ]);
    let job = submit(&platform, &tenant.editor, "auto_cluster", &more)
        .await
        .expect("submit");
    let job = finished(&platform, &tenant.editor, &job.id).await;
    assert_eq!(job.status, "failed");
    assert_eq!(job.error_code, "PROVIDER_UNAVAILABLE");
    assert_eq!(job.charged_milli, 0);
    assert_eq!(hold_of(&platform, &job.id).await, ("voided".into(), 0));
    assert_eq!(held(&platform, &tenant).await, 0);
    let untouched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM planner.keywords WHERE id = ANY($1::uuid[]) AND cluster_id IS NULL",
    )
    .bind(&more)
    .fetch_one(&platform.planner_pool)
    .await
    .unwrap();
    assert_eq!(untouched, 3);
    platform.cleanup().await;
}

#[tokio::test]
async fn an_invalid_answer_is_repaired_once_and_fails_the_second_time() {
    let platform = Platform::start().await;
    let tenant = platform.tenant().await;
    let ids = keywords(&platform, &tenant, 3, "repair").await;
    platform.fake.push_faults([Fault::InvalidJson]);
    let job = submit(&platform, &tenant.editor, "auto_cluster", &ids)
        .await
        .expect("submit");
    let job = finished(&platform, &tenant.editor, &job.id).await;
    assert_eq!(job.status, "completed", "{job:?}");
    let steps: Vec<String> = sqlx::query_scalar(
        "SELECT step FROM ai.provider_calls WHERE job_id = $1::uuid ORDER BY step",
    )
    .bind(&job.id)
    .fetch_all(&platform.ai_pool)
    .await
    .unwrap();
    assert_eq!(steps, ["chat", "chat.repair"]);

    let more = keywords(&platform, &tenant, 3, "garbage").await;
    platform
        .fake
        .push_faults([Fault::InvalidJson, Fault::InvalidJson]);
    let job = submit(&platform, &tenant.editor, "auto_cluster", &more)
        .await
        .expect("submit");
    let job = finished(&platform, &tenant.editor, &job.id).await;
    assert_eq!(job.status, "failed");
    assert_eq!(job.error_code, "INVALID_AI_RESPONSE");
    assert_eq!(hold_of(&platform, &job.id).await.0, "voided");
    platform.cleanup().await;
}

#[tokio::test]
async fn without_a_provider_a_submission_is_refused_and_nothing_is_held() {
    let platform = Platform::start_with(Options {
        provider_configured: false,
        ..Options::default()
    })
    .await;
    let tenant = platform.tenant().await;
    let ids = keywords(&platform, &tenant, 3, "noprov").await;
    let status = submit(&platform, &tenant.editor, "auto_cluster", &ids)
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition);
    let decoded = igny8_platform::error::decode_status(&status);
    assert_eq!(decoded.code, "AI_PROVIDER_NOT_CONFIGURED");
    let holds: i64 = sqlx::query_scalar("SELECT count(*) FROM billing.holds")
        .fetch_one(&platform.billing_pool)
        .await
        .unwrap();
    assert_eq!(holds, 0);
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM ai.jobs")
        .fetch_one(&platform.ai_pool)
        .await
        .unwrap();
    assert_eq!(jobs, 0);
    platform.cleanup().await;
}

#[tokio::test]
async fn short_credits_other_tenants_ids_and_bad_input_create_no_job() {
    let platform = Platform::start().await;
    let tenant = platform.tenant().await;
    let other = platform.tenant().await;
    let ids = keywords(&platform, &tenant, 3, "guard").await;

    // Another tenant's keywords do not exist for it.
    let status = submit(&platform, &other.editor, "auto_cluster", &ids)
        .await
        .expect_err("not found");
    assert_eq!(status.code(), Code::NotFound);

    // Bad input names the field.
    let status = submit(&platform, &tenant.editor, "auto_clusters", &ids)
        .await
        .expect_err("kind");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        igny8_platform::error::decode_status(&status)
            .fields
            .0
            .contains_key("kind")
    );
    let status = submit(&platform, &tenant.editor, "auto_cluster", &["nope".into()])
        .await
        .expect_err("ids");
    assert!(
        igny8_platform::error::decode_status(&status)
            .fields
            .0
            .contains_key("ids[0]")
    );
    // Viewers cannot run jobs.
    let status = submit(&platform, &tenant.viewer, "auto_cluster", &ids)
        .await
        .expect_err("viewer");
    assert_eq!(status.code(), Code::PermissionDenied);

    // Credits short of the 10 a run costs: INSUFFICIENT_CREDITS, no job, nothing more held.
    let balance = platform
        .billing()
        .get_balance(bearer(Empty {}, &tenant.owner))
        .await
        .unwrap()
        .into_inner();
    let service = platform.service_token("credit-eater").await;
    platform
        .billing()
        .hold(acting(
            HoldRequest {
                idempotency_key: "eat".into(),
                amount_milli: balance.available_milli - 5_000,
                reason: "test".into(),
                ..HoldRequest::default()
            },
            &service,
            &tenant.account_id,
        ))
        .await
        .expect("hold most credits");
    let status = submit(&platform, &tenant.editor, "auto_cluster", &ids)
        .await
        .expect_err("short");
    assert_eq!(
        igny8_platform::error::decode_status(&status).code,
        "INSUFFICIENT_CREDITS"
    );
    assert_eq!(
        igny8_platform::error::decode_status(&status).http_status,
        402
    );
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM ai.jobs")
        .fetch_one(&platform.ai_pool)
        .await
        .unwrap();
    assert_eq!(jobs, 0);
    let holds: i64 = sqlx::query_scalar("SELECT count(*) FROM billing.holds")
        .fetch_one(&platform.billing_pool)
        .await
        .unwrap();
    assert_eq!(holds, 1, "only the test's own hold");
    platform.cleanup().await;
}

#[tokio::test]
async fn a_queued_job_cancels_at_once_and_its_hold_is_voided() {
    // An API without workers: the job stays queued.
    let mut platform = Platform::start_with(Options {
        start_ai: false,
        ..Options::default()
    })
    .await;
    let mut config = platform.ai_config();
    config.role = ai_svc::Role::Api;
    platform.spawn_ai(config).await;
    let tenant = platform.tenant().await;
    let ids = keywords(&platform, &tenant, 3, "cancel").await;
    let job = submit(&platform, &tenant.editor, "auto_cluster", &ids)
        .await
        .expect("submit");
    let status = platform
        .ai()
        .cancel_job(bearer(
            JobIdRequest {
                job_id: job.id.clone(),
            },
            &tenant.viewer,
        ))
        .await
        .expect_err("viewers cannot cancel");
    assert_eq!(status.code(), Code::PermissionDenied);
    let other = platform.tenant().await;
    let status = platform
        .ai()
        .cancel_job(bearer(
            JobIdRequest {
                job_id: job.id.clone(),
            },
            &other.editor,
        ))
        .await
        .expect_err("another tenant's job");
    assert_eq!(status.code(), Code::NotFound);
    let cancelled = platform
        .ai()
        .cancel_job(bearer(
            JobIdRequest {
                job_id: job.id.clone(),
            },
            &tenant.editor,
        ))
        .await
        .expect("cancel")
        .into_inner();
    assert_eq!(cancelled.status, "cancelled");
    let job = finished(&platform, &tenant.editor, &job.id).await;
    assert_eq!(job.charged_milli, 0);
    assert_eq!(hold_of(&platform, &job.id).await.0, "voided");
    assert_eq!(held(&platform, &tenant).await, 0);
    let status = platform
        .ai()
        .cancel_job(bearer(
            JobIdRequest {
                job_id: job.id.clone(),
            },
            &tenant.editor,
        ))
        .await
        .expect_err("finished");
    assert_eq!(
        igny8_platform::error::decode_status(&status).code,
        "JOB_FINISHED"
    );
    platform.cleanup().await;
}

#[tokio::test]
async fn a_running_job_stops_at_its_next_step_and_pays_for_what_was_applied() {
    let platform = Platform::start().await;
    let tenant = platform.tenant().await;
    let mut task_ids = Vec::new();
    for n in 0..3 {
        let task = platform
            .writer()
            .create_task(bearer(
                igny8_proto::writer::v1::CreateTaskRequest {
                    site_id: tenant.site_a.clone(),
                    sector_id: tenant.sector_a1.clone(),
                    title: format!("Cancelled article {n}"),
                    primary_keyword: "cancel".into(),
                    target_word_count: 400,
                    ..Default::default()
                },
                &tenant.editor,
            ))
            .await
            .expect("task")
            .into_inner();
        task_ids.push(task.id);
    }
    // Each article takes 1.5 s: cancel once the first one is applied.
    platform.fake.set_delay(Duration::from_millis(1500));
    let job = submit(&platform, &tenant.editor, "generate_content", &task_ids)
        .await
        .expect("submit");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let applied: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ai.provider_calls WHERE job_id = $1::uuid AND credits_milli > 0",
        )
        .bind(&job.id)
        .fetch_one(&platform.ai_pool)
        .await
        .unwrap();
        if applied >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no article applied");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cancelling = platform
        .ai()
        .cancel_job(bearer(
            JobIdRequest {
                job_id: job.id.clone(),
            },
            &tenant.editor,
        ))
        .await
        .expect("cancel")
        .into_inner();
    assert!(cancelling.cancel_requested);
    let job = finished(&platform, &tenant.editor, &job.id).await;
    assert_eq!(job.status, "cancelled", "{job:?}");
    let written: i64 =
        sqlx::query_scalar("SELECT count(*) FROM writer.content WHERE task_id = ANY($1::uuid[])")
            .bind(&task_ids)
            .fetch_one(&platform.writer_pool)
            .await
            .unwrap();
    assert!((1..3).contains(&written), "{written} articles written");
    // Charged for the applied articles only (400 words: 1 credit each), by one capture.
    assert_eq!(job.charged_milli, written * 1000);
    assert_eq!(
        hold_of(&platform, &job.id).await,
        ("captured".into(), written * 1000)
    );
    assert_eq!(held(&platform, &tenant).await, 0);
    platform.cleanup().await;
}

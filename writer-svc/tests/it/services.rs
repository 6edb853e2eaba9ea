//! What platform services call: task and content context, generated content, image prompts
//! and results (idempotent on job ids), and publishing status.

use igny8_proto::{
    events::v1::{WriterContentStatusChanged, WriterTaskStatusChanged},
    writer::v1 as pb,
};
use tonic::Code;

use crate::helpers::{Platform, Tenant, acting, assert_field_error, bearer, code_of};

async fn new_task(p: &Platform, t: &Tenant) -> pb::Task {
    let req = pb::CreateTaskRequest {
        site_id: t.site_a.clone(),
        sector_id: t.sector_a1.clone(),
        title: "Write about Rust".into(),
        brief: "Cover ownership".into(),
        primary_keyword: "rust ownership".into(),
        secondary_keywords: vec!["borrow checker".into()],
        idea_id: uuid::Uuid::now_v7().to_string(),
        cluster_id: uuid::Uuid::now_v7().to_string(),
        outline: vec![pb::OutlineSection {
            heading: "Ownership".into(),
            covers: "moves".into(),
            keywords: vec![],
        }],
        ..Default::default()
    };
    p.writer()
        .create_task(bearer(req, &t.owner))
        .await
        .unwrap()
        .into_inner()
}

fn generated(job: &str, task_id: &str, title: &str) -> pb::ApplyGeneratedContentRequest {
    pb::ApplyGeneratedContentRequest {
        job_id: job.into(),
        task_id: task_id.into(),
        title: title.into(),
        body_html: "<h2>Ownership</h2><p>Every value has one owner.</p><script>x()</script>".into(),
        meta_title: "Rust ownership".into(),
        meta_description: "All about it".into(),
        categories: vec!["Programming".into()],
        tags: vec!["Rust".into(), "Memory".into()],
        ..Default::default()
    }
}

async fn count(p: &Platform, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&p.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn generated_content_is_written_once_per_job_and_completes_the_task() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let ai = p.service_token("ai-svc").await;
    let task = new_task(&p, &t).await;
    let context = p
        .writer()
        .get_task_context(acting(
            pb::IdRequest {
                id: task.id.clone(),
            },
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap()
        .into_inner();
    let ctx_task = context.task.unwrap();
    assert_eq!(
        (
            ctx_task.brief.as_str(),
            ctx_task.outline[0].heading.as_str()
        ),
        ("Cover ownership", "Ownership")
    );
    assert_eq!(ctx_task.cluster_id, task.cluster_id);

    let job = uuid::Uuid::now_v7().to_string();
    let first = p
        .writer()
        .apply_generated_content(acting(
            generated(&job, &task.id, "Ownership in Rust"),
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (first.status.as_str(), first.source.as_str(), first.version),
        ("draft", "igny8", 1)
    );
    assert_eq!(first.task_id, task.id);
    assert!(!first.body_html.contains("script"));
    assert_eq!(first.word_count, 6);
    assert_eq!(
        first.primary_keyword, "rust ownership",
        "the task's keyword by default"
    );
    assert_eq!(
        first
            .categories
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Programming"]
    );
    assert_eq!(first.tags.len(), 2);
    let done = p
        .writer()
        .get_task(bearer(
            pb::IdRequest {
                id: task.id.clone(),
            },
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (done.status.as_str(), done.content_id.as_str()),
        ("completed", first.id.as_str())
    );

    // The same job again (a redelivered message): the first answer, nothing written.
    let events_before = p.events().await.len();
    let again = p
        .writer()
        .apply_generated_content(acting(
            generated(&job, &task.id, "A different title"),
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
    assert_eq!(p.events().await.len(), events_before);
    assert_eq!(count(&p, "SELECT count(*) FROM writer.content").await, 1);
    assert_eq!(
        count(&p, "SELECT count(*) FROM writer.content_versions").await,
        1
    );
    assert_eq!(count(&p, "SELECT count(*) FROM writer.taxonomies").await, 3);

    // A new job for the same task writes a new version of its content, back in draft.
    for status in ["review", "approved"] {
        let req = pb::UpdateContentRequest {
            id: first.id.clone(),
            status: Some(status.into()),
            ..Default::default()
        };
        p.writer()
            .update_content(bearer(req, &t.owner))
            .await
            .unwrap();
    }
    let job2 = uuid::Uuid::now_v7().to_string();
    let second = p
        .writer()
        .apply_generated_content(acting(
            generated(&job2, &task.id, "Ownership, again"),
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (second.id.as_str(), second.version, second.status.as_str()),
        (first.id.as_str(), 2, "draft")
    );
    assert_eq!(
        count(&p, "SELECT count(*) FROM writer.taxonomies").await,
        3,
        "terms are reused by name"
    );
    let versions = p
        .writer()
        .list_content_versions(bearer(
            pb::ListContentVersionsRequest {
                content_id: first.id.clone(),
                page: None,
            },
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(versions.versions[0].reason, "generated");
    assert_eq!(versions.versions[0].created_by, "service:ai-svc");
    let task_moves: Vec<WriterTaskStatusChanged> = p.events_of("writer.task.status_changed").await;
    assert_eq!(task_moves.len(), 1);
    assert_eq!(
        (
            task_moves[0].to_status.as_str(),
            task_moves[0].idea_id.as_str()
        ),
        ("completed", task.idea_id.as_str())
    );

    // Concurrent deliveries of one job for another task: one write, one answer.
    let other = new_task(&p, &t).await;
    let racing = uuid::Uuid::now_v7().to_string();
    let calls = (0..4).map(|i| {
        let mut w = p.writer();
        let req = acting(
            generated(&racing, &other.id, &format!("Racer {i}")),
            &ai,
            &t.account_id,
        );
        async move { w.apply_generated_content(req).await.unwrap().into_inner() }
    });
    let answers = futures_util::future::join_all(calls).await;
    assert!(answers.iter().all(|a| *a == answers[0]));
    let written = format!(
        "SELECT count(*) FROM writer.content_versions v JOIN writer.content c ON c.id = v.content_id WHERE c.task_id = '{}'",
        other.id
    );
    assert_eq!(count(&p, &written).await, 1);
    // Only services write generated content; bad input names fields; foreign tasks are absent.
    let err = p
        .writer()
        .apply_generated_content(bearer(generated(&job, &task.id, "x"), &t.owner))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = p
        .writer()
        .get_task_context(bearer(
            pb::IdRequest {
                id: task.id.clone(),
            },
            &t.owner,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut bad = generated("nope", &task.id, "");
    bad.body_html = String::new();
    let err = p
        .writer()
        .apply_generated_content(acting(bad, &ai, &t.account_id))
        .await
        .unwrap_err();
    for field in ["job_id", "title", "body_html"] {
        assert_field_error(&err, field);
    }
    let theirs = p.tenant().await;
    let job3 = uuid::Uuid::now_v7().to_string();
    let err = p
        .writer()
        .apply_generated_content(acting(
            generated(&job3, &task.id, "x"),
            &ai,
            &theirs.account_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // The refused job left no claim behind: it can run once the task exists for that account.
    assert_eq!(
        count(
            &p,
            &format!("SELECT count(*) FROM writer.applied_jobs WHERE job_id = '{job3}'")
        )
        .await,
        0
    );
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn image_prompts_and_results_apply_once_per_job() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let ai = p.service_token("ai-svc").await;
    let task = new_task(&p, &t).await;
    let job = uuid::Uuid::now_v7().to_string();
    let content = p
        .writer()
        .apply_generated_content(acting(generated(&job, &task.id, "T"), &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner();
    let prompt = |kind: &str, position: u32| pb::ImagePrompt {
        image_type: kind.into(),
        position,
        prompt: format!("a {kind} picture"),
        alt_text: "alt".into(),
        ..Default::default()
    };
    let prompts_job = uuid::Uuid::now_v7().to_string();
    let request = || pb::ApplyImagePromptsRequest {
        job_id: prompts_job.clone(),
        content_id: content.id.clone(),
        prompts: vec![
            prompt("featured", 0),
            prompt("in_article", 0),
            prompt("in_article", 1),
        ],
    };
    let images = p
        .writer()
        .apply_image_prompts(acting(request(), &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner()
        .images;
    assert_eq!(images.len(), 3);
    assert!(
        images
            .iter()
            .all(|i| i.status == "pending" && i.sector_id == t.sector_a1)
    );
    assert_eq!(images[0].image_type, "featured");
    let again = p
        .writer()
        .apply_image_prompts(acting(request(), &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner()
        .images;
    assert_eq!(again, images);
    assert_eq!(count(&p, "SELECT count(*) FROM writer.images").await, 3);

    let results_job = uuid::Uuid::now_v7().to_string();
    let results = || pb::ApplyImageResultsRequest {
        job_id: results_job.clone(),
        results: vec![
            pb::ImageResult {
                image_id: images[0].id.clone(),
                status: "generated".into(),
                url: "https://cdn.example.com/f.webp".into(),
                file_ref: "f.webp".into(),
                error: String::new(),
            },
            pb::ImageResult {
                image_id: images[1].id.clone(),
                status: "failed".into(),
                error: "provider refused".into(),
                ..Default::default()
            },
        ],
    };
    let applied = p
        .writer()
        .apply_image_results(acting(results(), &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner()
        .images;
    assert_eq!(
        (applied[0].status.as_str(), applied[0].url.as_str()),
        ("generated", "https://cdn.example.com/f.webp")
    );
    assert_eq!(
        (applied[1].status.as_str(), applied[1].error.as_str()),
        ("failed", "provider refused")
    );
    let events_before = p.events().await.len();
    // An edit in between, then the same results job again: nothing changes back.
    let edit = pb::UpdateImageRequest {
        id: images[0].id.clone(),
        alt_text: Some("edited".into()),
        ..Default::default()
    };
    p.writer()
        .update_image(bearer(edit, &t.owner))
        .await
        .unwrap();
    let replay = p
        .writer()
        .apply_image_results(acting(results(), &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner()
        .images;
    assert_eq!(replay, applied);
    assert_eq!(
        p.events().await.len(),
        events_before + 1,
        "only the edit's event"
    );

    // A new prompts job re-prompts an existing slot (pending again, file cleared).
    let redo = pb::ApplyImagePromptsRequest {
        job_id: uuid::Uuid::now_v7().to_string(),
        content_id: content.id.clone(),
        prompts: vec![prompt("featured", 0)],
    };
    let redone = p
        .writer()
        .apply_image_prompts(acting(redo, &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner()
        .images;
    let featured = redone.iter().find(|i| i.image_type == "featured").unwrap();
    assert_eq!(
        (
            featured.id.as_str(),
            featured.status.as_str(),
            featured.url.as_str()
        ),
        (images[0].id.as_str(), "pending", "")
    );
    assert_eq!(count(&p, "SELECT count(*) FROM writer.images").await, 3);

    let context = p
        .writer()
        .get_content_context(acting(
            pb::IdRequest {
                id: content.id.clone(),
            },
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(context.images.len(), 3);
    assert_eq!(context.task.unwrap().id, task.id);
    assert!(context.content.unwrap().body_html.contains("Ownership"));

    let bad = pb::ApplyImagePromptsRequest {
        job_id: uuid::Uuid::now_v7().to_string(),
        content_id: content.id.clone(),
        prompts: vec![
            prompt("featured", 2),
            prompt("in_article", 0),
            prompt("in_article", 0),
            pb::ImagePrompt {
                image_type: "in_article".into(),
                position: 5,
                ..Default::default()
            },
        ],
    };
    let err = p
        .writer()
        .apply_image_prompts(acting(bad, &ai, &t.account_id))
        .await
        .unwrap_err();
    for field in [
        "prompts[0].position",
        "prompts[2].position",
        "prompts[3].prompt",
    ] {
        assert_field_error(&err, field);
    }
    let bad_results = pb::ApplyImageResultsRequest {
        job_id: uuid::Uuid::now_v7().to_string(),
        results: vec![pb::ImageResult {
            image_id: images[0].id.clone(),
            status: "generated".into(),
            ..Default::default()
        }],
    };
    assert_field_error(
        &p.writer()
            .apply_image_results(acting(bad_results, &ai, &t.account_id))
            .await
            .unwrap_err(),
        "results[0].url",
    );
    let by_user = pb::ApplyImagePromptsRequest {
        job_id: uuid::Uuid::now_v7().to_string(),
        content_id: content.id.clone(),
        prompts: vec![prompt("featured", 0)],
    };
    assert_eq!(
        p.writer()
            .apply_image_prompts(bearer(by_user, &t.owner))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn publishing_status_moves_through_publishing_and_records_the_post() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let integration = p.service_token("integration-svc").await;
    let req = pb::CreateContentRequest {
        site_id: t.site_a.clone(),
        sector_id: t.sector_a1.clone(),
        title: "Publish me".into(),
        ..Default::default()
    };
    let content = p
        .writer()
        .create_content(bearer(req, &t.owner))
        .await
        .unwrap()
        .into_inner();
    let mv = |status: &str, external: &str| pb::UpdatePublishingStatusRequest {
        content_id: content.id.clone(),
        site_status: status.into(),
        external_id: external.into(),
        external_url: if external.is_empty() {
            String::new()
        } else {
            format!("https://blog.example.com/?p={external}")
        },
        ..Default::default()
    };
    let call = |req: pb::UpdatePublishingStatusRequest| {
        let mut w = p.writer();
        let req = acting(req, &integration, &t.account_id);
        async move { w.update_publishing_status(req).await }
    };
    let err = call(mv("published", "")).await.unwrap_err();
    assert_eq!(
        (err.code(), code_of(&err).as_str()),
        (Code::FailedPrecondition, "INVALID_TRANSITION")
    );
    assert_field_error(
        &call(mv("scheduled", "")).await.unwrap_err(),
        "scheduled_publish_at",
    );
    assert_eq!(
        call(mv("publishing", ""))
            .await
            .unwrap()
            .into_inner()
            .site_status,
        "publishing"
    );
    let mut failed = mv("failed", "");
    failed.error = "WordPress answered 500".into();
    let failed = call(failed).await.unwrap().into_inner();
    assert_eq!(
        (failed.site_status.as_str(), failed.publish_error.as_str()),
        ("failed", "WordPress answered 500")
    );
    call(mv("publishing", "")).await.unwrap();
    let published = call(mv("published", "123")).await.unwrap().into_inner();
    assert_eq!(
        (
            published.site_status.as_str(),
            published.external_id.as_str()
        ),
        ("published", "123")
    );
    assert_eq!(published.external_url, "https://blog.example.com/?p=123");
    assert!(published.published_at.is_some());
    assert!(published.publish_error.is_empty());
    let err = call(mv("failed", "")).await.unwrap_err();
    assert_eq!(
        code_of(&err),
        "INVALID_TRANSITION",
        "published -> failed is refused"
    );
    let moves: Vec<WriterContentStatusChanged> = p
        .events_of("writer.content.publishing_status_changed")
        .await;
    let moves: Vec<&str> = moves.iter().map(|m| m.to_status.as_str()).collect();
    assert_eq!(moves, ["publishing", "failed", "publishing", "published"]);
    let err = p
        .writer()
        .update_publishing_status(bearer(mv("not_published", ""), &t.owner))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let theirs = p.tenant().await;
    let err = p
        .writer()
        .update_publishing_status(acting(
            mv("not_published", ""),
            &integration,
            &theirs.account_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    p.cleanup(&[]).await;
}

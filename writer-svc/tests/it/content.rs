//! Content: CRUD with terms, sanitised bodies, the editorial workflow, scheduling, versions,
//! tenancy and roles.

use igny8_proto::{
    common::v1::PageRequest,
    events::v1::{WriterContentEvent, WriterContentStatusChanged},
    writer::v1 as pb,
};
use tonic::Code;

use crate::helpers::{Platform, Tenant, assert_field_error, bearer, code_of};

pub fn new_content(t: &Tenant, title: &str) -> pb::CreateContentRequest {
    pb::CreateContentRequest {
        site_id: t.site_a.clone(),
        sector_id: t.sector_a1.clone(),
        title: title.into(),
        body_html: "<h2>Intro</h2><p>Rust makes services fast.</p>".into(),
        meta_title: "Meta".into(),
        primary_keyword: "rust".into(),
        ..Default::default()
    }
}

pub async fn create(p: &Platform, t: &Tenant, req: pb::CreateContentRequest) -> pb::Content {
    p.writer()
        .create_content(bearer(req, &t.owner))
        .await
        .expect("create content")
        .into_inner()
}

async fn term(p: &Platform, t: &Tenant, name: &str, kind: &str) -> pb::TaxonomyTerm {
    let req = pb::CreateTaxonomyRequest {
        site_id: t.site_a.clone(),
        name: name.into(),
        taxonomy_type: kind.into(),
        ..Default::default()
    };
    p.writer()
        .create_taxonomy(bearer(req, &t.owner))
        .await
        .expect("term")
        .into_inner()
}

fn status_to(id: &str, status: &str) -> pb::UpdateContentRequest {
    pb::UpdateContentRequest {
        id: id.into(),
        status: Some(status.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn content_is_created_with_terms_counted_words_and_defaults_from_its_task() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let category = term(&p, &t, "Guides", "category").await;
    let tag = term(&p, &t, "Rust", "tag").await;
    let task_req = pb::CreateTaskRequest {
        site_id: t.site_a.clone(),
        sector_id: t.sector_a2.clone(),
        title: "Task".into(),
        primary_keyword: "from task".into(),
        content_structure: "guide".into(),
        cluster_id: uuid::Uuid::now_v7().to_string(),
        ..Default::default()
    };
    let task = p
        .writer()
        .create_task(bearer(task_req, &t.owner))
        .await
        .unwrap()
        .into_inner();
    // Site and sector come from the task when not given.
    let req = pb::CreateContentRequest {
        task_id: task.id.clone(),
        title: "Written by hand".into(),
        body_html: "<p>One two three</p><ul><li>four</li><li>five</li></ul>".into(),
        taxonomy_term_ids: vec![category.id.clone(), tag.id.clone()],
        secondary_keywords: vec!["a".into(), "b".into()],
        ..Default::default()
    };
    let content = create(&p, &t, req).await;
    assert_eq!(content.site_id, t.site_a);
    assert_eq!(content.sector_id, t.sector_a2);
    assert_eq!(content.word_count, 5);
    assert_eq!(content.primary_keyword, "from task");
    assert_eq!(content.content_structure, "guide");
    assert_eq!(content.cluster_id, task.cluster_id);
    assert_eq!(
        (
            content.status.as_str(),
            content.site_status.as_str(),
            content.source.as_str()
        ),
        ("draft", "not_published", "igny8")
    );
    assert_eq!(content.version, 1);
    assert_eq!(
        content
            .categories
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        [category.id.as_str()]
    );
    assert_eq!(
        content
            .tags
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Rust"]
    );
    let read = p
        .writer()
        .get_content(bearer(
            pb::IdRequest {
                id: content.id.clone(),
            },
            &t.viewer,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, content);
    let task = p
        .writer()
        .get_task(bearer(pb::IdRequest { id: task.id }, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(task.content_id, content.id);

    // Lists leave bodies out unless asked, and filter by term.
    let listed = p
        .writer()
        .list_content(bearer(pb::ListContentRequest::default(), &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.items.len(), 1);
    assert!(listed.items[0].body_html.is_empty());
    assert_eq!(listed.items[0].tags.len(), 1);
    let with_body = pb::ListContentRequest {
        include_body: true,
        taxonomy_term_id: tag.id.clone(),
        ..Default::default()
    };
    let listed = p
        .writer()
        .list_content(bearer(with_body, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.items[0].body_html, content.body_html);
    // Terms can be replaced, and cleared.
    let update = pb::UpdateContentRequest {
        id: content.id.clone(),
        taxonomy_term_ids: Some(pb::IdList { ids: vec![] }),
        excerpt: Some("Short".into()),
        ..Default::default()
    };
    let updated = p
        .writer()
        .update_content(bearer(update, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert!(updated.tags.is_empty() && updated.categories.is_empty());
    assert_eq!(updated.excerpt, "Short");
    assert_eq!(
        updated.version, 1,
        "no title or body change, no new version"
    );

    p.writer()
        .delete_content(bearer(
            pb::IdRequest {
                id: content.id.clone(),
            },
            &t.owner,
        ))
        .await
        .unwrap();
    let gone = p
        .writer()
        .get_content(bearer(
            pb::IdRequest {
                id: content.id.clone(),
            },
            &t.owner,
        ))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    let deleted: Vec<WriterContentEvent> = p.events_of("writer.content.deleted").await;
    assert_eq!(deleted[0].content_id, content.id);
    let created: Vec<WriterContentEvent> = p.events_of("writer.content.created").await;
    assert_eq!(
        (created[0].content_id.as_str(), created[0].version),
        (content.id.as_str(), 1)
    );
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn bodies_are_sanitised_on_every_write() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let mut req = new_content(&t, "Unsafe");
    req.body_html = r#"<h2 onclick="steal()">Heading</h2><script>alert('x')</script>
        <p>Text with <a href="javascript:alert(1)">a bad link</a> and <a href="https://example.com/a">a good one</a>.</p>
        <img src="https://cdn.example.com/a.png" onerror="alert(1)" alt="chart">
        <img src="data:image/svg+xml;base64,PHN2Zz4=">
        <ul><li>kept</li></ul><table><tr><td>cell</td></tr></table>"#
        .into();
    let content = create(&p, &t, req).await;
    for banned in [
        "<script",
        "alert",
        "onclick",
        "onerror",
        "javascript:",
        "data:",
    ] {
        assert!(
            !content.body_html.contains(banned),
            "{banned} survived: {}",
            content.body_html
        );
    }
    for kept in [
        "<h2>Heading</h2>",
        r#"href="https://example.com/a""#,
        r#"src="https://cdn.example.com/a.png""#,
        r#"alt="chart""#,
        "<li>kept</li>",
        "<td>cell</td>",
    ] {
        assert!(
            content.body_html.contains(kept),
            "{kept} was lost: {}",
            content.body_html
        );
    }
    let update = pb::UpdateContentRequest {
        id: content.id.clone(),
        body_html: Some(r#"<p style="x:expression(alert(1))" onmouseover="x()">Edited</p><iframe src="https://evil.example"></iframe>"#.into()),
        ..Default::default()
    };
    let edited = p
        .writer()
        .update_content(bearer(update, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(edited.body_html, "<p>Edited</p>");
    assert_eq!(edited.word_count, 1);
    // The version history holds the sanitised form too.
    let versions = p
        .writer()
        .list_content_versions(bearer(
            pb::ListContentVersionsRequest {
                content_id: content.id,
                page: None,
            },
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        versions
            .versions
            .iter()
            .all(|v| !v.body_html.contains("alert"))
    );
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn editorial_status_follows_the_workflow() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let content = create(&p, &t, new_content(&t, "Workflow")).await;
    let mv = |status: &str| {
        let mut w = p.writer();
        let req = bearer(status_to(&content.id, status), &t.owner);
        async move { w.update_content(req).await }
    };
    for refused in ["approved", "published"] {
        let err = mv(refused).await.unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "draft -> {refused}");
        assert_eq!(code_of(&err), "INVALID_TRANSITION");
    }
    for allowed in ["review", "draft", "review", "approved", "published"] {
        assert_eq!(
            mv(allowed).await.expect(allowed).into_inner().status,
            allowed
        );
    }
    let err = mv("approved").await.unwrap_err();
    assert_eq!(
        code_of(&err),
        "INVALID_TRANSITION",
        "published -> approved is refused"
    );
    assert_eq!(mv("draft").await.unwrap().into_inner().status, "draft");
    let err = mv("archived").await.unwrap_err();
    assert_field_error(&err, "status");
    // A refused move changes nothing, not even the other fields of the same call.
    let mut both = status_to(&content.id, "published");
    both.title = Some("Changed".into());
    assert!(
        p.writer()
            .update_content(bearer(both, &t.owner))
            .await
            .is_err()
    );
    let current = p
        .writer()
        .get_content(bearer(
            pb::IdRequest {
                id: content.id.clone(),
            },
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (current.title.as_str(), current.status.as_str()),
        ("Workflow", "draft")
    );
    let moves: Vec<WriterContentStatusChanged> = p.events_of("writer.content.status_changed").await;
    let moves: Vec<(String, String)> = moves
        .into_iter()
        .map(|m| (m.from_status, m.to_status))
        .collect();
    let expected = [
        ("draft", "review"),
        ("review", "draft"),
        ("draft", "review"),
        ("review", "approved"),
        ("approved", "published"),
        ("published", "draft"),
    ];
    assert_eq!(moves, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));
    // New content starts as draft or review only.
    let mut approved = new_content(&t, "x");
    approved.status = "approved".into();
    assert_field_error(
        &p.writer()
            .create_content(bearer(approved, &t.owner))
            .await
            .unwrap_err(),
        "status",
    );
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn approved_content_can_be_scheduled_and_unscheduled() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let content = create(&p, &t, new_content(&t, "Schedule me")).await;
    let at = prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp() + 3600,
        nanos: 0,
    };
    let schedule = pb::UpdateContentRequest {
        id: content.id.clone(),
        scheduled_publish_at: Some(at),
        ..Default::default()
    };
    let err = p
        .writer()
        .update_content(bearer(schedule.clone(), &t.owner))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), "NOT_APPROVED");
    for status in ["review", "approved"] {
        p.writer()
            .update_content(bearer(status_to(&content.id, status), &t.owner))
            .await
            .unwrap();
    }
    let scheduled = p
        .writer()
        .update_content(bearer(schedule, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(scheduled.site_status, "scheduled");
    assert_eq!(scheduled.scheduled_publish_at.unwrap().seconds, at.seconds);
    let past = prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp() - 60,
        nanos: 0,
    };
    let err = p
        .writer()
        .update_content(bearer(
            pb::UpdateContentRequest {
                id: content.id.clone(),
                scheduled_publish_at: Some(past),
                ..Default::default()
            },
            &t.owner,
        ))
        .await
        .unwrap_err();
    assert_field_error(&err, "scheduled_publish_at");
    let cleared = p
        .writer()
        .update_content(bearer(
            pb::UpdateContentRequest {
                id: content.id.clone(),
                clear_schedule: true,
                ..Default::default()
            },
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cleared.site_status, "not_published");
    assert!(cleared.scheduled_publish_at.is_none());
    let filtered = pb::ListContentRequest {
        status: "approved".into(),
        site_status: "not_published".into(),
        ..Default::default()
    };
    let listed = p
        .writer()
        .list_content(bearer(filtered, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.page.unwrap().count, 1);
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn every_title_or_body_change_is_a_version_and_restoring_makes_another() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let content = create(&p, &t, new_content(&t, "First title")).await;
    let edit = |title: Option<&str>, body: Option<&str>| pb::UpdateContentRequest {
        id: content.id.clone(),
        title: title.map(Into::into),
        body_html: body.map(Into::into),
        ..Default::default()
    };
    let v2 = p
        .writer()
        .update_content(bearer(edit(Some("Second title"), None), &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v2.version, 2);
    let v3 = p
        .writer()
        .update_content(bearer(edit(None, Some("<p>new body words</p>")), &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((v3.version, v3.word_count), (3, 3));
    let same = p
        .writer()
        .update_content(bearer(
            edit(Some("Second title"), Some("<p>new body words</p>")),
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(same.version, 3, "unchanged text makes no version");

    let list = |page: Option<PageRequest>| {
        let mut w = p.writer();
        let req = bearer(
            pb::ListContentVersionsRequest {
                content_id: content.id.clone(),
                page,
            },
            &t.viewer,
        );
        async move { w.list_content_versions(req).await.unwrap().into_inner() }
    };
    let versions = list(None).await;
    assert_eq!(versions.page.unwrap().count, 3);
    let numbers: Vec<u32> = versions.versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, [3, 2, 1]);
    assert_eq!(versions.versions[2].title, "First title");
    assert_eq!(versions.versions[2].reason, "create");
    assert_eq!(versions.versions[0].reason, "edit");
    assert!(versions.versions[0].created_by.starts_with("user:"));
    let second_page = list(Some(PageRequest {
        page: 2,
        page_size: 2,
    }))
    .await;
    assert_eq!(
        second_page
            .versions
            .iter()
            .map(|v| v.version)
            .collect::<Vec<_>>(),
        [1]
    );

    let restore = pb::RestoreContentVersionRequest {
        content_id: content.id.clone(),
        version: 1,
    };
    let restored = p
        .writer()
        .restore_content_version(bearer(restore, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (restored.version, restored.title.as_str()),
        (4, "First title")
    );
    assert_eq!(restored.body_html, content.body_html);
    assert_eq!(restored.word_count, content.word_count);
    let newest = &list(None).await.versions[0];
    assert_eq!(
        (newest.version, newest.reason.as_str(), newest.restored_from),
        (4, "restore", 1)
    );

    let missing = pb::RestoreContentVersionRequest {
        content_id: content.id.clone(),
        version: 9,
    };
    assert_eq!(
        p.writer()
            .restore_content_version(bearer(missing, &t.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let by_viewer = pb::RestoreContentVersionRequest {
        content_id: content.id.clone(),
        version: 2,
    };
    assert_eq!(
        p.writer()
            .restore_content_version(bearer(by_viewer, &t.viewer))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    let theirs = p.tenant().await;
    let foreign = pb::ListContentVersionsRequest {
        content_id: content.id.clone(),
        page: None,
    };
    assert_eq!(
        p.writer()
            .list_content_versions(bearer(foreign, &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    // History is append-only, even for someone with database access.
    let rewrite = sqlx::query(
        "UPDATE writer.content_versions SET title = 'forged' WHERE content_id = $1::uuid",
    )
    .bind(&content.id)
    .execute(&p.pool)
    .await;
    assert!(rewrite.is_err());
    let restored_events: Vec<WriterContentEvent> =
        p.events_of("writer.content.version_restored").await;
    assert_eq!(restored_events[0].version, 4);
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn content_of_other_accounts_sites_and_roles_is_guarded() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let theirs = p.tenant().await;
    let content = create(&p, &t, new_content(&t, "Ours")).await;
    let mut on_b = new_content(&t, "On b");
    on_b.site_id = t.site_b.clone();
    on_b.sector_id = t.sector_b1.clone();
    let content_b = create(&p, &t, on_b).await;
    let id = |id: &str| pb::IdRequest { id: id.into() };
    let w = || p.writer();
    assert_eq!(
        w().get_content(bearer(id(&content.id), &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(
        w().update_content(bearer(status_to(&content.id, "review"), &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(
        w().delete_content(bearer(id(&content.id), &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(
        w().get_content(bearer(id(&content_b.id), &t.site_key))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(
        w().get_content(bearer(id(&content.id), &t.site_key))
            .await
            .unwrap()
            .into_inner()
            .id,
        content.id
    );
    // Our task, or our site, used from another account: not found.
    let task = p
        .writer()
        .create_task(bearer(
            pb::CreateTaskRequest {
                site_id: t.site_a.clone(),
                sector_id: t.sector_a1.clone(),
                title: "t".into(),
                ..Default::default()
            },
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    let borrowed = pb::CreateContentRequest {
        task_id: task.id.clone(),
        title: "x".into(),
        ..Default::default()
    };
    assert_eq!(
        w().create_content(bearer(borrowed, &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(
        w().create_content(bearer(new_content(&t, "x"), &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    // A term of another site is a field error; a task from another sector too.
    let req = pb::CreateTaxonomyRequest {
        site_id: t.site_b.clone(),
        name: "B only".into(),
        taxonomy_type: "tag".into(),
        ..Default::default()
    };
    let term_b = p
        .writer()
        .create_taxonomy(bearer(req, &t.owner))
        .await
        .unwrap()
        .into_inner();
    let mut with_term = new_content(&t, "x");
    with_term.taxonomy_term_ids = vec![term_b.id];
    with_term.task_id = task.id.clone();
    with_term.sector_id = t.sector_a2.clone();
    let err = w()
        .create_content(bearer(with_term, &t.owner))
        .await
        .unwrap_err();
    assert_field_error(&err, "taxonomy_term_ids");
    assert_field_error(&err, "task_id");
    let mut invalid = new_content(&t, "");
    invalid.external_url = "ftp://x".into();
    invalid.source = "scraped".into();
    let err = w()
        .create_content(bearer(invalid, &t.owner))
        .await
        .unwrap_err();
    for field in ["title", "external_url", "source"] {
        assert_field_error(&err, field);
    }
    // Viewers read, never write.
    assert!(
        w().get_content(bearer(id(&content.id), &t.viewer))
            .await
            .is_ok()
    );
    assert_eq!(
        w().create_content(bearer(new_content(&t, "v"), &t.viewer))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    assert_eq!(
        w().update_content(bearer(status_to(&content.id, "review"), &t.viewer))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    assert_eq!(
        w().delete_content(bearer(id(&content.id), &t.viewer))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    // Bulk delete skips what the caller may not touch.
    let bulk = pb::BulkIdsRequest {
        ids: vec![content.id.clone(), content_b.id.clone()],
    };
    assert_eq!(
        w().bulk_delete_content(bearer(bulk.clone(), &theirs.owner))
            .await
            .unwrap()
            .into_inner()
            .affected,
        0
    );
    assert_eq!(
        w().bulk_delete_content(bearer(bulk.clone(), &t.site_key))
            .await
            .unwrap()
            .into_inner()
            .affected,
        1
    );
    assert_eq!(
        w().bulk_delete_content(bearer(bulk, &t.owner))
            .await
            .unwrap()
            .into_inner()
            .affected,
        1
    );
    let left = w()
        .list_content(bearer(pb::ListContentRequest::default(), &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(left.page.unwrap().count, 0);
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn content_lists_filter_search_order_and_paginate() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    for (i, title) in ["Bravo guide", "Alpha review", "Charlie guide"]
        .iter()
        .enumerate()
    {
        let mut req = new_content(&t, title);
        req.body_html = "<p>word</p>".repeat(i + 1);
        req.status = if i == 1 { "review" } else { "draft" }.into();
        req.source = if i == 2 { "wordpress" } else { "igny8" }.into();
        create(&p, &t, req).await;
    }
    let list = |req: pb::ListContentRequest| {
        let mut w = p.writer();
        let req = bearer(req, &t.owner);
        async move { w.list_content(req).await }
    };
    let titles = |l: pb::ContentList| l.items.into_iter().map(|c| c.title).collect::<Vec<_>>();
    let by_words = list(pb::ListContentRequest {
        ordering: "-word_count".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(
        titles(by_words),
        ["Charlie guide", "Alpha review", "Bravo guide"]
    );
    let guides = list(pb::ListContentRequest {
        search: "guide".into(),
        ordering: "title".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(guides.page.unwrap().count, 2);
    assert_eq!(titles(guides), ["Bravo guide", "Charlie guide"]);
    let review = list(pb::ListContentRequest {
        status: "review".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(titles(review), ["Alpha review"]);
    let imported = list(pb::ListContentRequest {
        source: "wordpress".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(titles(imported), ["Charlie guide"]);
    let paged = list(pb::ListContentRequest {
        ordering: "title".into(),
        page: Some(PageRequest {
            page: 2,
            page_size: 2,
        }),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(paged.page.unwrap().count, 3);
    assert_eq!(titles(paged), ["Charlie guide"]);
    let other_sector = pb::ListContentRequest {
        site_id: t.site_a.clone(),
        sector_id: t.sector_a2.clone(),
        ..Default::default()
    };
    assert_eq!(
        list(other_sector)
            .await
            .unwrap()
            .into_inner()
            .page
            .unwrap()
            .count,
        0
    );
    let err = list(pb::ListContentRequest {
        ordering: "-body_html".into(),
        site_status: "gone".into(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_field_error(&err, "ordering");
    assert_field_error(&err, "site_status");
    p.cleanup(&[]).await;
}

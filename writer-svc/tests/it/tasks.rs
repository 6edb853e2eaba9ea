//! Tasks: CRUD, validation, tenancy, roles, lists, bulk changes and idempotent CreateTasks.

use igny8_proto::{
    common::v1::PageRequest,
    events::v1::{WriterTaskEvent, WriterTaskStatusChanged},
    writer::v1 as pb,
};
use tonic::Code;

use crate::helpers::{Platform, Tenant, acting, assert_field_error, bearer};

fn new_task(t: &Tenant, title: &str) -> pb::CreateTaskRequest {
    pb::CreateTaskRequest {
        site_id: t.site_a.clone(),
        sector_id: t.sector_a1.clone(),
        title: title.into(),
        brief: "What to cover".into(),
        primary_keyword: "rust seo".into(),
        secondary_keywords: vec!["axum".into(), "tonic".into()],
        ..Default::default()
    }
}

async fn create(p: &Platform, t: &Tenant, req: pb::CreateTaskRequest) -> pb::Task {
    p.writer()
        .create_task(bearer(req, &t.owner))
        .await
        .expect("create task")
        .into_inner()
}

fn page(page: u32, size: u32) -> Option<PageRequest> {
    Some(PageRequest {
        page,
        page_size: size,
    })
}

#[tokio::test]
async fn tasks_are_created_read_updated_and_deleted_with_events() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let mut req = new_task(&t, "How to write Rust services");
    req.outline = vec![pb::OutlineSection {
        heading: "Why Rust".into(),
        covers: "speed and safety".into(),
        keywords: vec!["rust".into()],
    }];
    req.content_structure = "how_to".into();
    let task = create(&p, &t, req).await;
    assert_eq!(task.status, "queued");
    assert_eq!(task.content_type, "post");
    assert_eq!(task.content_structure, "how_to");
    assert_eq!(task.target_word_count, 1000);
    assert_eq!(task.secondary_keywords, vec!["axum", "tonic"]);
    assert_eq!(task.outline[0].heading, "Why Rust");

    let got = p
        .writer()
        .get_task(bearer(
            pb::IdRequest {
                id: task.id.clone(),
            },
            &t.viewer,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, task);

    let update = pb::UpdateTaskRequest {
        id: task.id.clone(),
        title: Some("How to write fast Rust services".into()),
        status: Some("in_progress".into()),
        secondary_keywords: Some(pb::StringList { values: vec![] }),
        target_word_count: Some(1500),
        ..Default::default()
    };
    let updated = p
        .writer()
        .update_task(bearer(update, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.title, "How to write fast Rust services");
    assert_eq!(updated.status, "in_progress");
    assert!(updated.secondary_keywords.is_empty());
    assert_eq!(updated.target_word_count, 1500);
    assert_eq!(updated.brief, "What to cover", "absent fields are kept");

    p.writer()
        .delete_task(bearer(
            pb::IdRequest {
                id: task.id.clone(),
            },
            &t.owner,
        ))
        .await
        .unwrap();
    let gone = p
        .writer()
        .get_task(bearer(
            pb::IdRequest {
                id: task.id.clone(),
            },
            &t.owner,
        ))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);

    let keys: Vec<String> = p.events().await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "writer.task.created",
            "writer.task.updated",
            "writer.task.status_changed",
            "writer.task.deleted"
        ]
    );
    let created: Vec<WriterTaskEvent> = p.events_of("writer.task.created").await;
    assert_eq!(created[0].task_id, task.id);
    assert_eq!(created[0].account_id, t.account_id);
    assert_eq!(created[0].sector_id, t.sector_a1);
    let changed: Vec<WriterTaskStatusChanged> = p.events_of("writer.task.status_changed").await;
    assert_eq!(
        (
            changed[0].from_status.as_str(),
            changed[0].to_status.as_str()
        ),
        ("queued", "in_progress")
    );
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn invalid_task_fields_are_named() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let req = pb::CreateTaskRequest {
        site_id: String::new(),
        sector_id: t.sector_a1.clone(),
        title: "  ".into(),
        cluster_id: "not-a-uuid".into(),
        content_type: "novel".into(),
        content_structure: "poem".into(),
        target_word_count: 50,
        status: "done".into(),
        outline: vec![pb::OutlineSection::default()],
        ..Default::default()
    };
    let status = p
        .writer()
        .create_task(bearer(req, &t.owner))
        .await
        .unwrap_err();
    for field in [
        "site_id",
        "title",
        "cluster_id",
        "content_type",
        "content_structure",
        "target_word_count",
        "status",
        "outline[0].heading",
    ] {
        assert_field_error(&status, field);
    }
    let update = pb::UpdateTaskRequest {
        id: create(&p, &t, new_task(&t, "ok")).await.id,
        title: Some(String::new()),
        status: Some("archived".into()),
        ..Default::default()
    };
    let status = p
        .writer()
        .update_task(bearer(update, &t.owner))
        .await
        .unwrap_err();
    assert_field_error(&status, "title");
    assert_field_error(&status, "status");
    // Nothing was written by the refused calls: only the one good create.
    assert_eq!(p.events().await.len(), 1);
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn other_accounts_and_other_sites_are_not_found() {
    let p = Platform::start().await;
    let ours = p.tenant().await;
    let theirs = p.tenant().await;
    let task = create(&p, &ours, new_task(&ours, "ours")).await;
    let mut on_b = new_task(&ours, "on site b");
    on_b.site_id = ours.site_b.clone();
    on_b.sector_id = ours.sector_b1.clone();
    let task_b = create(&p, &ours, on_b).await;

    let w = || p.writer();
    let id = |id: &str| pb::IdRequest { id: id.into() };
    let err = w()
        .get_task(bearer(id(&task.id), &theirs.owner))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = w()
        .delete_task(bearer(id(&task.id), &theirs.owner))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let update = pb::UpdateTaskRequest {
        id: task.id.clone(),
        title: Some("x".into()),
        ..Default::default()
    };
    assert_eq!(
        w().update_task(bearer(update, &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    // Creating in someone else's site, or with a sector of another site, is as if absent.
    let err = w()
        .create_task(bearer(new_task(&ours, "x"), &theirs.owner))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let mut mixed = new_task(&ours, "x");
    mixed.sector_id = ours.sector_b1.clone();
    assert_eq!(
        w().create_task(bearer(mixed, &ours.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    // Their lists do not show our tasks; filtering by our site is not found.
    let list = w()
        .list_tasks(bearer(pb::ListTasksRequest::default(), &theirs.owner))
        .await
        .unwrap()
        .into_inner();
    assert!(list.tasks.is_empty());
    assert_eq!(list.page.unwrap().count, 0);
    let ours_filter = pb::ListTasksRequest {
        site_id: ours.site_a.clone(),
        ..Default::default()
    };
    assert_eq!(
        w().list_tasks(bearer(ours_filter, &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );

    // The site key of site a sees site a only.
    let list = w()
        .list_tasks(bearer(pb::ListTasksRequest::default(), &ours.site_key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        list.tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        [task.id.as_str()]
    );
    assert_eq!(list.page.unwrap().count, 1);
    assert_eq!(
        w().get_task(bearer(id(&task_b.id), &ours.site_key))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let on_b = pb::ListTasksRequest {
        site_id: ours.site_b.clone(),
        ..Default::default()
    };
    assert_eq!(
        w().list_tasks(bearer(on_b, &ours.site_key))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let mut key_on_b = new_task(&ours, "key on b");
    key_on_b.site_id = ours.site_b.clone();
    key_on_b.sector_id = ours.sector_b1.clone();
    assert_eq!(
        w().create_task(bearer(key_on_b, &ours.site_key))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let deleted = w()
        .bulk_delete_tasks(bearer(
            pb::BulkIdsRequest {
                ids: vec![task_b.id.clone()],
            },
            &ours.site_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.affected, 0);
    // The key may write on its own site.
    let created = w()
        .create_task(bearer(new_task(&ours, "by key"), &ours.site_key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.site_id, ours.site_a);
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn viewers_read_tasks_but_cannot_change_them() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let task = create(&p, &t, new_task(&t, "read me")).await;
    let w = || p.writer();
    let list = w()
        .list_tasks(bearer(pb::ListTasksRequest::default(), &t.viewer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.tasks.len(), 1);
    let denied = [
        w().create_task(bearer(new_task(&t, "no"), &t.viewer))
            .await
            .unwrap_err(),
        w().update_task(bearer(
            pb::UpdateTaskRequest {
                id: task.id.clone(),
                title: Some("no".into()),
                ..Default::default()
            },
            &t.viewer,
        ))
        .await
        .unwrap_err(),
        w().delete_task(bearer(
            pb::IdRequest {
                id: task.id.clone(),
            },
            &t.viewer,
        ))
        .await
        .unwrap_err(),
        w().bulk_delete_tasks(bearer(
            pb::BulkIdsRequest {
                ids: vec![task.id.clone()],
            },
            &t.viewer,
        ))
        .await
        .unwrap_err(),
        w().bulk_update_tasks(bearer(
            pb::BulkUpdateTasksRequest {
                ids: vec![task.id.clone()],
                status: Some("failed".into()),
                cluster_id: None,
            },
            &t.viewer,
        ))
        .await
        .unwrap_err(),
    ];
    for status in denied {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    }
    let unchanged = w()
        .get_task(bearer(pb::IdRequest { id: task.id }, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unchanged.title, "read me");
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn create_tasks_makes_one_task_per_idea_however_often_it_is_called() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let planner = p.service_token("planner-svc").await;
    let idea = uuid::Uuid::now_v7().to_string();
    let other_idea = uuid::Uuid::now_v7().to_string();
    let item = |idea: &str, title: &str| pb::NewTask {
        site_id: t.site_a.clone(),
        sector_id: t.sector_a1.clone(),
        idea_id: idea.into(),
        cluster_id: uuid::Uuid::now_v7().to_string(),
        title: title.into(),
        brief: "brief".into(),
        primary_keyword: "kw".into(),
        outline: vec![pb::OutlineSection {
            heading: "H2".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    // The same idea twice in one call, as planner's service acting for the account.
    let request = pb::CreateTasksRequest {
        tasks: vec![
            item(&idea, "first"),
            item(&idea, "again"),
            item(&other_idea, "other"),
        ],
    };
    let first = p
        .writer()
        .create_tasks(acting(request, &planner, &t.account_id))
        .await
        .unwrap()
        .into_inner();
    let created: Vec<bool> = first.tasks.iter().map(|c| c.created).collect();
    assert_eq!(created, [true, false, true]);
    assert_eq!(first.tasks[0].task_id, first.tasks[1].task_id);
    // Queuing again (here with the user's own token) returns the same tasks, creating nothing.
    let request = pb::CreateTasksRequest {
        tasks: vec![item(&idea, "third time"), item(&other_idea, "other")],
    };
    let second = p
        .writer()
        .create_tasks(bearer(request, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert!(second.tasks.iter().all(|c| !c.created));
    assert_eq!(second.tasks[0].task_id, first.tasks[0].task_id);
    assert_eq!(second.tasks[1].task_id, first.tasks[2].task_id);
    let task = p
        .writer()
        .get_task(bearer(
            pb::IdRequest {
                id: first.tasks[0].task_id.clone(),
            },
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(task.title, "first");
    assert_eq!(task.idea_id, idea);
    assert_eq!(task.outline[0].heading, "H2");
    let events: Vec<WriterTaskEvent> = p.events_of("writer.task.created").await;
    assert_eq!(events.len(), 2);
    // Concurrent queueing of one new idea still makes one task.
    let racing = uuid::Uuid::now_v7().to_string();
    let calls = (0..4).map(|_| {
        let mut w = p.writer();
        let req = bearer(
            pb::CreateTasksRequest {
                tasks: vec![item(&racing, "race")],
            },
            &t.owner,
        );
        async move {
            w.create_tasks(req)
                .await
                .unwrap()
                .into_inner()
                .tasks
                .remove(0)
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    assert_eq!(answers.iter().filter(|a| a.created).count(), 1);
    assert!(answers.iter().all(|a| a.task_id == answers[0].task_id));
    // A task for an idea that has one is refused on the single create.
    let mut single = new_task(&t, "dup");
    single.idea_id = idea.clone();
    let err = p
        .writer()
        .create_task(bearer(single, &t.owner))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    // Items are checked one by one, naming the item.
    let bad = pb::CreateTasksRequest {
        tasks: vec![
            item(&idea, "ok"),
            pb::NewTask {
                idea_id: String::new(),
                ..item(&idea, "")
            },
        ],
    };
    let err = p
        .writer()
        .create_tasks(bearer(bad, &t.owner))
        .await
        .unwrap_err();
    assert_field_error(&err, "tasks[1].idea_id");
    assert_field_error(&err, "tasks[1].title");
    // Another account's planner call cannot queue into this account's site.
    let theirs = p.tenant().await;
    let request = pb::CreateTasksRequest {
        tasks: vec![item(&uuid::Uuid::now_v7().to_string(), "x")],
    };
    let err = p
        .writer()
        .create_tasks(acting(request, &planner, &theirs.account_id))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn task_lists_paginate_filter_search_and_order() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let titles = [
        "delta", "alpha", "echo", "charlie", "bravo", "golf", "foxtrot",
    ];
    let mut ids = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        let mut req = new_task(&t, title);
        req.status = if i % 3 == 0 { "completed" } else { "queued" }.into();
        if i == 6 {
            req.sector_id = t.sector_a2.clone();
        }
        ids.push(create(&p, &t, req).await.id);
    }
    let list = |req: pb::ListTasksRequest| {
        let mut w = p.writer();
        let token = t.owner.clone();
        async move { w.list_tasks(bearer(req, &token)).await }
    };
    let by_title = |page_no: u32| pb::ListTasksRequest {
        ordering: "title".into(),
        page: page(page_no, 3),
        ..Default::default()
    };
    let mut seen = Vec::new();
    for page_no in 1..=3 {
        let got = list(by_title(page_no)).await.unwrap().into_inner();
        assert_eq!(got.page.unwrap().count, 7);
        seen.extend(got.tasks.into_iter().map(|t| t.title));
    }
    assert_eq!(
        seen,
        [
            "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"
        ]
    );
    let beyond = list(by_title(4)).await.unwrap().into_inner();
    assert!(beyond.tasks.is_empty());
    assert_eq!(beyond.page.unwrap().count, 7);
    let desc = list(pb::ListTasksRequest {
        ordering: "-title".into(),
        page: page(1, 2),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(
        desc.tasks
            .iter()
            .map(|t| t.title.as_str())
            .collect::<Vec<_>>(),
        ["golf", "foxtrot"]
    );
    // Default order is newest first.
    let newest = list(pb::ListTasksRequest {
        page: page(1, 1),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(newest.tasks[0].id, ids[6]);

    let completed = list(pb::ListTasksRequest {
        status: "completed".into(),
        ordering: "title".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(
        completed
            .tasks
            .iter()
            .map(|t| t.title.as_str())
            .collect::<Vec<_>>(),
        ["charlie", "delta", "foxtrot"]
    );
    assert_eq!(completed.page.unwrap().count, 3);
    let in_sector = pb::ListTasksRequest {
        site_id: t.site_a.clone(),
        sector_id: t.sector_a1.clone(),
        ..Default::default()
    };
    assert_eq!(
        list(in_sector)
            .await
            .unwrap()
            .into_inner()
            .page
            .unwrap()
            .count,
        6
    );
    let searched = list(pb::ListTasksRequest {
        search: "CHAR".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(searched.tasks.len(), 1);
    assert_eq!(searched.tasks[0].title, "charlie");
    let by_keyword = list(pb::ListTasksRequest {
        search: "tonic".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(by_keyword.page.unwrap().count, 7);
    let wildcard = list(pb::ListTasksRequest {
        search: "%".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(wildcard.page.unwrap().count, 0, "% is searched literally");

    let err = list(pb::ListTasksRequest {
        ordering: "password".into(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_field_error(&err, "ordering");
    let err = list(pb::ListTasksRequest {
        page: page(1, 101),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_field_error(&err, "page_size");
    let err = list(pb::ListTasksRequest {
        status: "lost".into(),
        sector_id: t.sector_a1.clone(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_field_error(&err, "status");
    assert_field_error(&err, "sector_id");

    // Bulk changes: the counters follow deletes; ids of other accounts are skipped.
    let theirs = p.tenant().await;
    let their_task = p
        .writer()
        .create_task(bearer(new_task(&theirs, "theirs"), &theirs.owner))
        .await
        .unwrap()
        .into_inner();
    let bulk = pb::BulkUpdateTasksRequest {
        ids: vec![ids[1].clone(), ids[2].clone(), their_task.id.clone()],
        status: Some("failed".into()),
        cluster_id: None,
    };
    let updated = p
        .writer()
        .bulk_update_tasks(bearer(bulk, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.affected, 2);
    let failed = list(pb::ListTasksRequest {
        status: "failed".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(failed.page.unwrap().count, 2);
    let deleted = p
        .writer()
        .bulk_delete_tasks(bearer(
            pb::BulkIdsRequest {
                ids: vec![ids[0].clone(), ids[1].clone(), their_task.id.clone()],
            },
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.affected, 2);
    let all = list(pb::ListTasksRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.page.unwrap().count, 5);
    let still_theirs = p
        .writer()
        .get_task(bearer(pb::IdRequest { id: their_task.id }, &theirs.owner))
        .await;
    assert!(still_theirs.is_ok());
    let err = p
        .writer()
        .bulk_delete_tasks(bearer(
            pb::BulkIdsRequest {
                ids: vec!["nope".into()],
            },
            &t.owner,
        ))
        .await
        .unwrap_err();
    assert_field_error(&err, "ids");
    p.cleanup(&[]).await;
}

//! Images: CRUD, slots unique per content and type, bulk status, grouping by content, tenancy.

use igny8_proto::{events::v1::WriterImageEvent, writer::v1 as pb};
use tonic::Code;

use crate::{
    content::{create as create_content, new_content},
    helpers::{Platform, assert_field_error, bearer, code_of},
};

fn image(content_id: &str, kind: &str, position: u32) -> pb::CreateImageRequest {
    pb::CreateImageRequest {
        content_id: content_id.into(),
        image_type: kind.into(),
        position,
        prompt: format!("{kind} {position}"),
        alt_text: "alt".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn images_belong_to_content_slots_and_are_grouped_by_content() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let first = create_content(&p, &t, new_content(&t, "First")).await;
    let second = create_content(&p, &t, new_content(&t, "Second")).await;
    let w = || p.writer();
    let featured = w()
        .create_image(bearer(image(&first.id, "featured", 0), &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (featured.site_id.as_str(), featured.sector_id.as_str()),
        (t.site_a.as_str(), t.sector_a1.as_str())
    );
    assert_eq!(featured.status, "pending");
    let in2 = w()
        .create_image(bearer(image(&first.id, "in_article", 2), &t.owner))
        .await
        .unwrap()
        .into_inner();
    let in1 = w()
        .create_image(bearer(image(&first.id, "in_article", 1), &t.owner))
        .await
        .unwrap()
        .into_inner();
    w().create_image(bearer(image(&second.id, "in_article", 1), &t.owner))
        .await
        .expect("same slot on other content");
    // One image per content, type and position; the featured image sits at 0.
    let taken = w()
        .create_image(bearer(image(&first.id, "in_article", 1), &t.owner))
        .await
        .unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists);
    assert_eq!(code_of(&taken), "IMAGE_SLOT_TAKEN");
    assert_eq!(
        w().create_image(bearer(image(&first.id, "featured", 0), &t.owner))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists
    );
    assert_field_error(
        &w().create_image(bearer(image(&first.id, "featured", 3), &t.owner))
            .await
            .unwrap_err(),
        "position",
    );
    let moved = pb::UpdateImageRequest {
        id: in2.id.clone(),
        position: Some(1),
        ..Default::default()
    };
    assert_eq!(
        w().update_image(bearer(moved, &t.owner))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists
    );

    let done = pb::UpdateImageRequest {
        id: in1.id.clone(),
        status: Some("generated".into()),
        url: Some("https://cdn.example.com/1.webp".into()),
        file_ref: Some("images/1.webp".into()),
        caption: Some("Caption".into()),
        ..Default::default()
    };
    let generated = w()
        .update_image(bearer(done, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (generated.status.as_str(), generated.url.as_str()),
        ("generated", "https://cdn.example.com/1.webp")
    );

    let grouped = w()
        .list_content_images(bearer(pb::ListContentImagesRequest::default(), &t.viewer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(grouped.page.unwrap().count, 2);
    let group = grouped
        .groups
        .iter()
        .find(|g| g.content_id == first.id)
        .unwrap();
    assert_eq!(group.content_title, "First");
    assert_eq!(group.featured.as_ref().unwrap().id, featured.id);
    assert_eq!(
        group
            .in_article
            .iter()
            .map(|i| i.position)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!((group.pending, group.generated, group.failed), (2, 1, 0));
    let only_generated = pb::ListContentImagesRequest {
        status: "generated".into(),
        ..Default::default()
    };
    let grouped = w()
        .list_content_images(bearer(only_generated, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        grouped
            .groups
            .iter()
            .map(|g| g.content_id.as_str())
            .collect::<Vec<_>>(),
        [first.id.as_str()]
    );

    // Bulk status: by content, then by ids; only real changes count.
    let by_content = pb::BulkUpdateImageStatusRequest {
        content_id: first.id.clone(),
        status: "failed".into(),
        ids: vec![],
    };
    assert_eq!(
        w().bulk_update_image_status(bearer(by_content, &t.owner))
            .await
            .unwrap()
            .into_inner()
            .affected,
        3
    );
    let by_ids = pb::BulkUpdateImageStatusRequest {
        ids: vec![in1.id.clone(), featured.id.clone()],
        status: "failed".into(),
        content_id: String::new(),
    };
    assert_eq!(
        w().bulk_update_image_status(bearer(by_ids, &t.owner))
            .await
            .unwrap()
            .into_inner()
            .affected,
        0
    );
    let failed = pb::ListImagesRequest {
        status: "failed".into(),
        ordering: "position".into(),
        ..Default::default()
    };
    let failed = w()
        .list_images(bearer(failed, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(failed.page.unwrap().count, 3);
    assert_eq!(failed.images[0].image_type, "featured");
    let all = w()
        .list_images(bearer(pb::ListImagesRequest::default(), &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.page.unwrap().count, 4);
    let of_second = pb::ListImagesRequest {
        content_id: second.id.clone(),
        ..Default::default()
    };
    assert_eq!(
        w().list_images(bearer(of_second, &t.owner))
            .await
            .unwrap()
            .into_inner()
            .images
            .len(),
        1
    );

    w().delete_image(bearer(pb::IdRequest { id: in2.id.clone() }, &t.owner))
        .await
        .unwrap();
    // Deleting content takes its images along, and the counters follow.
    w().delete_content(bearer(
        pb::IdRequest {
            id: second.id.clone(),
        },
        &t.owner,
    ))
    .await
    .unwrap();
    let all = w()
        .list_images(bearer(pb::ListImagesRequest::default(), &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.page.unwrap().count, 2);
    assert_eq!(all.images.len(), 2);
    let created: Vec<WriterImageEvent> = p.events_of("writer.image.created").await;
    assert_eq!(created.len(), 4);
    let changed: Vec<WriterImageEvent> = p.events_of("writer.image.status_changed").await;
    assert_eq!(changed.len(), 4, "one update plus three bulk changes");
    p.cleanup(&[]).await;
}

#[tokio::test]
async fn images_check_their_parent_fields_tenancy_and_roles() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let theirs = p.tenant().await;
    let content = create_content(&p, &t, new_content(&t, "Ours")).await;
    let w = || p.writer();
    let err = w()
        .create_image(bearer(image(&content.id, "featured", 0), &theirs.owner))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = w()
        .create_image(bearer(image(&content.id, "featured", 0), &t.viewer))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let bad = pb::CreateImageRequest {
        image_type: "banner".into(),
        url: "javascript:alert(1)".into(),
        status: "done".into(),
        ..Default::default()
    };
    let err = w().create_image(bearer(bad, &t.owner)).await.unwrap_err();
    for field in ["content_id", "image_type", "url", "status"] {
        assert_field_error(&err, field);
    }
    let both = pb::CreateImageRequest {
        task_id: uuid::Uuid::now_v7().to_string(),
        ..image(&content.id, "featured", 0)
    };
    assert_field_error(
        &w().create_image(bearer(both, &t.owner)).await.unwrap_err(),
        "task_id",
    );
    // Legacy images hang off a task and take its site and sector.
    let task_req = pb::CreateTaskRequest {
        site_id: t.site_b.clone(),
        sector_id: t.sector_b1.clone(),
        title: "t".into(),
        ..Default::default()
    };
    let task = w()
        .create_task(bearer(task_req, &t.owner))
        .await
        .unwrap()
        .into_inner();
    let on_task = pb::CreateImageRequest {
        content_id: String::new(),
        task_id: task.id.clone(),
        ..image("", "in_article", 0)
    };
    let legacy = w()
        .create_image(bearer(on_task, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (legacy.site_id.as_str(), legacy.task_id.as_str()),
        (t.site_b.as_str(), task.id.as_str())
    );
    // The site key of site a cannot see it; other accounts cannot either.
    let id = pb::IdRequest {
        id: legacy.id.clone(),
    };
    assert_eq!(
        w().get_image(bearer(id.clone(), &t.site_key))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(
        w().get_image(bearer(id.clone(), &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(
        w().delete_image(bearer(id.clone(), &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let keyed = w()
        .list_images(bearer(pb::ListImagesRequest::default(), &t.site_key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(keyed.page.unwrap().count, 0);
    let bulk = pb::BulkUpdateImageStatusRequest {
        ids: vec![legacy.id.clone()],
        status: "generated".into(),
        content_id: String::new(),
    };
    assert_eq!(
        w().bulk_update_image_status(bearer(bulk.clone(), &theirs.owner))
            .await
            .unwrap()
            .into_inner()
            .affected,
        0
    );
    assert_eq!(
        w().bulk_update_image_status(bearer(bulk, &t.viewer))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    let foreign = pb::BulkUpdateImageStatusRequest {
        content_id: content.id.clone(),
        status: "failed".into(),
        ids: vec![],
    };
    assert_eq!(
        w().bulk_update_image_status(bearer(foreign, &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    // Deleting the task removes its legacy images.
    w().delete_task(bearer(pb::IdRequest { id: task.id }, &t.owner))
        .await
        .unwrap();
    assert_eq!(
        w().get_image(bearer(id, &t.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    p.cleanup(&[]).await;
}

//! Generated files in an S3-compatible bucket: ai-svc stores each image there (signed S3
//! requests to a local server) and the gateway serves it from there; nothing lands on disk.

use igny8_test_support::fake_provider::TINY_PNG;
use serde_json::json;

use super::{accepted, assert_serves_png, completed, ids_of, tenant};
use crate::harness::{AiOptions, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_are_stored_in_the_bucket_and_served_from_it() {
    let app = TestApp::spawn_with_ai_options(
        AiOptions {
            bucket: true,
            ..AiOptions::default()
        },
        |_| {},
    )
    .await;
    let account = tenant(&app, "bucket").await;
    let token = account.owner.access.as_str();
    let t = Some(token);

    let content = app
        .post(
            "/api/v1/writer/content",
            t,
            json!({"site_id": account.site, "sector_id": account.sectors[0],
                   "title": "Storing images",
                   "content_html": "<h2>Buckets</h2><p>Objects live in buckets.</p><h2>Keys</h2><p>Each object has a key.</p>"}),
        )
        .await;
    content.assert_status(201);
    let content_id = content.body["data"]["id"].as_str().unwrap().to_owned();
    let id = accepted(
        &app,
        token,
        "/api/v1/writer/content/generate_image_prompts",
        std::slice::from_ref(&content_id),
    )
    .await;
    completed(&app, token, &id).await;
    let images = app
        .get(&format!("/api/v1/writer/images?content_id={content_id}"), t)
        .await;
    let image_ids = ids_of(&images.body["results"]);
    assert_eq!(image_ids.len(), 3, "{}", images.text);

    let id = accepted(
        &app,
        token,
        "/api/v1/writer/images/generate_images",
        &image_ids,
    )
    .await;
    let job = completed(&app, token, &id).await;
    assert_eq!(job["output"]["succeeded"], json!(3), "{job}");

    let s3 = app.s3.as_ref().expect("the S3 server");
    for image_id in &image_ids {
        let image = app
            .get(&format!("/api/v1/writer/images/{image_id}"), t)
            .await;
        let file_ref = image.body["data"]["file_ref"].as_str().unwrap().to_owned();
        assert!(
            file_ref.starts_with(&format!("images/{}/", account.owner.account_id)),
            "{file_ref}"
        );
        assert_eq!(s3.object(&file_ref).as_deref(), Some(TINY_PNG));
        assert_serves_png(&app, token, image_id).await;
    }
    // The folder the directory store would use stayed empty.
    let folder = app.image_dir.as_ref().expect("the image folder");
    assert_eq!(std::fs::read_dir(folder).unwrap().count(), 0);
}

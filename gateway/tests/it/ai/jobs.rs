//! The whole AI chain through the gateway: keywords → clusters → ideas → tasks → content →
//! image prompts → image files, each step a `202` job followed to its result, charged once.

use serde_json::{Value, json};

use super::{
    accepted, assert_serves_png, balance, completed, ids_of, keywords, settled_balance, submit,
    tenant,
};
use crate::harness::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_runs_a_job_to_its_results_and_charges_it() {
    let app = TestApp::spawn_with_ai().await;
    let account = tenant(&app, "chain").await;
    let token = account.owner.access.as_str();
    let t = Some(token);
    let before = balance(&app, &account).await;

    // auto_cluster: 6 keywords -> 2 clusters of 3, keywords mapped, 10 credits.
    let keyword_ids = keywords(&app, &account, 6, "chain").await;
    let submitted = submit(
        &app,
        token,
        "/api/v1/planner/keywords/auto_cluster",
        &keyword_ids,
    )
    .await;
    submitted.assert_status(202);
    let data = &submitted.body["data"];
    let job_id = data["job_id"].as_str().unwrap().to_owned();
    assert_eq!(
        submitted.header("location"),
        Some(format!("/api/v1/jobs/{job_id}").as_str())
    );
    let job = &data["job"];
    assert_eq!(job["id"], json!(job_id));
    assert_eq!(job["kind"], json!("auto_cluster"));
    assert_eq!(job["status"], json!("queued"));
    assert_eq!(job["site_id"], json!(account.site));
    assert_eq!(job["sector_id"], json!(account.sectors[0]));
    assert_eq!(job["input_ids"].as_array().unwrap().len(), 6);
    assert_eq!(job["estimated_milli"], json!(10_000));
    assert_eq!(job["estimated_credits"], json!("10.000"));
    assert_eq!(job["charged_credits"], json!("0.000"));
    assert_eq!(job["output"], Value::Null);
    assert_eq!(job["error"], Value::Null);
    assert_eq!(job["finished_at"], Value::Null);

    let job = completed(&app, token, &job_id).await;
    assert_eq!(job["percent"], json!(100));
    assert_eq!(job["phase"], json!("completed"));
    assert_eq!(job["charged_milli"], json!(10_000));
    assert_eq!(job["charged_credits"], json!("10.000"));
    assert_eq!(job["output"]["object_type"], json!("cluster"));
    assert_eq!(job["output"]["succeeded"], json!(6));
    let cluster_ids: Vec<String> = job["output"]["object_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(cluster_ids.len(), 2);
    let clusters = app
        .get(
            &format!(
                "/api/v1/planner/clusters?site_id={}&sector_id={}",
                account.site, account.sectors[0]
            ),
            t,
        )
        .await;
    clusters.assert_status(200);
    let mut listed = ids_of(&clusters.body["results"]);
    listed.sort();
    let mut expected = cluster_ids.clone();
    expected.sort();
    assert_eq!(listed, expected);
    for id in &keyword_ids {
        let keyword = app.get(&format!("/api/v1/planner/keywords/{id}"), t).await;
        assert_eq!(
            keyword.body["data"]["status"],
            json!("mapped"),
            "{}",
            keyword.text
        );
        assert!(
            cluster_ids.contains(
                &keyword.body["data"]["cluster_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            )
        );
    }
    let after = settled_balance(&app, &account).await;
    assert_eq!(
        before["available_milli"].as_i64().unwrap() - after["available_milli"].as_i64().unwrap(),
        10_000
    );

    // auto_generate_ideas: 3 ideas per cluster, 2 credits per cluster.
    let id = accepted(
        &app,
        token,
        "/api/v1/planner/clusters/auto_generate_ideas",
        &cluster_ids,
    )
    .await;
    let job = completed(&app, token, &id).await;
    assert_eq!(job["kind"], json!("generate_ideas"));
    assert_eq!(job["charged_milli"], json!(4_000));
    let ideas = app
        .get(
            &format!("/api/v1/planner/ideas?site_id={}", account.site),
            t,
        )
        .await;
    assert_eq!(ideas.body["count"], json!(6), "{}", ideas.text);
    let idea_ids: Vec<String> = ids_of(&ideas.body["results"]).into_iter().take(2).collect();

    // Two ideas to the writer, then auto_generate_content writes their articles.
    let queued = app
        .post(
            "/api/v1/planner/ideas/bulk_queue_to_writer",
            t,
            json!({ "ids": idea_ids }),
        )
        .await;
    queued.assert_status(200);
    let task_ids: Vec<String> = queued.body["data"]["ideas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["task_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(task_ids.len(), 2);
    let id = accepted(
        &app,
        token,
        "/api/v1/writer/tasks/auto_generate_content",
        &task_ids,
    )
    .await;
    let job = completed(&app, token, &id).await;
    assert_eq!(job["output"]["object_type"], json!("content"));
    assert_eq!(job["output"]["succeeded"], json!(2));
    assert_eq!(job["output"]["failed"], json!(0));
    let mut content_ids = Vec::new();
    let mut charged = 0;
    for task_id in &task_ids {
        let task = app.get(&format!("/api/v1/writer/tasks/{task_id}"), t).await;
        assert_eq!(
            task.body["data"]["status"],
            json!("completed"),
            "{}",
            task.text
        );
        let content_id = task.body["data"]["content_id"].as_str().unwrap().to_owned();
        let content = app
            .get(&format!("/api/v1/writer/content/{content_id}"), t)
            .await;
        content.assert_status(200);
        let words = content.body["data"]["word_count"].as_u64().unwrap();
        assert!(words >= 1200, "{}", content.text);
        charged += words.div_ceil(500) * 1000;
        content_ids.push(content_id);
    }
    assert_eq!(job["charged_milli"], json!(charged));

    // generate_image_prompts: a featured and two in-article prompts, pending.
    let id = accepted(
        &app,
        token,
        "/api/v1/writer/content/generate_image_prompts",
        &content_ids[..1],
    )
    .await;
    let job = completed(&app, token, &id).await;
    assert_eq!(job["charged_milli"], json!(1_500));
    let images = app
        .get(
            &format!("/api/v1/writer/images?content_id={}", content_ids[0]),
            t,
        )
        .await;
    assert_eq!(images.body["count"], json!(3), "{}", images.text);
    let rows = images.body["results"].as_array().unwrap();
    assert!(
        rows.iter()
            .all(|i| i["status"] == json!("pending") && !i["prompt"].as_str().unwrap().is_empty()),
        "{}",
        images.text
    );
    let image_ids = ids_of(&images.body["results"]);
    // A pending image has no file yet.
    app.get(&format!("/api/v1/writer/images/{}/file", image_ids[0]), t)
        .await
        .assert_error(404, "NOT_FOUND");

    // generate_images: every file stored and served by the image file route.
    let id = accepted(
        &app,
        token,
        "/api/v1/writer/images/generate_images",
        &image_ids,
    )
    .await;
    let job = completed(&app, token, &id).await;
    assert_eq!(job["output"]["succeeded"], json!(3), "{job}");
    for image_id in &image_ids {
        let image = app
            .get(&format!("/api/v1/writer/images/{image_id}"), t)
            .await;
        assert_eq!(
            image.body["data"]["status"],
            json!("generated"),
            "{}",
            image.text
        );
        assert_serves_png(&app, token, image_id).await;
    }

    // A file that went missing from the store is a 404, not an error.
    let image = app
        .get(&format!("/api/v1/writer/images/{}", image_ids[2]), t)
        .await;
    let file_ref = image.body["data"]["file_ref"].as_str().unwrap();
    let image_dir = app.image_dir.as_ref().expect("the image folder");
    std::fs::remove_file(image_dir.join(file_ref)).expect("the stored file");
    app.get(&format!("/api/v1/writer/images/{}/file", image_ids[2]), t)
        .await
        .assert_error(404, "NOT_FOUND");

    // The job list: newest first, filtered by kind, status and site.
    let jobs = app.get("/api/v1/jobs", t).await;
    jobs.assert_status(200);
    assert_eq!(jobs.body["count"], json!(5));
    assert_eq!(jobs.body["results"][0]["kind"], json!("generate_images"));
    let clustering = app.get("/api/v1/jobs?kind=auto_cluster", t).await;
    assert_eq!(clustering.body["count"], json!(1));
    let page = app
        .get("/api/v1/jobs?status=completed&page_size=2", t)
        .await;
    assert_eq!(page.body["count"], json!(5));
    assert_eq!(page.body["results"].as_array().unwrap().len(), 2);
    assert!(page.body["next"].as_str().unwrap().contains("page=2"));
    // Past the last page: no rows, still the whole count.
    let beyond = app
        .get("/api/v1/jobs?status=completed&page_size=2&page=9", t)
        .await;
    beyond.assert_status(200);
    assert_eq!(beyond.body["count"], json!(5), "{}", beyond.text);
    assert_eq!(beyond.body["results"], json!([]));
    let site = app
        .get(&format!("/api/v1/jobs?site_id={}", account.site), t)
        .await;
    assert_eq!(site.body["count"], json!(5));
    app.get("/api/v1/jobs?status=done", t)
        .await
        .assert_field_error("status");
    app.get("/api/v1/jobs?kind=poems", t)
        .await
        .assert_field_error("kind");

    // Another account sees none of it: not the jobs, not the images, not the files, also
    // when it points an image of its own at this account's file.
    let other = tenant(&app, "chain-other").await;
    let theirs = Some(other.owner.access.as_str());
    assert_eq!(
        app.get("/api/v1/jobs", theirs).await.body["count"],
        json!(0)
    );
    app.get(&format!("/api/v1/jobs/{id}"), theirs)
        .await
        .assert_error(404, "NOT_FOUND");
    let file_path = format!("/api/v1/writer/images/{}/file", image_ids[0]);
    app.get(&file_path, theirs)
        .await
        .assert_error(404, "NOT_FOUND");
    let stolen_ref = app
        .get(&format!("/api/v1/writer/images/{}", image_ids[0]), t)
        .await
        .body["data"]["file_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let content = app
        .post(
            "/api/v1/writer/content",
            theirs,
            json!({"site_id": other.site, "sector_id": other.sectors[0], "title": "Borrowed"}),
        )
        .await;
    content.assert_status(201);
    let image = app
        .post(
            "/api/v1/writer/images",
            theirs,
            json!({
                "content_id": content.body["data"]["id"], "image_type": "featured",
                "status": "generated", "file_ref": stolen_ref,
            }),
        )
        .await;
    image.assert_status(201);
    app.get(
        &format!(
            "/api/v1/writer/images/{}/file",
            image.body["data"]["id"].as_str().unwrap()
        ),
        theirs,
    )
    .await
    .assert_error(404, "NOT_FOUND");
}

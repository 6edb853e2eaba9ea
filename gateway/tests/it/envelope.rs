//! The envelope on success, lists and errors; request ids given and made; unknown routes and
//! methods.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::harness::{TestApp, read};

fn keys(body: &Value) -> BTreeSet<String> {
    body.as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_list_and_error_envelopes_have_their_shapes() {
    let app = TestApp::spawn().await;
    let owner = app.register("env").await;
    let t = Some(owner.access.as_str());

    let me = app.get("/api/v1/auth/me", t).await;
    assert_eq!(
        keys(&me.body),
        set(&["success", "data", "message", "request_id"])
    );
    assert_eq!(me.body["success"], json!(true));
    assert_eq!(me.body["message"], json!(null));
    assert_eq!(me.header("content-type"), Some("application/json"));

    let error = app.get("/api/v1/auth/me", None).await;
    assert_eq!(
        keys(&error.body),
        set(&["success", "error", "code", "errors", "request_id"])
    );
    assert_eq!(error.body["success"], json!(false));
    assert_eq!(error.body["errors"], json!({}));

    // Three users, two per page.
    app.invite_and_login(&owner, "editor").await;
    app.invite_and_login(&owner, "viewer").await;
    let first = app
        .get("/api/v1/auth/users?page_size=2&ordering=x", t)
        .await;
    first.assert_status(200);
    assert_eq!(
        keys(&first.body),
        set(&[
            "success",
            "count",
            "next",
            "previous",
            "results",
            "request_id"
        ])
    );
    assert_eq!(first.body["count"], json!(3));
    assert_eq!(first.body["results"].as_array().unwrap().len(), 2);
    assert_eq!(first.body["previous"], json!(null));
    let next = first.body["next"].as_str().expect("a next link").to_owned();
    assert_eq!(
        next,
        app.url("/api/v1/auth/users?page_size=2&ordering=x&page=2")
    );

    let second = read(
        app.client
            .get(&next)
            .bearer_auth(&owner.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    second.assert_status(200);
    assert_eq!(second.body["results"].as_array().unwrap().len(), 1);
    assert_eq!(second.body["next"], json!(null));
    assert_eq!(
        second.body["previous"],
        json!(app.url("/api/v1/auth/users?page_size=2&ordering=x&page=1"))
    );
    let ids: BTreeSet<&str> = first.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second.body["results"].as_array().unwrap())
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "pages do not overlap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_echoed_or_made() {
    let app = TestApp::spawn().await;
    let given = read(
        app.client
            .get(app.url("/api/v1/auth/me"))
            .header("X-Request-ID", "client-chosen-42")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(given.header("x-request-id"), Some("client-chosen-42"));
    assert_eq!(given.body["request_id"], json!("client-chosen-42"));

    let made = app.get("/healthz", None).await;
    let id = made
        .header("x-request-id")
        .expect("a request id")
        .to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a UUID: {id}");
    assert_eq!(made.body["request_id"], json!(id));

    let too_long = read(
        app.client
            .get(app.url("/healthz"))
            .header("X-Request-ID", "x".repeat(129))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let replaced = too_long.header("x-request-id").unwrap();
    assert!(
        uuid::Uuid::parse_str(replaced).is_ok(),
        "an unusable id is replaced: {replaced}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_answer_in_the_envelope() {
    let app = TestApp::spawn().await;
    let missing = app.get("/api/v1/nothing/here", None).await;
    missing.assert_error(404, "NOT_FOUND");
    assert!(missing.header("x-request-id").is_some());
    assert_eq!(
        missing.body["request_id"].as_str(),
        missing.header("x-request-id")
    );

    let wrong_method = app.delete("/api/v1/auth/login", None).await;
    wrong_method.assert_error(405, "METHOD_NOT_ALLOWED");
    let wrong_method = app
        .send(reqwest::Method::PUT, "/api/v1/auth/me/", None, None)
        .await;
    wrong_method.assert_error(405, "METHOD_NOT_ALLOWED");
}

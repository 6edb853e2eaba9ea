//! `/api/v1/system/`: prompts, author profiles and AI settings, with roles and tenancy.

use serde_json::{Value, json};

use super::tenant;
use crate::harness::TestApp;

fn prompt_types(list: &Value) -> Vec<String> {
    list["results"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| p["prompt_type"].as_str().expect("a type").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_are_listed_saved_with_checked_placeholders_and_reset() {
    let app = TestApp::spawn_with_ai().await;
    let account = tenant(&app, "prompts").await;
    let owner = Some(account.owner.access.as_str());
    let viewer = app.invite_and_login(&account.owner, "viewer").await;
    let viewer = Some(viewer.access.as_str());

    let list = app.get("/api/v1/system/prompts", viewer).await;
    list.assert_status(200);
    let mut types = prompt_types(&list.body);
    types.sort();
    assert_eq!(
        types,
        [
            "clustering",
            "content_generation",
            "ideas",
            "image_prompt_extraction",
            "image_prompt_template",
            "negative_prompt",
        ]
    );
    assert_eq!(list.body["count"], json!(6));

    let path = "/api/v1/system/prompts/by_type?prompt_type=clustering";
    let builtin = app.get(path, viewer).await;
    builtin.assert_status(200);
    let builtin = builtin.body["data"].clone();
    assert_eq!(builtin["is_custom"], json!(false));
    assert_eq!(builtin["text"], builtin["default_text"]);
    let required: Vec<&str> = builtin["placeholders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["required"] == json!(true))
        .map(|p| p["token"].as_str().unwrap())
        .collect();
    assert!(!required.is_empty(), "{builtin}");
    app.get("/api/v1/system/prompts/by_type?prompt_type=poems", owner)
        .await
        .assert_field_error("prompt_type");
    app.get("/api/v1/system/prompts/by_type", owner)
        .await
        .assert_field_error("prompt_type");

    // A text without the required placeholders is refused under `text`.
    let save = "/api/v1/system/prompts/save_prompt";
    app.post(
        save,
        owner,
        json!({"prompt_type": "clustering", "text": "Group these keywords, please."}),
    )
    .await
    .assert_field_error("text");
    app.post(
        save,
        owner,
        json!({"prompt_type": "clustering", "text": format!("{} [IGNY8_NO_SUCH_THING]", builtin["default_text"].as_str().unwrap())}),
    )
    .await
    .assert_field_error("text");
    app.post(
        save,
        owner,
        json!({"prompt_type": "clustering", "txt": "x"}),
    )
    .await
    .assert_field_error("txt");
    let own_text = format!(
        "House style first.\n{}",
        builtin["default_text"].as_str().unwrap()
    );
    // Viewers read prompts but cannot change them.
    app.post(
        save,
        viewer,
        json!({"prompt_type": "clustering", "text": own_text}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    let saved = app
        .post(
            save,
            owner,
            json!({"prompt_type": "clustering", "text": own_text}),
        )
        .await;
    saved.assert_status(200);
    assert_eq!(saved.body["data"]["is_custom"], json!(true));
    assert_eq!(saved.body["data"]["text"], json!(own_text));
    let read = app.get(path, viewer).await;
    assert_eq!(read.body["data"]["text"], json!(own_text));
    assert_eq!(read.body["data"]["default_text"], builtin["default_text"]);

    // Another account still sees the built-in text.
    let other = tenant(&app, "prompts-other").await;
    let theirs = app.get(path, Some(&other.owner.access)).await;
    assert_eq!(theirs.body["data"]["text"], builtin["default_text"]);

    let reset = "/api/v1/system/prompts/reset_prompt";
    app.post(reset, viewer, json!({"prompt_type": "clustering"}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.post(reset, owner, json!({"prompt_type": "sonnets"}))
        .await
        .assert_field_error("prompt_type");
    let reset = app
        .post(reset, owner, json!({"prompt_type": "clustering"}))
        .await;
    reset.assert_status(200);
    assert_eq!(reset.body["data"]["is_custom"], json!(false));
    assert_eq!(reset.body["data"]["text"], builtin["default_text"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn author_profiles_are_managed_within_the_account() {
    let app = TestApp::spawn_with_ai().await;
    let account = tenant(&app, "profiles").await;
    let owner = Some(account.owner.access.as_str());
    let base = "/api/v1/system/author-profiles";

    app.post(base, owner, json!({"name": "  ", "tone": "friendly"}))
        .await
        .assert_field_error("name");
    app.post(base, owner, json!({"name": "Ann", "language": "english"}))
        .await
        .assert_field_error("language");
    app.post(base, owner, json!({"name": "Ann", "mood": "sunny"}))
        .await
        .assert_field_error("mood");
    let first = app
        .post(
            base,
            owner,
            json!({"name": "Ann", "tone": "friendly", "audience": "founders", "is_default": true}),
        )
        .await;
    first.assert_status(201);
    let first = first.body["data"].clone();
    assert_eq!(first["language"], json!("en"));
    assert_eq!(first["is_default"], json!(true));
    let first_id = first["id"].as_str().unwrap().to_owned();
    app.post(base, owner, json!({"name": "ANN"}))
        .await
        .assert_error(409, "DUPLICATE_AUTHOR_PROFILE");

    // A second default takes over from the first.
    let second = app
        .post(
            base,
            owner,
            json!({"name": "Bo", "style": "short sentences", "is_default": true}),
        )
        .await;
    second.assert_status(201);
    let second_id = second.body["data"]["id"].as_str().unwrap().to_owned();
    let list = app.get(base, owner).await;
    list.assert_status(200);
    assert_eq!(list.body["count"], json!(2));
    let defaults: Vec<&str> = list.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["is_default"] == json!(true))
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(defaults, [second_id.as_str()]);

    let one = format!("{base}/{first_id}");
    let changed = app
        .patch(&one, owner, json!({"tone": "authoritative"}))
        .await;
    changed.assert_status(200);
    assert_eq!(changed.body["data"]["tone"], json!("authoritative"));
    assert_eq!(changed.body["data"]["audience"], json!("founders"));
    app.patch(&one, owner, json!({"name": "bo"}))
        .await
        .assert_error(409, "DUPLICATE_AUTHOR_PROFILE");

    // Viewers read; another account's ids, and ids that are no ids, are not found.
    let viewer = app.invite_and_login(&account.owner, "viewer").await;
    app.get(&one, Some(&viewer.access)).await.assert_status(200);
    app.post(base, Some(&viewer.access), json!({"name": "Cy"}))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    app.delete(&one, Some(&viewer.access))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let other = tenant(&app, "profiles-other").await;
    let theirs = Some(other.owner.access.as_str());
    app.get(&one, theirs).await.assert_error(404, "NOT_FOUND");
    app.patch(&one, theirs, json!({"tone": "rude"}))
        .await
        .assert_error(404, "NOT_FOUND");
    app.delete(&one, theirs)
        .await
        .assert_error(404, "NOT_FOUND");
    assert_eq!(app.get(base, theirs).await.body["count"], json!(0));
    app.get(&format!("{base}/not-an-id"), owner)
        .await
        .assert_error(404, "NOT_FOUND");

    let deleted = app.delete(&one, owner).await;
    deleted.assert_status(200);
    assert_eq!(deleted.body["data"], Value::Null);
    app.get(&one, owner).await.assert_error(404, "NOT_FOUND");
    assert_eq!(app.get(base, owner).await.body["count"], json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ai_settings_change_partially_and_never_show_the_keys() {
    let app = TestApp::spawn_with_ai().await;
    let account = tenant(&app, "settings").await;
    let owner = Some(account.owner.access.as_str());
    let path = "/api/v1/system/settings/ai";

    let initial = app.get(path, owner).await;
    initial.assert_status(200);
    let initial = initial.body["data"].clone();
    assert_eq!(initial["has_text_api_key"], json!(false));
    assert_eq!(initial["text_ready"], json!(true), "{initial}");

    let key = "sk-account-secret-4321";
    let saved = app
        .send(
            reqwest::Method::PUT,
            path,
            owner,
            Some(json!({"text_model": "gpt-4o", "temperature": 0.5, "text_api_key": key})),
        )
        .await;
    saved.assert_status(200);
    assert!(!saved.text.contains(key), "{}", saved.text);
    assert!(!saved.text.contains("account-secret"), "{}", saved.text);
    let data = &saved.body["data"];
    assert_eq!(data["text_model"], json!("gpt-4o"));
    assert_eq!(data["temperature"], json!(0.5));
    assert_eq!(data["has_text_api_key"], json!(true));
    assert_eq!(data["text_api_key_hint"], json!("4321"));
    assert_eq!(data["has_image_api_key"], json!(false));
    assert!(data.get("text_api_key").is_none(), "{data}");
    // Settings not named keep their values.
    assert_eq!(data["default_word_count"], initial["default_word_count"]);
    assert_eq!(data["in_article_images"], initial["in_article_images"]);

    // A later partial change leaves the model and the stored key alone.
    let later = app
        .send(
            reqwest::Method::PUT,
            path,
            owner,
            Some(json!({"in_article_images": 3, "text_model": null})),
        )
        .await;
    later.assert_status(200);
    let data = &later.body["data"];
    assert_eq!(data["in_article_images"], json!(3));
    assert_eq!(data["text_model"], json!("gpt-4o"));
    assert_eq!(data["has_text_api_key"], json!(true));
    let read = app.get(path, owner).await;
    assert!(!read.text.contains(key), "{}", read.text);
    assert_eq!(read.body["data"]["in_article_images"], json!(3));

    // Bad values name their field; unknown fields are refused.
    app.send(
        reqwest::Method::PUT,
        path,
        owner,
        Some(json!({"temperature": 7.5})),
    )
    .await
    .assert_field_error("temperature");
    app.send(
        reqwest::Method::PUT,
        path,
        owner,
        Some(json!({"text_api_keys": "x"})),
    )
    .await
    .assert_field_error("text_api_keys");

    // Editors and viewers read settings but only owners and admins change them.
    let editor = app.invite_and_login(&account.owner, "editor").await;
    let viewer = app.invite_and_login(&account.owner, "viewer").await;
    for member in [&editor, &viewer] {
        app.get(path, Some(&member.access)).await.assert_status(200);
        app.send(
            reqwest::Method::PUT,
            path,
            Some(&member.access),
            Some(json!({"in_article_images": 1})),
        )
        .await
        .assert_error(403, "PERMISSION_DENIED");
    }

    // Another account has its own settings.
    let other = tenant(&app, "settings-other").await;
    let theirs = app.get(path, Some(&other.owner.access)).await;
    assert_eq!(theirs.body["data"]["has_text_api_key"], json!(false));
    assert_eq!(
        theirs.body["data"]["in_article_images"],
        initial["in_article_images"]
    );

    // "" removes the stored key.
    let removed = app
        .send(
            reqwest::Method::PUT,
            path,
            owner,
            Some(json!({"text_api_key": ""})),
        )
        .await;
    removed.assert_status(200);
    assert_eq!(removed.body["data"]["has_text_api_key"], json!(false));
    assert_eq!(removed.body["data"]["text_api_key_hint"], Value::Null);
}

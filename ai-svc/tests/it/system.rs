//! Prompts, author profiles and AI settings over gRPC: who may read and change them, how
//! input is checked, how overrides and defaults resolve, that provider keys are sealed and
//! never returned, and that another account's rows behave as missing.

use ai_svc::{
    prompts::PromptType,
    system::{author_profiles, prompts_store},
};
use igny8_proto::{
    ai::v1::{
        AiSettings, AuthorProfile, AuthorProfileIdRequest, CreateAuthorProfileRequest,
        PromptTypeRequest, SavePromptRequest, UpdateAiSettingsRequest, UpdateAuthorProfileRequest,
    },
    common::v1::Empty,
};
use prost::Message as _;
use tonic::{Code, Status};
use uuid::Uuid;

use crate::harness::{Options, Platform, Tenant, acting, bearer};

/// Asserts `status` is a validation error naming each of `fields`.
fn assert_fields(status: &Status, fields: &[&str]) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let decoded = igny8_platform::error::decode_status(status);
    for field in fields {
        assert!(
            decoded.fields.0.contains_key(*field),
            "expected a violation for {field}, got {:?}",
            decoded.fields
        );
    }
}

fn code_of(status: &Status) -> String {
    igny8_platform::error::decode_status(status).code
}

fn account(tenant: &Tenant) -> Uuid {
    tenant.account_id.parse().expect("account id")
}

fn prompt_type(key: &str) -> PromptTypeRequest {
    PromptTypeRequest {
        prompt_type: key.into(),
    }
}

#[tokio::test]
async fn prompts_resolve_to_the_builtin_until_an_editor_saves_a_valid_override() {
    let platform = Platform::start().await;
    let tenant = platform.tenant().await;
    let other = platform.tenant().await;
    let mut ai = platform.ai();

    let list = ai
        .list_prompts(bearer(Empty {}, &tenant.viewer))
        .await
        .expect("viewers read prompts")
        .into_inner();
    assert_eq!(list.prompts.len(), PromptType::ALL.len());
    assert!(
        list.prompts
            .iter()
            .all(|p| !p.is_custom && p.text == p.default_text)
    );

    let unknown = ai
        .get_prompt(bearer(prompt_type("summaries"), &tenant.owner))
        .await
        .unwrap_err();
    assert_fields(&unknown, &["prompt_type"]);

    let text = "Group [IGNY8_KEYWORDS] of [IGNY8_SECTOR] into clusters, as JSON.";
    let save = |token: &str, text: &str| {
        bearer(
            SavePromptRequest {
                prompt_type: "clustering".into(),
                text: text.into(),
            },
            token,
        )
    };
    let denied = ai
        .save_prompt(save(&tenant.viewer, text))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    let missing = ai
        .save_prompt(save(&tenant.editor, "Group these keywords."))
        .await
        .unwrap_err();
    assert_fields(&missing, &["text"]);
    let foreign = ai
        .save_prompt(save(&tenant.editor, "[IGNY8_KEYWORDS] [IGNY8_TASK]"))
        .await
        .unwrap_err();
    assert_fields(&foreign, &["text"]);

    let saved = ai
        .save_prompt(save(&tenant.editor, text))
        .await
        .expect("editors save prompts")
        .into_inner();
    assert!(saved.is_custom && saved.updated_at.is_some());
    assert_eq!(saved.text, text);
    assert_eq!(saved.default_text, PromptType::Clustering.builtin());
    let read = ai
        .get_prompt(bearer(prompt_type("clustering"), &tenant.viewer))
        .await
        .expect("get")
        .into_inner();
    assert_eq!(read.text, text);
    let listed = ai
        .list_prompts(bearer(Empty {}, &tenant.owner))
        .await
        .expect("list")
        .into_inner();
    let custom: Vec<&str> = listed
        .prompts
        .iter()
        .filter(|p| p.is_custom)
        .map(|p| p.prompt_type.as_str())
        .collect();
    assert_eq!(custom, ["clustering"]);
    let resolved =
        prompts_store::resolve(&platform.ai_pool, account(&tenant), PromptType::Clustering)
            .await
            .expect("resolve");
    assert_eq!(resolved, text);

    // The other account still has the built-in text.
    let theirs = ai
        .get_prompt(bearer(prompt_type("clustering"), &other.owner))
        .await
        .expect("get")
        .into_inner();
    assert!(!theirs.is_custom);
    let resolved =
        prompts_store::resolve(&platform.ai_pool, account(&other), PromptType::Clustering)
            .await
            .expect("resolve");
    assert_eq!(resolved, PromptType::Clustering.builtin());

    let denied = ai
        .reset_prompt(bearer(prompt_type("clustering"), &tenant.viewer))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let reset = ai
        .reset_prompt(bearer(prompt_type("clustering"), &tenant.editor))
        .await
        .expect("reset")
        .into_inner();
    assert!(!reset.is_custom && reset.updated_at.is_none());
    assert_eq!(reset.text, PromptType::Clustering.builtin());
    let resolved =
        prompts_store::resolve(&platform.ai_pool, account(&tenant), PromptType::Clustering)
            .await
            .expect("resolve");
    assert_eq!(resolved, PromptType::Clustering.builtin());
    platform.cleanup().await;
}

fn create(name: &str, is_default: bool) -> CreateAuthorProfileRequest {
    CreateAuthorProfileRequest {
        name: name.into(),
        tone: "friendly".into(),
        audience: "small business owners".into(),
        is_default,
        ..Default::default()
    }
}

async fn defaults(platform: &Platform, tenant: &Tenant) -> Vec<String> {
    platform
        .ai()
        .list_author_profiles(bearer(Empty {}, &tenant.viewer))
        .await
        .expect("list profiles")
        .into_inner()
        .profiles
        .into_iter()
        .filter(|p| p.is_default)
        .map(|p| p.name)
        .collect()
}

#[tokio::test]
async fn author_profiles_keep_one_default_and_unique_names_per_account() {
    let platform = Platform::start().await;
    let tenant = platform.tenant().await;
    let other = platform.tenant().await;
    let mut ai = platform.ai();

    let denied = ai
        .create_author_profile(bearer(create("Ann", true), &tenant.viewer))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let ann: AuthorProfile = ai
        .create_author_profile(bearer(create("  Ann  ", true), &tenant.editor))
        .await
        .expect("create")
        .into_inner();
    assert_eq!((ann.name.as_str(), ann.language.as_str()), ("Ann", "en"));
    assert!(ann.is_default);
    let bob = ai
        .create_author_profile(bearer(create("Bob", true), &tenant.owner))
        .await
        .expect("create")
        .into_inner();
    assert_eq!(defaults(&platform, &tenant).await, ["Bob"]);
    let default = author_profiles::default_for(&platform.ai_pool, account(&tenant))
        .await
        .expect("default_for")
        .expect("a default");
    assert_eq!(default.id, bob.id);

    let duplicate = ai
        .create_author_profile(bearer(create("ANN", false), &tenant.editor))
        .await
        .unwrap_err();
    assert_eq!(duplicate.code(), Code::AlreadyExists, "{duplicate:?}");
    assert_eq!(code_of(&duplicate), "DUPLICATE_AUTHOR_PROFILE");
    let rename = ai
        .update_author_profile(bearer(
            UpdateAuthorProfileRequest {
                id: bob.id.clone(),
                name: Some("ann".into()),
                ..Default::default()
            },
            &tenant.editor,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&rename), "DUPLICATE_AUTHOR_PROFILE");
    // Names are per account.
    ai.create_author_profile(bearer(create("Ann", true), &other.owner))
        .await
        .expect("the same name in another account");

    let invalid = ai
        .create_author_profile(bearer(
            CreateAuthorProfileRequest {
                name: " ".into(),
                language: "english".into(),
                style: "s".repeat(2001),
                ..Default::default()
            },
            &tenant.editor,
        ))
        .await
        .unwrap_err();
    assert_fields(&invalid, &["name", "language", "style"]);

    let updated = ai
        .update_author_profile(bearer(
            UpdateAuthorProfileRequest {
                id: ann.id.clone(),
                is_default: Some(true),
                language: Some("DE".into()),
                ..Default::default()
            },
            &tenant.editor,
        ))
        .await
        .expect("update")
        .into_inner();
    assert_eq!(
        (updated.language.as_str(), updated.tone.as_str()),
        ("de", "friendly")
    );
    assert_eq!(defaults(&platform, &tenant).await, ["Ann"]);

    // Another account's ids, and malformed ones, are not found.
    let theirs = AuthorProfileIdRequest { id: ann.id.clone() };
    let status = ai
        .get_author_profile(bearer(theirs.clone(), &other.owner))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = ai
        .update_author_profile(bearer(
            UpdateAuthorProfileRequest {
                id: ann.id.clone(),
                name: Some("Mine".into()),
                ..Default::default()
            },
            &other.owner,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = ai
        .delete_author_profile(bearer(theirs.clone(), &other.owner))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = ai
        .get_author_profile(bearer(
            AuthorProfileIdRequest { id: "nope".into() },
            &tenant.owner,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    ai.delete_author_profile(bearer(theirs.clone(), &tenant.editor))
        .await
        .expect("delete");
    let status = ai
        .get_author_profile(bearer(theirs, &tenant.owner))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(
        author_profiles::default_for(&platform.ai_pool, account(&tenant))
            .await
            .expect("default_for")
            .is_none()
    );
    platform.cleanup().await;
}

#[tokio::test]
async fn concurrent_defaults_leave_exactly_one() {
    let platform = Platform::start().await;
    let tenant = platform.tenant().await;
    let creates = (0..8).map(|i| {
        let mut ai = platform.ai();
        let request = bearer(create(&format!("Writer {i}"), true), &tenant.editor);
        async move { ai.create_author_profile(request).await }
    });
    for created in futures_util::future::join_all(creates).await {
        created.expect("every create succeeds");
    }
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ai.author_profiles WHERE account_id = $1 AND is_default",
    )
    .bind(account(&tenant))
    .fetch_one(&platform.ai_pool)
    .await
    .expect("count");
    assert_eq!(count, 1);
    assert_eq!(defaults(&platform, &tenant).await.len(), 1);
    platform.cleanup().await;
}

async fn settings(platform: &Platform, token: &str) -> AiSettings {
    platform
        .ai()
        .get_ai_settings(bearer(Empty {}, token))
        .await
        .expect("get settings")
        .into_inner()
}

async fn update(
    platform: &Platform,
    token: &str,
    req: UpdateAiSettingsRequest,
) -> Result<AiSettings, Status> {
    platform
        .ai()
        .update_ai_settings(bearer(req, token))
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn ai_settings_seal_account_keys_and_report_readiness_without_platform_keys() {
    let platform = Platform::start_with(Options {
        provider_configured: false,
        ..Options::default()
    })
    .await;
    let tenant = platform.tenant().await;
    let other = platform.tenant().await;

    let initial = settings(&platform, &tenant.viewer).await;
    assert_eq!((initial.temperature, initial.max_tokens), (0.7, 4000));
    assert_eq!(
        (initial.image_style.as_str(), initial.image_quality.as_str()),
        ("photorealistic", "standard")
    );
    assert_eq!(
        (initial.in_article_images, initial.default_word_count),
        (2, 1000)
    );
    assert!(
        !initial.text_ready && !initial.image_ready,
        "no platform keys"
    );
    assert!(!initial.has_text_api_key && initial.updated_at.is_none());

    let own_key = "sk-own-text-key-1234";
    let with_key = UpdateAiSettingsRequest {
        text_api_key: Some(own_key.into()),
        ..Default::default()
    };
    let denied = update(&platform, &tenant.editor, with_key.clone())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");

    let invalid = update(
        &platform,
        &tenant.owner,
        UpdateAiSettingsRequest {
            text_provider: Some("gemini".into()),
            temperature: Some(3.0),
            default_word_count: Some(100),
            in_article_images: Some(9),
            text_api_key: Some(own_key.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_fields(
        &invalid,
        &[
            "text_provider",
            "temperature",
            "default_word_count",
            "in_article_images",
        ],
    );
    assert!(
        settings(&platform, &tenant.owner)
            .await
            .updated_at
            .is_none(),
        "a refused update stores nothing"
    );

    let saved = update(&platform, &tenant.owner, with_key)
        .await
        .expect("update");
    assert!(saved.has_text_api_key && saved.text_ready && !saved.image_ready);
    assert_eq!(saved.text_api_key_hint, "1234");
    assert!(saved.updated_at.is_some());
    let read = settings(&platform, &tenant.viewer).await;
    for reply in [&saved, &read] {
        let bytes = reply.encode_to_vec();
        assert!(
            !bytes
                .windows(own_key.len())
                .any(|w| w == own_key.as_bytes()),
            "the key is never returned"
        );
    }
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT text_api_key_enc FROM ai.settings WHERE account_id = $1")
            .bind(account(&tenant))
            .fetch_one(&platform.ai_pool)
            .await
            .expect("stored key");
    assert!(
        !stored
            .windows(own_key.len())
            .any(|w| w == own_key.as_bytes())
    );

    // A sealed key copied into another account's row does not open there.
    update(&platform, &other.owner, UpdateAiSettingsRequest::default())
        .await
        .expect("other account's row");
    sqlx::query("UPDATE ai.settings SET text_api_key_enc = $1, text_api_key_hint = '1234' WHERE account_id = $2")
        .bind(&stored)
        .bind(account(&other))
        .execute(&platform.ai_pool)
        .await
        .expect("copy the blob");
    let copied = settings(&platform, &other.owner).await;
    assert!(copied.has_text_api_key && !copied.text_ready);

    let images = update(
        &platform,
        &tenant.owner,
        UpdateAiSettingsRequest {
            image_provider: Some("runware".into()),
            image_api_key: Some("rw-image-key-5678".into()),
            image_quality: Some("hd".into()),
            in_article_images: Some(0),
            ..Default::default()
        },
    )
    .await
    .expect("image settings");
    assert!(images.image_ready && images.text_ready);
    assert_eq!(images.image_provider, "runware");
    assert_eq!(
        (images.image_quality.as_str(), images.in_article_images),
        ("hd", 0)
    );
    assert_eq!(images.image_api_key_hint, "5678");

    let removed = update(
        &platform,
        &tenant.owner,
        UpdateAiSettingsRequest {
            text_api_key: Some(String::new()),
            ..Default::default()
        },
    )
    .await
    .expect("remove the key");
    assert!(!removed.has_text_api_key && !removed.text_ready);
    assert_eq!(removed.text_api_key_hint, "");
    assert!(removed.image_ready, "the image key stays");
    platform.cleanup().await;
}

#[tokio::test]
async fn ai_settings_use_platform_keys_and_services_may_change_them() {
    let platform = Platform::start().await;
    let tenant = platform.tenant().await;
    let initial = settings(&platform, &tenant.owner).await;
    assert!(
        initial.text_ready && initial.image_ready,
        "platform keys serve everyone"
    );

    let token = platform.service_token("gateway").await;
    let changed = platform
        .ai()
        .update_ai_settings(acting(
            UpdateAiSettingsRequest {
                text_provider: Some("anthropic".into()),
                text_model: Some("claude-test".into()),
                temperature: Some(0.2),
                max_tokens: Some(0),
                content_append: Some("Sign off as Ann.".into()),
                ..Default::default()
            },
            &token,
            &tenant.account_id,
        ))
        .await
        .expect("a service acting for the account updates")
        .into_inner();
    assert_eq!(
        (changed.text_provider.as_str(), changed.text_model.as_str()),
        ("anthropic", "claude-test")
    );
    assert_eq!((changed.temperature, changed.max_tokens), (0.2, 4000));
    assert!(changed.text_ready && !changed.has_text_api_key);

    let read = settings(&platform, &tenant.viewer).await;
    assert_eq!(read.content_append, "Sign off as Ann.");
    platform.cleanup().await;
}

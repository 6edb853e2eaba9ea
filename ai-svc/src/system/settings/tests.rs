//! How effective settings resolve from an account's row, the platform defaults and keys.

use super::*;

fn args() -> ProviderArgs {
    let service = igny8_platform::config::ServiceArgs::for_tests(
        "postgres://unused",
        "amqp://unused",
        "",
        ([127, 0, 0, 1], 1).into(),
        std::path::Path::new("unused"),
    );
    let addr = ([127, 0, 0, 1], 1).into();
    crate::config::Config::for_tests(
        service,
        addr,
        addr,
        addr,
        "http://fake",
        None,
        "unused".into(),
        "unused".into(),
    )
    .providers
}

fn platform_with_openai() -> PlatformProviders {
    PlatformProviders {
        openai_key: Some("sk-platform".into()),
        ..Default::default()
    }
}

fn cipher() -> KeyCipher {
    KeyCipher::from_bytes([3; 32])
}

fn with_request(account: Uuid, req: pb::UpdateAiSettingsRequest) -> SettingsRow {
    input::apply(SettingsRow::default(), req, &cipher(), account).unwrap()
}

#[test]
fn defaults_use_the_platform_provider_key_and_models() {
    let account = Uuid::new_v4();
    let eff = resolve(
        &SettingsRow::default(),
        account,
        &args(),
        &platform_with_openai(),
        &cipher(),
    );
    let text = eff.text.expect("platform openai serves text");
    assert!(text.kind == TextProviderKind::OpenAi && !text.account_key);
    assert_eq!(
        (
            text.base_url.as_str(),
            text.api_key.as_str(),
            text.model.as_str()
        ),
        ("http://fake/v1", "sk-platform", "gpt-4o-mini")
    );
    let image = eff.image.expect("platform openai serves images");
    assert!(image.kind == ImageProviderKind::OpenAi);
    assert_eq!(image.model, "dall-e-3");
    assert_eq!(
        (eff.temperature, eff.max_tokens),
        (DEFAULT_TEMPERATURE, DEFAULT_MAX_TOKENS)
    );
    assert_eq!(
        (eff.image_style.as_str(), eff.image_quality.as_str()),
        ("photorealistic", "standard")
    );
    assert_eq!((eff.in_article_images, eff.default_word_count), (2, 1000));
    assert_eq!(eff.content_append, "");
}

#[test]
fn no_platform_key_and_no_account_key_means_not_ready() {
    let eff = resolve(
        &SettingsRow::default(),
        Uuid::new_v4(),
        &args(),
        &PlatformProviders::default(),
        &cipher(),
    );
    assert!(eff.text.is_none() && eff.image.is_none());
}

#[test]
fn a_chosen_provider_without_a_platform_key_needs_the_accounts_key() {
    let account = Uuid::new_v4();
    let chosen = pb::UpdateAiSettingsRequest {
        text_provider: Some("anthropic".into()),
        image_provider: Some("runware".into()),
        ..Default::default()
    };
    let row = with_request(account, chosen.clone());
    let eff = resolve(&row, account, &args(), &platform_with_openai(), &cipher());
    assert!(
        eff.text.is_none() && eff.image.is_none(),
        "no anthropic/runware platform key"
    );

    let row = with_request(
        account,
        pb::UpdateAiSettingsRequest {
            text_api_key: Some("sk-ant-own-key-1".into()),
            image_api_key: Some("rw-own-key-2".into()),
            text_model: Some("claude-x".into()),
            ..chosen
        },
    );
    let eff = resolve(&row, account, &args(), &platform_with_openai(), &cipher());
    let text = eff.text.expect("own key serves text");
    assert!(text.kind == TextProviderKind::Anthropic && text.account_key);
    assert_eq!(
        (
            text.base_url.as_str(),
            text.api_key.as_str(),
            text.model.as_str()
        ),
        ("http://fake", "sk-ant-own-key-1", "claude-x")
    );
    let image = eff.image.expect("own key serves images");
    assert!(image.kind == ImageProviderKind::Runware && image.account_key);
    assert_eq!(
        (
            image.base_url.as_str(),
            image.api_key.as_str(),
            image.model.as_str()
        ),
        ("http://fake/runware", "rw-own-key-2", "runware:97@1")
    );
}

#[test]
fn an_own_key_that_does_not_open_falls_back_to_the_platform_key() {
    let account = Uuid::new_v4();
    let req = pb::UpdateAiSettingsRequest {
        text_api_key: Some("sk-own-key-1234".into()),
        ..Default::default()
    };
    let row = with_request(account, req);
    // Another account's row, or a replaced settings key: the blob does not open.
    let eff = resolve(
        &row,
        Uuid::new_v4(),
        &args(),
        &platform_with_openai(),
        &cipher(),
    );
    let text = eff.text.expect("platform key");
    assert!(!text.account_key);
    assert_eq!(text.api_key, "sk-platform");
}

#[test]
fn stored_values_override_the_defaults() {
    let account = Uuid::new_v4();
    let row = with_request(
        account,
        pb::UpdateAiSettingsRequest {
            temperature: Some(0.2),
            max_tokens: Some(900),
            image_style: Some("illustration".into()),
            image_quality: Some("hd".into()),
            in_article_images: Some(0),
            content_append: Some("Sign off as Ann.".into()),
            default_word_count: Some(1500),
            ..Default::default()
        },
    );
    let eff = resolve(&row, account, &args(), &platform_with_openai(), &cipher());
    assert_eq!((eff.temperature, eff.max_tokens), (0.2, 900));
    assert_eq!(
        (eff.image_style.as_str(), eff.image_quality.as_str()),
        ("illustration", "hd")
    );
    assert_eq!((eff.in_article_images, eff.default_word_count), (0, 1500));
    assert_eq!(eff.content_append, "Sign off as Ann.");
    let reply = to_pb(row, &eff);
    assert!(!reply.has_text_api_key && reply.text_ready && reply.image_ready);
}

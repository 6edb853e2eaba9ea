//! Per-account AI settings: read and change them (keys sealed, never returned), and resolve
//! what a job runs with: the account's provider choice or the platform default, its own key
//! for that provider kind or the platform key, its model or the provider's default.

mod input;
mod platform;

use igny8_platform::{Error, RequestContext, Result, Role, wire::opt_ts};
use igny8_proto::ai::v1 as pb;
use sqlx::PgExecutor;
use uuid::Uuid;

use self::input::{COLUMNS, KeySlot, SettingsRow, key_aad};
pub use self::platform::PlatformProviders;
use crate::{config::ProviderArgs, state::AppState, system::crypto::KeyCipher};

pub const DEFAULT_TEMPERATURE: f32 = 0.7;
pub const DEFAULT_MAX_TOKENS: u32 = 4000;
pub const DEFAULT_IMAGE_STYLE: &str = "photorealistic";
pub const DEFAULT_IMAGE_QUALITY: &str = "standard";
pub const DEFAULT_IN_ARTICLE_IMAGES: u32 = 2;
pub const DEFAULT_WORD_COUNT: u32 = 1000;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TextProviderKind {
    OpenAi,
    Anthropic,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ImageProviderKind {
    OpenAi,
    Runware,
}

// No Debug on the targets: they carry keys, which are never logged.

/// Where and with what a text job calls its provider.
#[derive(Clone)]
pub struct TextTarget {
    pub kind: TextProviderKind,
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    /// Whether the key is the account's own (else the platform's).
    pub account_key: bool,
}

/// Where and with what an image job calls its provider.
#[derive(Clone)]
pub struct ImageTarget {
    pub kind: ImageProviderKind,
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    pub account_key: bool,
}

/// What a job of an account runs with; a target is `None` when no key serves it.
#[derive(Clone)]
pub struct EffectiveSettings {
    pub text: Option<TextTarget>,
    pub image: Option<ImageTarget>,
    pub temperature: f32,
    pub max_tokens: u32,
    pub image_style: String,
    pub image_quality: String,
    pub in_article_images: u32,
    pub content_append: String,
    pub default_word_count: u32,
}

/// The account's row, or the defaults when it never changed anything.
async fn load_row<'e>(
    executor: impl PgExecutor<'e>,
    account_id: Uuid,
    for_update: bool,
) -> Result<Option<SettingsRow>> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ai.settings WHERE account_id = $1{lock}"
    )))
    .bind(account_id)
    .fetch_optional(executor)
    .await?)
}

/// The account's own key in `slot`; one that no longer opens (the settings key was replaced)
/// counts as absent, so the platform key serves the account meanwhile.
fn account_key(
    cipher: &KeyCipher,
    blob: Option<&[u8]>,
    account_id: Uuid,
    slot: KeySlot,
) -> Option<String> {
    let blob = blob?;
    match cipher.decrypt(blob, &key_aad(account_id, slot)) {
        Ok(key) => Some(key),
        Err(err) => {
            tracing::error!(%account_id, error.message = %err, "an account's provider key does not open");
            None
        }
    }
}

fn resolve(
    row: &SettingsRow,
    account_id: Uuid,
    args: &ProviderArgs,
    platform: &PlatformProviders,
    cipher: &KeyCipher,
) -> EffectiveSettings {
    let pick = |chosen: &str, default: &str| -> String {
        if chosen.is_empty() { default } else { chosen }.to_owned()
    };
    let model = |chosen: &str, default: &str| pick(chosen, default);
    let text_provider = pick(&row.text_provider, &args.text_provider);
    let own_text = account_key(
        cipher,
        row.text_api_key_enc.as_deref(),
        account_id,
        KeySlot::Text,
    );
    let text = match text_provider.as_str() {
        "openai" => Some((
            TextProviderKind::OpenAi,
            &args.openai_base_url,
            &args.openai_text_model,
        )),
        "anthropic" => Some((
            TextProviderKind::Anthropic,
            &args.anthropic_base_url,
            &args.anthropic_model,
        )),
        _ => None,
    }
    .and_then(|(kind, base_url, default_model)| {
        let account_key = own_text.is_some();
        let api_key = own_text.or_else(|| platform.key_of(&text_provider).map(str::to_owned))?;
        Some(TextTarget {
            kind,
            base_url: base_url.clone(),
            api_key,
            model: model(&row.text_model, default_model),
            account_key,
        })
    });
    let image_provider = pick(&row.image_provider, &args.image_provider);
    let own_image = account_key(
        cipher,
        row.image_api_key_enc.as_deref(),
        account_id,
        KeySlot::Image,
    );
    let image = match image_provider.as_str() {
        "openai" => Some((
            ImageProviderKind::OpenAi,
            &args.openai_base_url,
            &args.openai_image_model,
        )),
        "runware" => Some((
            ImageProviderKind::Runware,
            &args.runware_base_url,
            &args.runware_model,
        )),
        _ => None,
    }
    .and_then(|(kind, base_url, default_model)| {
        let account_key = own_image.is_some();
        let api_key = own_image.or_else(|| platform.key_of(&image_provider).map(str::to_owned))?;
        Some(ImageTarget {
            kind,
            base_url: base_url.clone(),
            api_key,
            model: model(&row.image_model, default_model),
            account_key,
        })
    });
    let or = |value: i32, default: u32| match u32::try_from(value) {
        Ok(0) | Err(_) => default,
        Ok(v) => v,
    };
    EffectiveSettings {
        text,
        image,
        temperature: row.temperature,
        max_tokens: or(row.max_tokens, DEFAULT_MAX_TOKENS),
        image_style: pick(&row.image_style, DEFAULT_IMAGE_STYLE),
        image_quality: pick(&row.image_quality, DEFAULT_IMAGE_QUALITY),
        in_article_images: u32::try_from(row.in_article_images)
            .unwrap_or(DEFAULT_IN_ARTICLE_IMAGES),
        content_append: row.content_append.clone(),
        default_word_count: or(row.default_word_count, DEFAULT_WORD_COUNT),
    }
}

/// What jobs of `account_id` run with.
pub async fn effective(state: &AppState, account_id: Uuid) -> Result<EffectiveSettings> {
    let row = load_row(&state.pool, account_id, false)
        .await?
        .unwrap_or_default();
    Ok(resolve(
        &row,
        account_id,
        &state.config.providers,
        &state.platform,
        &state.cipher,
    ))
}

fn to_pb(row: SettingsRow, effective: &EffectiveSettings) -> pb::AiSettings {
    pb::AiSettings {
        text_provider: row.text_provider,
        text_model: row.text_model,
        temperature: effective.temperature,
        max_tokens: effective.max_tokens,
        image_provider: row.image_provider,
        image_model: row.image_model,
        image_style: effective.image_style.clone(),
        image_quality: effective.image_quality.clone(),
        in_article_images: effective.in_article_images,
        content_append: row.content_append,
        default_word_count: effective.default_word_count,
        has_text_api_key: row.text_api_key_enc.is_some(),
        text_api_key_hint: row.text_api_key_hint,
        has_image_api_key: row.image_api_key_enc.is_some(),
        image_api_key_hint: row.image_api_key_hint,
        text_ready: effective.text.is_some(),
        image_ready: effective.image.is_some(),
        updated_at: opt_ts(row.updated_at),
    }
}

fn respond(state: &AppState, account_id: Uuid, row: SettingsRow) -> pb::AiSettings {
    let effective = resolve(
        &row,
        account_id,
        &state.config.providers,
        &state.platform,
        &state.cipher,
    );
    to_pb(row, &effective)
}

/// Any member of the account (or a service acting for it) may read them.
pub async fn get(state: &AppState, ctx: &RequestContext) -> Result<pb::AiSettings> {
    let account_id = ctx.account_id()?;
    let row = load_row(&state.pool, account_id, false)
        .await?
        .unwrap_or_default();
    Ok(respond(state, account_id, row))
}

/// Owners, admins and developers (and services) change them.
pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateAiSettingsRequest,
) -> Result<pb::AiSettings> {
    if ctx.service().is_err() {
        ctx.require_role(Role::Admin)?;
    }
    let account_id = ctx.account_id()?;
    let mut tx = state.pool.begin().await?;
    sqlx::query("INSERT INTO ai.settings (account_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    let current = load_row(&mut *tx, account_id, true)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("settings row vanished")))?;
    // An invalid request rolls back the insert with the transaction.
    let row = input::apply(current, req, &state.cipher, account_id).map_err(Error::Validation)?;
    let saved: SettingsRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE ai.settings SET text_provider = $2, text_model = $3, temperature = $4, \
         max_tokens = $5, image_provider = $6, image_model = $7, image_style = $8, \
         image_quality = $9, in_article_images = $10, content_append = $11, \
         default_word_count = $12, text_api_key_enc = $13, text_api_key_hint = $14, \
         image_api_key_enc = $15, image_api_key_hint = $16, updated_at = now() \
         WHERE account_id = $1 RETURNING {COLUMNS}"
    )))
    .bind(account_id)
    .bind(&row.text_provider)
    .bind(&row.text_model)
    .bind(row.temperature)
    .bind(row.max_tokens)
    .bind(&row.image_provider)
    .bind(&row.image_model)
    .bind(&row.image_style)
    .bind(&row.image_quality)
    .bind(row.in_article_images)
    .bind(&row.content_append)
    .bind(row.default_word_count)
    .bind(&row.text_api_key_enc)
    .bind(&row.text_api_key_hint)
    .bind(&row.image_api_key_enc)
    .bind(&row.image_api_key_hint)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(%account_id, "ai settings updated");
    Ok(respond(state, account_id, saved))
}

#[cfg(test)]
mod tests;

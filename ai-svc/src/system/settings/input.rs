//! An account's stored settings row, and how an update request changes it: every field is
//! checked (each bad one named), keys are sealed and only their last four characters kept.

use chrono::{DateTime, Utc};
use igny8_platform::error::FieldErrors;
use igny8_proto::ai::v1 as pb;
use uuid::Uuid;

use super::platform::{IMAGE_PROVIDERS, TEXT_PROVIDERS};
use crate::system::crypto::KeyCipher;

const MAX_MODEL: usize = 200;
const MAX_STYLE: usize = 100;
const MAX_APPEND: usize = 2000;
const MAX_KEY: usize = 500;
/// Shorter keys would be mostly revealed by their four-character hint.
const MIN_KEY: usize = 8;
const HINT_CHARS: usize = 4;
pub const MAX_TOKENS: u32 = 32_000;
pub const MAX_IN_ARTICLE_IMAGES: u32 = 8;
pub const WORD_COUNT_RANGE: std::ops::RangeInclusive<u32> = 300..=5000;

/// The columns of `ai.settings`; empty strings and zero counts mean "the default".
#[derive(Clone, sqlx::FromRow)]
pub struct SettingsRow {
    pub text_provider: String,
    pub text_model: String,
    pub temperature: f32,
    pub max_tokens: i32,
    pub image_provider: String,
    pub image_model: String,
    pub image_style: String,
    pub image_quality: String,
    pub in_article_images: i32,
    pub content_append: String,
    pub default_word_count: i32,
    pub text_api_key_enc: Option<Vec<u8>>,
    pub text_api_key_hint: String,
    pub image_api_key_enc: Option<Vec<u8>>,
    pub image_api_key_hint: String,
    /// `None` until the account changed anything.
    pub updated_at: Option<DateTime<Utc>>,
}

pub const COLUMNS: &str = "text_provider, text_model, temperature, max_tokens, image_provider, \
     image_model, image_style, image_quality, in_article_images, content_append, \
     default_word_count, text_api_key_enc, text_api_key_hint, image_api_key_enc, \
     image_api_key_hint, updated_at";

impl Default for SettingsRow {
    /// The column defaults of `ai.settings`.
    fn default() -> Self {
        Self {
            text_provider: String::new(),
            text_model: String::new(),
            temperature: super::DEFAULT_TEMPERATURE,
            max_tokens: 0,
            image_provider: String::new(),
            image_model: String::new(),
            image_style: String::new(),
            image_quality: String::new(),
            in_article_images: super::DEFAULT_IN_ARTICLE_IMAGES as i32,
            content_append: String::new(),
            default_word_count: 0,
            text_api_key_enc: None,
            text_api_key_hint: String::new(),
            image_api_key_enc: None,
            image_api_key_hint: String::new(),
            updated_at: None,
        }
    }
}

/// Which of the account's two keys a blob is: part of its associated data, so the text key
/// cannot be swapped into the image column either.
#[derive(Clone, Copy)]
pub enum KeySlot {
    Text,
    Image,
}

/// Associated data of an account's sealed key: the account id and the slot.
pub fn key_aad(account_id: Uuid, slot: KeySlot) -> Vec<u8> {
    let mut aad = account_id.as_bytes().to_vec();
    aad.extend_from_slice(match slot {
        KeySlot::Text => b":text",
        KeySlot::Image => b":image",
    });
    aad
}

/// `row` changed by `req`, or every bad field named.
pub fn apply(
    mut row: SettingsRow,
    req: pb::UpdateAiSettingsRequest,
    cipher: &KeyCipher,
    account_id: Uuid,
) -> Result<SettingsRow, FieldErrors> {
    let mut errors = FieldErrors::new();
    if let Some(value) = req.text_provider {
        row.text_provider = choice(&mut errors, "text_provider", value, &TEXT_PROVIDERS);
    }
    if let Some(value) = req.image_provider {
        row.image_provider = choice(&mut errors, "image_provider", value, &IMAGE_PROVIDERS);
    }
    if let Some(value) = req.image_quality {
        row.image_quality = choice(&mut errors, "image_quality", value, &["standard", "hd"]);
    }
    if let Some(value) = req.text_model {
        row.text_model = bounded(&mut errors, "text_model", value, MAX_MODEL);
    }
    if let Some(value) = req.image_model {
        row.image_model = bounded(&mut errors, "image_model", value, MAX_MODEL);
    }
    if let Some(value) = req.image_style {
        row.image_style = bounded(&mut errors, "image_style", value, MAX_STYLE);
    }
    if let Some(value) = req.content_append {
        row.content_append = bounded(&mut errors, "content_append", value, MAX_APPEND);
    }
    if let Some(value) = req.temperature {
        if !(0.0..=2.0).contains(&value) {
            errors.add("temperature", "must be between 0.0 and 2.0");
        }
        row.temperature = value;
    }
    if let Some(value) = req.max_tokens {
        if value > MAX_TOKENS {
            errors.add(
                "max_tokens",
                format!("must be between 1 and {MAX_TOKENS} (0 = the default)"),
            );
        }
        row.max_tokens = count(value);
    }
    if let Some(value) = req.in_article_images {
        if value > MAX_IN_ARTICLE_IMAGES {
            errors.add(
                "in_article_images",
                format!("must be between 0 and {MAX_IN_ARTICLE_IMAGES}"),
            );
        }
        row.in_article_images = count(value);
    }
    if let Some(value) = req.default_word_count {
        if value != 0 && !WORD_COUNT_RANGE.contains(&value) {
            errors.add(
                "default_word_count",
                format!(
                    "must be between {} and {} (0 = the default)",
                    WORD_COUNT_RANGE.start(),
                    WORD_COUNT_RANGE.end()
                ),
            );
        }
        row.default_word_count = count(value);
    }
    if let Some(key) = req.text_api_key {
        let sealed = seal(
            &mut errors,
            "text_api_key",
            &key,
            cipher,
            account_id,
            KeySlot::Text,
        );
        (row.text_api_key_enc, row.text_api_key_hint) = sealed;
    }
    if let Some(key) = req.image_api_key {
        let sealed = seal(
            &mut errors,
            "image_api_key",
            &key,
            cipher,
            account_id,
            KeySlot::Image,
        );
        (row.image_api_key_enc, row.image_api_key_hint) = sealed;
    }
    if errors.is_empty() {
        Ok(row)
    } else {
        Err(errors)
    }
}

/// "" or one of `choices`.
fn choice(errors: &mut FieldErrors, field: &str, value: String, choices: &[&str]) -> String {
    let value = value.trim().to_owned();
    if !value.is_empty() && !choices.contains(&value.as_str()) {
        errors.add(
            field,
            format!(
                "must be one of {} (or empty for the default)",
                choices.join(", ")
            ),
        );
    }
    value
}

fn bounded(errors: &mut FieldErrors, field: &str, value: String, max: usize) -> String {
    let value = value.trim().to_owned();
    if value.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    }
    value
}

/// A checked count as its column type (out-of-range values were already refused).
fn count(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// The sealed key and its hint; "" removes the key.
fn seal(
    errors: &mut FieldErrors,
    field: &str,
    key: &str,
    cipher: &KeyCipher,
    account_id: Uuid,
    slot: KeySlot,
) -> (Option<Vec<u8>>, String) {
    let key = key.trim();
    if key.is_empty() {
        return (None, String::new());
    }
    let chars = key.chars().count();
    if !(MIN_KEY..=MAX_KEY).contains(&chars) {
        errors.add(
            field,
            format!("must be between {MIN_KEY} and {MAX_KEY} characters (empty removes the key)"),
        );
        return (None, String::new());
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.add(field, "must not contain spaces or control characters");
        return (None, String::new());
    }
    let hint: String = key.chars().skip(chars - HINT_CHARS).collect();
    (Some(cipher.encrypt(key, &key_aad(account_id, slot))), hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> KeyCipher {
        KeyCipher::from_bytes([7; 32])
    }

    fn fields_of(errors: FieldErrors) -> Vec<String> {
        errors.0.into_keys().collect()
    }

    #[test]
    fn every_bad_field_is_named() {
        let req = pb::UpdateAiSettingsRequest {
            text_provider: Some("gemini".into()),
            text_model: Some("m".repeat(201)),
            temperature: Some(2.5),
            max_tokens: Some(32_001),
            image_provider: Some("anthropic".into()),
            image_model: Some("m".repeat(201)),
            image_style: Some("s".repeat(101)),
            image_quality: Some("ultra".into()),
            in_article_images: Some(9),
            content_append: Some("a".repeat(2001)),
            default_word_count: Some(299),
            text_api_key: Some("short".into()),
            image_api_key: Some("x".repeat(501)),
        };
        let errors = apply(SettingsRow::default(), req, &cipher(), Uuid::nil())
            .err()
            .expect("refused");
        assert_eq!(
            fields_of(errors),
            [
                "content_append",
                "default_word_count",
                "image_api_key",
                "image_model",
                "image_provider",
                "image_quality",
                "image_style",
                "in_article_images",
                "max_tokens",
                "temperature",
                "text_api_key",
                "text_model",
                "text_provider",
            ]
        );
    }

    #[test]
    fn a_nan_temperature_and_a_key_with_spaces_are_refused() {
        let req = pb::UpdateAiSettingsRequest {
            temperature: Some(f32::NAN),
            text_api_key: Some("sk-has a space".into()),
            ..Default::default()
        };
        let errors = apply(SettingsRow::default(), req, &cipher(), Uuid::nil())
            .err()
            .expect("refused");
        assert_eq!(fields_of(errors), ["temperature", "text_api_key"]);
    }

    #[test]
    fn bounds_are_inclusive_and_unset_fields_are_kept() {
        let req = pb::UpdateAiSettingsRequest {
            text_provider: Some(" anthropic ".into()),
            temperature: Some(2.0),
            max_tokens: Some(32_000),
            in_article_images: Some(0),
            default_word_count: Some(5000),
            ..Default::default()
        };
        let before = SettingsRow {
            image_model: "dall-e-3".into(),
            ..Default::default()
        };
        let row = apply(before, req, &cipher(), Uuid::nil()).unwrap();
        assert_eq!(row.text_provider, "anthropic");
        assert_eq!((row.temperature, row.max_tokens), (2.0, 32_000));
        assert_eq!((row.in_article_images, row.default_word_count), (0, 5000));
        assert_eq!(row.image_model, "dall-e-3");
    }

    #[test]
    fn keys_are_sealed_for_their_account_and_slot_with_a_hint_and_empty_removes_them() {
        let account = Uuid::new_v4();
        let req = pb::UpdateAiSettingsRequest {
            text_api_key: Some(" sk-account-key-9876 ".into()),
            ..Default::default()
        };
        let row = apply(SettingsRow::default(), req, &cipher(), account).unwrap();
        assert_eq!(row.text_api_key_hint, "9876");
        let blob = row.text_api_key_enc.clone().expect("sealed");
        let aad = key_aad(account, KeySlot::Text);
        assert_eq!(
            cipher().decrypt(&blob, &aad).unwrap(),
            "sk-account-key-9876"
        );
        assert!(
            cipher()
                .decrypt(&blob, &key_aad(account, KeySlot::Image))
                .is_err()
        );
        assert!(
            cipher()
                .decrypt(&blob, &key_aad(Uuid::new_v4(), KeySlot::Text))
                .is_err()
        );

        let remove = pb::UpdateAiSettingsRequest {
            text_api_key: Some(String::new()),
            ..Default::default()
        };
        let row = apply(row, remove, &cipher(), account).unwrap();
        assert!(row.text_api_key_enc.is_none());
        assert_eq!(row.text_api_key_hint, "");
    }
}

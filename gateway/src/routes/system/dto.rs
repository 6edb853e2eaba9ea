//! The JSON shapes of prompts, author profiles and AI settings, mapped from ai-svc's messages.
//! Provider keys are write-only: they come in on a settings update and never go out.

use chrono::{DateTime, Utc};
use igny8_proto::ai::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::{
    dto::{non_empty, time},
    extract::{trimmed, trimmed_opt},
};

/// A placeholder a prompt may use, replaced by the job's inputs.
#[derive(Debug, Serialize, ToSchema)]
pub struct Placeholder {
    /// e.g. `[IGNY8_KEYWORDS]`.
    pub token: String,
    pub description: String,
    /// Whether a saved text must contain it.
    pub required: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Prompt {
    /// clustering, ideas, content_generation, image_prompt_extraction, image_prompt_template
    /// or negative_prompt.
    pub prompt_type: String,
    /// The text in force: the account's own, else the built-in one.
    pub text: String,
    pub default_text: String,
    /// Whether the account saved its own text.
    pub is_custom: bool,
    pub placeholders: Vec<Placeholder>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<pb::Prompt> for Prompt {
    fn from(p: pb::Prompt) -> Self {
        Self {
            prompt_type: p.prompt_type,
            text: p.text,
            default_text: p.default_text,
            is_custom: p.is_custom,
            placeholders: p
                .placeholders
                .into_iter()
                .map(|d| Placeholder {
                    token: d.token,
                    description: d.description,
                    required: d.required,
                })
                .collect(),
            updated_at: time(p.updated_at),
        }
    }
}

/// The account's own text for a prompt type.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavePromptIn {
    #[serde(default, deserialize_with = "trimmed")]
    pub prompt_type: String,
    /// Must keep the type's required placeholders and use no unknown ones.
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptTypeIn {
    #[serde(default, deserialize_with = "trimmed")]
    pub prompt_type: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorProfile {
    pub id: String,
    pub name: String,
    pub description: String,
    /// e.g. friendly, authoritative.
    pub tone: String,
    /// Who the content is for.
    pub audience: String,
    /// Writing style notes.
    pub style: String,
    /// ISO 639-1 (default en).
    pub language: String,
    /// The profile content jobs use; at most one per account.
    pub is_default: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<pb::AuthorProfile> for AuthorProfile {
    fn from(p: pb::AuthorProfile) -> Self {
        Self {
            id: p.id,
            name: p.name,
            description: p.description,
            tone: p.tone,
            audience: p.audience,
            style: p.style,
            language: p.language,
            is_default: p.is_default,
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAuthorProfileIn {
    /// Unique in the account, ignoring case.
    #[serde(default, deserialize_with = "trimmed")]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tone: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub style: String,
    /// Two letters (ISO 639-1); empty or absent: en.
    #[serde(default, deserialize_with = "trimmed")]
    pub language: String,
    /// Makes it the default (the previous default stops being one).
    #[serde(default)]
    pub is_default: bool,
}

impl From<CreateAuthorProfileIn> for pb::CreateAuthorProfileRequest {
    fn from(p: CreateAuthorProfileIn) -> Self {
        Self {
            name: p.name,
            description: p.description,
            tone: p.tone,
            audience: p.audience,
            style: p.style,
            language: p.language,
            is_default: p.is_default,
        }
    }
}

/// Absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAuthorProfileIn {
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub name: Option<String>,
    pub description: Option<String>,
    pub tone: Option<String>,
    pub audience: Option<String>,
    pub style: Option<String>,
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub language: Option<String>,
    pub is_default: Option<bool>,
}

/// The account's AI settings. The provider keys themselves are never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct AiSettings {
    /// openai or anthropic; null: the platform default.
    pub text_provider: Option<String>,
    /// null: the provider's default model.
    pub text_model: Option<String>,
    /// 0.0-2.0.
    pub temperature: f32,
    pub max_tokens: u32,
    /// openai or runware; null: the platform default.
    pub image_provider: Option<String>,
    pub image_model: Option<String>,
    /// e.g. photorealistic, illustration.
    pub image_style: String,
    /// standard or hd.
    pub image_quality: String,
    /// In-article images per content (0-8).
    pub in_article_images: u32,
    /// Text appended to every content prompt.
    pub content_append: String,
    /// Target words when a task sets none.
    pub default_word_count: u32,
    /// Whether the account stores its own text provider key, and its last characters.
    pub has_text_api_key: bool,
    pub text_api_key_hint: Option<String>,
    pub has_image_api_key: bool,
    pub image_api_key_hint: Option<String>,
    /// Whether text and image jobs can run now (a platform or account key is configured).
    pub text_ready: bool,
    pub image_ready: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<pb::AiSettings> for AiSettings {
    fn from(s: pb::AiSettings) -> Self {
        Self {
            text_provider: non_empty(s.text_provider),
            text_model: non_empty(s.text_model),
            temperature: s.temperature,
            max_tokens: s.max_tokens,
            image_provider: non_empty(s.image_provider),
            image_model: non_empty(s.image_model),
            image_style: s.image_style,
            image_quality: s.image_quality,
            in_article_images: s.in_article_images,
            content_append: s.content_append,
            default_word_count: s.default_word_count,
            has_text_api_key: s.has_text_api_key,
            text_api_key_hint: non_empty(s.text_api_key_hint),
            has_image_api_key: s.has_image_api_key,
            image_api_key_hint: non_empty(s.image_api_key_hint),
            text_ready: s.text_ready,
            image_ready: s.image_ready,
            updated_at: time(s.updated_at),
        }
    }
}

/// A partial update: absent (or null) fields stay as they are. Deliberately not `Debug`, so
/// the keys cannot end up in a log line.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAiSettingsIn {
    /// openai or anthropic; "": the platform default.
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub text_provider: Option<String>,
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub text_model: Option<String>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    /// openai or runware; "": the platform default.
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub image_provider: Option<String>,
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub image_model: Option<String>,
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub image_style: Option<String>,
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub image_quality: Option<String>,
    pub in_article_images: Option<u32>,
    pub content_append: Option<String>,
    pub default_word_count: Option<u32>,
    /// Write-only: stores (encrypted) the account's own text provider key; "" removes it.
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub text_api_key: Option<String>,
    /// Write-only: the account's own image provider key; "" removes it.
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub image_api_key: Option<String>,
}

impl From<UpdateAiSettingsIn> for pb::UpdateAiSettingsRequest {
    fn from(s: UpdateAiSettingsIn) -> Self {
        Self {
            text_provider: s.text_provider,
            text_model: s.text_model,
            temperature: s.temperature,
            max_tokens: s.max_tokens,
            image_provider: s.image_provider,
            image_model: s.image_model,
            image_style: s.image_style,
            image_quality: s.image_quality,
            in_article_images: s.in_article_images,
            content_append: s.content_append,
            default_word_count: s.default_word_count,
            text_api_key: s.text_api_key,
            image_api_key: s.image_api_key,
        }
    }
}

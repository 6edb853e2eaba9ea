//! AI providers behind two small traits, so the job pipeline does not care which API answers.
//!
//! Chat: OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, llama.cpp, LM Studio) and
//! Anthropic messages. Images: OpenAI images and Runware. Every client shares the retry policy
//! in [`http`]: timeouts, backoff on 429/5xx honouring Retry-After, and a concurrency limit.

pub mod anthropic;
pub mod http;
pub mod openai_chat;
pub mod openai_images;
pub mod runware;

use std::{future::Future, pin::Pin};

/// A prompt for a chat model that must answer with JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub system: String,
    pub user: String,
    pub temperature: f32,
    pub max_tokens: u32,
}

/// What a chat model answered, with the usage the provider reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatResponse {
    pub text: String,
    pub model: String,
    pub input_tokens: u32,
    pub output_tokens: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRequest {
    pub model: String,
    pub prompt: String,
    pub negative_prompt: Option<String>,
    pub width: u32,
    pub height: u32,
    pub quality: Option<String>,
    pub style: Option<String>,
}

/// A generated image: its bytes, since provider URLs expire and the platform stores the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageResponse {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// What the provider says the call cost, when it says (Runware does).
    pub cost_micro_usd: Option<i64>,
}

/// Why a provider call failed after the retry policy gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Rate limits, 5xx, timeouts or connection failures, still failing after every retry.
    #[error("provider unavailable after {attempts} attempts: {message}")]
    Exhausted { attempts: u32, message: String },
    /// The provider refused the request (bad key, bad model, content policy): retrying won't help.
    #[error("provider refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    /// The provider answered 2xx with a body we cannot read.
    #[error("provider answered in an unexpected shape: {0}")]
    InvalidResponse(String),
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A chat-completion provider.
pub trait ChatProvider: Send + Sync {
    fn name(&self) -> &'static str;
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>>;
}

/// An image-generation provider.
pub trait ImageProvider: Send + Sync {
    fn name(&self) -> &'static str;
    fn generate<'a>(
        &'a self,
        request: &'a ImageRequest,
    ) -> BoxFuture<'a, Result<ImageResponse, ProviderError>>;
}

/// Shortens provider error text for logs and job messages (bodies can be large).
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    let trimmed = text.trim();
    if trimmed.len() <= MAX {
        trimmed.to_owned()
    } else {
        let mut end = MAX;
        while !trimmed.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &trimmed[..end])
    }
}

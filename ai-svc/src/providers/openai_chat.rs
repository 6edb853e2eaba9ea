//! OpenAI-compatible chat completions (`POST {base}/chat/completions`), JSON output mode.
//!
//! The base URL makes the same client speak to OpenAI, vLLM, Ollama, llama.cpp or LM Studio.

use serde::Deserialize;
use serde_json::json;

use super::{BoxFuture, ChatProvider, ChatRequest, ChatResponse, ProviderError, http::Caller};

pub struct OpenAiChat {
    caller: Caller,
    base_url: String,
    api_key: String,
}

impl OpenAiChat {
    /// `base_url` like `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
    pub fn new(caller: Caller, base_url: &str, api_key: &str) -> Self {
        Self {
            caller,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    model: String,
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

impl ChatProvider for OpenAiChat {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(async move {
            let body = json!({
                "model": request.model,
                "messages": [
                    {"role": "system", "content": request.system},
                    {"role": "user", "content": request.user},
                ],
                "temperature": request.temperature,
                "max_tokens": request.max_tokens,
                "response_format": {"type": "json_object"},
            });
            let url = format!("{}/chat/completions", self.base_url);
            let raw = self
                .caller
                .send(|client| {
                    let builder = client.post(&url).json(&body);
                    // Local servers (Ollama, llama.cpp) run without a key.
                    if self.api_key.is_empty() {
                        builder
                    } else {
                        builder.bearer_auth(&self.api_key)
                    }
                })
                .await?;
            let completion: Completion = serde_json::from_slice(&raw)
                .map_err(|e| ProviderError::InvalidResponse(e.to_string()))?;
            let text = completion
                .choices
                .into_iter()
                .next()
                .and_then(|c| c.message.content)
                .ok_or_else(|| {
                    ProviderError::InvalidResponse("no choices in the completion".into())
                })?;
            let usage = completion.usage.unwrap_or(Usage {
                prompt_tokens: 0,
                completion_tokens: 0,
            });
            Ok(ChatResponse {
                text,
                model: if completion.model.is_empty() {
                    request.model.clone()
                } else {
                    completion.model
                },
                input_tokens: usage.prompt_tokens,
                output_tokens: usage.completion_tokens,
            })
        })
    }
}

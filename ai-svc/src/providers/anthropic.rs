//! Anthropic messages API (`POST {base}/v1/messages`).

use serde::Deserialize;
use serde_json::json;

use super::{BoxFuture, ChatProvider, ChatRequest, ChatResponse, ProviderError, http::Caller};

const API_VERSION: &str = "2023-06-01";

pub struct Anthropic {
    caller: Caller,
    base_url: String,
    api_key: String,
}

impl Anthropic {
    /// `base_url` like `https://api.anthropic.com`.
    pub fn new(caller: Caller, base_url: &str, api_key: &str) -> Self {
        Self {
            caller,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct MessageResponse {
    #[serde(default)]
    model: String,
    content: Vec<Block>,
    usage: Usage,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct Usage {
    input_tokens: u32,
    output_tokens: u32,
}

impl ChatProvider for Anthropic {
    fn name(&self) -> &'static str {
        "anthropic"
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(async move {
            // Anthropic has no JSON mode: the system prompt demands JSON and the pipeline
            // validates (and repairs once) whatever comes back.
            let body = json!({
                "model": request.model,
                "max_tokens": request.max_tokens,
                "temperature": request.temperature,
                "system": request.system,
                "messages": [{"role": "user", "content": request.user}],
            });
            let url = format!("{}/v1/messages", self.base_url);
            let raw = self
                .caller
                .send(|client| {
                    client
                        .post(&url)
                        .header("x-api-key", &self.api_key)
                        .header("anthropic-version", API_VERSION)
                        .json(&body)
                })
                .await?;
            let message: MessageResponse = serde_json::from_slice(&raw)
                .map_err(|e| ProviderError::InvalidResponse(e.to_string()))?;
            let text: String = message
                .content
                .iter()
                .filter(|b| b.kind == "text")
                .map(|b| b.text.as_str())
                .collect();
            if text.is_empty() {
                return Err(ProviderError::InvalidResponse(
                    "no text block in the message".into(),
                ));
            }
            Ok(ChatResponse {
                text,
                model: if message.model.is_empty() {
                    request.model.clone()
                } else {
                    message.model
                },
                input_tokens: message.usage.input_tokens,
                output_tokens: message.usage.output_tokens,
            })
        })
    }
}

//! OpenAI images (`POST {base}/images/generations`), asking for base64 so nothing expires.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use super::{BoxFuture, ImageProvider, ImageRequest, ImageResponse, ProviderError, http::Caller};

pub struct OpenAiImages {
    caller: Caller,
    base_url: String,
    api_key: String,
}

impl OpenAiImages {
    pub fn new(caller: Caller, base_url: &str, api_key: &str) -> Self {
        Self {
            caller,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct Generation {
    data: Vec<Datum>,
}

#[derive(Deserialize)]
struct Datum {
    #[serde(default)]
    b64_json: Option<String>,
}

impl ImageProvider for OpenAiImages {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn generate<'a>(
        &'a self,
        request: &'a ImageRequest,
    ) -> BoxFuture<'a, Result<ImageResponse, ProviderError>> {
        Box::pin(async move {
            let mut body = json!({
                "model": request.model,
                "prompt": request.prompt,
                "n": 1,
                "size": format!("{}x{}", request.width, request.height),
                "response_format": "b64_json",
            });
            if let Some(quality) = &request.quality {
                body["quality"] = json!(quality);
            }
            if let Some(style) = &request.style {
                body["style"] = json!(style);
            }
            let url = format!("{}/images/generations", self.base_url);
            let raw = self
                .caller
                .send(|client| client.post(&url).bearer_auth(&self.api_key).json(&body))
                .await?;
            let generation: Generation = serde_json::from_slice(&raw)
                .map_err(|e| ProviderError::InvalidResponse(e.to_string()))?;
            let encoded = generation
                .data
                .into_iter()
                .next()
                .and_then(|d| d.b64_json)
                .ok_or_else(|| ProviderError::InvalidResponse("no image data".into()))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| ProviderError::InvalidResponse(format!("image is not base64: {e}")))?;
            Ok(ImageResponse {
                content_type: sniff_content_type(&bytes).into(),
                bytes,
                cost_micro_usd: None,
            })
        })
    }
}

/// The image type from its magic bytes (providers answer PNG, JPEG or WEBP).
pub fn sniff_content_type(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "application/octet-stream"
    }
}

//! Runware image inference (`POST {base}/v1`, a JSON array of tasks).

use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{
    BoxFuture, ImageProvider, ImageRequest, ImageResponse, ProviderError, http::Caller,
    openai_images::sniff_content_type,
};

pub struct Runware {
    caller: Caller,
    base_url: String,
    api_key: String,
}

impl Runware {
    /// `base_url` like `https://api.runware.ai`.
    pub fn new(caller: Caller, base_url: &str, api_key: &str) -> Self {
        Self {
            caller,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    data: Vec<Datum>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Datum {
    task_type: String,
    #[serde(rename = "taskUUID")]
    task_uuid: String,
    #[serde(default)]
    image_base64_data: Option<String>,
    /// US dollars, when `includeCost` was asked for.
    #[serde(default)]
    cost: Option<f64>,
}

#[derive(Deserialize)]
struct ErrorItem {
    #[serde(default)]
    message: String,
}

impl ImageProvider for Runware {
    fn name(&self) -> &'static str {
        "runware"
    }

    fn generate<'a>(
        &'a self,
        request: &'a ImageRequest,
    ) -> BoxFuture<'a, Result<ImageResponse, ProviderError>> {
        Box::pin(async move {
            let task_uuid = Uuid::new_v4().to_string();
            let mut inference = json!({
                "taskType": "imageInference",
                "taskUUID": task_uuid,
                "positivePrompt": request.prompt,
                "model": request.model,
                "width": request.width,
                "height": request.height,
                "numberResults": 1,
                "outputType": "base64Data",
                "outputFormat": "WEBP",
                "includeCost": true,
            });
            if let Some(negative) = request.negative_prompt.as_deref().filter(|n| !n.is_empty()) {
                inference["negativePrompt"] = json!(negative);
            }
            let body = json!([{"taskType": "authentication", "apiKey": self.api_key}, inference]);
            let url = format!("{}/v1", self.base_url);
            let raw = self
                .caller
                .send(|client| client.post(&url).json(&body))
                .await?;
            let reply: Reply = serde_json::from_slice(&raw)
                .map_err(|e| ProviderError::InvalidResponse(e.to_string()))?;
            if let Some(error) = reply.errors.first() {
                return Err(ProviderError::Refused {
                    status: 200,
                    message: super::excerpt(&error.message),
                });
            }
            let datum = reply
                .data
                .into_iter()
                .find(|d| d.task_type == "imageInference" && d.task_uuid == task_uuid)
                .ok_or_else(|| ProviderError::InvalidResponse("no imageInference result".into()))?;
            let encoded = datum
                .image_base64_data
                .ok_or_else(|| ProviderError::InvalidResponse("no image data".into()))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| ProviderError::InvalidResponse(format!("image is not base64: {e}")))?;
            Ok(ImageResponse {
                content_type: sniff_content_type(&bytes).into(),
                bytes,
                // Dollars to micro-dollars at the edge; everything inside is integer.
                cost_micro_usd: datum.cost.map(|usd| (usd * 1_000_000.0).round() as i64),
            })
        })
    }
}

//! A fake AI provider on 127.0.0.1 speaking the real wire protocols: OpenAI chat completions,
//! Anthropic messages, OpenAI images and Runware. Tests script its answers and faults (delay,
//! 429 with Retry-After, 500, hang past the client's timeout, invalid JSON) and read back the
//! requests it received.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header::RETRY_AFTER},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// A 1x1 transparent PNG: a real image, small enough to assert on.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// One scripted misbehaviour, used up by the next request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status (and Retry-After seconds, if given).
    Status(u16, Option<u64>),
    /// Wait this long before answering normally (beyond a client's timeout: a hang).
    Hang(Duration),
    /// Answer 200 with a completion whose text is not JSON.
    InvalidJson,
}

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

/// Builds the text of a chat answer from (system, user) prompts.
pub type Responder = Arc<dyn Fn(&str, &str) -> String + Send + Sync>;

struct Shared {
    delay: Mutex<Duration>,
    faults: Mutex<VecDeque<Fault>>,
    received: Mutex<Vec<Received>>,
    responder: Mutex<Responder>,
}

/// The running fake; stops when dropped.
pub struct FakeProvider {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FakeProvider {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_on("127.0.0.1:0".parse()?).await
    }

    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<Self> {
        let shared = Arc::new(Shared {
            delay: Mutex::new(Duration::ZERO),
            faults: Mutex::new(VecDeque::new()),
            received: Mutex::new(Vec::new()),
            responder: Mutex::new(Arc::new(|_: &str, _: &str| "{\"ok\":true}".to_owned())),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(openai_chat))
            .route("/v1/messages", post(anthropic_messages))
            .route("/v1/images/generations", post(openai_images))
            .route("/runware/v1", post(runware))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared, task })
    }

    /// OpenAI-compatible base URL (`.../v1`).
    pub fn openai_base(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Anthropic base URL (the client appends `/v1/messages`).
    pub fn anthropic_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runware base URL (the client appends `/v1`).
    pub fn runware_base(&self) -> String {
        format!("http://{}/runware", self.addr)
    }

    /// Every answer waits this long first.
    pub fn set_delay(&self, delay: Duration) {
        *self.shared.delay.lock().expect("lock") = delay;
    }

    /// Queues faults for the next requests, in order.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.faults.lock().expect("lock").extend(faults);
    }

    pub fn set_responder(&self, responder: impl Fn(&str, &str) -> String + Send + Sync + 'static) {
        *self.shared.responder.lock().expect("lock") = Arc::new(responder);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Records the request, applies the delay and the next fault: `Err` answers instead of the
/// handler, `Ok(true)` asks for an invalid-JSON answer.
async fn misbehave(
    shared: &Shared,
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<bool, Response> {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    shared.received.lock().expect("lock").push(Received {
        path: path.to_owned(),
        headers: headers.clone(),
        body: parsed,
    });
    let delay = *shared.delay.lock().expect("lock");
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let fault = shared.faults.lock().expect("lock").pop_front();
    match fault {
        None => Ok(false),
        Some(Fault::InvalidJson) => Ok(true),
        Some(Fault::Hang(wait)) => {
            tokio::time::sleep(wait).await;
            Ok(false)
        }
        Some(Fault::Status(code, retry_after)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = (
                status,
                Json(json!({"error": {"message": "scripted failure", "type": "fake"}})),
            )
                .into_response();
            if let Some(secs) = retry_after {
                response.headers_mut().insert(RETRY_AFTER, secs.into());
            }
            Err(response)
        }
    }
}

fn chat_text(shared: &Shared, system: &str, user: &str, invalid: bool) -> String {
    if invalid {
        return "Sure! Here is the JSON you asked for: {not valid".to_owned();
    }
    let responder = shared.responder.lock().expect("lock").clone();
    responder(system, user)
}

async fn openai_chat(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let invalid = match misbehave(&shared, "/v1/chat/completions", &headers, &body).await {
        Ok(invalid) => invalid,
        Err(response) => return response,
    };
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let text_of = |role: &str| {
        messages
            .iter()
            .filter(|m| m["role"] == role)
            .filter_map(|m| m["content"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (system, user) = (text_of("system"), text_of("user"));
    let content = chat_text(&shared, &system, &user, invalid);
    Json(json!({
        "id": format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()),
        "object": "chat.completion",
        "model": request["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": (system.len() + user.len()) / 4,
            "completion_tokens": content.len() / 4,
            "total_tokens": (system.len() + user.len() + content.len()) / 4,
        },
    }))
    .into_response()
}

async fn anthropic_messages(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let invalid = match misbehave(&shared, "/v1/messages", &headers, &body).await {
        Ok(invalid) => invalid,
        Err(response) => return response,
    };
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let system = request["system"].as_str().unwrap_or_default().to_owned();
    let user = request["messages"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m["content"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let text = chat_text(&shared, &system, &user, invalid);
    Json(json!({
        "id": format!("msg_{}", uuid::Uuid::new_v4().simple()),
        "type": "message",
        "role": "assistant",
        "model": request["model"],
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": (system.len() + user.len()) / 4, "output_tokens": text.len() / 4},
    }))
    .into_response()
}

fn tiny_png_base64() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(TINY_PNG)
}

async fn openai_images(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = misbehave(&shared, "/v1/images/generations", &headers, &body).await {
        return response;
    }
    Json(json!({"created": chrono::Utc::now().timestamp(), "data": [{"b64_json": tiny_png_base64()}]})).into_response()
}

async fn runware(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(response) = misbehave(&shared, "/runware/v1", &headers, &body).await {
        return response;
    }
    let tasks: Vec<Value> = serde_json::from_slice(&body).unwrap_or_default();
    let authenticated = tasks.iter().any(|t| {
        t["taskType"] == "authentication" && t["apiKey"].as_str().is_some_and(|k| !k.is_empty())
    });
    if !authenticated {
        return Json(
            json!({"errors": [{"code": "missingApiKey", "message": "An API key is required"}]}),
        )
        .into_response();
    }
    let data: Vec<Value> = tasks
        .iter()
        .filter(|t| t["taskType"] == "imageInference")
        .map(|t| {
            json!({
                "taskType": "imageInference",
                "taskUUID": t["taskUUID"],
                "imageUUID": uuid::Uuid::new_v4().to_string(),
                "imageBase64Data": tiny_png_base64(),
                "cost": 0.0013,
            })
        })
        .collect();
    Json(json!({"data": data})).into_response()
}

//! Each provider client speaks its wire protocol, retries what is worth retrying (honouring
//! Retry-After), gives up on refusals at once, and reports usage.

use std::time::{Duration, Instant};

use ai_svc::providers::{
    ChatProvider, ChatRequest, ImageProvider, ImageRequest, ProviderError,
    anthropic::Anthropic,
    http::{CallPolicy, Caller},
    openai_chat::OpenAiChat,
    openai_images::OpenAiImages,
    runware::Runware,
};
use igny8_test_support::fake_provider::{FakeProvider, Fault, TINY_PNG};

fn caller(timeout: Duration) -> Caller {
    igny8_platform::install_crypto_provider();
    let policy = CallPolicy {
        timeout,
        max_attempts: 3,
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(2),
    };
    Caller::new(policy, 4).unwrap()
}

fn chat_request() -> ChatRequest {
    ChatRequest {
        model: "gpt-4o-mini".into(),
        system: "Answer in JSON.".into(),
        user: "Cluster these keywords: a, b".into(),
        temperature: 0.7,
        max_tokens: 500,
    }
}

fn image_request() -> ImageRequest {
    ImageRequest {
        model: "runware:97@1".into(),
        prompt: "a lighthouse at dawn".into(),
        negative_prompt: Some("text, watermark".into()),
        width: 1024,
        height: 1024,
        quality: None,
        style: None,
    }
}

#[tokio::test]
async fn openai_chat_sends_the_key_and_json_mode_and_reads_usage() {
    let fake = FakeProvider::start().await.unwrap();
    fake.set_responder(|_, user| format!("{{\"echo\":{}}}", serde_json::json!(user)));
    let client = OpenAiChat::new(
        caller(Duration::from_secs(5)),
        &fake.openai_base(),
        "sk-test-key",
    );
    let answer = client.complete(&chat_request()).await.unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&answer.text).unwrap();
    assert_eq!(parsed["echo"], "Cluster these keywords: a, b");
    assert!(answer.input_tokens > 0 && answer.output_tokens > 0);
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].headers["authorization"], "Bearer sk-test-key");
    assert_eq!(received[0].body["response_format"]["type"], "json_object");
    assert_eq!(received[0].body["messages"][0]["role"], "system");
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_honouring_retry_after() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push_faults([Fault::Status(429, Some(1)), Fault::Status(503, None)]);
    let client = OpenAiChat::new(caller(Duration::from_secs(5)), &fake.openai_base(), "k");
    let started = Instant::now();
    let answer = client.complete(&chat_request()).await.unwrap();
    assert_eq!(answer.text, "{\"ok\":true}");
    assert_eq!(fake.received().len(), 3, "two failures, then success");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited the Retry-After second"
    );
}

#[tokio::test]
async fn retries_end_after_the_attempt_budget() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push_faults([
        Fault::Status(500, None),
        Fault::Status(500, None),
        Fault::Status(500, None),
    ]);
    let client = OpenAiChat::new(caller(Duration::from_secs(5)), &fake.openai_base(), "k");
    let err = client.complete(&chat_request()).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Exhausted { attempts: 3, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_refusal_is_not_retried() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push_faults([Fault::Status(401, None)]);
    let client = OpenAiChat::new(caller(Duration::from_secs(5)), &fake.openai_base(), "bad");
    let err = client.complete(&chat_request()).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Refused { status: 401, .. }),
        "{err:?}"
    );
    assert_eq!(fake.received().len(), 1);
}

#[tokio::test]
async fn a_hanging_provider_times_out_and_the_next_attempt_succeeds() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push_faults([Fault::Hang(Duration::from_secs(3))]);
    let client = OpenAiChat::new(caller(Duration::from_millis(300)), &fake.openai_base(), "k");
    let answer = client.complete(&chat_request()).await.unwrap();
    assert_eq!(answer.text, "{\"ok\":true}");
    assert_eq!(fake.received().len(), 2);
}

#[tokio::test]
async fn invalid_json_text_is_returned_for_the_pipeline_to_repair() {
    let fake = FakeProvider::start().await.unwrap();
    fake.push_faults([Fault::InvalidJson]);
    let client = OpenAiChat::new(caller(Duration::from_secs(5)), &fake.openai_base(), "k");
    let answer = client.complete(&chat_request()).await.unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&answer.text).is_err());
}

#[tokio::test]
async fn anthropic_messages_speak_their_own_protocol() {
    let fake = FakeProvider::start().await.unwrap();
    fake.set_responder(|system, _| format!("{{\"system_seen\":{}}}", serde_json::json!(system)));
    let client = Anthropic::new(
        caller(Duration::from_secs(5)),
        &fake.anthropic_base(),
        "ant-key",
    );
    let answer = client.complete(&chat_request()).await.unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&answer.text).unwrap();
    assert_eq!(parsed["system_seen"], "Answer in JSON.");
    let received = &fake.received()[0];
    assert_eq!(received.path, "/v1/messages");
    assert_eq!(received.headers["x-api-key"], "ant-key");
    assert_eq!(received.headers["anthropic-version"], "2023-06-01");
    assert!(answer.input_tokens > 0);
}

#[tokio::test]
async fn openai_images_come_back_as_bytes() {
    let fake = FakeProvider::start().await.unwrap();
    let client = OpenAiImages::new(caller(Duration::from_secs(5)), &fake.openai_base(), "k");
    let mut request = image_request();
    request.model = "dall-e-3".into();
    let image = client.generate(&request).await.unwrap();
    assert_eq!(image.bytes, TINY_PNG);
    assert_eq!(image.content_type, "image/png");
    assert_eq!(fake.received()[0].body["size"], "1024x1024");
}

#[tokio::test]
async fn runware_authenticates_in_the_task_list_and_reports_cost() {
    let fake = FakeProvider::start().await.unwrap();
    let client = Runware::new(
        caller(Duration::from_secs(5)),
        &fake.runware_base(),
        "rw-key",
    );
    let image = client.generate(&image_request()).await.unwrap();
    assert_eq!(image.bytes, TINY_PNG);
    assert_eq!(image.cost_micro_usd, Some(1300));
    let body = &fake.received()[0].body;
    assert_eq!(body[0]["taskType"], "authentication");
    assert_eq!(body[1]["negativePrompt"], "text, watermark");

    let keyless = Runware::new(caller(Duration::from_secs(5)), &fake.runware_base(), "");
    let err = keyless.generate(&image_request()).await.unwrap_err();
    assert!(matches!(err, ProviderError::Refused { .. }), "{err:?}");
}

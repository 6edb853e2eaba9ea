//! `GET /api/v1/jobs/{id}/events`: Server-Sent Events from the job's start (or after
//! `Last-Event-ID`) to its result, outliving the gateway's per-call upstream deadline.

use std::time::Duration;

use serde_json::{Value, json};

use super::{accepted, keywords, tenant};
use crate::harness::{AiOptions, TestApp};

/// One parsed event of a stream.
#[derive(Debug)]
struct Sse {
    event: String,
    id: Option<u64>,
    data: Value,
}

/// Reads an event stream to its end (bounded) and parses its events; comments are skipped.
async fn read_events(
    app: &TestApp,
    token: &str,
    path: &str,
    last_event_id: Option<&str>,
) -> (Vec<Sse>, reqwest::header::HeaderMap) {
    let mut request = app.client.get(app.url(path)).bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let mut response = request.send().await.expect("the stream opens");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = response.chunk().await.expect("stream chunk") {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the stream ends after the result");
    let events = text
        .split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut id = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    event = Some(value.trim().to_owned());
                } else if let Some(value) = line.strip_prefix("id:") {
                    id = Some(value.trim().parse().expect("numeric id"));
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim());
                }
            }
            Some(Sse {
                event: event?,
                id,
                data: serde_json::from_str(&data).expect("JSON data"),
            })
        })
        .collect();
    (events, headers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_shows_progress_then_the_result_past_the_upstream_deadline() {
    // Every gRPC call must answer within 3 s; the job takes longer (the provider answers
    // after 4 s), and its event stream must still see it through.
    let app = TestApp::spawn_with_ai_options(AiOptions::default(), |config| {
        config.upstream_timeout_ms = 3_000;
    })
    .await;
    let account = tenant(&app, "events").await;
    let token = account.owner.access.as_str();
    let ids = keywords(&app, &account, 3, "events").await;
    app.fake
        .as_ref()
        .expect("the fake provider")
        .set_delay(Duration::from_secs(4));
    let job_id = accepted(&app, token, "/api/v1/planner/keywords/auto_cluster", &ids).await;
    let path = format!("/api/v1/jobs/{job_id}/events");

    let (events, headers) = read_events(&app, token, &path, None).await;
    assert_eq!(headers["content-type"], "text/event-stream");
    let (result, progress) = events.split_last().expect("events");
    assert!(progress.len() >= 2, "{events:?}");
    assert!(progress.iter().all(|e| e.event == "progress"), "{events:?}");
    let seqs: Vec<u64> = progress.iter().map(|e| e.id.expect("an id")).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let percents: Vec<u64> = progress
        .iter()
        .map(|e| e.data["percent"].as_u64().unwrap())
        .collect();
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    assert!(percents.first() < percents.last(), "{percents:?}");
    for event in progress {
        assert_eq!(event.data["seq"], json!(event.id.unwrap()));
        assert!(event.data["phase"].is_string() && event.data["at"].is_string());
    }
    assert_eq!(result.event, "result");
    assert!(result.id.unwrap() > *seqs.last().unwrap());
    assert_eq!(result.data["id"], json!(job_id));
    assert_eq!(
        result.data["status"],
        json!("completed"),
        "{:?}",
        result.data
    );
    assert_eq!(result.data["percent"], json!(100));
    assert_eq!(result.data["charged_credits"], json!("10.000"));

    // Resuming after an event replays only later ones; after the last, just the result.
    let (resumed, _) = read_events(&app, token, &path, Some(&seqs[0].to_string())).await;
    assert_eq!(resumed.len(), events.len() - 1, "{resumed:?}");
    assert_eq!(resumed[0].id, Some(seqs[1]));
    let (tail, _) = read_events(&app, token, &path, Some(&result.id.unwrap().to_string())).await;
    assert_eq!(tail.len(), 1, "{tail:?}");
    assert_eq!(tail[0].event, "result");
    assert_eq!(tail[0].data["status"], json!("completed"));

    // A malformed Last-Event-ID names the header; another account's job is not found.
    let bad = app
        .client
        .get(app.url(&path))
        .bearer_auth(token)
        .header("last-event-id", "seven")
        .send()
        .await
        .unwrap();
    let bad = crate::harness::read(bad).await;
    bad.assert_field_error("Last-Event-ID");
    let other = tenant(&app, "events-other").await;
    app.get(&path, Some(&other.owner.access))
        .await
        .assert_error(404, "NOT_FOUND");
    app.get("/api/v1/jobs/not-a-job/events", Some(token))
        .await
        .assert_error(404, "NOT_FOUND");
}

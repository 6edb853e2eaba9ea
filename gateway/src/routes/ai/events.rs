//! `GET /api/v1/jobs/{id}/events`: a job's progress as Server-Sent Events, relayed from
//! ai-svc's `WatchJob` stream.
//!
//! Each progress event is `event: progress` with `id: <seq>` and `{seq, phase, percent,
//! message, at}`; the event that finishes the job is `event: result` with the job, and the
//! stream ends (an `EventSource` should `close()` then, or it reconnects and gets the result
//! again). A reconnecting client sends `Last-Event-ID` and gets only later events. A failure
//! after the stream started is `event: error` with `{code, message}`.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::{Stream, stream};
use igny8_proto::ai::v1 as pb;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::dto::{Job, Progress};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult, ErrorBody},
    extract::Ids,
    state::AppState,
};

/// Proxies drop idle connections; a comment this often keeps the stream open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// The job's events from the start (or after `Last-Event-ID`), live until it finishes.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/events", tag = "jobs",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "Job id"),
        ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this event (sent by EventSource on reconnect)"),
    ),
    responses(
        (status = 200, description = "`text/event-stream`: `progress` events (data: Progress), then one `result` (data: Job)", content_type = "text/event-stream", body = String),
        (status = 400, description = "A malformed Last-Event-ID", body = ErrorBody),
        (status = 404, description = "No such job for the caller", body = ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let Ids([id]) = path;
    let after_seq = last_event_id(&headers)?;
    // Refusals (unknown job, another tenant's) arrive before the stream and are envelopes.
    let upstream = state
        .clients
        .ai()
        .watch_job(caller.forward(pb::WatchJobRequest {
            job_id: id.to_string(),
            after_seq,
        }))
        .await?
        .into_inner();
    let mut response = Sse::new(relay(upstream, state.streams.clone()))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
        .into_response();
    // Tells buffering proxies (nginx) to pass events on as they come.
    response.headers_mut().insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    Ok(response)
}

fn last_event_id(headers: &HeaderMap) -> Result<u64, ApiError> {
    let Some(value) = headers.get(LAST_EVENT_ID) else {
        return Ok(0);
    };
    let value = value.to_str().map(str::trim).unwrap_or("-");
    if value.is_empty() {
        return Ok(0);
    }
    value.parse().map_err(|_| {
        ApiError::field(
            "Last-Event-ID",
            "must be the id of an event of this stream (a non-negative integer)",
        )
    })
}

/// SSE events from the upstream stream, ending after the result, an error, or when the
/// gateway stops.
fn relay(
    upstream: tonic::Streaming<pb::JobEvent>,
    stop: CancellationToken,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(Some((upstream, stop)), |open| async move {
        let (mut upstream, stop) = open?;
        let next = tokio::select! {
            () = stop.cancelled() => return None,
            next = upstream.message() => next,
        };
        match next {
            Ok(Some(mut event)) => match event.job.take() {
                Some(job) => Some((Ok(json_event("result", event.seq, &Job::from(job))), None)),
                None => {
                    let progress = json_event("progress", event.seq, &Progress::from(&event));
                    Some((Ok(progress), Some((upstream, stop))))
                }
            },
            Ok(None) => None,
            Err(status) => {
                let error = ApiError::from(status);
                let body = StreamError {
                    code: error.code(),
                    message: error.message(),
                };
                let data = serde_json::to_string(&body).unwrap_or_default();
                Some((Ok(Event::default().event("error").data(data)), None))
            }
        }
    })
}

#[derive(Serialize)]
struct StreamError<'a> {
    code: &'a str,
    message: &'a str,
}

fn json_event(name: &str, seq: u64, data: &impl Serialize) -> Event {
    // Our DTOs always serialise; an empty object keeps the stream well formed regardless.
    let data = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
    Event::default().event(name).id(seq.to_string()).data(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_id_resumes_after_a_sequence_number_and_refuses_anything_else() {
        let mut headers = HeaderMap::new();
        assert_eq!(last_event_id(&headers).unwrap(), 0);
        headers.insert(LAST_EVENT_ID, HeaderValue::from_static(" 7 "));
        assert_eq!(last_event_id(&headers).unwrap(), 7);
        headers.insert(LAST_EVENT_ID, HeaderValue::from_static("seven"));
        assert_eq!(
            last_event_id(&headers).unwrap_err().code(),
            "VALIDATION_ERROR"
        );
    }
}

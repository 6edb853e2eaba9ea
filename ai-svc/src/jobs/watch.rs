//! WatchJob: the job's events from a point on, live, ending with the event that finishes it.

use std::{pin::Pin, time::Duration};

use futures_util::Stream;
use igny8_platform::{RequestContext, Result, wire::ts};
use igny8_proto::ai::v1 as pb;
use tokio::sync::{broadcast::error::RecvError, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use uuid::Uuid;

use super::{queries, store};
use crate::state::AppState;

/// Fallback poll, in case a notification was missed (listener reconnecting).
const POLL: Duration = Duration::from_secs(2);

pub type EventStream = Pin<Box<dyn Stream<Item = Result<pb::JobEvent, Status>> + Send>>;

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i32,
    phase: String,
    percent: i16,
    message: String,
    at: chrono::DateTime<chrono::Utc>,
}

pub async fn watch(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::WatchJobRequest,
) -> Result<EventStream> {
    let job = queries::visible(state, ctx, &req.job_id).await?;
    let (sender, receiver) = mpsc::channel(32);
    let state = state.clone();
    let after = i32::try_from(req.after_seq).unwrap_or(i32::MAX);
    tokio::spawn(async move {
        if let Err(status) = pump(&state, job.id, after, &sender).await {
            let _ = sender.send(Err(status)).await;
        }
    });
    Ok(Box::pin(ReceiverStream::new(receiver)))
}

/// Sends events after `after` until the job is finished and its last event sent, or the
/// client went away.
async fn pump(
    state: &AppState,
    job_id: Uuid,
    mut after: i32,
    sender: &mpsc::Sender<Result<pb::JobEvent, Status>>,
) -> Result<(), Status> {
    let mut wake = state.notifier.subscribe();
    loop {
        // The job first: if it is finished, its finishing event is committed already.
        let job = store::get(&state.pool, job_id)
            .await?
            .ok_or_else(|| Status::not_found("job not found"))?;
        let events: Vec<EventRow> = sqlx::query_as(
            "SELECT seq, phase, percent, message, at FROM ai.job_events \
             WHERE job_id = $1 AND seq > $2 ORDER BY seq",
        )
        .bind(job_id)
        .bind(after)
        .fetch_all(&state.pool)
        .await
        .map_err(igny8_platform::Error::from)?;
        let last_seq = events.last().map(|e| e.seq);
        for event in events {
            after = event.seq;
            // The finishing event is the last one of a finished job; it carries the job.
            let finishing = job.is_finished() && Some(event.seq) == last_seq;
            let message = pb::JobEvent {
                seq: u64::try_from(event.seq).unwrap_or(0),
                job_id: job_id.to_string(),
                phase: event.phase,
                percent: u32::try_from(event.percent).unwrap_or(0),
                message: event.message,
                at: Some(ts(event.at)),
                job: finishing.then(|| queries::to_pb(&job)),
            };
            if sender.send(Ok(message)).await.is_err() {
                return Ok(());
            }
        }
        if job.is_finished() {
            if last_seq.is_none() {
                // Resumed after the last event: still say how it ended.
                let message = pb::JobEvent {
                    seq: u64::try_from(after).unwrap_or(0),
                    job_id: job_id.to_string(),
                    phase: job.phase.clone(),
                    percent: u32::try_from(job.percent).unwrap_or(0),
                    message: job.message.clone(),
                    at: job.finished_at.map(ts),
                    job: Some(queries::to_pb(&job)),
                };
                let _ = sender.send(Ok(message)).await;
            }
            return Ok(());
        }
        // Wait for this job's next event (or the fallback poll, or the client leaving).
        let deadline = tokio::time::sleep(POLL);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => break,
                () = sender.closed() => return Ok(()),
                got = wake.recv() => match got {
                    Ok(id) if id == job_id => break,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => {
                        tokio::time::sleep(POLL).await;
                        break;
                    }
                },
            }
        }
    }
}

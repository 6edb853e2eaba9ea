//! The worker role: consumes `ai.jobs.<kind>` with manual acks, runs up to
//! WORKER_CONCURRENCY jobs at once, and acks a message only once its job reached a final
//! state (or another worker holds it). On SIGTERM it stops taking messages, lets running
//! jobs finish for a grace period, then gives the rest back (lease released, message
//! returned to the queue).

use std::{sync::Arc, time::Duration};

use futures_util::StreamExt as _;
use igny8_platform::inbox::HandlerError;
use igny8_proto::events::v1::AiJobQueued;
use lapin::{
    message::Delivery,
    options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions},
    types::FieldTable,
};
use prost::Message as _;
use tokio::{sync::Semaphore, task::JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;
use uuid::Uuid;

use super::{
    JobKind, functions,
    run::{JobError, JobRun},
    settle,
    store::{self, Claim, Finish, JobRow, STATUS_CANCELLED, STATUS_COMPLETED, STATUS_FAILED},
};
use crate::state::AppState;

/// How long running jobs may take to finish after SIGTERM before they are given back.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// Attempts after which a job that keeps crashing its workers is failed.
pub const MAX_ATTEMPTS: i32 = 10;

pub struct Worker {
    state: AppState,
    amqp: igny8_platform::amqp::Amqp,
    /// Identifies this process's leases.
    id: String,
    concurrency: usize,
}

impl Worker {
    pub fn new(state: AppState, amqp: igny8_platform::amqp::Amqp) -> Self {
        let concurrency = usize::from(state.config.worker_concurrency.max(1));
        let id = format!(
            "{}-{}",
            std::process::id(),
            &Uuid::new_v4().simple().to_string()[..8]
        );
        Self {
            state,
            amqp,
            id,
            concurrency,
        }
    }

    /// Declares every job queue (so jobs submitted before a worker starts are kept).
    pub async fn declare_queues(amqp: &igny8_platform::amqp::Amqp) -> anyhow::Result<()> {
        let channel = amqp.channel().await?;
        for kind in JobKind::ALL {
            let queue = kind.queue();
            amqp.declare_consumer_queue(&channel, &queue, &[queue.as_str()])
                .await?;
        }
        Ok(())
    }

    /// Consumes until `shutdown`, reconnecting after broker failures.
    pub async fn run(self, shutdown: CancellationToken) {
        let worker = Arc::new(self);
        let permits = Arc::new(Semaphore::new(worker.concurrency));
        // Jobs outlive a broken connection: their tasks keep running and ack on the channel
        // they came from (or, if it is gone, the broker redelivers and the claim says Finished).
        let mut running = JoinSet::new();
        let jobs_stop = CancellationToken::new();
        let mut backoff = Duration::from_millis(200);
        loop {
            match worker
                .consume(&shutdown, &permits, &mut running, &jobs_stop)
                .await
            {
                Ok(()) => break,
                Err(err) => {
                    tracing::warn!(error.message = %err, "job consumer stopped; reconnecting");
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
        tracing::info!(
            running = running.len(),
            "worker stopping; letting running jobs finish"
        );
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            jobs_stop.cancel();
            while running.join_next().await.is_some() {}
        }
    }

    async fn consume(
        self: &Arc<Self>,
        shutdown: &CancellationToken,
        permits: &Arc<Semaphore>,
        running: &mut JoinSet<()>,
        jobs_stop: &CancellationToken,
    ) -> anyhow::Result<()> {
        let channel = self.amqp.channel().await?;
        // Per consumer: a worker takes no more messages than it can run.
        channel
            .basic_qos(
                u16::try_from(self.concurrency).unwrap_or(u16::MAX),
                BasicQosOptions::default(),
            )
            .await?;
        let mut streams = Vec::new();
        for kind in JobKind::ALL {
            let queue = kind.queue();
            let name = self
                .amqp
                .declare_consumer_queue(&channel, &queue, &[queue.as_str()])
                .await?;
            let consumer = channel
                .basic_consume(
                    name.as_str().into(),
                    format!("ai-worker-{}-{}", self.id, kind.as_str()).into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            streams.push(consumer);
        }
        let mut deliveries = futures_util::stream::select_all(streams);
        tracing::info!(worker = %self.id, concurrency = self.concurrency, "consuming jobs");
        loop {
            let permit = tokio::select! {
                () = shutdown.cancelled() => {
                    let _ = channel.close(200, "shutdown".into()).await;
                    return Ok(());
                }
                permit = permits.clone().acquire_owned() => permit?,
            };
            let delivery = tokio::select! {
                () = shutdown.cancelled() => {
                    let _ = channel.close(200, "shutdown".into()).await;
                    return Ok(());
                }
                next = deliveries.next() => match next {
                    None => anyhow::bail!("delivery stream ended"),
                    Some(delivery) => delivery?,
                },
            };
            let worker = self.clone();
            let stop = jobs_stop.clone();
            running.spawn(async move {
                worker.handle(delivery, stop).await;
                drop(permit);
            });
            // Reap finished tasks so the set does not grow.
            while running.try_join_next().is_some() {}
        }
    }

    async fn handle(&self, delivery: Delivery, stop: CancellationToken) {
        let job_id = match AiJobQueued::decode(delivery.data.as_slice())
            .map_err(|e| HandlerError::Permanent(e.into()))
            .and_then(|m| {
                m.job_id
                    .parse::<Uuid>()
                    .map_err(|e| HandlerError::Permanent(e.into()))
            }) {
            Ok(id) => id,
            Err(_) => {
                tracing::error!("unreadable job message; dead-lettering");
                let _ = delivery
                    .nack(BasicNackOptions {
                        requeue: false,
                        multiple: false,
                    })
                    .await;
                return;
            }
        };
        let span = tracing::info_span!("job", job_id = %job_id, worker = %self.id);
        let requeue = match self.process(job_id, stop).instrument(span).await {
            Ok(()) => false,
            Err(err) => {
                tracing::warn!(%job_id, error.message = %err, "job run interrupted; it goes back to the queue");
                true
            }
        };
        let outcome = if requeue {
            tokio::time::sleep(Duration::from_millis(500)).await;
            delivery
                .nack(BasicNackOptions {
                    requeue: true,
                    multiple: false,
                })
                .await
        } else {
            delivery.ack(BasicAckOptions::default()).await
        };
        if let Err(err) = outcome {
            // The channel broke; the broker redelivers, and the claim will find the job done.
            tracing::warn!(%job_id, error.message = %err, "could not ack job message");
        }
    }

    /// Claims and runs the job. `Err` means: give the message back (transient trouble or
    /// shutdown); `Ok` means the message is done with.
    async fn process(&self, job_id: Uuid, stop: CancellationToken) -> anyhow::Result<()> {
        let lease = self.state.config.job_lease_seconds.max(3);
        let job = match store::claim(&self.state.pool, job_id, &self.id, lease).await? {
            Claim::Claimed(job) => *job,
            Claim::Finished | Claim::Missing => return Ok(()),
            // The holder finishes it; if it died, the sweeper re-queues once its lease ends.
            Claim::Busy => return Ok(()),
        };
        if job.cancel_requested {
            self.end(&job, Err(JobError::Cancelled)).await?;
            return Ok(());
        }
        if job.attempts > MAX_ATTEMPTS {
            let err = JobError::permanent(
                "TOO_MANY_ATTEMPTS",
                format!("the job was interrupted {} times", job.attempts - 1),
            );
            self.end(&job, Err(err)).await?;
            return Ok(());
        }
        let lost = CancellationToken::new();
        let heartbeat = tokio::spawn(heartbeat(
            self.state.pool.clone(),
            job.id,
            self.id.clone(),
            lease,
            lost.clone(),
        ));
        let result = tokio::select! {
            result = self.execute(&job) => result,
            () = lost.cancelled() => Err(JobError::LeaseLost),
            () = stop.cancelled() => Err(JobError::Transient(anyhow::anyhow!("worker shutting down"))),
        };
        heartbeat.abort();
        self.end(&job, result).await
    }

    async fn execute(&self, job: &JobRow) -> Result<super::run::Outcome, JobError> {
        let settings = crate::system::settings::effective(&self.state, job.account_id).await?;
        let run = JobRun {
            state: &self.state,
            job,
            owner: &self.id,
            settings,
        };
        functions::run(&run).await
    }

    /// Records how the run ended and settles the hold.
    async fn end(
        &self,
        job: &JobRow,
        result: Result<super::run::Outcome, JobError>,
    ) -> anyhow::Result<()> {
        let pool = &self.state.pool;
        let (status, output, code, message, error) = match result {
            Ok(outcome) => (
                STATUS_COMPLETED,
                Some(outcome.output),
                String::new(),
                outcome.message,
                String::new(),
            ),
            Err(JobError::Permanent { code, message }) => {
                tracing::warn!(job_id = %job.id, code, %message, "job failed");
                (
                    STATUS_FAILED,
                    None,
                    code.to_owned(),
                    format!("Failed: {message}"),
                    message,
                )
            }
            Err(JobError::Cancelled) => (
                STATUS_CANCELLED,
                None,
                String::new(),
                "Cancelled".to_owned(),
                String::new(),
            ),
            Err(JobError::LeaseLost) => {
                tracing::warn!(job_id = %job.id, "lease lost; another worker has the job");
                return Ok(());
            }
            Err(JobError::Transient(err)) => {
                store::release(pool, job.id, &self.id).await?;
                return Err(err);
            }
        };
        // Failed jobs are not charged; completed and cancelled ones pay for what was applied.
        let charged = if status == STATUS_FAILED {
            0
        } else {
            super::calls::attributed_total(pool, job.id).await?
        };
        let finished = store::finish(
            pool,
            job.id,
            Some(&self.id),
            Finish {
                status,
                charged_milli: charged.min(job.estimated_milli),
                output: output.as_ref(),
                error_code: &code,
                error_message: &error,
                message: &message,
            },
        )
        .await?;
        match finished {
            Some(row) => {
                metrics::counter!("ai_jobs_finished_total", "kind" => row.kind.clone(), "status" => row.status.clone())
                    .increment(1);
                if let Err(err) = settle::settle(&self.state, &row).await {
                    // The sweeper settles it later; the job's outcome stands.
                    tracing::warn!(job_id = %row.id, error.message = %err, "settling deferred");
                }
            }
            None => tracing::warn!(job_id = %job.id, "job finished elsewhere; nothing recorded"),
        }
        Ok(())
    }
}

/// Renews the lease every third of its length; signals `lost` when it cannot.
async fn heartbeat(
    pool: sqlx::PgPool,
    job_id: Uuid,
    owner: String,
    lease: u32,
    lost: CancellationToken,
) {
    let period = Duration::from_millis(u64::from(lease) * 1000 / 3);
    loop {
        tokio::time::sleep(period).await;
        match store::renew(&pool, job_id, &owner, lease).await {
            Ok(true) => {}
            Ok(false) => {
                lost.cancel();
                return;
            }
            // The database is unreachable: keep trying while the lease lasts.
            Err(err) => tracing::warn!(%job_id, error.message = %err, "lease renewal failed"),
        }
    }
}

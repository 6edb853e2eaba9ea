//! Wakes job watchers when a job's events change: one Postgres LISTEN per process (the
//! `ai.job_events` trigger notifies with the job id), fanned out to watchers in memory.

use std::time::Duration;

use sqlx::{PgPool, postgres::PgListener};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const CHANNEL: &str = "ai_job_events";

#[derive(Clone)]
pub struct JobNotifier {
    sender: broadcast::Sender<Uuid>,
}

impl Default for JobNotifier {
    fn default() -> Self {
        Self::new()
    }
}

impl JobNotifier {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Uuid> {
        self.sender.subscribe()
    }

    /// Listens until `shutdown`, reconnecting when the connection drops (watchers also poll
    /// slowly, so a gap only delays them).
    pub async fn run(self, pool: PgPool, shutdown: CancellationToken) {
        loop {
            if let Err(err) = self.listen(&pool, &shutdown).await {
                tracing::warn!(error.message = %err, "job event listener stopped; reconnecting");
            } else {
                return;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    async fn listen(&self, pool: &PgPool, shutdown: &CancellationToken) -> anyhow::Result<()> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                notification = listener.recv() => {
                    if let Ok(id) = notification?.payload().parse::<Uuid>() {
                        // No watcher is fine.
                        let _ = self.sender.send(id);
                    }
                }
            }
        }
    }
}

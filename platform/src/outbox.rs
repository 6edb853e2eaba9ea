//! Transactional outbox: a state change and the messages it causes commit together; the
//! relay publishes committed messages with pipelined publisher confirms and marks them sent.
//!
//! Delivery is at least once (a relay that dies after publishing and before marking publishes
//! again, with the same message id); consumers deduplicate through the inbox.
//! Each service's migrations create the `outbox` table in its schema (see the service's
//! first migration).

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use lapin::options::BasicPublishOptions;
use sqlx::{PgConnection, PgPool, postgres::PgListener};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::amqp::{Amqp, EVENTS_EXCHANGE, message_properties};

/// Writes one message to the outbox inside the caller's transaction.
pub async fn enqueue_raw(
    conn: &mut PgConnection,
    routing_key: &str,
    message_type: &str,
    payload: Vec<u8>,
    request_id: Option<&str>,
) -> Result<Uuid, sqlx::Error> {
    let message_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO outbox (message_id, exchange, routing_key, message_type, payload, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(message_id)
    .bind(EVENTS_EXCHANGE)
    .bind(routing_key)
    .bind(message_type)
    .bind(payload)
    .bind(request_id)
    .execute(&mut *conn)
    .await?;
    // Wakes the relay at once (delivered on commit); it also polls, so this is only latency.
    sqlx::query("SELECT pg_notify(current_schema() || '_outbox', '')")
        .execute(&mut *conn)
        .await?;
    Ok(message_id)
}

/// Writes a protobuf event to the outbox inside the caller's transaction.
pub async fn enqueue<M: prost::Message + prost::Name>(
    conn: &mut PgConnection,
    routing_key: &str,
    event: &M,
    request_id: Option<&str>,
) -> Result<Uuid, sqlx::Error> {
    enqueue_raw(
        conn,
        routing_key,
        &M::full_name(),
        event.encode_to_vec(),
        request_id,
    )
    .await
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    seq: i64,
    message_id: Uuid,
    exchange: String,
    routing_key: String,
    message_type: String,
    payload: Vec<u8>,
    request_id: Option<String>,
}

/// Publishes what services commit to their outbox.
pub struct OutboxRelay {
    pool: PgPool,
    amqp: Amqp,
    schema: String,
    batch_size: i64,
    poll_every: Duration,
}

impl OutboxRelay {
    pub fn new(pool: PgPool, amqp: Amqp, schema: &str) -> Self {
        Self {
            pool,
            amqp,
            schema: schema.to_owned(),
            batch_size: 500,
            poll_every: Duration::from_secs(1),
        }
    }

    /// Runs until `shutdown`; broker or database failures are retried with backoff.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut listener = self.listen().await;
        let mut channel = None;
        let mut backoff = Duration::from_millis(200);
        let mut last_cleanup = Instant::now();
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            if channel.is_none() {
                match self.amqp.publisher().await {
                    Ok(ch) => channel = Some(ch),
                    Err(err) => {
                        tracing::warn!(error.message = %err, "outbox relay cannot open a channel")
                    }
                }
            }
            let drained = match &channel {
                Some(ch) => self.drain_once(ch).await,
                None => Err(anyhow::anyhow!("no channel")),
            };
            let wait = match drained {
                Ok(n) if n as i64 == self.batch_size => {
                    backoff = Duration::from_millis(200);
                    continue;
                }
                Ok(_) => {
                    backoff = Duration::from_millis(200);
                    self.poll_every
                }
                Err(err) => {
                    tracing::warn!(error.message = %err, "outbox relay failed; retrying");
                    channel = None;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    backoff
                }
            };
            if last_cleanup.elapsed() > Duration::from_secs(600) {
                self.cleanup().await;
                last_cleanup = Instant::now();
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
                notified = async {
                    match listener.as_mut() {
                        Some(l) => l.recv().await.map(|_| ()),
                        None => std::future::pending().await,
                    }
                } => {
                    if notified.is_err() {
                        listener = None; // falls back to polling; reconnected below
                    }
                }
            }
            if listener.is_none() {
                listener = self.listen().await;
            }
        }
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener
            .listen(&format!("{}_outbox", self.schema))
            .await
            .ok()?;
        Some(listener)
    }

    /// Publishes one batch; returns how many messages it published.
    pub async fn drain_once(&self, channel: &lapin::Channel) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let rows: Vec<PendingRow> = sqlx::query_as(
            "SELECT seq, message_id, exchange, routing_key, message_type, payload, request_id \
             FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(self.batch_size)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        // Publish the whole batch, then await every confirm together: one round trip per
        // batch instead of one per message.
        let mut confirms = Vec::with_capacity(rows.len());
        for row in &rows {
            let properties = message_properties(
                &row.message_id.to_string(),
                &row.message_type,
                row.request_id.as_deref(),
            );
            let confirm = channel
                .basic_publish(
                    self.amqp.name(&row.exchange).into(),
                    row.routing_key.as_str().into(),
                    BasicPublishOptions::default(),
                    &row.payload,
                    properties,
                )
                .await?;
            confirms.push(confirm);
        }
        let mut acked = Vec::with_capacity(rows.len());
        for (row, confirmation) in rows.iter().zip(join_all(confirms).await) {
            if confirmation?.is_ack() {
                acked.push(row.seq);
            }
        }
        sqlx::query("UPDATE outbox SET published_at = now() WHERE seq = ANY($1)")
            .bind(&acked)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        metrics::counter!("outbox_published_total", "schema" => self.schema.clone())
            .increment(acked.len() as u64);
        anyhow::ensure!(
            acked.len() == rows.len(),
            "the broker refused {} messages",
            rows.len() - acked.len()
        );
        Ok(acked.len())
    }

    async fn cleanup(&self) {
        let result =
            sqlx::query("DELETE FROM outbox WHERE published_at < now() - interval '1 day'")
                .execute(&self.pool)
                .await;
        if let Err(err) = result {
            tracing::warn!(error.message = %err, "outbox cleanup failed");
        }
    }
}

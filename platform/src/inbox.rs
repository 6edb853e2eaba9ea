//! Inbox consumer: records each message id in the same transaction as the handler's effect,
//! so a redelivered message (broker retry, relay republish, consumer crash before ack) has
//! its effect exactly once.
//!
//! Each service's migrations create the `inbox` table in its schema.

use std::{future::Future, sync::Arc, time::Duration};

use futures_util::StreamExt as _;
use lapin::{
    message::Delivery,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, BasicRejectOptions,
    },
    types::{AMQPValue, FieldTable},
};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::amqp::Amqp;

/// A message as a handler sees it.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub message_id: Uuid,
    pub message_type: String,
    pub routing_key: String,
    pub payload: Vec<u8>,
    pub redelivered: bool,
    pub request_id: Option<String>,
}

impl InboundMessage {
    /// Decodes the protobuf body.
    pub fn decode<M: prost::Message + Default>(&self) -> Result<M, HandlerError> {
        M::decode(self.payload.as_slice()).map_err(|e| HandlerError::Permanent(e.into()))
    }
}

/// Why a handler did not complete.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying (database or peer unavailable); redelivered up to the queue's limit.
    #[error("transient: {0}")]
    Transient(anyhow::Error),
    /// Will never succeed (undecodable, invalid); dead-lettered at once.
    #[error("permanent: {0}")]
    Permanent(anyhow::Error),
}

impl From<sqlx::Error> for HandlerError {
    fn from(err: sqlx::Error) -> Self {
        Self::Transient(err.into())
    }
}

/// What a service does with one message, inside the transaction that records it.
pub trait Handler: Send + Sync + 'static {
    fn handle<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        message: &'a InboundMessage,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a;
}

/// Consumes one queue with manual acks and a bounded prefetch.
pub struct Consumer<H> {
    pool: PgPool,
    amqp: Amqp,
    /// Queue base name and inbox key, e.g. `billing.auth-events`.
    name: String,
    routing_keys: Vec<String>,
    prefetch: u16,
    handler: Arc<H>,
}

impl<H: Handler> Consumer<H> {
    pub fn new(pool: PgPool, amqp: Amqp, name: &str, routing_keys: &[&str], handler: H) -> Self {
        Self {
            pool,
            amqp,
            name: name.to_owned(),
            routing_keys: routing_keys.iter().map(|k| (*k).to_owned()).collect(),
            prefetch: 16,
            handler: Arc::new(handler),
        }
    }

    /// Declares the queue and its bindings without consuming (so publishes before the first
    /// consume are kept).
    pub async fn declare(&self) -> anyhow::Result<()> {
        let channel = self.amqp.channel().await?;
        let keys: Vec<&str> = self.routing_keys.iter().map(String::as_str).collect();
        self.amqp
            .declare_consumer_queue(&channel, &self.name, &keys)
            .await?;
        Ok(())
    }

    /// Consumes until `shutdown`, reconnecting after broker failures.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(200);
        loop {
            match self.consume(&shutdown).await {
                Ok(()) => return,
                Err(err) => {
                    tracing::warn!(consumer = %self.name, error.message = %err, "consumer stopped; reconnecting");
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    async fn consume(&self, shutdown: &CancellationToken) -> anyhow::Result<()> {
        let channel = self.amqp.channel().await?;
        channel
            .basic_qos(self.prefetch, BasicQosOptions::default())
            .await?;
        let keys: Vec<&str> = self.routing_keys.iter().map(String::as_str).collect();
        let queue = self
            .amqp
            .declare_consumer_queue(&channel, &self.name, &keys)
            .await?;
        let mut deliveries = channel
            .basic_consume(
                queue.as_str().into(),
                format!("{}-{}", self.name, Uuid::new_v4()).into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        tracing::info!(queue = %queue, "consuming");
        loop {
            tokio::select! {
                () = shutdown.cancelled() => {
                    // Unacked deliveries return to the queue when the channel closes.
                    let _ = channel.close(200, "shutdown".into()).await;
                    return Ok(());
                }
                next = deliveries.next() => match next {
                    None => anyhow::bail!("delivery stream ended"),
                    Some(delivery) => self.process(delivery?).await?,
                },
            }
        }
    }

    async fn process(&self, delivery: Delivery) -> anyhow::Result<()> {
        let Some(message) = inbound(&delivery) else {
            tracing::error!(consumer = %self.name, "message without a valid message_id; dead-lettering");
            delivery
                .reject(BasicRejectOptions { requeue: false })
                .await?;
            return Ok(());
        };
        let span = tracing::info_span!(
            "message",
            consumer = %self.name,
            message_id = %message.message_id,
            message_type = %message.message_type,
            request_id = message.request_id.as_deref().unwrap_or(""),
        );
        let _entered = span.enter();
        match self.apply(&message).await {
            Ok(applied) => {
                if !applied {
                    metrics::counter!("inbox_duplicates_total", "consumer" => self.name.clone())
                        .increment(1);
                    tracing::debug!("duplicate delivery; effect already applied");
                }
                delivery.ack(BasicAckOptions::default()).await?;
            }
            Err(HandlerError::Permanent(err)) => {
                tracing::error!(error.message = %err, "message refused; dead-lettering");
                delivery
                    .nack(BasicNackOptions {
                        requeue: false,
                        multiple: false,
                    })
                    .await?;
            }
            Err(HandlerError::Transient(err)) => {
                tracing::warn!(error.message = %err, "message failed; returning it to the queue");
                tokio::time::sleep(Duration::from_millis(200)).await;
                delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        multiple: false,
                    })
                    .await?;
            }
        }
        Ok(())
    }

    /// Runs the handler once per message id; `Ok(false)` for a duplicate.
    async fn apply(&self, message: &InboundMessage) -> Result<bool, HandlerError> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO inbox (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&self.name)
        .bind(message.message_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        self.handler.handle(&mut tx, message).await?;
        tx.commit().await?;
        Ok(true)
    }
}

fn inbound(delivery: &Delivery) -> Option<InboundMessage> {
    let props = &delivery.properties;
    let message_id = props.message_id().as_ref()?.as_str().parse().ok()?;
    let request_id = props.headers().as_ref().and_then(|headers| {
        headers
            .inner()
            .get("x-request-id")
            .and_then(|value| match value {
                AMQPValue::LongString(s) => Some(s.to_string()),
                _ => None,
            })
    });
    Some(InboundMessage {
        message_id,
        message_type: props
            .kind()
            .as_ref()
            .map(|k| k.as_str().to_owned())
            .unwrap_or_default(),
        routing_key: delivery.routing_key.as_str().to_owned(),
        payload: delivery.data.clone(),
        redelivered: delivery.redelivered,
        request_id,
    })
}

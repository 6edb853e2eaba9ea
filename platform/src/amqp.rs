//! RabbitMQ: a connection that reconnects, confirm-mode publishing channels, and the topology
//! every service shares (one topic exchange for events, a dead-letter exchange, quorum queues).

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use lapin::{
    BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind,
    options::{
        ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
    },
    types::{AMQPValue, FieldTable},
};
use tokio::sync::Mutex;

/// The topic exchange every domain event is published on (routing key = event name).
pub const EVENTS_EXCHANGE: &str = "igny8.events";
/// Where rejected or over-delivered messages go.
pub const DEAD_LETTER_EXCHANGE: &str = "igny8.dlx";
/// Deliveries of one message before the broker dead-letters it.
pub const DELIVERY_LIMIT: i32 = 5;
/// Protobuf bodies, as every event and job message is.
pub const PROTOBUF_CONTENT_TYPE: &str = "application/x-protobuf";

/// A shared broker connection, re-established on demand after it breaks.
#[derive(Clone)]
pub struct Amqp {
    url: Arc<str>,
    prefix: Arc<str>,
    connection: Arc<Mutex<Option<Arc<Connection>>>>,
}

impl Amqp {
    /// Connects once (bounded), so a wrong URL fails start-up with a clear message.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let amqp = Self {
            url: url.into(),
            prefix: prefix.into(),
            connection: Arc::new(Mutex::new(None)),
        };
        amqp.connection()
            .await
            .context("AMQP_URL: cannot connect to RabbitMQ")?;
        Ok(amqp)
    }

    /// `base` with this environment's prefix.
    pub fn name(&self, base: &str) -> String {
        format!("{}{base}", self.prefix)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    async fn connection(&self) -> anyhow::Result<Arc<Connection>> {
        let mut slot = self.connection.lock().await;
        if let Some(conn) = slot.as_ref()
            && conn.status().connected()
        {
            return Ok(conn.clone());
        }
        // lapin's auto-recovery retries the first connect forever; we keep it off and bound
        // each attempt, so callers decide how long to keep trying.
        let conn = tokio::time::timeout(
            Duration::from_secs(10),
            Connection::connect(&self.url, ConnectionProperties::default()),
        )
        .await
        .context("connecting to RabbitMQ timed out")??;
        let conn = Arc::new(conn);
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// A fresh channel (reconnecting first if the connection broke).
    pub async fn channel(&self) -> anyhow::Result<Channel> {
        let conn = self.connection().await?;
        match conn.create_channel().await {
            Ok(channel) => Ok(channel),
            Err(_) => {
                // The connection died between the status check and now; retry once.
                self.connection.lock().await.take();
                Ok(self.connection().await?.create_channel().await?)
            }
        }
    }

    /// A channel in publisher-confirm mode with the events exchange declared.
    pub async fn publisher(&self) -> anyhow::Result<Channel> {
        let channel = self.channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        self.declare_exchanges(&channel).await?;
        Ok(channel)
    }

    /// Declares the events topic exchange and the dead-letter exchange (idempotent).
    pub async fn declare_exchanges(&self, channel: &Channel) -> anyhow::Result<()> {
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        };
        channel
            .exchange_declare(
                self.name(EVENTS_EXCHANGE).into(),
                ExchangeKind::Topic,
                durable,
                FieldTable::default(),
            )
            .await?;
        channel
            .exchange_declare(
                self.name(DEAD_LETTER_EXCHANGE).into(),
                ExchangeKind::Direct,
                durable,
                FieldTable::default(),
            )
            .await?;
        Ok(())
    }

    /// Declares a durable quorum queue with a delivery limit, its dead-letter queue, and the
    /// bindings from the events exchange; returns the queue's full name.
    pub async fn declare_consumer_queue(
        &self,
        channel: &Channel,
        queue: &str,
        routing_keys: &[&str],
    ) -> anyhow::Result<String> {
        self.declare_exchanges(channel).await?;
        let queue_name = self.name(queue);
        let dlq_name = format!("{queue_name}.dlq");
        let durable = QueueDeclareOptions {
            durable: true,
            ..Default::default()
        };
        let mut dlq_args = FieldTable::default();
        dlq_args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        channel
            .queue_declare(dlq_name.as_str().into(), durable, dlq_args)
            .await?;
        channel
            .queue_bind(
                dlq_name.as_str().into(),
                self.name(DEAD_LETTER_EXCHANGE).into(),
                queue_name.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let mut args = FieldTable::default();
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        args.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongInt(DELIVERY_LIMIT),
        );
        args.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(self.name(DEAD_LETTER_EXCHANGE).into()),
        );
        args.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(queue_name.as_str().into()),
        );
        channel
            .queue_declare(queue_name.as_str().into(), durable, args)
            .await?;
        for key in routing_keys {
            channel
                .queue_bind(
                    queue_name.as_str().into(),
                    self.name(EVENTS_EXCHANGE).into(),
                    (*key).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(queue_name)
    }
}

/// Properties of a persistent protobuf message.
pub fn message_properties(
    message_id: &str,
    message_type: &str,
    request_id: Option<&str>,
) -> BasicProperties {
    let mut headers = FieldTable::default();
    if let Some(id) = request_id {
        headers.insert("x-request-id".into(), AMQPValue::LongString(id.into()));
    }
    BasicProperties::default()
        .with_message_id(message_id.into())
        .with_type(message_type.into())
        .with_content_type(PROTOBUF_CONTENT_TYPE.into())
        .with_delivery_mode(2)
        .with_headers(headers)
}

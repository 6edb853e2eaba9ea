//! A queue-name prefix per test and removal of what the test declared.

use lapin::{
    Connection, ConnectionProperties,
    options::{ExchangeDeleteOptions, QueueDeleteOptions},
};

/// Broker URL for tests; `AMQP_URL` overrides it.
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// A unique prefix, e.g. `t-3f2a9c1b7d4e.`.
pub fn unique_prefix() -> String {
    format!("t-{}.", crate::unique_tag())
}

/// Deletes `queues` (and their `.dlq`) and the shared exchanges under `prefix`.
pub async fn cleanup(prefix: &str, queues: &[&str]) -> anyhow::Result<()> {
    let conn = Connection::connect(&amqp_url(), ConnectionProperties::default()).await?;
    let channel = conn.create_channel().await?;
    for queue in queues {
        for name in [format!("{prefix}{queue}"), format!("{prefix}{queue}.dlq")] {
            channel
                .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
                .await?;
        }
    }
    for exchange in ["igny8.events", "igny8.dlx"] {
        channel
            .exchange_delete(
                format!("{prefix}{exchange}").as_str().into(),
                ExchangeDeleteOptions::default(),
            )
            .await?;
    }
    conn.close(200, "done".into()).await?;
    Ok(())
}

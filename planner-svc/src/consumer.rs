//! writer-svc's events, consumed through the inbox: once a writer task is completed (its
//! content exists), the idea it came from becomes `completed`.
//!
//! Exactly once: the inbox records each message id in the handler's transaction, and only an
//! idea still `new` or `queued` moves, so a re-published event changes nothing either.

use igny8_platform::inbox::{Handler, HandlerError, InboundMessage};
use igny8_proto::events::v1::WriterTaskStatusChanged;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{events, ops::common::SectorScope};

/// The queue (before the environment prefix) and inbox key of this consumer.
pub const QUEUE: &str = "planner.writer-events";
pub const TASK_STATUS_CHANGED: &str = "writer.task.status_changed";
pub const ROUTING_KEYS: [&str; 1] = [TASK_STATUS_CHANGED];

pub struct WriterEvents;

impl Handler for WriterEvents {
    async fn handle<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        message: &'a InboundMessage,
    ) -> Result<(), HandlerError> {
        if message.routing_key != TASK_STATUS_CHANGED {
            return Err(HandlerError::Permanent(anyhow::anyhow!(
                "unexpected routing key {}",
                message.routing_key
            )));
        }
        let event: WriterTaskStatusChanged = message.decode()?;
        if event.to_status != "completed" || event.idea_id.trim().is_empty() {
            return Ok(());
        }
        let invalid =
            |what: &str| HandlerError::Permanent(anyhow::anyhow!("event has no valid {what}"));
        let account_id: Uuid = event
            .account_id
            .parse()
            .map_err(|_| invalid("account_id"))?;
        let idea_id: Uuid = event.idea_id.parse().map_err(|_| invalid("idea_id"))?;
        let request_id = message
            .request_id
            .clone()
            .unwrap_or_else(|| message.message_id.to_string());
        complete_idea(conn, account_id, idea_id, &request_id).await?;
        Ok(())
    }
}

/// Moves the account's idea from new or queued to completed, with its event; `false` when
/// there was nothing to move (another account's, deleted, or completed already).
pub async fn complete_idea(
    conn: &mut PgConnection,
    account_id: Uuid,
    idea_id: Uuid,
    request_id: &str,
) -> Result<bool, sqlx::Error> {
    let moved: Option<(Uuid, Uuid)> = sqlx::query_as(
        "UPDATE planner.ideas SET status = 'completed', updated_at = now() \
         WHERE id = $1 AND account_id = $2 AND status IN ('new', 'queued') \
         RETURNING site_id, sector_id",
    )
    .bind(idea_id)
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((site_id, sector_id)) = moved else {
        tracing::debug!(%idea_id, "idea not completed: not the account's or not open");
        return Ok(false);
    };
    let scope = SectorScope {
        account_id,
        site_id,
        sector_id,
    };
    events::idea(conn, events::IDEA_COMPLETED, &scope, idea_id, request_id).await?;
    Ok(true)
}

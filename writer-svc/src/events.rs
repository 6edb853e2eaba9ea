//! Events writer-svc publishes (ids and statuses only), written to the outbox in the
//! transaction of the change that causes them.

use chrono::Utc;
use igny8_platform::Result;
use igny8_proto::events::v1 as ev;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ops::common::{id_str, ts};

pub const TASK_CREATED: &str = "writer.task.created";
pub const TASK_UPDATED: &str = "writer.task.updated";
pub const TASK_DELETED: &str = "writer.task.deleted";
pub const TASK_STATUS_CHANGED: &str = "writer.task.status_changed";
pub const CONTENT_CREATED: &str = "writer.content.created";
pub const CONTENT_UPDATED: &str = "writer.content.updated";
pub const CONTENT_DELETED: &str = "writer.content.deleted";
pub const CONTENT_VERSION_RESTORED: &str = "writer.content.version_restored";
pub const CONTENT_STATUS_CHANGED: &str = "writer.content.status_changed";
pub const CONTENT_PUBLISHING_STATUS_CHANGED: &str = "writer.content.publishing_status_changed";
pub const IMAGE_CREATED: &str = "writer.image.created";
pub const IMAGE_UPDATED: &str = "writer.image.updated";
pub const IMAGE_DELETED: &str = "writer.image.deleted";
pub const IMAGE_STATUS_CHANGED: &str = "writer.image.status_changed";
pub const TAXONOMY_CREATED: &str = "writer.taxonomy.created";
pub const TAXONOMY_UPDATED: &str = "writer.taxonomy.updated";
pub const TAXONOMY_DELETED: &str = "writer.taxonomy.deleted";

/// The ids every event of a row carries.
#[derive(Debug, Clone, Copy)]
pub struct Scoped {
    pub account_id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Uuid,
}

async fn publish<M: prost::Message + prost::Name>(
    conn: &mut PgConnection,
    key: &str,
    event: &M,
    request_id: &str,
) -> Result<()> {
    igny8_platform::outbox::enqueue(conn, key, event, Some(request_id)).await?;
    Ok(())
}

pub async fn task(
    conn: &mut PgConnection,
    key: &str,
    scope: Scoped,
    task_id: Uuid,
    idea_id: Option<Uuid>,
    request_id: &str,
) -> Result<()> {
    let event = ev::WriterTaskEvent {
        account_id: scope.account_id.to_string(),
        site_id: scope.site_id.to_string(),
        sector_id: scope.sector_id.to_string(),
        task_id: task_id.to_string(),
        idea_id: id_str(idea_id),
        occurred_at: Some(ts(Utc::now())),
    };
    publish(conn, key, &event, request_id).await
}

pub async fn task_status(
    conn: &mut PgConnection,
    scope: Scoped,
    task_id: Uuid,
    idea_id: Option<Uuid>,
    (from, to): (&str, &str),
    request_id: &str,
) -> Result<()> {
    let event = ev::WriterTaskStatusChanged {
        account_id: scope.account_id.to_string(),
        site_id: scope.site_id.to_string(),
        sector_id: scope.sector_id.to_string(),
        task_id: task_id.to_string(),
        idea_id: id_str(idea_id),
        from_status: from.to_owned(),
        to_status: to.to_owned(),
        occurred_at: Some(ts(Utc::now())),
    };
    publish(conn, TASK_STATUS_CHANGED, &event, request_id).await
}

pub async fn content(
    conn: &mut PgConnection,
    key: &str,
    scope: Scoped,
    content_id: Uuid,
    task_id: Option<Uuid>,
    version: i32,
    request_id: &str,
) -> Result<()> {
    let event = ev::WriterContentEvent {
        account_id: scope.account_id.to_string(),
        site_id: scope.site_id.to_string(),
        sector_id: scope.sector_id.to_string(),
        content_id: content_id.to_string(),
        task_id: id_str(task_id),
        version: version.max(0) as u32,
        occurred_at: Some(ts(Utc::now())),
    };
    publish(conn, key, &event, request_id).await
}

/// `key` is CONTENT_STATUS_CHANGED or CONTENT_PUBLISHING_STATUS_CHANGED.
pub async fn content_status(
    conn: &mut PgConnection,
    key: &str,
    scope: Scoped,
    content_id: Uuid,
    (from, to): (&str, &str),
    request_id: &str,
) -> Result<()> {
    let event = ev::WriterContentStatusChanged {
        account_id: scope.account_id.to_string(),
        site_id: scope.site_id.to_string(),
        sector_id: scope.sector_id.to_string(),
        content_id: content_id.to_string(),
        from_status: from.to_owned(),
        to_status: to.to_owned(),
        occurred_at: Some(ts(Utc::now())),
    };
    publish(conn, key, &event, request_id).await
}

/// The ids of an image event.
pub struct ImageIds {
    pub image_id: Uuid,
    pub content_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
}

pub async fn image(
    conn: &mut PgConnection,
    key: &str,
    scope: Scoped,
    ids: ImageIds,
    status: &str,
    request_id: &str,
) -> Result<()> {
    let event = ev::WriterImageEvent {
        account_id: scope.account_id.to_string(),
        site_id: scope.site_id.to_string(),
        sector_id: scope.sector_id.to_string(),
        image_id: ids.image_id.to_string(),
        content_id: id_str(ids.content_id),
        task_id: id_str(ids.task_id),
        status: status.to_owned(),
        occurred_at: Some(ts(Utc::now())),
    };
    publish(conn, key, &event, request_id).await
}

pub async fn taxonomy(
    conn: &mut PgConnection,
    key: &str,
    account_id: Uuid,
    site_id: Uuid,
    term_id: Uuid,
    request_id: &str,
) -> Result<()> {
    let event = ev::WriterTaxonomyEvent {
        account_id: account_id.to_string(),
        site_id: site_id.to_string(),
        term_id: term_id.to_string(),
        occurred_at: Some(ts(Utc::now())),
    };
    publish(conn, key, &event, request_id).await
}

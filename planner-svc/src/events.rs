//! Events planner-svc publishes (ids and counts only), written to the outbox in the
//! transaction that causes them.

use chrono::Utc;
use igny8_proto::events::v1::{
    PlannerClusterEvent, PlannerIdeaEvent, PlannerIdeaQueued, PlannerKeywordEvent,
    PlannerKeywordsDeleted, PlannerKeywordsImported,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ops::common::{SectorScope, ts};

pub const KEYWORD_CREATED: &str = "planner.keyword.created";
pub const KEYWORD_DELETED: &str = "planner.keyword.deleted";
pub const KEYWORDS_IMPORTED: &str = "planner.keyword.bulk_imported";
pub const KEYWORDS_DELETED: &str = "planner.keyword.bulk_deleted";
pub const CLUSTER_CREATED: &str = "planner.cluster.created";
pub const CLUSTER_DELETED: &str = "planner.cluster.deleted";
pub const IDEA_CREATED: &str = "planner.idea.created";
pub const IDEA_DELETED: &str = "planner.idea.deleted";
pub const IDEA_QUEUED: &str = "planner.idea.queued";
/// Content exists for the idea's writer task.
pub const IDEA_COMPLETED: &str = "planner.idea.completed";

fn now() -> Option<prost_types::Timestamp> {
    Some(ts(Utc::now()))
}

async fn publish<M: prost::Message + prost::Name>(
    conn: &mut PgConnection,
    key: &str,
    event: &M,
    request_id: &str,
) -> Result<(), sqlx::Error> {
    igny8_platform::outbox::enqueue(conn, key, event, Some(request_id)).await?;
    Ok(())
}

pub async fn keyword(
    conn: &mut PgConnection,
    key: &str,
    scope: &SectorScope,
    keyword_id: Uuid,
    request_id: &str,
) -> Result<(), sqlx::Error> {
    let event = PlannerKeywordEvent {
        account_id: scope.account_id.to_string(),
        site_id: scope.site_id.to_string(),
        sector_id: scope.sector_id.to_string(),
        keyword_id: keyword_id.to_string(),
        occurred_at: now(),
    };
    publish(conn, key, &event, request_id).await
}

pub async fn keywords_imported(
    conn: &mut PgConnection,
    scope: &SectorScope,
    source: &str,
    created: u64,
    skipped: u64,
    request_id: &str,
) -> Result<(), sqlx::Error> {
    let event = PlannerKeywordsImported {
        account_id: scope.account_id.to_string(),
        site_id: scope.site_id.to_string(),
        sector_id: scope.sector_id.to_string(),
        source: source.to_owned(),
        created,
        skipped,
        occurred_at: now(),
    };
    publish(conn, KEYWORDS_IMPORTED, &event, request_id).await
}

pub async fn keywords_deleted(
    conn: &mut PgConnection,
    account_id: Uuid,
    ids: &[Uuid],
    request_id: &str,
) -> Result<(), sqlx::Error> {
    let event = PlannerKeywordsDeleted {
        account_id: account_id.to_string(),
        keyword_ids: ids.iter().map(Uuid::to_string).collect(),
        occurred_at: now(),
    };
    publish(conn, KEYWORDS_DELETED, &event, request_id).await
}

pub async fn cluster(
    conn: &mut PgConnection,
    key: &str,
    scope: &SectorScope,
    cluster_id: Uuid,
    request_id: &str,
) -> Result<(), sqlx::Error> {
    let event = PlannerClusterEvent {
        account_id: scope.account_id.to_string(),
        site_id: scope.site_id.to_string(),
        sector_id: scope.sector_id.to_string(),
        cluster_id: cluster_id.to_string(),
        occurred_at: now(),
    };
    publish(conn, key, &event, request_id).await
}

pub async fn idea(
    conn: &mut PgConnection,
    key: &str,
    scope: &SectorScope,
    idea_id: Uuid,
    request_id: &str,
) -> Result<(), sqlx::Error> {
    let event = PlannerIdeaEvent {
        account_id: scope.account_id.to_string(),
        site_id: scope.site_id.to_string(),
        sector_id: scope.sector_id.to_string(),
        idea_id: idea_id.to_string(),
        occurred_at: now(),
    };
    publish(conn, key, &event, request_id).await
}

pub async fn idea_queued(
    conn: &mut PgConnection,
    scope: &SectorScope,
    idea_id: Uuid,
    task_id: Uuid,
    request_id: &str,
) -> Result<(), sqlx::Error> {
    let event = PlannerIdeaQueued {
        account_id: scope.account_id.to_string(),
        site_id: scope.site_id.to_string(),
        sector_id: scope.sector_id.to_string(),
        idea_id: idea_id.to_string(),
        task_id: task_id.to_string(),
        occurred_at: now(),
    };
    publish(conn, IDEA_QUEUED, &event, request_id).await
}

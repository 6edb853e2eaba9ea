//! Clusters: topic groups of a sector's keywords, with aggregates the triggers keep current;
//! CRUD and (un)assigning keywords.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::planner::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    common::{SectorScope, parse_id, parse_ids, sector_scope, ts},
    filters::filter_choice,
};
use crate::{domain::idea::text, events, state::AppState};

pub const STATUSES: &[&str] = &["new", "mapped"];
const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
/// Mean difficulty of a cluster's keywords, from its maintained sums.
pub const AVG_DIFFICULTY: &str = "(CASE WHEN c.keyword_count > 0 THEN round(c.difficulty_sum::numeric / c.keyword_count) ELSE 0 END)::int";

#[derive(sqlx::FromRow)]
pub struct ClusterRow {
    id: Uuid,
    site_id: Uuid,
    sector_id: Uuid,
    name: String,
    description: String,
    status: String,
    disabled: bool,
    keyword_count: i32,
    total_volume: i64,
    avg_difficulty: i32,
    idea_count: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ClusterRow> for pb::Cluster {
    fn from(c: ClusterRow) -> Self {
        Self {
            id: c.id.to_string(),
            site_id: c.site_id.to_string(),
            sector_id: c.sector_id.to_string(),
            name: c.name,
            description: c.description,
            status: c.status,
            disabled: c.disabled,
            keyword_count: c.keyword_count.max(0) as u32,
            total_volume: c.total_volume.max(0) as u64,
            avg_difficulty: c.avg_difficulty.max(0) as u32,
            idea_count: c.idea_count.max(0) as u32,
            created_at: Some(ts(c.created_at)),
            updated_at: Some(ts(c.updated_at)),
        }
    }
}

pub fn columns() -> String {
    format!(
        "c.id, c.site_id, c.sector_id, c.name, c.description, c.status, c.disabled, c.keyword_count, \
         c.total_volume, {AVG_DIFFICULTY} AS avg_difficulty, c.idea_count, c.created_at, c.updated_at"
    )
}

async fn load(conn: &mut PgConnection, ctx: &RequestContext, id: Uuid) -> Result<ClusterRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM planner.clusters c WHERE c.id = $1 AND c.account_id = $2 \
         AND ($3::uuid IS NULL OR c.site_id = $3)",
        columns()
    )))
    .bind(id)
    .bind(ctx.account_id()?)
    .bind(ctx.site_restriction())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("cluster"))
}

pub async fn get(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdRequest,
) -> Result<pb::Cluster> {
    let id = parse_id(&req.id, "cluster")?;
    let mut conn = state.pool.acquire().await?;
    Ok(load(&mut conn, ctx, id).await?.into())
}

fn name(errors: &mut FieldErrors, raw: &str) -> (String, String) {
    checked_name(errors, "name", raw)
}

/// A cluster name (inner whitespace collapsed) and its uniqueness key; violations on `field`.
pub fn checked_name(errors: &mut FieldErrors, field: &str, raw: &str) -> (String, String) {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let name = text(errors, field, &name, true, MAX_NAME_CHARS);
    let key = name.to_lowercase();
    (name, key)
}

fn duplicate(err: sqlx::Error) -> Error {
    if igny8_platform::error::is_unique_violation(&err, "clusters_sector_name_key") {
        Error::already_exists(
            "DUPLICATE_CLUSTER",
            "this sector already has a cluster with that name",
        )
    } else {
        err.into()
    }
}

/// Puts keywords of the cluster's sector into it; any keyword of another sector is a field
/// error on `field`. Returns how many changed.
async fn assign(
    conn: &mut PgConnection,
    ctx: &RequestContext,
    cluster: &SectorScope,
    cluster_id: Uuid,
    ids: &[Uuid],
    field: &str,
) -> Result<u64> {
    let elsewhere: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM planner.keywords WHERE id = ANY($1) AND account_id = $2 \
         AND ($3::uuid IS NULL OR site_id = $3) AND sector_id <> $4",
    )
    .bind(ids)
    .bind(cluster.account_id)
    .bind(ctx.site_restriction())
    .bind(cluster.sector_id)
    .fetch_one(&mut *conn)
    .await?;
    if elsewhere > 0 {
        return Err(FieldErrors::single(
            field,
            format!("{elsewhere} of the keywords are not in the cluster's sector"),
        ));
    }
    assign_in_sector(conn, cluster, cluster_id, ids).await
}

/// Puts those of `ids` that are keywords of the cluster's sector into it (new ones become
/// mapped; the cluster's aggregates follow by trigger); other ids are left alone. Returns how
/// many changed.
pub async fn assign_in_sector(
    conn: &mut PgConnection,
    cluster: &SectorScope,
    cluster_id: Uuid,
    ids: &[Uuid],
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE planner.keywords SET cluster_id = $4, \
             status = CASE WHEN status = 'used' THEN 'used' ELSE 'mapped' END, updated_at = now() \
         WHERE id = ANY($1) AND account_id = $2 AND sector_id = $3 \
         AND cluster_id IS DISTINCT FROM $4",
    )
    .bind(ids)
    .bind(cluster.account_id)
    .bind(cluster.sector_id)
    .bind(cluster_id)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateClusterRequest,
) -> Result<pb::Cluster> {
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    let (name, key) = name(&mut errors, &req.name);
    let description = text(
        &mut errors,
        "description",
        &req.description,
        false,
        MAX_DESCRIPTION_CHARS,
    );
    let keyword_ids = if req.keyword_ids.is_empty() {
        Ok(Vec::new())
    } else {
        parse_ids("keyword_ids", &req.keyword_ids)
    };
    errors.into_result()?;
    let keyword_ids = keyword_ids?;
    let scope = sector_scope(state, ctx, &req.site_id, &req.sector_id).await?;
    let id = Uuid::now_v7();
    let mut tx = state.pool.begin().await?;
    sqlx::query(
        "INSERT INTO planner.clusters (id, account_id, site_id, sector_id, name, name_key, description) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(scope.account_id)
    .bind(scope.site_id)
    .bind(scope.sector_id)
    .bind(&name)
    .bind(&key)
    .bind(&description)
    .execute(&mut *tx)
    .await
    .map_err(duplicate)?;
    if !keyword_ids.is_empty() {
        assign(&mut tx, ctx, &scope, id, &keyword_ids, "keyword_ids").await?;
    }
    events::cluster(
        &mut tx,
        events::CLUSTER_CREATED,
        &scope,
        id,
        &ctx.request_id,
    )
    .await?;
    let row = load(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(row.into())
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateClusterRequest,
) -> Result<pb::Cluster> {
    let id = parse_id(&req.id, "cluster")?;
    let mut tx = state.pool.begin().await?;
    load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    let renamed = req.name.as_deref().map(|raw| name(&mut errors, raw));
    let description = req.description.as_deref().map(|raw| {
        text(
            &mut errors,
            "description",
            raw,
            false,
            MAX_DESCRIPTION_CHARS,
        )
    });
    let status = req
        .status
        .as_deref()
        .and_then(|raw| filter_choice(&mut errors, "status", raw, STATUSES));
    if req.status.as_deref().is_some_and(|s| s.trim().is_empty()) {
        errors.add("status", "must be one of new, mapped");
    }
    errors.into_result()?;
    sqlx::query(
        "UPDATE planner.clusters SET name = COALESCE($3, name), name_key = COALESCE($4, name_key), \
         description = COALESCE($5, description), status = COALESCE($6, status), \
         disabled = COALESCE($7, disabled), updated_at = now() WHERE id = $1 AND account_id = $2",
    )
    .bind(id)
    .bind(ctx.account_id()?)
    .bind(renamed.as_ref().map(|(n, _)| n.as_str()))
    .bind(renamed.as_ref().map(|(_, k)| k.as_str()))
    .bind(description)
    .bind(status)
    .bind(req.disabled)
    .execute(&mut *tx)
    .await
    .map_err(duplicate)?;
    let row = load(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Deletes a cluster: its keywords leave it first (mapped ones become new) and its ideas lose
/// the reference, so nothing points at a missing cluster.
pub async fn delete(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<()> {
    let id = parse_id(&req.id, "cluster")?;
    let mut tx = state.pool.begin().await?;
    let row = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    sqlx::query(
        "UPDATE planner.keywords SET cluster_id = NULL, \
             status = CASE WHEN status = 'used' THEN 'used' ELSE 'new' END, updated_at = now() \
         WHERE cluster_id = $1 AND account_id = $2",
    )
    .bind(id)
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE planner.ideas SET cluster_id = NULL, updated_at = now() WHERE cluster_id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM planner.clusters WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    let scope = SectorScope {
        account_id,
        site_id: row.site_id,
        sector_id: row.sector_id,
    };
    events::cluster(
        &mut tx,
        events::CLUSTER_DELETED,
        &scope,
        id,
        &ctx.request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn assign_keywords(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::AssignKeywordsRequest,
) -> Result<pb::BulkResult> {
    let cluster_id = parse_id(&req.cluster_id, "cluster")?;
    let ids = parse_ids("keyword_ids", &req.keyword_ids)?;
    let mut tx = state.pool.begin().await?;
    let cluster = load(&mut tx, ctx, cluster_id).await?;
    ctx.require_role(Role::Editor)?;
    let scope = SectorScope {
        account_id: ctx.account_id()?,
        site_id: cluster.site_id,
        sector_id: cluster.sector_id,
    };
    let affected = assign(&mut tx, ctx, &scope, cluster_id, &ids, "keyword_ids").await?;
    tx.commit().await?;
    Ok(pb::BulkResult { affected })
}

pub async fn unassign_keywords(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdsRequest,
) -> Result<pb::BulkResult> {
    ctx.require_role(Role::Editor)?;
    let ids = parse_ids("ids", &req.ids)?;
    let affected = sqlx::query(
        "UPDATE planner.keywords SET cluster_id = NULL, \
             status = CASE WHEN status = 'used' THEN 'used' ELSE 'new' END, updated_at = now() \
         WHERE id = ANY($1) AND account_id = $2 AND ($3::uuid IS NULL OR site_id = $3) \
         AND cluster_id IS NOT NULL",
    )
    .bind(&ids)
    .bind(ctx.account_id()?)
    .bind(ctx.site_restriction())
    .execute(&state.pool)
    .await?
    .rows_affected();
    Ok(pb::BulkResult { affected })
}

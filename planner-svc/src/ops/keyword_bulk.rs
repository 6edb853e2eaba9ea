//! Many keywords at once: the plan-limited insert every add path shares, bulk create, update
//! and delete, and CSV import.

use std::collections::HashSet;

use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::planner::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    common::{SectorScope, parse_ids, reference, sector_scope},
    keywords::{check_input, cluster_in_sector},
};
use crate::{
    domain::{
        csv_import::{self, Column, Layout},
        keyword::{KeywordText, STATUSES, choice},
    },
    events,
    state::AppState,
};

/// Most keywords one bulk create may carry (larger sets go through CSV import).
const MAX_BULK_CREATE: usize = 1000;

/// A validated keyword ready to insert.
#[derive(Debug, Clone)]
pub struct NewKeyword {
    pub keyword: KeywordText,
    pub volume: i32,
    pub difficulty: i16,
    pub cpc_micros: i64,
    pub intent: &'static str,
}

/// Inserts `rows` (id, keyword) into one sector in one statement, skipping keywords the sector
/// has; returns how many were created. Fails with PLAN_LIMIT, to be rolled back by the caller,
/// when the account would hold more than its plan's max_keywords.
pub async fn insert_keywords(
    conn: &mut PgConnection,
    state: &AppState,
    ctx: &RequestContext,
    scope: &SectorScope,
    rows: &[(Uuid, NewKeyword)],
    source: &str,
    cluster_id: Option<Uuid>,
) -> Result<u64> {
    // The usage row serialises an account's adds, so two imports cannot both pass the limit.
    sqlx::query(
        "INSERT INTO planner.account_usage (account_id) VALUES ($1) ON CONFLICT DO NOTHING",
    )
    .bind(scope.account_id)
    .execute(&mut *conn)
    .await?;
    let used: i64 = sqlx::query_scalar(
        "SELECT keywords FROM planner.account_usage WHERE account_id = $1 FOR UPDATE",
    )
    .bind(scope.account_id)
    .fetch_one(&mut *conn)
    .await?;
    let mut ids = Vec::with_capacity(rows.len());
    let mut displays = Vec::with_capacity(rows.len());
    let mut keys = Vec::with_capacity(rows.len());
    let mut volumes = Vec::with_capacity(rows.len());
    let mut difficulties = Vec::with_capacity(rows.len());
    let mut cpcs = Vec::with_capacity(rows.len());
    let mut intents = Vec::with_capacity(rows.len());
    for (id, row) in rows {
        ids.push(*id);
        displays.push(row.keyword.display.as_str());
        keys.push(row.keyword.key.as_str());
        volumes.push(row.volume);
        difficulties.push(row.difficulty);
        cpcs.push(row.cpc_micros);
        intents.push(row.intent);
    }
    let status = if cluster_id.is_some() {
        "mapped"
    } else {
        "new"
    };
    let created = sqlx::query(
        "INSERT INTO planner.keywords (id, account_id, site_id, sector_id, keyword, keyword_key, \
             search_volume, difficulty, cpc_micros, intent, status, source, cluster_id) \
         SELECT u.id, $8, $9, $10, u.keyword, u.keyword_key, u.volume, u.difficulty, u.cpc, u.intent, $11, $12, $13 \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::int[], $5::smallint[], $6::bigint[], $7::text[]) \
             AS u (id, keyword, keyword_key, volume, difficulty, cpc, intent) \
         ON CONFLICT ON CONSTRAINT keywords_sector_keyword_key DO NOTHING",
    )
    .bind(&ids)
    .bind(&displays)
    .bind(&keys)
    .bind(&volumes)
    .bind(&difficulties)
    .bind(&cpcs)
    .bind(&intents)
    .bind(scope.account_id)
    .bind(scope.site_id)
    .bind(scope.sector_id)
    .bind(status)
    .bind(source)
    .bind(cluster_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let total = used + created as i64;
    if created == 0 || total <= state.plans.max_keywords(ctx).await? {
        return Ok(created);
    }
    let max_keywords = state.plans.fresh_max_keywords(ctx).await?;
    if total > max_keywords {
        return Err(Error::precondition(
            "PLAN_LIMIT",
            format!(
                "your plan allows {max_keywords} keywords and this would make {total}; upgrade to add more"
            ),
        ));
    }
    Ok(created)
}

/// Drops repeats (ignoring case), keeping the first; returns the rows and how many were dropped.
pub fn dedupe(rows: Vec<NewKeyword>) -> (Vec<(Uuid, NewKeyword)>, u64) {
    let mut seen = HashSet::with_capacity(rows.len());
    let total = rows.len();
    let unique: Vec<(Uuid, NewKeyword)> = rows
        .into_iter()
        .filter(|row| seen.insert(row.keyword.key.clone()))
        .map(|row| (Uuid::now_v7(), row))
        .collect();
    let repeated = (total - unique.len()) as u64;
    (unique, repeated)
}

/// Adds deduplicated rows to a sector and records the bulk event; one transaction.
pub async fn add_many(
    state: &AppState,
    ctx: &RequestContext,
    scope: &SectorScope,
    rows: Vec<NewKeyword>,
    source: &'static str,
) -> Result<pb::KeywordsAdded> {
    // Read (or cache) the plan before taking the account's lock.
    state.plans.max_keywords(ctx).await?;
    let (unique, repeated) = dedupe(rows);
    let mut tx = state.pool.begin().await?;
    let created = insert_keywords(&mut tx, state, ctx, scope, &unique, source, None).await?;
    let skipped = repeated + unique.len() as u64 - created;
    events::keywords_imported(&mut tx, scope, source, created, skipped, &ctx.request_id).await?;
    tx.commit().await?;
    Ok(pb::KeywordsAdded {
        created,
        skipped,
        rejected: 0,
    })
}

pub async fn bulk_create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::BulkCreateKeywordsRequest,
) -> Result<pb::KeywordsAdded> {
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    if req.keywords.is_empty() {
        errors.add("keywords", "this field is required");
    } else if req.keywords.len() > MAX_BULK_CREATE {
        errors.add(
            "keywords",
            format!("at most {MAX_BULK_CREATE} per call; import a CSV file for more"),
        );
    }
    let rows: Vec<NewKeyword> = req
        .keywords
        .iter()
        .take(MAX_BULK_CREATE)
        .enumerate()
        .filter_map(|(i, input)| check_input(&mut errors, &format!("keywords[{i}]."), input))
        .collect();
    errors.into_result()?;
    let scope = sector_scope(state, ctx, &req.site_id, &req.sector_id).await?;
    add_many(state, ctx, &scope, rows, "api").await
}

pub async fn import(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ImportKeywordsRequest,
) -> Result<pb::KeywordsAdded> {
    ctx.require_role(Role::Editor)?;
    let scope = sector_scope(state, ctx, &req.site_id, &req.sector_id).await?;
    let names = [
        (Column::Keyword, req.keyword_column),
        (Column::Volume, req.volume_column),
        (Column::Difficulty, req.difficulty_column),
        (Column::Cpc, req.cpc_column),
        (Column::Intent, req.intent_column),
    ];
    let csv = req.csv;
    // Parsing 50,000 rows takes tens of milliseconds: keep it off the request threads.
    let parsed = tokio::task::spawn_blocking(move || {
        let names: Vec<(Column, &str)> = names.iter().map(|(c, n)| (*c, n.as_str())).collect();
        csv_import::parse(
            &csv,
            &Layout {
                required: &[Column::Keyword],
                optional: &[
                    Column::Volume,
                    Column::Difficulty,
                    Column::Cpc,
                    Column::Intent,
                ],
                names: &names,
            },
        )
    })
    .await
    .map_err(|e| Error::Internal(e.into()))??;
    if parsed.rejected > 0 {
        return Err(Error::Validation(parsed.rejection()));
    }
    let rows = parsed
        .rows
        .into_iter()
        .map(|row| NewKeyword {
            keyword: row.keyword,
            volume: row.volume,
            difficulty: row.difficulty,
            cpc_micros: row.cpc_micros,
            intent: row.intent,
        })
        .collect();
    add_many(state, ctx, &scope, rows, "csv_import").await
}

pub async fn bulk_delete(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdsRequest,
) -> Result<pb::BulkResult> {
    ctx.require_role(Role::Editor)?;
    let ids = parse_ids("ids", &req.ids)?;
    let account_id = ctx.account_id()?;
    let mut tx = state.pool.begin().await?;
    let deleted: Vec<Uuid> = sqlx::query_scalar(
        "DELETE FROM planner.keywords WHERE id = ANY($1) AND account_id = $2 \
         AND ($3::uuid IS NULL OR site_id = $3) RETURNING id",
    )
    .bind(&ids)
    .bind(account_id)
    .bind(ctx.site_restriction())
    .fetch_all(&mut *tx)
    .await?;
    if !deleted.is_empty() {
        events::keywords_deleted(&mut tx, account_id, &deleted, &ctx.request_id).await?;
    }
    tx.commit().await?;
    Ok(pb::BulkResult {
        affected: deleted.len() as u64,
    })
}

pub async fn bulk_update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::BulkUpdateKeywordsRequest,
) -> Result<pb::BulkResult> {
    ctx.require_role(Role::Editor)?;
    let ids = parse_ids("ids", &req.ids)?;
    let mut errors = FieldErrors::new();
    let status = match req.status.as_deref() {
        Some(raw) => {
            let found = choice(raw, STATUSES);
            if found.is_none() {
                errors.add("status", "must be one of new, mapped, used");
            }
            found
        }
        None => None,
    };
    let cluster = req
        .cluster_id
        .as_deref()
        .map(|raw| reference(&mut errors, "cluster_id", raw));
    if status.is_none() && req.disabled.is_none() && req.cluster_id.is_none() && errors.is_empty() {
        errors.add(
            "status",
            "give at least one of status, disabled, cluster_id",
        );
    }
    errors.into_result()?;
    match (status, cluster) {
        (Some("new"), Some(Some(_))) => {
            return Err(FieldErrors::single(
                "status",
                "keywords put in a cluster cannot be new",
            ));
        }
        (Some("mapped"), Some(None)) => {
            return Err(FieldErrors::single(
                "status",
                "keywords taken out of their cluster cannot be mapped",
            ));
        }
        _ => {}
    }
    let account_id = ctx.account_id()?;
    let restriction = ctx.site_restriction();
    let mut tx = state.pool.begin().await?;
    let target = match cluster {
        Some(Some(cluster_id)) => {
            let sector: Option<Uuid> = sqlx::query_scalar(
                "SELECT sector_id FROM planner.clusters WHERE id = $1 AND account_id = $2 \
                 AND ($3::uuid IS NULL OR site_id = $3)",
            )
            .bind(cluster_id)
            .bind(account_id)
            .bind(restriction)
            .fetch_optional(&mut *tx)
            .await?;
            let sector =
                sector.ok_or_else(|| FieldErrors::single("cluster_id", "no such cluster"))?;
            let elsewhere: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM planner.keywords WHERE id = ANY($1) AND account_id = $2 \
                 AND ($3::uuid IS NULL OR site_id = $3) AND sector_id <> $4",
            )
            .bind(&ids)
            .bind(account_id)
            .bind(restriction)
            .bind(sector)
            .fetch_one(&mut *tx)
            .await?;
            if elsewhere > 0 {
                return Err(FieldErrors::single(
                    "cluster_id",
                    format!("the cluster is in another sector than {elsewhere} of the keywords"),
                ));
            }
            Some(Some(
                cluster_in_sector(&mut tx, account_id, sector, cluster_id, "cluster_id").await?,
            ))
        }
        other => other,
    };
    if status == Some("mapped") && target.is_none() {
        let unclustered: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM planner.keywords WHERE id = ANY($1) AND account_id = $2 \
             AND ($3::uuid IS NULL OR site_id = $3) AND cluster_id IS NULL",
        )
        .bind(&ids)
        .bind(account_id)
        .bind(restriction)
        .fetch_one(&mut *tx)
        .await?;
        if unclustered > 0 {
            return Err(FieldErrors::single(
                "status",
                format!("{unclustered} of the keywords are in no cluster and cannot be mapped"),
            ));
        }
    }
    // $4: change the cluster? $5: the new cluster; "new" also takes keywords out of clusters.
    let set_cluster = target.is_some() || status == Some("new");
    let new_cluster = target.flatten();
    let affected = sqlx::query(
        "UPDATE planner.keywords SET \
             cluster_id = CASE WHEN $4 THEN $5 ELSE cluster_id END, \
             status = COALESCE($6, CASE WHEN NOT $4 OR status = 'used' THEN status \
                                        WHEN $5::uuid IS NULL THEN 'new' ELSE 'mapped' END), \
             disabled = COALESCE($7, disabled), updated_at = now() \
         WHERE id = ANY($1) AND account_id = $2 AND ($3::uuid IS NULL OR site_id = $3)",
    )
    .bind(&ids)
    .bind(account_id)
    .bind(restriction)
    .bind(set_cluster)
    .bind(new_cluster)
    .bind(status)
    .bind(req.disabled)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(pb::BulkResult { affected })
}

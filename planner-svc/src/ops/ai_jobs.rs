//! What ai-svc reads and writes in the planner, with a service token acting for an account:
//! keywords and cluster contexts as prompt inputs, and the results of clustering and idea
//! jobs, applied once per job id.

use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
};

use igny8_platform::{
    Error, RequestContext, Result,
    applied_jobs::{self, claim, decode, remember},
    error::FieldErrors,
    grpc::forward,
};
use igny8_proto::{auth::v1 as auth, planner::v1 as pb};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    clusters::{self, ClusterRow, MAX_DESCRIPTION_CHARS},
    common::{SectorScope, parse_ids},
    ideas::{self, IDEA_COLUMNS, IDEA_FROM, IdeaInput, IdeaRow, NewIdea},
    keywords::{KEYWORD_COLUMNS, KEYWORD_FROM, KeywordRow},
};
use crate::{domain::idea::text, events, state::AppState};

const MAX_KEYWORD_IDS: usize = 500;
const MAX_CLUSTER_IDS: usize = 50;
/// Keywords of one cluster context (the largest by search volume).
const MAX_CONTEXT_KEYWORDS: i64 = 500;
const MAX_CLUSTERS: usize = 100;
const MAX_IDEAS: usize = 100;
/// Kinds of `planner.applied_jobs` rows.
const CLUSTERS_JOB: &str = "apply_clusters";
const IDEAS_JOB: &str = "apply_ideas";

/// `ideas[i].cluster_id` for every index a call may hold, so a NotFound can name its field.
static IDEA_CLUSTER_FIELDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    (0..MAX_IDEAS)
        .map(|i| format!("ideas[{i}].cluster_id"))
        .collect()
});

/// A required id field: blank or malformed is a violation on `field`.
fn required_id(errors: &mut FieldErrors, field: &str, value: &str) -> Option<Uuid> {
    match value.trim() {
        "" => {
            errors.add(field, "this field is required");
            None
        }
        raw => raw.parse().map_or_else(
            |_| {
                errors.add(field, "must be a valid id");
                None
            },
            Some,
        ),
    }
}

/// Between one and `max` items on `field`.
fn count_within(errors: &mut FieldErrors, field: &str, count: usize, max: usize) {
    if count == 0 {
        errors.add(field, "this field is required");
    } else if count > max {
        errors.add(field, format!("at most {max} per call"));
    }
}

/// The ids asked for (at most `max`), in the order asked, duplicates dropped.
fn ids_within(values: &[String], max: usize) -> Result<Vec<Uuid>> {
    if values.len() > max {
        return Err(FieldErrors::single(
            "ids",
            format!("at most {max} ids per call"),
        ));
    }
    parse_ids("ids", values)
}

pub async fn get_keywords_by_ids(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdsRequest,
) -> Result<pb::KeywordsById> {
    ctx.service()?;
    let ids = ids_within(&req.ids, MAX_KEYWORD_IDS)?;
    let rows: Vec<KeywordRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {KEYWORD_COLUMNS} {KEYWORD_FROM} WHERE k.id = ANY($1) AND k.account_id = $2 \
         ORDER BY array_position($1, k.id)"
    )))
    .bind(&ids)
    .bind(ctx.account_id()?)
    .fetch_all(&state.pool)
    .await?;
    if rows.len() < ids.len() {
        return Err(Error::NotFound("keyword"));
    }
    Ok(pb::KeywordsById {
        keywords: rows.into_iter().map(Into::into).collect(),
    })
}

pub async fn get_cluster_contexts(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdsRequest,
) -> Result<pb::ClusterContexts> {
    ctx.service()?;
    let ids = ids_within(&req.ids, MAX_CLUSTER_IDS)?;
    let account_id = ctx.account_id()?;
    let mut conn = state.pool.acquire().await?;
    let found: Vec<ClusterRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM planner.clusters c WHERE c.id = ANY($1) AND c.account_id = $2 \
         ORDER BY array_position($1, c.id)",
        clusters::columns()
    )))
    .bind(&ids)
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    if found.len() < ids.len() {
        return Err(Error::NotFound("cluster"));
    }
    // Each cluster's largest keywords, through the cluster index, one query for all.
    let rows: Vec<KeywordRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {KEYWORD_COLUMNS} FROM unnest($1::uuid[]) AS x (cluster_id) \
         CROSS JOIN LATERAL (SELECT * FROM planner.keywords WHERE cluster_id = x.cluster_id \
             AND account_id = $2 ORDER BY search_volume DESC, id LIMIT $3) k \
         LEFT JOIN planner.clusters c ON c.id = k.cluster_id \
         ORDER BY k.search_volume DESC, k.id"
    )))
    .bind(&ids)
    .bind(account_id)
    .bind(MAX_CONTEXT_KEYWORDS)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_cluster: HashMap<Uuid, Vec<pb::Keyword>> = HashMap::new();
    for row in rows {
        if let Some(cluster_id) = row.cluster_id {
            by_cluster.entry(cluster_id).or_default().push(row.into());
        }
    }
    let clusters = found
        .into_iter()
        .map(|row| {
            let cluster = pb::Cluster::from(row);
            let keywords = cluster
                .id
                .parse()
                .ok()
                .and_then(|id| by_cluster.remove(&id))
                .unwrap_or_default();
            pb::ClusterContext {
                cluster: Some(cluster),
                keywords,
            }
        })
        .collect();
    Ok(pb::ClusterContexts { clusters })
}

/// A proposed cluster, validated.
struct Proposed {
    name: String,
    key: String,
    description: String,
    keyword_ids: Vec<Uuid>,
}

fn check_cluster(errors: &mut FieldErrors, i: usize, raw: &pb::ProposedCluster) -> Proposed {
    let field = |name: &str| format!("clusters[{i}].{name}");
    let (name, key) = clusters::checked_name(errors, &field("name"), &raw.name);
    let description = text(
        errors,
        &field("description"),
        &raw.description,
        false,
        MAX_DESCRIPTION_CHARS,
    );
    let mut keyword_ids = Vec::with_capacity(raw.keyword_ids.len());
    if raw.keyword_ids.len() > MAX_KEYWORD_IDS {
        errors.add(
            field("keyword_ids"),
            format!("at most {MAX_KEYWORD_IDS} ids per cluster"),
        );
    } else {
        for value in &raw.keyword_ids {
            match value.trim().parse() {
                Ok(id) => keyword_ids.push(id),
                Err(_) => {
                    errors.add(field("keyword_ids"), format!("{value:?} is not a valid id"));
                }
            }
        }
    }
    Proposed {
        name,
        key,
        description,
        keyword_ids,
    }
}

/// The sector a job's clusters go to: its site from auth-svc, then the scope check every
/// create makes (NotFound unless the caller's account owns both).
async fn job_sector(
    state: &AppState,
    ctx: &RequestContext,
    sector_id: Uuid,
) -> Result<SectorScope> {
    let request = auth::IdRequest {
        id: sector_id.to_string(),
    };
    let sector = state
        .auth
        .clone()
        .get_sector(forward(request, ctx))
        .await
        .map_err(|status| match status.code() {
            tonic::Code::NotFound => Error::NotFound("sector"),
            code => {
                tracing::warn!(?code, "reading the job's sector failed");
                Error::Unavailable("the tenancy check is unavailable; try again".into())
            }
        })?
        .into_inner();
    let site_id = sector
        .site_id
        .parse()
        .map_err(|_| Error::Internal(anyhow::anyhow!("auth-svc answered a malformed site id")))?;
    let resolved = state.scopes.resolve(ctx, site_id, Some(sector_id)).await?;
    Ok(SectorScope {
        account_id: resolved.account_id,
        site_id,
        sector_id,
    })
}

/// The sector's cluster of that name (ignoring case), created when missing; with its stored
/// name and whether it existed.
async fn find_or_create_cluster(
    conn: &mut PgConnection,
    scope: &SectorScope,
    proposed: &Proposed,
    request_id: &str,
) -> Result<(Uuid, String, bool)> {
    let id = Uuid::now_v7();
    // A concurrent job creating the same name makes this wait, then do nothing.
    let created: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO planner.clusters (id, account_id, site_id, sector_id, name, name_key, description) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT ON CONSTRAINT clusters_sector_name_key DO NOTHING RETURNING id",
    )
    .bind(id)
    .bind(scope.account_id)
    .bind(scope.site_id)
    .bind(scope.sector_id)
    .bind(&proposed.name)
    .bind(&proposed.key)
    .bind(&proposed.description)
    .fetch_optional(&mut *conn)
    .await?;
    if created.is_some() {
        events::cluster(conn, events::CLUSTER_CREATED, scope, id, request_id).await?;
        return Ok((id, proposed.name.clone(), false));
    }
    let (existing, name): (Uuid, String) = sqlx::query_as(
        "SELECT id, name FROM planner.clusters \
         WHERE account_id = $1 AND site_id = $2 AND sector_id = $3 AND name_key = $4",
    )
    .bind(scope.account_id)
    .bind(scope.site_id)
    .bind(scope.sector_id)
    .bind(&proposed.key)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| {
        Error::conflict(
            "CLUSTER_CHANGED",
            "a cluster of that name changed meanwhile; try again",
        )
    })?;
    Ok((existing, name, true))
}

pub async fn apply_clusters(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ApplyClustersRequest,
) -> Result<pb::ApplyClustersResponse> {
    ctx.service()?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let job_id = required_id(&mut errors, "job_id", &req.job_id);
    let sector_id = required_id(&mut errors, "sector_id", &req.sector_id);
    count_within(&mut errors, "clusters", req.clusters.len(), MAX_CLUSTERS);
    let proposed: Vec<Proposed> = req
        .clusters
        .iter()
        .enumerate()
        .map(|(i, raw)| check_cluster(&mut errors, i, raw))
        .collect();
    errors.into_result()?;
    let (Some(job_id), Some(sector_id)) = (job_id, sector_id) else {
        return Err(FieldErrors::single("job_id", "this field is required"));
    };
    if let Some(stored) =
        applied_jobs::stored(&state.pool, account_id, CLUSTERS_JOB, job_id).await?
    {
        return decode(&stored);
    }
    let scope = job_sector(state, ctx, sector_id).await?;
    let mut tx = state.pool.begin().await?;
    if let Some(stored) = claim(&mut tx, account_id, CLUSTERS_JOB, job_id).await? {
        return decode(&stored);
    }
    // Two proposals of one name share a cluster; a keyword goes to the first that names it.
    let mut by_key: HashMap<String, (Uuid, String, bool)> = HashMap::new();
    let mut taken = HashSet::new();
    let mut applied = Vec::with_capacity(proposed.len());
    for cluster in proposed {
        let (cluster_id, name, reused) = match by_key.get(&cluster.key) {
            Some(found) => found.clone(),
            None => {
                let found =
                    find_or_create_cluster(&mut tx, &scope, &cluster, &ctx.request_id).await?;
                by_key.insert(cluster.key.clone(), found.clone());
                found
            }
        };
        let ids: Vec<Uuid> = cluster
            .keyword_ids
            .into_iter()
            .filter(|id| taken.insert(*id))
            .collect();
        let assigned = if ids.is_empty() {
            0
        } else {
            clusters::assign_in_sector(&mut tx, &scope, cluster_id, &ids).await?
        };
        applied.push(pb::AppliedCluster {
            cluster_id: cluster_id.to_string(),
            name,
            reused,
            keywords_assigned: u32::try_from(assigned).unwrap_or(u32::MAX),
        });
    }
    let response = pb::ApplyClustersResponse { clusters: applied };
    remember(&mut tx, account_id, CLUSTERS_JOB, job_id, &response).await?;
    tx.commit().await?;
    Ok(response)
}

/// Validates one proposed idea; violations are named `ideas[i].<field>`.
fn check_idea(
    errors: &mut FieldErrors,
    i: usize,
    raw: &pb::ProposedIdea,
) -> (Option<Uuid>, NewIdea) {
    let cluster_id = required_id(errors, &format!("ideas[{i}].cluster_id"), &raw.cluster_id);
    let mut own = FieldErrors::new();
    let new = ideas::check_new(
        &mut own,
        &IdeaInput {
            title: &raw.title,
            description: &raw.description,
            outline: &raw.outline,
            target_keywords: &raw.target_keywords,
            content_type: &raw.content_type,
            content_structure: &raw.content_structure,
            estimated_word_count: raw.estimated_word_count,
        },
    );
    for (field, messages) in own.0 {
        for message in messages {
            errors.add(format!("ideas[{i}].{field}"), message);
        }
    }
    (cluster_id, new)
}

pub async fn apply_ideas(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ApplyIdeasRequest,
) -> Result<pb::ApplyIdeasResponse> {
    ctx.service()?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let job_id = required_id(&mut errors, "job_id", &req.job_id);
    count_within(&mut errors, "ideas", req.ideas.len(), MAX_IDEAS);
    let checked: Vec<(Option<Uuid>, NewIdea)> = req
        .ideas
        .iter()
        .enumerate()
        .map(|(i, raw)| check_idea(&mut errors, i, raw))
        .collect();
    errors.into_result()?;
    let Some(job_id) = job_id else {
        return Err(FieldErrors::single("job_id", "this field is required"));
    };
    if let Some(stored) = applied_jobs::stored(&state.pool, account_id, IDEAS_JOB, job_id).await? {
        return decode(&stored);
    }
    let mut tx = state.pool.begin().await?;
    if let Some(stored) = claim(&mut tx, account_id, IDEAS_JOB, job_id).await? {
        return decode(&stored);
    }
    let mut cluster_ids: Vec<Uuid> = Vec::new();
    for id in checked.iter().filter_map(|(id, _)| *id) {
        if !cluster_ids.contains(&id) {
            cluster_ids.push(id);
        }
    }
    let scopes: HashMap<Uuid, SectorScope> = sqlx::query_as::<_, (Uuid, Uuid, Uuid)>(
        "SELECT id, site_id, sector_id FROM planner.clusters WHERE id = ANY($1) AND account_id = $2",
    )
    .bind(&cluster_ids)
    .bind(account_id)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(id, site_id, sector_id)| {
        let scope = SectorScope {
            account_id,
            site_id,
            sector_id,
        };
        (id, scope)
    })
    .collect();
    let mut created = Vec::with_capacity(checked.len());
    for (i, (cluster_id, new)) in checked.iter().enumerate() {
        let cluster_id = cluster_id.unwrap_or_default();
        let scope = scopes
            .get(&cluster_id)
            .ok_or_else(|| Error::NotFound(IDEA_CLUSTER_FIELDS[i].as_str()))?;
        created.push(ideas::insert(&mut tx, scope, Some(cluster_id), new, &ctx.request_id).await?);
    }
    ideas::map_clusters(&mut tx, &cluster_ids).await?;
    let rows: Vec<IdeaRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {IDEA_COLUMNS} {IDEA_FROM} WHERE i.id = ANY($1) AND i.account_id = $2 \
         ORDER BY array_position($1, i.id)"
    )))
    .bind(&created)
    .bind(account_id)
    .fetch_all(&mut *tx)
    .await?;
    let response = pb::ApplyIdeasResponse {
        ideas: rows.into_iter().map(Into::into).collect(),
    };
    remember(&mut tx, account_id, IDEAS_JOB, job_id, &response).await?;
    tx.commit().await?;
    Ok(response)
}

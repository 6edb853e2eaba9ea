//! Content ideas: the row and CRUD (lists in `idea_lists`, queueing to the writer in `queue`).

use chrono::{DateTime, Utc};
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::planner::v1 as pb;
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use super::{
    common::{SectorScope, parse_id, parse_ids, reference, sector_scope, ts},
    keywords::cluster_in_sector,
};
use crate::{
    domain::{
        idea::{
            self, CONTENT_STRUCTURES, CONTENT_TYPES, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS,
            Section,
        },
        keyword::choice,
    },
    events,
    state::AppState,
};

#[derive(sqlx::FromRow)]
pub struct IdeaRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Uuid,
    pub title: String,
    pub description: String,
    pub outline: Json<Vec<Section>>,
    pub target_keywords: Vec<String>,
    pub cluster_id: Option<Uuid>,
    pub cluster_name: Option<String>,
    pub content_type: String,
    pub content_structure: String,
    pub estimated_word_count: i32,
    pub status: String,
    pub disabled: bool,
    pub writer_task_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn sections_to_pb(sections: Vec<Section>) -> Vec<pb::OutlineSection> {
    sections
        .into_iter()
        .map(|s| pb::OutlineSection {
            heading: s.heading,
            covers: s.covers,
            keywords: s.keywords,
        })
        .collect()
}

impl From<IdeaRow> for pb::Idea {
    fn from(i: IdeaRow) -> Self {
        Self {
            id: i.id.to_string(),
            site_id: i.site_id.to_string(),
            sector_id: i.sector_id.to_string(),
            title: i.title,
            description: i.description,
            outline: sections_to_pb(i.outline.0),
            target_keywords: i.target_keywords,
            cluster_id: i.cluster_id.map(|id| id.to_string()).unwrap_or_default(),
            cluster_name: i.cluster_name.unwrap_or_default(),
            content_type: i.content_type,
            content_structure: i.content_structure,
            estimated_word_count: i.estimated_word_count.max(0) as u32,
            status: i.status,
            disabled: i.disabled,
            writer_task_id: i
                .writer_task_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            created_at: Some(ts(i.created_at)),
            updated_at: Some(ts(i.updated_at)),
        }
    }
}

pub const IDEA_COLUMNS: &str = "i.id, i.site_id, i.sector_id, i.title, i.description, i.outline, \
     i.target_keywords, i.cluster_id, c.name AS cluster_name, i.content_type, i.content_structure, \
     i.estimated_word_count, i.status, i.disabled, i.writer_task_id, i.created_at, i.updated_at";
pub const IDEA_FROM: &str =
    "FROM planner.ideas i LEFT JOIN planner.clusters c ON c.id = i.cluster_id";

async fn load(conn: &mut PgConnection, ctx: &RequestContext, id: Uuid) -> Result<IdeaRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {IDEA_COLUMNS} {IDEA_FROM} WHERE i.id = $1 AND i.account_id = $2 \
         AND ($3::uuid IS NULL OR i.site_id = $3)"
    )))
    .bind(id)
    .bind(ctx.account_id()?)
    .bind(ctx.site_restriction())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("idea"))
}

pub async fn get(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<pb::Idea> {
    let id = parse_id(&req.id, "idea")?;
    let mut conn = state.pool.acquire().await?;
    Ok(load(&mut conn, ctx, id).await?.into())
}

/// A cluster for an idea of `sector_id`; the cluster is then mapped (it has ideas).
async fn attach_cluster(
    conn: &mut PgConnection,
    account_id: Uuid,
    sector_id: Uuid,
    id: Uuid,
) -> Result<Uuid> {
    let id = cluster_in_sector(conn, account_id, sector_id, id, "cluster_id").await?;
    map_clusters(conn, &[id]).await?;
    Ok(id)
}

/// Clusters that have ideas are mapped.
pub async fn map_clusters(conn: &mut PgConnection, ids: &[Uuid]) -> Result<()> {
    sqlx::query("UPDATE planner.clusters SET status = 'mapped', updated_at = now() WHERE id = ANY($1) AND status = 'new'")
        .bind(ids)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A new idea's content, validated.
pub struct NewIdea {
    pub title: String,
    pub description: String,
    pub outline: Vec<Section>,
    pub keywords: Vec<String>,
    pub content_type: &'static str,
    pub content_structure: &'static str,
    pub word_count: i32,
}

/// The fields of a new idea as a request states them.
pub struct IdeaInput<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub outline: &'a [pb::OutlineSection],
    pub target_keywords: &'a [String],
    pub content_type: &'a str,
    pub content_structure: &'a str,
    pub estimated_word_count: u32,
}

/// Validates a new idea; violations are named as the request fields.
pub fn check_new(errors: &mut FieldErrors, input: &IdeaInput<'_>) -> NewIdea {
    NewIdea {
        title: idea::text(errors, "title", input.title, true, MAX_TITLE_CHARS),
        description: idea::text(
            errors,
            "description",
            input.description,
            false,
            MAX_DESCRIPTION_CHARS,
        ),
        outline: idea::outline(errors, input.outline),
        keywords: idea::target_keywords(errors, input.target_keywords),
        content_type: idea::choice_or(
            errors,
            "content_type",
            input.content_type,
            CONTENT_TYPES,
            "post",
        ),
        content_structure: idea::choice_or(
            errors,
            "content_structure",
            input.content_structure,
            CONTENT_STRUCTURES,
            "article",
        ),
        word_count: idea::word_count(errors, input.estimated_word_count),
    }
}

/// Inserts a new idea (status new) into `scope`, with its `idea.created` event.
pub async fn insert(
    conn: &mut PgConnection,
    scope: &SectorScope,
    cluster_id: Option<Uuid>,
    new: &NewIdea,
    request_id: &str,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO planner.ideas (id, account_id, site_id, sector_id, title, title_key, description, outline, \
             target_keywords, cluster_id, content_type, content_structure, estimated_word_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id)
    .bind(scope.account_id)
    .bind(scope.site_id)
    .bind(scope.sector_id)
    .bind(&new.title)
    .bind(new.title.to_lowercase())
    .bind(&new.description)
    .bind(Json(&new.outline))
    .bind(&new.keywords)
    .bind(cluster_id)
    .bind(new.content_type)
    .bind(new.content_structure)
    .bind(new.word_count)
    .execute(&mut *conn)
    .await?;
    events::idea(conn, events::IDEA_CREATED, scope, id, request_id).await?;
    Ok(id)
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateIdeaRequest,
) -> Result<pb::Idea> {
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    let new = check_new(
        &mut errors,
        &IdeaInput {
            title: &req.title,
            description: &req.description,
            outline: &req.outline,
            target_keywords: &req.target_keywords,
            content_type: &req.content_type,
            content_structure: &req.content_structure,
            estimated_word_count: req.estimated_word_count,
        },
    );
    let cluster = reference(&mut errors, "cluster_id", &req.cluster_id);
    errors.into_result()?;
    let scope = sector_scope(state, ctx, &req.site_id, &req.sector_id).await?;
    let mut tx = state.pool.begin().await?;
    let cluster_id = match cluster {
        Some(id) => Some(attach_cluster(&mut tx, scope.account_id, scope.sector_id, id).await?),
        None => None,
    };
    let id = insert(&mut tx, &scope, cluster_id, &new, &ctx.request_id).await?;
    let row = load(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(row.into())
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateIdeaRequest,
) -> Result<pb::Idea> {
    let id = parse_id(&req.id, "idea")?;
    let mut tx = state.pool.begin().await?;
    let current = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    let title = req
        .title
        .as_deref()
        .map(|t| idea::text(&mut errors, "title", t, true, MAX_TITLE_CHARS));
    let description = req
        .description
        .as_deref()
        .map(|d| idea::text(&mut errors, "description", d, false, MAX_DESCRIPTION_CHARS));
    let outline = req
        .outline
        .as_ref()
        .map(|o| idea::outline(&mut errors, &o.sections));
    let keywords = req
        .target_keywords
        .as_ref()
        .map(|k| idea::target_keywords(&mut errors, &k.values));
    let content_type = req
        .content_type
        .as_deref()
        .map(|v| idea::choice_or(&mut errors, "content_type", v, CONTENT_TYPES, "post"));
    let content_structure = req.content_structure.as_deref().map(|v| {
        idea::choice_or(
            &mut errors,
            "content_structure",
            v,
            CONTENT_STRUCTURES,
            "article",
        )
    });
    let word_count = req
        .estimated_word_count
        .map(|w| idea::word_count(&mut errors, w));
    let status = match req.status.as_deref().map(str::trim) {
        None => None,
        Some("queued") => {
            errors.add("status", "ideas are queued through bulk_queue_to_writer");
            None
        }
        Some(raw) => {
            let found = choice(raw, &["new", "completed"]);
            if found.is_none() {
                errors.add("status", "must be one of new, completed");
            }
            found
        }
    };
    let cluster = req
        .cluster_id
        .as_deref()
        .map(|raw| reference(&mut errors, "cluster_id", raw));
    errors.into_result()?;
    let account_id = ctx.account_id()?;
    let cluster_id = match cluster {
        Some(Some(cid)) if Some(cid) == current.cluster_id => Some(cid),
        Some(Some(cid)) => Some(attach_cluster(&mut tx, account_id, current.sector_id, cid).await?),
        Some(None) => None,
        None => current.cluster_id,
    };
    sqlx::query(
        "UPDATE planner.ideas SET title = COALESCE($3, title), title_key = COALESCE(lower($3), title_key), \
         description = COALESCE($4, description), outline = COALESCE($5, outline), \
         target_keywords = COALESCE($6, target_keywords), cluster_id = $7, \
         content_type = COALESCE($8, content_type), content_structure = COALESCE($9, content_structure), \
         estimated_word_count = COALESCE($10, estimated_word_count), status = COALESCE($11, status), \
         disabled = COALESCE($12, disabled), updated_at = now() WHERE id = $1 AND account_id = $2",
    )
    .bind(id)
    .bind(account_id)
    .bind(title)
    .bind(description)
    .bind(outline.as_ref().map(Json))
    .bind(keywords)
    .bind(cluster_id)
    .bind(content_type)
    .bind(content_structure)
    .bind(word_count)
    .bind(status)
    .bind(req.disabled)
    .execute(&mut *tx)
    .await?;
    let row = load(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(row.into())
}

pub async fn delete(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<()> {
    let id = parse_id(&req.id, "idea")?;
    let mut tx = state.pool.begin().await?;
    let row = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    sqlx::query("DELETE FROM planner.ideas WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    let scope = SectorScope {
        account_id,
        site_id: row.site_id,
        sector_id: row.sector_id,
    };
    events::idea(&mut tx, events::IDEA_DELETED, &scope, id, &ctx.request_id).await?;
    tx.commit().await?;
    Ok(())
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
    let deleted: Vec<(Uuid, Uuid, Uuid)> = sqlx::query_as(
        "DELETE FROM planner.ideas WHERE id = ANY($1) AND account_id = $2 \
         AND ($3::uuid IS NULL OR site_id = $3) RETURNING id, site_id, sector_id",
    )
    .bind(&ids)
    .bind(account_id)
    .bind(ctx.site_restriction())
    .fetch_all(&mut *tx)
    .await?;
    for (id, site_id, sector_id) in &deleted {
        let scope = SectorScope {
            account_id,
            site_id: *site_id,
            sector_id: *sector_id,
        };
        events::idea(&mut tx, events::IDEA_DELETED, &scope, *id, &ctx.request_id).await?;
    }
    tx.commit().await?;
    Ok(pb::BulkResult {
        affected: deleted.len() as u64,
    })
}

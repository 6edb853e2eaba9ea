//! Keywords of a sector: the row as answered, and create, read, update, delete of one.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::planner::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    common::{parse_id, reference, sector_scope, ts},
    keyword_bulk::{NewKeyword, insert_keywords},
};
use crate::{
    domain::keyword::{
        INTENTS, KeywordText, STATUSES, check_difficulty, check_volume, choice, format_cpc,
        parse_cpc_micros, parse_intent,
    },
    events,
    state::AppState,
};

#[derive(sqlx::FromRow)]
pub struct KeywordRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Uuid,
    pub keyword: String,
    pub search_volume: i32,
    pub difficulty: i16,
    pub cpc_micros: i64,
    pub intent: String,
    pub status: String,
    pub source: String,
    pub cluster_id: Option<Uuid>,
    pub cluster_name: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<KeywordRow> for pb::Keyword {
    fn from(k: KeywordRow) -> Self {
        Self {
            id: k.id.to_string(),
            site_id: k.site_id.to_string(),
            sector_id: k.sector_id.to_string(),
            keyword: k.keyword,
            search_volume: k.search_volume.max(0) as u32,
            difficulty: k.difficulty.max(0) as u32,
            cpc: format_cpc(k.cpc_micros),
            intent: k.intent,
            status: k.status,
            source: k.source,
            cluster_id: k.cluster_id.map(|id| id.to_string()).unwrap_or_default(),
            cluster_name: k.cluster_name.unwrap_or_default(),
            disabled: k.disabled,
            created_at: Some(ts(k.created_at)),
            updated_at: Some(ts(k.updated_at)),
        }
    }
}

/// Columns of [`KeywordRow`] over `planner.keywords k LEFT JOIN planner.clusters c`.
pub const KEYWORD_COLUMNS: &str = "k.id, k.site_id, k.sector_id, k.keyword, k.search_volume, \
     k.difficulty, k.cpc_micros, k.intent, k.status, k.source, k.cluster_id, \
     c.name AS cluster_name, k.disabled, k.created_at, k.updated_at";
pub const KEYWORD_FROM: &str =
    "FROM planner.keywords k LEFT JOIN planner.clusters c ON c.id = k.cluster_id";

/// One keyword the caller may see.
pub async fn load(conn: &mut PgConnection, ctx: &RequestContext, id: Uuid) -> Result<KeywordRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {KEYWORD_COLUMNS} {KEYWORD_FROM} \
         WHERE k.id = $1 AND k.account_id = $2 AND ($3::uuid IS NULL OR k.site_id = $3)"
    )))
    .bind(id)
    .bind(ctx.account_id()?)
    .bind(ctx.site_restriction())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("keyword"))
}

/// A cluster of `sector_id` in the caller's account, else a field error on `field`.
pub async fn cluster_in_sector(
    conn: &mut PgConnection,
    account_id: Uuid,
    sector_id: Uuid,
    cluster_id: Uuid,
    field: &str,
) -> Result<Uuid> {
    sqlx::query_scalar(
        "SELECT id FROM planner.clusters WHERE id = $1 AND account_id = $2 AND sector_id = $3",
    )
    .bind(cluster_id)
    .bind(account_id)
    .bind(sector_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| FieldErrors::single(field, "no such cluster in this sector"))
}

pub async fn get(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdRequest,
) -> Result<pb::Keyword> {
    let id = parse_id(&req.id, "keyword")?;
    let mut conn = state.pool.acquire().await?;
    Ok(load(&mut conn, ctx, id).await?.into())
}

/// Validates API input of one keyword; violations are named `<prefix>field`.
pub fn check_input(
    errors: &mut FieldErrors,
    prefix: &str,
    input: &pb::KeywordInput,
) -> Option<NewKeyword> {
    let mut field = |name: &str, result: Result<(), &'static str>| {
        if let Err(message) = result {
            errors.add(format!("{prefix}{name}"), message);
        }
    };
    let keyword = KeywordText::parse(&input.keyword);
    field("keyword", keyword.as_ref().map(|_| ()).map_err(|m| *m));
    let volume = check_volume(input.search_volume);
    field("search_volume", volume.map(|_| ()));
    let difficulty = check_difficulty(input.difficulty);
    field("difficulty", difficulty.map(|_| ()));
    let cpc = parse_cpc_micros(&input.cpc);
    field("cpc", cpc.map(|_| ()));
    let intent = parse_intent(&input.intent);
    field("intent", intent.map(|_| ()));
    Some(NewKeyword {
        keyword: keyword.ok()?,
        volume: volume.ok()?,
        difficulty: difficulty.ok()?,
        cpc_micros: cpc.ok()?,
        intent: intent.ok()?,
    })
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateKeywordRequest,
) -> Result<pb::Keyword> {
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    let input = req.keyword.unwrap_or_default();
    let keyword = check_input(&mut errors, "", &input);
    let cluster = reference(&mut errors, "cluster_id", &req.cluster_id);
    errors.into_result()?;
    let Some(keyword) = keyword else {
        return Err(FieldErrors::single("keyword", "is invalid"));
    };
    let scope = sector_scope(state, ctx, &req.site_id, &req.sector_id).await?;
    state.plans.max_keywords(ctx).await?;
    let mut tx = state.pool.begin().await?;
    let cluster_id = match cluster {
        Some(id) => Some(
            cluster_in_sector(&mut tx, scope.account_id, scope.sector_id, id, "cluster_id").await?,
        ),
        None => None,
    };
    let id = Uuid::now_v7();
    let created = insert_keywords(
        &mut tx,
        state,
        ctx,
        &scope,
        &[(id, keyword)],
        "manual",
        cluster_id,
    )
    .await?;
    if created == 0 {
        return Err(Error::already_exists(
            "DUPLICATE_KEYWORD",
            "this sector already has that keyword",
        ));
    }
    events::keyword(
        &mut tx,
        events::KEYWORD_CREATED,
        &scope,
        id,
        &ctx.request_id,
    )
    .await?;
    let row = load(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// The status a keyword ends in when its cluster becomes `cluster` (used is kept).
pub fn status_for_cluster(current: &str, cluster: Option<Uuid>) -> &'static str {
    match (current, cluster) {
        ("used", _) => "used",
        (_, Some(_)) => "mapped",
        (_, None) => "new",
    }
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateKeywordRequest,
) -> Result<pb::Keyword> {
    let id = parse_id(&req.id, "keyword")?;
    let mut tx = state.pool.begin().await?;
    let current = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    let mut report = |field: &str, message: &'static str| {
        errors.add(field, message);
    };
    let keyword = match req.keyword.as_deref().map(KeywordText::parse) {
        Some(Err(m)) => {
            report("keyword", m);
            None
        }
        other => other.and_then(Result::ok),
    };
    let volume = req
        .search_volume
        .map(check_volume)
        .transpose()
        .unwrap_or_else(|m| {
            report("search_volume", m);
            None
        });
    let difficulty = req
        .difficulty
        .map(check_difficulty)
        .transpose()
        .unwrap_or_else(|m| {
            report("difficulty", m);
            None
        });
    let cpc = req
        .cpc
        .as_deref()
        .map(parse_cpc_micros)
        .transpose()
        .unwrap_or_else(|m| {
            report("cpc", m);
            None
        });
    let intent = match req.intent.as_deref() {
        Some(raw) if choice(raw, INTENTS).is_none() => {
            report(
                "intent",
                "must be informational, commercial, transactional or navigational",
            );
            None
        }
        Some(raw) => choice(raw, INTENTS),
        None => None,
    };
    let status = match req.status.as_deref() {
        Some(raw) if choice(raw, STATUSES).is_none() => {
            report("status", "must be one of new, mapped, used");
            None
        }
        Some(raw) => choice(raw, STATUSES),
        None => None,
    };
    let cluster = req
        .cluster_id
        .as_deref()
        .map(|raw| reference(&mut errors, "cluster_id", raw));
    errors.into_result()?;
    let account_id = ctx.account_id()?;
    let cluster_id = match cluster {
        Some(Some(id)) => {
            Some(cluster_in_sector(&mut tx, account_id, current.sector_id, id, "cluster_id").await?)
        }
        Some(None) => None,
        None if status == Some("new") => None,
        None => current.cluster_id,
    };
    let status = match status {
        Some("mapped") if cluster_id.is_none() => {
            return Err(FieldErrors::single(
                "status",
                "a keyword in no cluster cannot be mapped",
            ));
        }
        Some("new") if cluster_id.is_some() => {
            return Err(FieldErrors::single(
                "status",
                "a keyword in a cluster cannot be new",
            ));
        }
        Some(status) => status,
        None => status_for_cluster(&current.status, cluster_id),
    };
    let updated = sqlx::query(
        "UPDATE planner.keywords SET keyword = COALESCE($3, keyword), keyword_key = COALESCE($4, keyword_key), \
         search_volume = COALESCE($5, search_volume), difficulty = COALESCE($6, difficulty), \
         cpc_micros = COALESCE($7, cpc_micros), intent = COALESCE($8, intent), status = $9, \
         cluster_id = $10, disabled = COALESCE($11, disabled), updated_at = now() \
         WHERE id = $1 AND account_id = $2",
    )
    .bind(id)
    .bind(account_id)
    .bind(keyword.as_ref().map(|k| k.display.as_str()))
    .bind(keyword.as_ref().map(|k| k.key.as_str()))
    .bind(volume)
    .bind(difficulty)
    .bind(cpc)
    .bind(intent)
    .bind(status)
    .bind(cluster_id)
    .bind(req.disabled)
    .execute(&mut *tx)
    .await;
    match updated {
        Err(err)
            if igny8_platform::error::is_unique_violation(&err, "keywords_sector_keyword_key") =>
        {
            return Err(Error::already_exists(
                "DUPLICATE_KEYWORD",
                "this sector already has that keyword",
            ));
        }
        other => other?,
    };
    let row = load(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(row.into())
}

pub async fn delete(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<()> {
    let id = parse_id(&req.id, "keyword")?;
    let mut tx = state.pool.begin().await?;
    let row = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    sqlx::query("DELETE FROM planner.keywords WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(ctx.account_id()?)
        .execute(&mut *tx)
        .await?;
    let scope = super::common::SectorScope {
        account_id: ctx.account_id()?,
        site_id: row.site_id,
        sector_id: row.sector_id,
    };
    events::keyword(
        &mut tx,
        events::KEYWORD_DELETED,
        &scope,
        id,
        &ctx.request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

//! Listing and deleting content.

use igny8_platform::{RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::{common::v1::Empty, writer::v1 as pb};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::{
    common::{Page, counted, list_scope, order_by, parse_id},
    content::{ContentRow, columns, load, with_terms},
    taxonomies::like_escape,
};
use crate::{
    domain::{ContentSource, ContentStatus, ContentStructure, ContentType, SiteStatus, validate},
    events::{self, Scoped},
    state::AppState,
};

const ORDERING: &[(&str, &str)] = &[
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
    ("title", "title"),
    ("word_count", "word_count"),
    ("status", "status"),
    ("site_status", "site_status"),
    ("scheduled_publish_at", "scheduled_publish_at"),
];

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListContentRequest,
) -> Result<pb::ContentList> {
    let mut errors = FieldErrors::new();
    let page = Page::from_request(req.page.as_ref())?;
    let order = order_by(&mut errors, &req.ordering, ORDERING, "-created_at");
    let status = validate::filter_choice(
        &mut errors,
        "status",
        &req.status,
        ContentStatus::parse,
        ContentStatus::choices,
    );
    let site_status = validate::filter_choice(
        &mut errors,
        "site_status",
        &req.site_status,
        SiteStatus::parse,
        SiteStatus::choices,
    );
    let source = validate::filter_choice(
        &mut errors,
        "source",
        &req.source,
        ContentSource::parse,
        ContentSource::choices,
    );
    let content_type = validate::filter_choice(
        &mut errors,
        "content_type",
        &req.content_type,
        ContentType::parse,
        ContentType::choices,
    );
    let structure = validate::filter_choice(
        &mut errors,
        "content_structure",
        &req.content_structure,
        ContentStructure::parse,
        ContentStructure::choices,
    );
    let cluster = validate::optional_id(&mut errors, "cluster_id", &req.cluster_id);
    let task = validate::optional_id(&mut errors, "task_id", &req.task_id);
    let term = validate::optional_id(&mut errors, "taxonomy_term_id", &req.taxonomy_term_id);
    let scope = list_scope(state, ctx, &mut errors, &req.site_id, &req.sector_id).await?;
    errors.into_result()?;
    let search = req.search.trim();
    let filtered = status.is_some()
        || site_status.is_some()
        || source.is_some()
        || content_type.is_some()
        || structure.is_some()
        || cluster.is_some()
        || task.is_some()
        || term.is_some()
        || !search.is_empty();
    let filters = |qb: &mut QueryBuilder<Postgres>| {
        qb.push(" WHERE true");
        scope.push(qb);
        let equal: [(&str, Option<&'static str>); 5] = [
            ("status", status.map(ContentStatus::as_str)),
            ("site_status", site_status.map(SiteStatus::as_str)),
            ("source", source.map(ContentSource::as_str)),
            ("content_type", content_type.map(ContentType::as_str)),
            ("content_structure", structure.map(ContentStructure::as_str)),
        ];
        for (column, value) in equal {
            if let Some(value) = value {
                qb.push(format!(" AND {column} = ")).push_bind(value);
            }
        }
        if let Some(cluster) = cluster {
            qb.push(" AND cluster_id = ").push_bind(cluster);
        }
        if let Some(task) = task {
            qb.push(" AND task_id = ").push_bind(task);
        }
        if let Some(term) = term {
            qb.push(" AND id IN (SELECT content_id FROM writer.content_terms WHERE taxonomy_id = ")
                .push_bind(term)
                .push(")");
        }
        if !search.is_empty() {
            let pattern = format!("%{}%", like_escape(search));
            qb.push(" AND (title ILIKE ")
                .push_bind(pattern.clone())
                .push(" OR primary_keyword ILIKE ")
                .push_bind(pattern)
                .push(")");
        }
    };
    let mut conn = state.pool.acquire().await?;
    let mut qb = QueryBuilder::new(format!(
        "SELECT {} FROM writer.content",
        columns(req.include_body)
    ));
    filters(&mut qb);
    qb.push(&order);
    page.push(&mut qb);
    let rows: Vec<ContentRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let count = if filtered {
        let mut qb = QueryBuilder::new("SELECT count(*) FROM writer.content");
        filters(&mut qb);
        qb.build_query_scalar().fetch_one(&mut *conn).await?
    } else {
        counted(&mut conn, "content", &scope).await?
    };
    Ok(pb::ContentList {
        items: with_terms(&mut conn, rows).await?,
        page: Some(page.info(count)),
    })
}

pub async fn delete(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<Empty> {
    let id = parse_id(&req.id, "content")?;
    let mut tx = state.pool.begin().await?;
    let current = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    sqlx::query("DELETE FROM writer.content WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    events::content(
        &mut tx,
        events::CONTENT_DELETED,
        current.scoped(),
        id,
        current.task_id,
        0,
        &ctx.request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(Empty {})
}

/// Deletes the caller's content among `ids` (others are skipped); images and versions go too.
pub async fn bulk_delete(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::BulkIdsRequest,
) -> Result<pb::BulkResult> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let ids = validate::bulk_ids(&mut errors, "ids", &req.ids);
    errors.into_result()?;
    let mut tx = state.pool.begin().await?;
    let deleted: Vec<(Uuid, Uuid, Uuid, Option<Uuid>)> = sqlx::query_as(
        "DELETE FROM writer.content WHERE id = ANY($1) AND account_id = $2 AND ($3::uuid IS NULL OR site_id = $3) \
         RETURNING id, site_id, sector_id, task_id",
    )
    .bind(&ids)
    .bind(account_id)
    .bind(ctx.site_restriction())
    .fetch_all(&mut *tx)
    .await?;
    for (id, site_id, sector_id, task_id) in &deleted {
        let scope = Scoped {
            account_id,
            site_id: *site_id,
            sector_id: *sector_id,
        };
        events::content(
            &mut tx,
            events::CONTENT_DELETED,
            scope,
            *id,
            *task_id,
            0,
            &ctx.request_id,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(pb::BulkResult {
        affected: deleted.len() as u64,
    })
}

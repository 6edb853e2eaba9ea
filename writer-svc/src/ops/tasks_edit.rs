//! Changing and listing tasks: list with filters, update, delete, status moves, and the
//! prompt context for services.

use igny8_platform::{RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::{common::v1::Empty, writer::v1 as pb};
use sqlx::{PgConnection, Postgres, QueryBuilder, types::Json};

use super::{
    common::{Page, counted, list_scope, order_by, parse_id},
    tasks::{COLUMNS, TaskRow, load, outline, word_count},
    taxonomies::{self, like_escape},
};
use crate::{
    domain::{ContentStructure, ContentType, TaskStatus, validate},
    events,
    state::AppState,
};

const ORDERING: &[(&str, &str)] = &[
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
    ("title", "title"),
    ("status", "status"),
    ("target_word_count", "target_word_count"),
    ("content_type", "content_type"),
];

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListTasksRequest,
) -> Result<pb::TaskList> {
    let mut errors = FieldErrors::new();
    let page = Page::from_request(req.page.as_ref())?;
    let order = order_by(&mut errors, &req.ordering, ORDERING, "-created_at");
    let status = validate::filter_choice(
        &mut errors,
        "status",
        &req.status,
        TaskStatus::parse,
        TaskStatus::choices,
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
    let idea = validate::optional_id(&mut errors, "idea_id", &req.idea_id);
    let scope = list_scope(state, ctx, &mut errors, &req.site_id, &req.sector_id).await?;
    errors.into_result()?;
    let search = req.search.trim();
    let filtered = status.is_some()
        || content_type.is_some()
        || structure.is_some()
        || cluster.is_some()
        || idea.is_some()
        || !search.is_empty();
    let filters = |qb: &mut QueryBuilder<Postgres>| {
        qb.push(" WHERE true");
        scope.push(qb);
        if let Some(status) = status {
            qb.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(kind) = content_type {
            qb.push(" AND content_type = ").push_bind(kind.as_str());
        }
        if let Some(structure) = structure {
            qb.push(" AND content_structure = ")
                .push_bind(structure.as_str());
        }
        if let Some(cluster) = cluster {
            qb.push(" AND cluster_id = ").push_bind(cluster);
        }
        if let Some(idea) = idea {
            qb.push(" AND idea_id = ").push_bind(idea);
        }
        if !search.is_empty() {
            let pattern = format!("%{}%", like_escape(search));
            qb.push(" AND (title ILIKE ")
                .push_bind(pattern.clone())
                .push(" OR primary_keyword ILIKE ")
                .push_bind(pattern.clone())
                .push(" OR array_to_string(secondary_keywords, ' ') ILIKE ")
                .push_bind(pattern)
                .push(")");
        }
    };
    let mut conn = state.pool.acquire().await?;
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM writer.tasks"));
    filters(&mut qb);
    qb.push(&order);
    page.push(&mut qb);
    let rows: Vec<TaskRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let count = if filtered {
        let mut qb = QueryBuilder::new("SELECT count(*) FROM writer.tasks");
        filters(&mut qb);
        qb.build_query_scalar().fetch_one(&mut *conn).await?
    } else {
        counted(&mut conn, "tasks", &scope).await?
    };
    Ok(pb::TaskList {
        tasks: rows.into_iter().map(Into::into).collect(),
        page: Some(page.info(count)),
    })
}

/// Sets a task's status, publishing the change (no event when it stays the same).
pub async fn set_status(
    conn: &mut PgConnection,
    task: &TaskRow,
    to: TaskStatus,
    request_id: &str,
) -> Result<()> {
    if task.status == to.as_str() {
        return Ok(());
    }
    sqlx::query("UPDATE writer.tasks SET status = $2, updated_at = now() WHERE id = $1")
        .bind(task.id)
        .bind(to.as_str())
        .execute(&mut *conn)
        .await?;
    events::task_status(
        conn,
        task.scoped(),
        task.id,
        task.idea_id,
        (&task.status, to.as_str()),
        request_id,
    )
    .await
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateTaskRequest,
) -> Result<pb::Task> {
    let id = parse_id(&req.id, "task")?;
    let mut tx = state.pool.begin().await?;
    let current = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    let title = req
        .title
        .as_deref()
        .map(|v| validate::line(&mut errors, "title", v, true, validate::MAX_TITLE));
    let brief = req
        .brief
        .as_deref()
        .map(|v| validate::text(&mut errors, "brief", v, validate::MAX_TEXT));
    let cluster = req
        .cluster_id
        .as_deref()
        .map(|v| validate::optional_id(&mut errors, "cluster_id", v));
    let primary = req.primary_keyword.as_deref().map(|v| {
        validate::line(
            &mut errors,
            "primary_keyword",
            v,
            false,
            validate::MAX_SHORT,
        )
    });
    let secondary = req
        .secondary_keywords
        .as_ref()
        .map(|v| validate::keywords(&mut errors, "secondary_keywords", &v.values));
    let content_type = req.content_type.as_deref().and_then(|v| {
        validate::choice(
            &mut errors,
            "content_type",
            v,
            None,
            ContentType::parse,
            ContentType::choices,
        )
    });
    let structure = req.content_structure.as_deref().and_then(|v| {
        validate::choice(
            &mut errors,
            "content_structure",
            v,
            None,
            ContentStructure::parse,
            ContentStructure::choices,
        )
    });
    let target = req
        .target_word_count
        .map(|v| word_count(&mut errors, "target_word_count", v));
    let term = req
        .taxonomy_term_id
        .as_deref()
        .map(|v| validate::optional_id(&mut errors, "taxonomy_term_id", v));
    let status = req.status.as_deref().and_then(|v| {
        validate::choice(
            &mut errors,
            "status",
            v,
            None,
            TaskStatus::parse,
            TaskStatus::choices,
        )
    });
    let sections = req
        .outline
        .as_ref()
        .map(|o| outline(&mut errors, "outline", &o.sections));
    if let Some(Some(term)) = term {
        taxonomies::terms_of_site(
            &mut tx,
            &mut errors,
            "taxonomy_term_id",
            current.account_id,
            current.site_id,
            &[term],
        )
        .await?;
    }
    errors.into_result()?;
    sqlx::query(
        "UPDATE writer.tasks SET title = COALESCE($2, title), brief = COALESCE($3, brief), \
         cluster_id = CASE WHEN $4 THEN $5 ELSE cluster_id END, \
         primary_keyword = COALESCE($6, primary_keyword), secondary_keywords = COALESCE($7, secondary_keywords), \
         content_type = COALESCE($8, content_type), content_structure = COALESCE($9, content_structure), \
         target_word_count = COALESCE($10, target_word_count), \
         taxonomy_term_id = CASE WHEN $11 THEN $12 ELSE taxonomy_term_id END, \
         outline = COALESCE($13, outline), updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(title)
    .bind(brief)
    .bind(cluster.is_some())
    .bind(cluster.flatten())
    .bind(primary)
    .bind(secondary)
    .bind(content_type.map(ContentType::as_str))
    .bind(structure.map(ContentStructure::as_str))
    .bind(target)
    .bind(term.is_some())
    .bind(term.flatten())
    .bind(sections.map(Json))
    .execute(&mut *tx)
    .await?;
    events::task(
        &mut tx,
        events::TASK_UPDATED,
        current.scoped(),
        id,
        current.idea_id,
        &ctx.request_id,
    )
    .await?;
    if let Some(status) = status {
        set_status(&mut tx, &current, status, &ctx.request_id).await?;
    }
    let row = load(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(row.into())
}

pub async fn delete(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<Empty> {
    let id = parse_id(&req.id, "task")?;
    let mut tx = state.pool.begin().await?;
    let current = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    sqlx::query("DELETE FROM writer.tasks WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    events::task(
        &mut tx,
        events::TASK_DELETED,
        current.scoped(),
        id,
        current.idea_id,
        &ctx.request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(Empty {})
}

/// What a content prompt needs about a task (platform services only).
pub async fn context(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdRequest,
) -> Result<pb::TaskContext> {
    ctx.service()?;
    let id = parse_id(&req.id, "task")?;
    let mut conn = state.pool.acquire().await?;
    let task = load(&mut conn, ctx, id).await?;
    let term = match task.taxonomy_term_id {
        Some(term) => Some(taxonomies::load(&mut conn, ctx, term).await?.into()),
        None => None,
    };
    Ok(pb::TaskContext {
        task: Some(task.into()),
        taxonomy_term: term,
    })
}

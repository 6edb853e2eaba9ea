//! Tasks in bulk: CreateTasks (idempotent per idea), bulk delete and bulk update.

use std::collections::HashSet;

use igny8_platform::{RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::writer::v1 as pb;
use uuid::Uuid;

use super::{
    tasks::{self, RawTask},
    taxonomies,
};
use crate::{
    domain::{TaskStatus, validate},
    events::{self, Scoped},
    state::AppState,
};

/// One task per idea; an idea that has a task already gets that task back (created = false).
pub async fn create_tasks(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateTasksRequest,
) -> Result<pb::CreateTasksResponse> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    if req.tasks.is_empty() {
        errors.add("tasks", "this field is required");
    } else if req.tasks.len() > validate::MAX_BULK {
        errors.add(
            "tasks",
            format!("at most {} tasks per request", validate::MAX_BULK),
        );
    }
    let mut items = Vec::with_capacity(req.tasks.len());
    for (i, item) in req.tasks.iter().enumerate() {
        let prefix = format!("tasks[{i}].");
        if item.idea_id.trim().is_empty() {
            errors.add(format!("{prefix}idea_id"), "this field is required");
        }
        let task = tasks::validate_new(
            &mut errors,
            &prefix,
            RawTask {
                title: &item.title,
                brief: &item.brief,
                cluster_id: &item.cluster_id,
                idea_id: &item.idea_id,
                primary_keyword: &item.primary_keyword,
                secondary_keywords: &item.secondary_keywords,
                content_type: &item.content_type,
                content_structure: &item.content_structure,
                target_word_count: item.target_word_count,
                taxonomy_term_id: &item.taxonomy_term_id,
                outline: &item.outline,
                status: "",
            },
        );
        let site = validate::required_id(&mut errors, &format!("{prefix}site_id"), &item.site_id);
        let sector =
            validate::required_id(&mut errors, &format!("{prefix}sector_id"), &item.sector_id);
        items.push((site, sector, task));
    }
    std::mem::take(&mut errors).into_result()?;
    // Each distinct site/sector is checked once (a batch usually shares one).
    let mut checked: HashSet<(Uuid, Uuid)> = HashSet::new();
    for (site, sector, _) in &items {
        if let (Some(site), Some(sector)) = (site, sector)
            && checked.insert((*site, *sector))
        {
            state.scopes.resolve(ctx, *site, Some(*sector)).await?;
        }
    }
    let mut tx = state.pool.begin().await?;
    for (i, (site, _, task)) in items.iter().enumerate() {
        if let (Some(site), Some(term)) = (site, task.taxonomy_term_id) {
            taxonomies::terms_of_site(
                &mut tx,
                &mut errors,
                &format!("tasks[{i}].taxonomy_term_id"),
                account_id,
                *site,
                &[term],
            )
            .await?;
        }
    }
    errors.into_result()?;
    let mut created = Vec::with_capacity(items.len());
    for (site, sector, task) in &items {
        let (Some(site_id), Some(sector_id), Some(idea_id)) = (*site, *sector, task.idea_id) else {
            continue;
        };
        let scope = Scoped {
            account_id,
            site_id,
            sector_id,
        };
        let (task_id, is_new) = match tasks::insert(&mut tx, scope, task, &ctx.request_id).await? {
            Some(id) => (id, true),
            None => {
                let id: Uuid = sqlx::query_scalar(
                    "SELECT id FROM writer.tasks WHERE account_id = $1 AND idea_id = $2",
                )
                .bind(account_id)
                .bind(idea_id)
                .fetch_one(&mut *tx)
                .await?;
                (id, false)
            }
        };
        created.push(pb::CreatedTask {
            idea_id: idea_id.to_string(),
            task_id: task_id.to_string(),
            created: is_new,
        });
    }
    tx.commit().await?;
    Ok(pb::CreateTasksResponse { tasks: created })
}

#[derive(sqlx::FromRow)]
struct Touched {
    id: Uuid,
    site_id: Uuid,
    sector_id: Uuid,
    idea_id: Option<Uuid>,
    old_status: String,
    status: String,
}

/// Deletes the caller's tasks among `ids` (others are skipped).
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
    let deleted: Vec<Touched> = sqlx::query_as(
        "DELETE FROM writer.tasks WHERE id = ANY($1) AND account_id = $2 AND ($3::uuid IS NULL OR site_id = $3) \
         RETURNING id, site_id, sector_id, idea_id, status AS old_status, status",
    )
    .bind(&ids)
    .bind(account_id)
    .bind(ctx.site_restriction())
    .fetch_all(&mut *tx)
    .await?;
    for row in &deleted {
        let scope = Scoped {
            account_id,
            site_id: row.site_id,
            sector_id: row.sector_id,
        };
        events::task(
            &mut tx,
            events::TASK_DELETED,
            scope,
            row.id,
            row.idea_id,
            &ctx.request_id,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(pb::BulkResult {
        affected: deleted.len() as u64,
    })
}

/// Sets status and/or cluster on the caller's tasks among `ids`.
pub async fn bulk_update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::BulkUpdateTasksRequest,
) -> Result<pb::BulkResult> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let ids = validate::bulk_ids(&mut errors, "ids", &req.ids);
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
    let cluster = req
        .cluster_id
        .as_deref()
        .map(|v| validate::optional_id(&mut errors, "cluster_id", v));
    if req.status.is_none() && req.cluster_id.is_none() {
        errors.add("status", "give status or cluster_id to change");
    }
    errors.into_result()?;
    let mut tx = state.pool.begin().await?;
    let touched: Vec<Touched> = sqlx::query_as(
        "UPDATE writer.tasks t SET status = COALESCE($4, t.status), \
         cluster_id = CASE WHEN $5 THEN $6 ELSE t.cluster_id END, updated_at = now() \
         FROM (SELECT id, status FROM writer.tasks WHERE id = ANY($1) AND account_id = $2 \
               AND ($3::uuid IS NULL OR site_id = $3) FOR UPDATE) o \
         WHERE t.id = o.id \
         RETURNING t.id, t.site_id, t.sector_id, t.idea_id, o.status AS old_status, t.status",
    )
    .bind(&ids)
    .bind(account_id)
    .bind(ctx.site_restriction())
    .bind(status.map(TaskStatus::as_str))
    .bind(cluster.is_some())
    .bind(cluster.flatten())
    .fetch_all(&mut *tx)
    .await?;
    for row in &touched {
        let scope = Scoped {
            account_id,
            site_id: row.site_id,
            sector_id: row.sector_id,
        };
        events::task(
            &mut tx,
            events::TASK_UPDATED,
            scope,
            row.id,
            row.idea_id,
            &ctx.request_id,
        )
        .await?;
        if row.old_status != row.status {
            events::task_status(
                &mut tx,
                scope,
                row.id,
                row.idea_id,
                (&row.old_status, &row.status),
                &ctx.request_id,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(pb::BulkResult {
        affected: touched.len() as u64,
    })
}

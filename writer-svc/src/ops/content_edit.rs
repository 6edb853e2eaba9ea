//! Changing content: field edits (each change of title or body is a new version), the
//! editorial workflow, scheduling, and version history with restore.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::writer::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    common::{Page, from_ts, parse_id, ts},
    content::{self, ContentRow, MAX_META_DESCRIPTION, Version},
    taxonomies,
};
use crate::{
    domain::{ContentStatus, ContentStructure, ContentType, SiteStatus, validate},
    events,
    state::AppState,
};

/// Writes a new title and/or body as the next version; nothing when both are unchanged.
/// Returns the version current afterwards.
pub async fn write_text(
    conn: &mut PgConnection,
    ctx: &RequestContext,
    current: &ContentRow,
    title: Option<&str>,
    body: Option<(&str, i32)>,
    reason: &'static str,
    restored_from: Option<i32>,
) -> Result<i32> {
    let title = title.unwrap_or(&current.title);
    let (body_html, word_count) = body.unwrap_or((&current.body_html, current.word_count));
    if title == current.title && body_html == current.body_html && restored_from.is_none() {
        return Ok(current.version);
    }
    let number = current.version + 1;
    sqlx::query(
        "UPDATE writer.content SET title = $2, body_html = $3, word_count = $4, version = $5, updated_at = now() \
         WHERE id = $1",
    )
    .bind(current.id)
    .bind(title)
    .bind(body_html)
    .bind(word_count)
    .bind(number)
    .execute(&mut *conn)
    .await?;
    let version = Version {
        number,
        title,
        body_html,
        word_count,
        reason,
        restored_from,
    };
    content::record_version(conn, ctx, current.account_id, current.id, version).await?;
    Ok(number)
}

/// Moves the editorial status; INVALID_TRANSITION (409) when the workflow does not allow it.
pub async fn move_status(
    conn: &mut PgConnection,
    current: &ContentRow,
    to: ContentStatus,
    request_id: &str,
) -> Result<()> {
    let from = current.status();
    if from == to {
        return Ok(());
    }
    if !from.can_move_to(to) {
        return Err(Error::precondition(
            "INVALID_TRANSITION",
            format!(
                "content cannot move from {} to {}",
                from.as_str(),
                to.as_str()
            ),
        ));
    }
    sqlx::query("UPDATE writer.content SET status = $2, updated_at = now() WHERE id = $1")
        .bind(current.id)
        .bind(to.as_str())
        .execute(&mut *conn)
        .await?;
    let key = events::CONTENT_STATUS_CHANGED;
    events::content_status(
        conn,
        key,
        current.scoped(),
        current.id,
        (from.as_str(), to.as_str()),
        request_id,
    )
    .await
}

/// Moves the publishing status (with the schedule time for `scheduled`).
pub async fn move_site_status(
    conn: &mut PgConnection,
    current: &ContentRow,
    to: SiteStatus,
    scheduled_at: Option<DateTime<Utc>>,
    request_id: &str,
) -> Result<()> {
    let from = current.site_status();
    if !from.can_move_to(to) {
        return Err(Error::precondition(
            "INVALID_TRANSITION",
            format!(
                "publishing status cannot move from {} to {}",
                from.as_str(),
                to.as_str()
            ),
        ));
    }
    sqlx::query(
        "UPDATE writer.content SET site_status = $2, \
         scheduled_publish_at = CASE WHEN $2 = 'scheduled' THEN $3 WHEN $2 = 'not_published' THEN NULL \
                                     ELSE scheduled_publish_at END, \
         updated_at = now() WHERE id = $1",
    )
    .bind(current.id)
    .bind(to.as_str())
    .bind(scheduled_at)
    .execute(&mut *conn)
    .await?;
    if from != to {
        let key = events::CONTENT_PUBLISHING_STATUS_CHANGED;
        events::content_status(
            conn,
            key,
            current.scoped(),
            current.id,
            (from.as_str(), to.as_str()),
            request_id,
        )
        .await?;
    }
    Ok(())
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateContentRequest,
) -> Result<pb::Content> {
    let id = parse_id(&req.id, "content")?;
    let mut tx = state.pool.begin().await?;
    let current = content::load_locked(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    let title = req
        .title
        .as_deref()
        .map(|v| validate::line(&mut errors, "title", v, true, validate::MAX_TITLE));
    let body = req
        .body_html
        .as_deref()
        .map(|v| content::body(&mut errors, "body_html", v));
    let meta_title = req
        .meta_title
        .as_deref()
        .map(|v| validate::line(&mut errors, "meta_title", v, false, validate::MAX_SHORT));
    let meta_description = req
        .meta_description
        .as_deref()
        .map(|v| validate::text(&mut errors, "meta_description", v, MAX_META_DESCRIPTION));
    let excerpt = req
        .excerpt
        .as_deref()
        .map(|v| validate::text(&mut errors, "excerpt", v, validate::MAX_TEXT));
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
    let terms: Option<Vec<Uuid>> = req.taxonomy_term_ids.as_ref().map(|list| {
        list.ids
            .iter()
            .filter_map(|v| validate::optional_id(&mut errors, "taxonomy_term_ids", v))
            .collect()
    });
    let cluster = req
        .cluster_id
        .as_deref()
        .map(|v| validate::optional_id(&mut errors, "cluster_id", v));
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
    let status = req.status.as_deref().and_then(|v| {
        validate::choice(
            &mut errors,
            "status",
            v,
            None,
            ContentStatus::parse,
            ContentStatus::choices,
        )
    });
    let schedule = match &req.scheduled_publish_at {
        Some(at) => match from_ts(at) {
            Some(at) if at > Utc::now() => Some(at),
            Some(_) => {
                errors.add("scheduled_publish_at", "must be in the future");
                None
            }
            None => {
                errors.add("scheduled_publish_at", "is not a valid time");
                None
            }
        },
        None => None,
    };
    if schedule.is_some() && req.clear_schedule {
        errors.add(
            "clear_schedule",
            "cannot be combined with scheduled_publish_at",
        );
    }
    if let Some(terms) = &terms {
        taxonomies::terms_of_site(
            &mut tx,
            &mut errors,
            "taxonomy_term_ids",
            current.account_id,
            current.site_id,
            terms,
        )
        .await?;
    }
    errors.into_result()?;
    let body_ref = body.as_ref().map(|(html, words)| (html.as_str(), *words));
    let version = write_text(
        &mut tx,
        ctx,
        &current,
        title.as_deref(),
        body_ref,
        "edit",
        None,
    )
    .await?;
    sqlx::query(
        "UPDATE writer.content SET meta_title = COALESCE($2, meta_title), \
         meta_description = COALESCE($3, meta_description), excerpt = COALESCE($4, excerpt), \
         primary_keyword = COALESCE($5, primary_keyword), secondary_keywords = COALESCE($6, secondary_keywords), \
         cluster_id = CASE WHEN $7 THEN $8 ELSE cluster_id END, content_type = COALESCE($9, content_type), \
         content_structure = COALESCE($10, content_structure), updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(meta_title)
    .bind(meta_description)
    .bind(excerpt)
    .bind(primary)
    .bind(secondary)
    .bind(cluster.is_some())
    .bind(cluster.flatten())
    .bind(content_type.map(ContentType::as_str))
    .bind(structure.map(ContentStructure::as_str))
    .execute(&mut *tx)
    .await?;
    if let Some(terms) = &terms {
        content::set_terms(&mut tx, current.account_id, id, terms).await?;
    }
    events::content(
        &mut tx,
        events::CONTENT_UPDATED,
        current.scoped(),
        id,
        current.task_id,
        version,
        &ctx.request_id,
    )
    .await?;
    if let Some(status) = status {
        move_status(&mut tx, &current, status, &ctx.request_id).await?;
    }
    let editorial = status.unwrap_or_else(|| current.status());
    if let Some(at) = schedule {
        // Only approved content goes out; scheduling also re-times an existing schedule.
        if editorial != ContentStatus::Approved {
            return Err(Error::precondition(
                "NOT_APPROVED",
                "only approved content can be scheduled",
            ));
        }
        move_site_status(
            &mut tx,
            &current,
            SiteStatus::Scheduled,
            Some(at),
            &ctx.request_id,
        )
        .await?;
    } else if req.clear_schedule && current.site_status() == SiteStatus::Scheduled {
        move_site_status(
            &mut tx,
            &current,
            SiteStatus::NotPublished,
            None,
            &ctx.request_id,
        )
        .await?;
    }
    let content = content::view(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(content)
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i32,
    title: String,
    body_html: String,
    word_count: i32,
    reason: String,
    restored_from: Option<i32>,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl From<VersionRow> for pb::ContentVersion {
    fn from(v: VersionRow) -> Self {
        Self {
            version: v.version.max(0) as u32,
            title: v.title,
            body_html: v.body_html,
            word_count: v.word_count.max(0) as u32,
            reason: v.reason,
            restored_from: v.restored_from.unwrap_or(0).max(0) as u32,
            created_by: v.created_by,
            created_at: Some(ts(v.created_at)),
        }
    }
}

pub async fn versions(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListContentVersionsRequest,
) -> Result<pb::ContentVersionList> {
    let id = parse_id(&req.content_id, "content")?;
    let page = Page::from_request(req.page.as_ref())?;
    let mut conn = state.pool.acquire().await?;
    let current = content::load(&mut conn, ctx, id).await?;
    let rows: Vec<VersionRow> = sqlx::query_as(
        "SELECT version, title, body_html, word_count, reason, restored_from, created_by, created_at \
         FROM writer.content_versions WHERE content_id = $1 AND account_id = $2 \
         ORDER BY version DESC LIMIT $3 OFFSET $4",
    )
    .bind(id)
    .bind(current.account_id)
    .bind(i64::from(page.size))
    .bind(i64::from(page.page - 1) * i64::from(page.size))
    .fetch_all(&mut *conn)
    .await?;
    // Versions are numbered 1..=current without gaps, so the count is the current number.
    Ok(pb::ContentVersionList {
        versions: rows.into_iter().map(Into::into).collect(),
        page: Some(page.info(i64::from(current.version))),
    })
}

pub async fn restore(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::RestoreContentVersionRequest,
) -> Result<pb::Content> {
    let id = parse_id(&req.content_id, "content")?;
    let mut tx = state.pool.begin().await?;
    let current = content::load_locked(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    let old: (String, String, i32) = sqlx::query_as(
        "SELECT title, body_html, word_count FROM writer.content_versions \
         WHERE content_id = $1 AND account_id = $2 AND version = $3",
    )
    .bind(id)
    .bind(current.account_id)
    .bind(i32::try_from(req.version).unwrap_or(i32::MAX))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound("content version"))?;
    let from = Some(req.version as i32);
    let version = write_text(
        &mut tx,
        ctx,
        &current,
        Some(&old.0),
        Some((&old.1, old.2)),
        "restore",
        from,
    )
    .await?;
    let key = events::CONTENT_VERSION_RESTORED;
    events::content(
        &mut tx,
        key,
        current.scoped(),
        id,
        current.task_id,
        version,
        &ctx.request_id,
    )
    .await?;
    let content = content::view(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(content)
}

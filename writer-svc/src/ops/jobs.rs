//! What platform services write back: generated content, image prompts and image results
//! (each idempotent on the AI job's id), publishing status, and the reads they need.

use igny8_platform::{
    RequestContext, Result,
    applied_jobs::{claim, decode, remember},
    error::FieldErrors,
};
use igny8_proto::writer::v1 as pb;
use uuid::Uuid;

use super::{
    common::{from_ts, parse_id},
    content::{self, MAX_META_DESCRIPTION},
    content_edit, images, tasks, tasks_edit, taxonomies,
};
use crate::{
    domain::{ContentStatus, SiteStatus, TaskStatus, TaxonomyType, validate},
    events,
    state::AppState,
};

pub async fn content_context(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdRequest,
) -> Result<pb::ContentContext> {
    ctx.service()?;
    let id = parse_id(&req.id, "content")?;
    let mut conn = state.pool.acquire().await?;
    let item = content::view(&mut conn, ctx, id).await?;
    let task = match item.task_id.parse::<Uuid>() {
        Ok(task_id) => Some(tasks::load(&mut conn, ctx, task_id).await?.into()),
        Err(_) => None,
    };
    let images = images::of_content(&mut conn, ctx.account_id()?, &[id]).await?;
    Ok(pb::ContentContext {
        content: Some(item),
        task,
        images: images.into_iter().map(Into::into).collect(),
    })
}

pub async fn apply_generated_content(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ApplyGeneratedContentRequest,
) -> Result<pb::Content> {
    ctx.service()?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let job_id = validate::required_id(&mut errors, "job_id", &req.job_id);
    let task_id = validate::required_id(&mut errors, "task_id", &req.task_id);
    let title = validate::line(&mut errors, "title", &req.title, true, validate::MAX_TITLE);
    let (body_html, word_count) = content::body(&mut errors, "body_html", &req.body_html);
    if req.body_html.trim().is_empty() {
        errors.add("body_html", "this field is required");
    }
    let meta_title = validate::line(
        &mut errors,
        "meta_title",
        &req.meta_title,
        false,
        validate::MAX_SHORT,
    );
    let meta_description = validate::text(
        &mut errors,
        "meta_description",
        &req.meta_description,
        MAX_META_DESCRIPTION,
    );
    let excerpt = validate::text(&mut errors, "excerpt", &req.excerpt, validate::MAX_TEXT);
    let primary = validate::line(
        &mut errors,
        "primary_keyword",
        &req.primary_keyword,
        false,
        validate::MAX_SHORT,
    );
    let secondary = validate::keywords(&mut errors, "secondary_keywords", &req.secondary_keywords);
    let categories = validate::keywords(&mut errors, "categories", &req.categories);
    let tags = validate::keywords(&mut errors, "tags", &req.tags);
    errors.into_result()?;
    let (Some(job_id), Some(task_id)) = (job_id, task_id) else {
        return Err(FieldErrors::single("job_id", "this field is required"));
    };
    let mut tx = state.pool.begin().await?;
    if let Some(stored) = claim(
        &mut tx,
        account_id,
        &format!("generated_content:{task_id}"),
        job_id,
    )
    .await?
    {
        return decode(&stored);
    }
    // Locks the task so two jobs for one task cannot both create its content.
    sqlx::query("SELECT 1 FROM writer.tasks WHERE id = $1 AND account_id = $2 FOR UPDATE")
        .bind(task_id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    let task = tasks::load(&mut tx, ctx, task_id).await?;
    let primary = if primary.is_empty() {
        task.primary_keyword.clone()
    } else {
        primary
    };
    let secondary = if secondary.is_empty() {
        task.secondary_keywords.clone()
    } else {
        secondary
    };
    let mut term_ids = taxonomies::find_or_create(
        &mut tx,
        account_id,
        task.site_id,
        TaxonomyType::Category,
        &categories,
        &ctx.request_id,
    )
    .await?;
    term_ids.extend(
        taxonomies::find_or_create(
            &mut tx,
            account_id,
            task.site_id,
            TaxonomyType::Tag,
            &tags,
            &ctx.request_id,
        )
        .await?,
    );
    if term_ids.is_empty() {
        term_ids.extend(task.taxonomy_term_id);
    }
    let existing: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM writer.content WHERE task_id = $1 AND account_id = $2 ORDER BY created_at, id LIMIT 1",
    )
    .bind(task_id)
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let content_id = match existing {
        Some(id) => {
            // New text for a task's existing content: the next version, back to draft for review.
            let current = content::load_locked(&mut tx, ctx, id).await?;
            let version = content_edit::write_text(
                &mut tx,
                ctx,
                &current,
                Some(&title),
                Some((&body_html, word_count)),
                "generated",
                None,
            )
            .await?;
            content_edit::move_status(&mut tx, &current, ContentStatus::Draft, &ctx.request_id)
                .await?;
            let key = events::CONTENT_UPDATED;
            events::content(
                &mut tx,
                key,
                current.scoped(),
                id,
                Some(task_id),
                version,
                &ctx.request_id,
            )
            .await?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            sqlx::query(
                "INSERT INTO writer.content (id, account_id, site_id, sector_id, task_id, cluster_id, title, body_html, \
                 word_count, content_type, content_structure, source) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'igny8')",
            )
            .bind(id)
            .bind(account_id)
            .bind(task.site_id)
            .bind(task.sector_id)
            .bind(task_id)
            .bind(task.cluster_id)
            .bind(&title)
            .bind(&body_html)
            .bind(word_count)
            .bind(&task.content_type)
            .bind(&task.content_structure)
            .execute(&mut *tx)
            .await?;
            let version = content::Version {
                number: 1,
                title: &title,
                body_html: &body_html,
                word_count,
                reason: "generated",
                restored_from: None,
            };
            content::record_version(&mut tx, ctx, account_id, id, version).await?;
            events::content(
                &mut tx,
                events::CONTENT_CREATED,
                task.scoped(),
                id,
                Some(task_id),
                1,
                &ctx.request_id,
            )
            .await?;
            id
        }
    };
    sqlx::query(
        "UPDATE writer.content SET meta_title = $2, meta_description = $3, excerpt = $4, primary_keyword = $5, \
         secondary_keywords = $6, updated_at = now() WHERE id = $1",
    )
    .bind(content_id)
    .bind(&meta_title)
    .bind(&meta_description)
    .bind(&excerpt)
    .bind(&primary)
    .bind(&secondary)
    .execute(&mut *tx)
    .await?;
    if !term_ids.is_empty() {
        content::set_terms(&mut tx, account_id, content_id, &term_ids).await?;
    }
    tasks_edit::set_status(&mut tx, &task, TaskStatus::Completed, &ctx.request_id).await?;
    let result = content::view(&mut tx, ctx, content_id).await?;
    remember(
        &mut tx,
        account_id,
        &format!("generated_content:{task_id}"),
        job_id,
        &result,
    )
    .await?;
    tx.commit().await?;
    Ok(result)
}

pub async fn update_publishing_status(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdatePublishingStatusRequest,
) -> Result<pb::Content> {
    ctx.service()?;
    let id = parse_id(&req.content_id, "content")?;
    let mut errors = FieldErrors::new();
    let to = validate::choice(
        &mut errors,
        "site_status",
        &req.site_status,
        None,
        SiteStatus::parse,
        SiteStatus::choices,
    );
    let external_id = validate::line(&mut errors, "external_id", &req.external_id, false, 64);
    let external_url = validate::url(&mut errors, "external_url", &req.external_url);
    let error = validate::text(&mut errors, "error", &req.error, validate::MAX_TEXT);
    let at = req.scheduled_publish_at.as_ref().and_then(from_ts);
    if to == Some(SiteStatus::Scheduled) && at.is_none() {
        errors.add("scheduled_publish_at", "is required for scheduled");
    }
    errors.into_result()?;
    let Some(to) = to else {
        return Err(FieldErrors::single("site_status", "this field is required"));
    };
    let mut tx = state.pool.begin().await?;
    let current = content::load_locked(&mut tx, ctx, id).await?;
    content_edit::move_site_status(&mut tx, &current, to, at, &ctx.request_id).await?;
    sqlx::query(
        "UPDATE writer.content SET external_id = COALESCE($2, external_id), \
         external_url = CASE WHEN $3 = '' THEN external_url ELSE $3 END, \
         published_at = CASE WHEN $4 = 'published' THEN now() ELSE published_at END, \
         publish_error = CASE WHEN $4 = 'failed' THEN $5 WHEN $4 = 'published' THEN '' ELSE publish_error END \
         WHERE id = $1",
    )
    .bind(id)
    .bind((!external_id.is_empty()).then_some(&external_id))
    .bind(&external_url)
    .bind(to.as_str())
    .bind(&error)
    .execute(&mut *tx)
    .await?;
    let result = content::view(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(result)
}

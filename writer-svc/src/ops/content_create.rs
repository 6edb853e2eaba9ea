//! Creating content by hand (or by import): validation, scope from the task, version 1.

use igny8_platform::{RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::writer::v1 as pb;
use uuid::Uuid;

use super::{
    content::{MAX_META_DESCRIPTION, Version, body, record_version, set_terms, view},
    tasks, taxonomies,
};
use crate::{
    domain::{ContentSource, ContentStatus, ContentStructure, ContentType, validate},
    events::{self, Scoped},
    state::AppState,
};

/// Validated optional SEO fields of a create.
struct Seo {
    meta_title: String,
    meta_description: String,
    excerpt: String,
    primary_keyword: String,
    secondary_keywords: Vec<String>,
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateContentRequest,
) -> Result<pb::Content> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let task_id = validate::optional_id(&mut errors, "task_id", &req.task_id);
    let site_id = validate::optional_id(&mut errors, "site_id", &req.site_id);
    let sector_id = validate::optional_id(&mut errors, "sector_id", &req.sector_id);
    let cluster_id = validate::optional_id(&mut errors, "cluster_id", &req.cluster_id);
    let title = validate::line(&mut errors, "title", &req.title, true, validate::MAX_TITLE);
    let (body_html, word_count) = body(&mut errors, "body_html", &req.body_html);
    let seo = Seo {
        meta_title: validate::line(
            &mut errors,
            "meta_title",
            &req.meta_title,
            false,
            validate::MAX_SHORT,
        ),
        meta_description: validate::text(
            &mut errors,
            "meta_description",
            &req.meta_description,
            MAX_META_DESCRIPTION,
        ),
        excerpt: validate::text(&mut errors, "excerpt", &req.excerpt, validate::MAX_TEXT),
        primary_keyword: validate::line(
            &mut errors,
            "primary_keyword",
            &req.primary_keyword,
            false,
            validate::MAX_SHORT,
        ),
        secondary_keywords: validate::keywords(
            &mut errors,
            "secondary_keywords",
            &req.secondary_keywords,
        ),
    };
    let term_ids: Vec<Uuid> = req
        .taxonomy_term_ids
        .iter()
        .filter_map(|v| validate::optional_id(&mut errors, "taxonomy_term_ids", v))
        .collect();
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
    let source = validate::choice(
        &mut errors,
        "source",
        &req.source,
        Some(ContentSource::Igny8),
        ContentSource::parse,
        ContentSource::choices,
    );
    let status = validate::choice(
        &mut errors,
        "status",
        &req.status,
        Some(ContentStatus::Draft),
        ContentStatus::parse,
        ContentStatus::choices,
    );
    if matches!(
        status,
        Some(ContentStatus::Approved | ContentStatus::Published)
    ) {
        errors.add("status", "new content starts as draft or review");
    }
    let external_id = validate::line(&mut errors, "external_id", &req.external_id, false, 64);
    let external_url = validate::url(&mut errors, "external_url", &req.external_url);
    let mut tx = state.pool.begin().await?;
    let task = match task_id {
        Some(id) => Some(tasks::load(&mut tx, ctx, id).await?),
        None => None,
    };
    let scope = match (site_id, sector_id, &task) {
        (None, None, Some(task)) => Some((task.site_id, task.sector_id)),
        (Some(site), Some(sector), _) => {
            state.scopes.resolve(ctx, site, Some(sector)).await?;
            if task
                .as_ref()
                .is_some_and(|t| (t.site_id, t.sector_id) != (site, sector))
            {
                errors.add("task_id", "belongs to another site or sector");
            }
            Some((site, sector))
        }
        _ => {
            if site_id.is_none() {
                errors.add("site_id", "this field is required (or give task_id)");
            }
            if sector_id.is_none() {
                errors.add("sector_id", "this field is required (or give task_id)");
            }
            None
        }
    };
    if let Some((site, _)) = scope {
        taxonomies::terms_of_site(
            &mut tx,
            &mut errors,
            "taxonomy_term_ids",
            account_id,
            site,
            &term_ids,
        )
        .await?;
    }
    errors.into_result()?;
    let Some((site_id, sector_id)) = scope else {
        return Err(FieldErrors::single("site_id", "this field is required"));
    };
    let id = Uuid::now_v7();
    let from_task =
        |pick: fn(&tasks::TaskRow) -> String| task.as_ref().map(pick).unwrap_or_default();
    let primary = if seo.primary_keyword.is_empty() {
        from_task(|t| t.primary_keyword.clone())
    } else {
        seo.primary_keyword
    };
    let secondary = if seo.secondary_keywords.is_empty() {
        task.as_ref()
            .map(|t| t.secondary_keywords.clone())
            .unwrap_or_default()
    } else {
        seo.secondary_keywords
    };
    let content_type = content_type.map_or_else(
        || or(from_task(|t| t.content_type.clone()), "post"),
        |c| c.as_str().to_owned(),
    );
    let structure = structure.map_or_else(
        || or(from_task(|t| t.content_structure.clone()), "article"),
        |c| c.as_str().to_owned(),
    );
    sqlx::query(
        "INSERT INTO writer.content (id, account_id, site_id, sector_id, task_id, cluster_id, title, body_html, \
         word_count, meta_title, meta_description, excerpt, primary_keyword, secondary_keywords, content_type, \
         content_structure, source, status, external_id, external_url) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(id)
    .bind(account_id)
    .bind(site_id)
    .bind(sector_id)
    .bind(task_id)
    .bind(cluster_id.or(task.as_ref().and_then(|t| t.cluster_id)))
    .bind(&title)
    .bind(&body_html)
    .bind(word_count)
    .bind(&seo.meta_title)
    .bind(&seo.meta_description)
    .bind(&seo.excerpt)
    .bind(&primary)
    .bind(&secondary)
    .bind(&content_type)
    .bind(&structure)
    .bind(source.unwrap_or(ContentSource::Igny8).as_str())
    .bind(status.unwrap_or(ContentStatus::Draft).as_str())
    .bind((!external_id.is_empty()).then_some(&external_id))
    .bind(&external_url)
    .execute(&mut *tx)
    .await?;
    set_terms(&mut tx, account_id, id, &term_ids).await?;
    let version = Version {
        number: 1,
        title: &title,
        body_html: &body_html,
        word_count,
        reason: "create",
        restored_from: None,
    };
    record_version(&mut tx, ctx, account_id, id, version).await?;
    let scoped = Scoped {
        account_id,
        site_id,
        sector_id,
    };
    events::content(
        &mut tx,
        events::CONTENT_CREATED,
        scoped,
        id,
        task_id,
        1,
        &ctx.request_id,
    )
    .await?;
    let content = view(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(content)
}

fn or(value: String, default: &str) -> String {
    if value.is_empty() {
        default.to_owned()
    } else {
        value
    }
}

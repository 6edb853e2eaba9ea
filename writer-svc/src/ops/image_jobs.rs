//! Image prompts and image results written by the AI service, each idempotent on its job id.

use std::collections::HashSet;

use igny8_platform::{
    RequestContext, Result,
    applied_jobs::{claim, decode, remember},
    error::FieldErrors,
};
use igny8_proto::writer::v1 as pb;
use uuid::Uuid;

use super::{
    content,
    images::{self, MAX_PROMPT},
};
use crate::{
    domain::{ImageStatus, ImageType, validate},
    events::{self, ImageIds},
    state::AppState,
};

/// Prompts per call: a featured image and a generous number of in-article images.
const MAX_PROMPTS: usize = 50;

struct Prompt {
    kind: ImageType,
    position: i32,
    prompt: String,
    negative: String,
    alt_text: String,
    caption: String,
}

pub async fn apply_prompts(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ApplyImagePromptsRequest,
) -> Result<pb::ImageList> {
    ctx.service()?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let job_id = validate::required_id(&mut errors, "job_id", &req.job_id);
    let content_id = validate::required_id(&mut errors, "content_id", &req.content_id);
    if req.prompts.is_empty() {
        errors.add("prompts", "this field is required");
    } else if req.prompts.len() > MAX_PROMPTS {
        errors.add("prompts", format!("at most {MAX_PROMPTS} prompts per call"));
    }
    let mut slots = HashSet::new();
    let mut prompts = Vec::with_capacity(req.prompts.len());
    for (i, p) in req.prompts.iter().enumerate() {
        let f = |name: &str| format!("prompts[{i}].{name}");
        let kind = validate::choice(
            &mut errors,
            &f("image_type"),
            &p.image_type,
            None,
            ImageType::parse,
            ImageType::choices,
        );
        if kind == Some(ImageType::Featured) && p.position != 0 {
            errors.add(f("position"), "the featured image has position 0");
        }
        if p.position > 1000 {
            errors.add(f("position"), "must be at most 1000");
        }
        if !slots.insert((kind, p.position)) {
            errors.add(f("position"), "another prompt has this type and position");
        }
        let prompt = validate::text(&mut errors, &f("prompt"), &p.prompt, MAX_PROMPT);
        if prompt.is_empty() {
            errors.add(f("prompt"), "this field is required");
        }
        prompts.push(Prompt {
            kind: kind.unwrap_or(ImageType::InArticle),
            position: p.position.min(1000) as i32,
            prompt,
            negative: validate::text(
                &mut errors,
                &f("negative_prompt"),
                &p.negative_prompt,
                MAX_PROMPT,
            ),
            alt_text: validate::line(
                &mut errors,
                &f("alt_text"),
                &p.alt_text,
                false,
                validate::MAX_SHORT * 2,
            ),
            caption: validate::text(&mut errors, &f("caption"), &p.caption, validate::MAX_TEXT),
        });
    }
    errors.into_result()?;
    let (Some(job_id), Some(content_id)) = (job_id, content_id) else {
        return Err(FieldErrors::single("job_id", "this field is required"));
    };
    let mut tx = state.pool.begin().await?;
    if let Some(stored) = claim(
        &mut tx,
        account_id,
        &format!("image_prompts:{content_id}"),
        job_id,
    )
    .await?
    {
        return decode(&stored);
    }
    let parent = content::load(&mut tx, ctx, content_id).await?;
    for p in &prompts {
        // A slot that has an image gets the new prompt and is generated again.
        let (id, inserted, old_status): (Uuid, bool, String) = sqlx::query_as(
            "WITH old AS (SELECT status FROM writer.images \
                          WHERE content_id = $5 AND image_type = $6 AND position = $7) \
             INSERT INTO writer.images AS i (id, account_id, site_id, sector_id, content_id, image_type, position, \
                 prompt, negative_prompt, alt_text, caption) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (content_id, image_type, position) WHERE content_id IS NOT NULL DO UPDATE SET \
                 prompt = EXCLUDED.prompt, negative_prompt = EXCLUDED.negative_prompt, \
                 alt_text = EXCLUDED.alt_text, caption = EXCLUDED.caption, status = 'pending', \
                 file_ref = '', url = '', error = '', updated_at = now() \
             RETURNING i.id, (xmax = 0) AS inserted, COALESCE((SELECT status FROM old), 'pending')",
        )
        .bind(Uuid::now_v7())
        .bind(account_id)
        .bind(parent.site_id)
        .bind(parent.sector_id)
        .bind(content_id)
        .bind(p.kind.as_str())
        .bind(p.position)
        .bind(&p.prompt)
        .bind(&p.negative)
        .bind(&p.alt_text)
        .bind(&p.caption)
        .fetch_one(&mut *tx)
        .await?;
        let key = if inserted {
            events::IMAGE_CREATED
        } else if old_status != "pending" {
            events::IMAGE_STATUS_CHANGED
        } else {
            events::IMAGE_UPDATED
        };
        let ids = ImageIds {
            image_id: id,
            content_id: Some(content_id),
            task_id: None,
        };
        events::image(
            &mut tx,
            key,
            parent.scoped(),
            ids,
            "pending",
            &ctx.request_id,
        )
        .await?;
    }
    let rows = images::of_content(&mut tx, account_id, &[content_id]).await?;
    let result = pb::ImageList {
        images: rows.into_iter().map(Into::into).collect(),
        page: None,
    };
    remember(
        &mut tx,
        account_id,
        &format!("image_prompts:{content_id}"),
        job_id,
        &result,
    )
    .await?;
    tx.commit().await?;
    Ok(result)
}

pub async fn apply_results(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ApplyImageResultsRequest,
) -> Result<pb::ImageList> {
    ctx.service()?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let job_id = validate::required_id(&mut errors, "job_id", &req.job_id);
    if req.results.is_empty() {
        errors.add("results", "this field is required");
    } else if req.results.len() > MAX_PROMPTS {
        errors.add("results", format!("at most {MAX_PROMPTS} results per call"));
    }
    let mut results = Vec::with_capacity(req.results.len());
    for (i, r) in req.results.iter().enumerate() {
        let f = |name: &str| format!("results[{i}].{name}");
        let id = validate::required_id(&mut errors, &f("image_id"), &r.image_id);
        let status = validate::choice(
            &mut errors,
            &f("status"),
            &r.status,
            None,
            ImageStatus::parse,
            ImageStatus::choices,
        );
        if status == Some(ImageStatus::Pending) {
            errors.add(f("status"), "must be generated or failed");
        }
        let file_ref = validate::line(&mut errors, &f("file_ref"), &r.file_ref, false, 1000);
        let url = validate::url(&mut errors, &f("url"), &r.url);
        if status == Some(ImageStatus::Generated) && url.is_empty() && file_ref.is_empty() {
            errors.add(f("url"), "a generated image needs a url or file_ref");
        }
        let error = validate::text(&mut errors, &f("error"), &r.error, validate::MAX_TEXT);
        results.push((id, status, file_ref, url, error));
    }
    errors.into_result()?;
    let Some(job_id) = job_id else {
        return Err(FieldErrors::single("job_id", "this field is required"));
    };
    let mut image_ids: Vec<Uuid> = results.iter().filter_map(|r| r.0).collect();
    image_ids.sort_unstable();
    let key = format!(
        "image_results:{}",
        image_ids
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut tx = state.pool.begin().await?;
    if let Some(stored) = claim(&mut tx, account_id, &key, job_id).await? {
        return decode(&stored);
    }
    let mut updated = Vec::with_capacity(results.len());
    for (id, status, file_ref, url, error) in results {
        let (Some(id), Some(status)) = (id, status) else {
            continue;
        };
        let current = images::load(&mut tx, ctx, id).await?;
        sqlx::query(
            "UPDATE writer.images SET status = $2, file_ref = $3, url = $4, error = $5, updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(&file_ref)
        .bind(&url)
        .bind(if status == ImageStatus::Failed { error.as_str() } else { "" })
        .execute(&mut *tx)
        .await?;
        events::image(
            &mut tx,
            events::IMAGE_STATUS_CHANGED,
            current.scoped(),
            current.ids(),
            status.as_str(),
            &ctx.request_id,
        )
        .await?;
        updated.push(images::load(&mut tx, ctx, id).await?.into());
    }
    let result = pb::ImageList {
        images: updated,
        page: None,
    };
    remember(&mut tx, account_id, &key, job_id, &result).await?;
    tx.commit().await?;
    Ok(result)
}

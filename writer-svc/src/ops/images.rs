//! Images of content (or tasks): fields, reads and single-image changes.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::{common::v1::Empty, writer::v1 as pb};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    common::{id_str, parse_id, ts},
    content, tasks,
};
use crate::{
    domain::{ImageStatus, ImageType, validate},
    events::{self, ImageIds, Scoped},
    state::AppState,
};

#[derive(sqlx::FromRow)]
pub struct ImageRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Uuid,
    pub content_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub image_type: String,
    pub position: i32,
    pub prompt: String,
    pub negative_prompt: String,
    pub alt_text: String,
    pub caption: String,
    pub status: String,
    pub file_ref: String,
    pub url: String,
    pub error: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ImageRow {
    pub fn scoped(&self) -> Scoped {
        Scoped {
            account_id: self.account_id,
            site_id: self.site_id,
            sector_id: self.sector_id,
        }
    }

    pub fn ids(&self) -> ImageIds {
        ImageIds {
            image_id: self.id,
            content_id: self.content_id,
            task_id: self.task_id,
        }
    }
}

impl From<ImageRow> for pb::Image {
    fn from(i: ImageRow) -> Self {
        Self {
            id: i.id.to_string(),
            site_id: i.site_id.to_string(),
            sector_id: i.sector_id.to_string(),
            content_id: id_str(i.content_id),
            task_id: id_str(i.task_id),
            image_type: i.image_type,
            position: i.position.max(0) as u32,
            prompt: i.prompt,
            negative_prompt: i.negative_prompt,
            alt_text: i.alt_text,
            caption: i.caption,
            status: i.status,
            file_ref: i.file_ref,
            url: i.url,
            error: i.error,
            created_at: Some(ts(i.created_at)),
            updated_at: Some(ts(i.updated_at)),
        }
    }
}

pub const COLUMNS: &str = "id, account_id, site_id, sector_id, content_id, task_id, image_type, position, \
     prompt, negative_prompt, alt_text, caption, status, file_ref, url, error, created_at, updated_at";

pub const MAX_PROMPT: usize = 4000;

/// An image of the caller's account that the caller may see.
pub async fn load(conn: &mut PgConnection, ctx: &RequestContext, id: Uuid) -> Result<ImageRow> {
    let row: ImageRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM writer.images WHERE id = $1 AND account_id = $2"
    )))
    .bind(id)
    .bind(ctx.account_id()?)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("image"))?;
    ctx.check_site(row.site_id, "image")?;
    Ok(row)
}

/// The images of one content item: featured first, then in-article by position.
pub async fn of_content(
    conn: &mut PgConnection,
    account_id: Uuid,
    content_ids: &[Uuid],
) -> Result<Vec<ImageRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM writer.images WHERE content_id = ANY($1) AND account_id = $2 \
         ORDER BY content_id, image_type, position"
    )))
    .bind(content_ids)
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Maps the slot indexes to a conflict.
pub fn slot_taken(err: sqlx::Error) -> Error {
    if igny8_platform::error::is_unique_violation(&err, "images_content_slot")
        || igny8_platform::error::is_unique_violation(&err, "images_task_slot")
    {
        Error::already_exists(
            "IMAGE_SLOT_TAKEN",
            "an image of this type already holds this position",
        )
    } else {
        err.into()
    }
}

fn position(errors: &mut FieldErrors, kind: Option<ImageType>, position: u32) -> i32 {
    if kind == Some(ImageType::Featured) && position != 0 {
        errors.add("position", "the featured image has position 0");
    }
    if position > 1000 {
        errors.add("position", "must be at most 1000");
    }
    position.min(1000) as i32
}

pub async fn get(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<pb::Image> {
    let id = parse_id(&req.id, "image")?;
    let mut conn = state.pool.acquire().await?;
    Ok(load(&mut conn, ctx, id).await?.into())
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateImageRequest,
) -> Result<pb::Image> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let content_id = validate::optional_id(&mut errors, "content_id", &req.content_id);
    let task_id = validate::optional_id(&mut errors, "task_id", &req.task_id);
    match (&content_id, &task_id) {
        (None, None) if errors.is_empty() => {
            errors.add("content_id", "give content_id or task_id");
        }
        (Some(_), Some(_)) => {
            errors.add("task_id", "give content_id or task_id, not both");
        }
        _ => {}
    }
    let kind = validate::choice(
        &mut errors,
        "image_type",
        &req.image_type,
        None,
        ImageType::parse,
        ImageType::choices,
    );
    let slot = position(&mut errors, kind, req.position);
    let prompt = validate::text(&mut errors, "prompt", &req.prompt, MAX_PROMPT);
    let negative = validate::text(
        &mut errors,
        "negative_prompt",
        &req.negative_prompt,
        MAX_PROMPT,
    );
    let alt_text = validate::line(
        &mut errors,
        "alt_text",
        &req.alt_text,
        false,
        validate::MAX_SHORT * 2,
    );
    let caption = validate::text(&mut errors, "caption", &req.caption, validate::MAX_TEXT);
    let status = validate::choice(
        &mut errors,
        "status",
        &req.status,
        Some(ImageStatus::Pending),
        ImageStatus::parse,
        ImageStatus::choices,
    );
    let file_ref = validate::line(&mut errors, "file_ref", &req.file_ref, false, 1000);
    let url = validate::url(&mut errors, "url", &req.url);
    let mut tx = state.pool.begin().await?;
    // The image belongs where its parent does.
    let scope = match (content_id, task_id) {
        (Some(id), None) => {
            let parent = content::load(&mut tx, ctx, id).await?;
            Some((parent.site_id, parent.sector_id))
        }
        (None, Some(id)) => {
            let parent = tasks::load(&mut tx, ctx, id).await?;
            Some((parent.site_id, parent.sector_id))
        }
        _ => None,
    };
    errors.into_result()?;
    let (Some((site_id, sector_id)), Some(kind)) = (scope, kind) else {
        return Err(FieldErrors::single(
            "content_id",
            "give content_id or task_id",
        ));
    };
    let id = Uuid::now_v7();
    let status = status.unwrap_or(ImageStatus::Pending);
    sqlx::query(
        "INSERT INTO writer.images (id, account_id, site_id, sector_id, content_id, task_id, image_type, \
         position, prompt, negative_prompt, alt_text, caption, status, file_ref, url) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(id)
    .bind(account_id)
    .bind(site_id)
    .bind(sector_id)
    .bind(content_id)
    .bind(task_id)
    .bind(kind.as_str())
    .bind(slot)
    .bind(&prompt)
    .bind(&negative)
    .bind(&alt_text)
    .bind(&caption)
    .bind(status.as_str())
    .bind(&file_ref)
    .bind(&url)
    .execute(&mut *tx)
    .await
    .map_err(slot_taken)?;
    let scoped = Scoped {
        account_id,
        site_id,
        sector_id,
    };
    let ids = ImageIds {
        image_id: id,
        content_id,
        task_id,
    };
    events::image(
        &mut tx,
        events::IMAGE_CREATED,
        scoped,
        ids,
        status.as_str(),
        &ctx.request_id,
    )
    .await?;
    let image = load(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(image.into())
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateImageRequest,
) -> Result<pb::Image> {
    let id = parse_id(&req.id, "image")?;
    let mut tx = state.pool.begin().await?;
    let current = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    let slot = req
        .position
        .map(|p| position(&mut errors, ImageType::parse(&current.image_type), p));
    let prompt = req
        .prompt
        .as_deref()
        .map(|v| validate::text(&mut errors, "prompt", v, MAX_PROMPT));
    let negative = req
        .negative_prompt
        .as_deref()
        .map(|v| validate::text(&mut errors, "negative_prompt", v, MAX_PROMPT));
    let alt_text = req
        .alt_text
        .as_deref()
        .map(|v| validate::line(&mut errors, "alt_text", v, false, validate::MAX_SHORT * 2));
    let caption = req
        .caption
        .as_deref()
        .map(|v| validate::text(&mut errors, "caption", v, validate::MAX_TEXT));
    let status = req.status.as_deref().and_then(|v| {
        validate::choice(
            &mut errors,
            "status",
            v,
            None,
            ImageStatus::parse,
            ImageStatus::choices,
        )
    });
    let file_ref = req
        .file_ref
        .as_deref()
        .map(|v| validate::line(&mut errors, "file_ref", v, false, 1000));
    let url = req
        .url
        .as_deref()
        .map(|v| validate::url(&mut errors, "url", v));
    errors.into_result()?;
    sqlx::query(
        "UPDATE writer.images SET position = COALESCE($2, position), prompt = COALESCE($3, prompt), \
         negative_prompt = COALESCE($4, negative_prompt), alt_text = COALESCE($5, alt_text), \
         caption = COALESCE($6, caption), status = COALESCE($7, status), file_ref = COALESCE($8, file_ref), \
         url = COALESCE($9, url), updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(slot)
    .bind(prompt)
    .bind(negative)
    .bind(alt_text)
    .bind(caption)
    .bind(status.map(ImageStatus::as_str))
    .bind(file_ref)
    .bind(url)
    .execute(&mut *tx)
    .await
    .map_err(slot_taken)?;
    let after = load(&mut tx, ctx, id).await?;
    let key = if after.status != current.status {
        events::IMAGE_STATUS_CHANGED
    } else {
        events::IMAGE_UPDATED
    };
    events::image(
        &mut tx,
        key,
        after.scoped(),
        after.ids(),
        &after.status,
        &ctx.request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(after.into())
}

pub async fn delete(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<Empty> {
    let id = parse_id(&req.id, "image")?;
    let mut tx = state.pool.begin().await?;
    let current = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    sqlx::query("DELETE FROM writer.images WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    events::image(
        &mut tx,
        events::IMAGE_DELETED,
        current.scoped(),
        current.ids(),
        &current.status,
        &ctx.request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(Empty {})
}

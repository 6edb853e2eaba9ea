//! Image lists: the plain list, bulk status changes, and images grouped by content item.

use std::collections::HashMap;

use igny8_platform::{RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::writer::v1 as pb;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::{
    common::{Page, counted, list_scope, order_by, parse_id},
    content,
    images::{COLUMNS, ImageRow, of_content},
};
use crate::{
    domain::{ImageStatus, ImageType, validate},
    events::{self, Scoped},
    state::AppState,
};

const ORDERING: &[(&str, &str)] = &[
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
    ("position", "position"),
    ("status", "status"),
    ("image_type", "image_type"),
];

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListImagesRequest,
) -> Result<pb::ImageList> {
    let mut errors = FieldErrors::new();
    let page = Page::from_request(req.page.as_ref())?;
    let order = order_by(&mut errors, &req.ordering, ORDERING, "-created_at");
    let content_id = validate::optional_id(&mut errors, "content_id", &req.content_id);
    let task_id = validate::optional_id(&mut errors, "task_id", &req.task_id);
    let kind = validate::filter_choice(
        &mut errors,
        "image_type",
        &req.image_type,
        ImageType::parse,
        ImageType::choices,
    );
    let status = validate::filter_choice(
        &mut errors,
        "status",
        &req.status,
        ImageStatus::parse,
        ImageStatus::choices,
    );
    let scope = list_scope(state, ctx, &mut errors, &req.site_id, &req.sector_id).await?;
    errors.into_result()?;
    let filtered = content_id.is_some() || task_id.is_some() || kind.is_some() || status.is_some();
    let filters = |qb: &mut QueryBuilder<Postgres>| {
        qb.push(" WHERE true");
        scope.push(qb);
        if let Some(id) = content_id {
            qb.push(" AND content_id = ").push_bind(id);
        }
        if let Some(id) = task_id {
            qb.push(" AND task_id = ").push_bind(id);
        }
        if let Some(kind) = kind {
            qb.push(" AND image_type = ").push_bind(kind.as_str());
        }
        if let Some(status) = status {
            qb.push(" AND status = ").push_bind(status.as_str());
        }
    };
    let mut conn = state.pool.acquire().await?;
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM writer.images"));
    filters(&mut qb);
    qb.push(&order);
    page.push(&mut qb);
    let rows: Vec<ImageRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let count = if filtered {
        let mut qb = QueryBuilder::new("SELECT count(*) FROM writer.images");
        filters(&mut qb);
        qb.build_query_scalar().fetch_one(&mut *conn).await?
    } else {
        counted(&mut conn, "images", &scope).await?
    };
    Ok(pb::ImageList {
        images: rows.into_iter().map(Into::into).collect(),
        page: Some(page.info(count)),
    })
}

#[derive(sqlx::FromRow)]
struct Changed {
    id: Uuid,
    site_id: Uuid,
    sector_id: Uuid,
    content_id: Option<Uuid>,
    task_id: Option<Uuid>,
}

/// Sets the status of the caller's images among `ids`, or of every image of `content_id`.
pub async fn bulk_status(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::BulkUpdateImageStatusRequest,
) -> Result<pb::BulkResult> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let status = validate::choice(
        &mut errors,
        "status",
        &req.status,
        None,
        ImageStatus::parse,
        ImageStatus::choices,
    );
    let (ids, content_id) = if req.content_id.trim().is_empty() {
        (validate::bulk_ids(&mut errors, "ids", &req.ids), None)
    } else {
        if !req.ids.is_empty() {
            errors.add("ids", "give ids or content_id, not both");
        }
        (Vec::new(), Some(parse_id(&req.content_id, "content")?))
    };
    errors.into_result()?;
    let Some(status) = status else {
        return Err(FieldErrors::single("status", "this field is required"));
    };
    let mut tx = state.pool.begin().await?;
    if let Some(id) = content_id {
        content::load(&mut tx, ctx, id).await?;
    }
    // Only rows whose status actually changes are touched (and announced).
    let changed: Vec<Changed> = sqlx::query_as(
        "UPDATE writer.images SET status = $5, updated_at = now() \
         WHERE account_id = $1 AND ($2::uuid IS NULL OR site_id = $2) \
           AND (id = ANY($3) OR content_id = $4) AND status <> $5 \
         RETURNING id, site_id, sector_id, content_id, task_id",
    )
    .bind(account_id)
    .bind(ctx.site_restriction())
    .bind(&ids)
    .bind(content_id)
    .bind(status.as_str())
    .fetch_all(&mut *tx)
    .await?;
    for row in &changed {
        let scope = Scoped {
            account_id,
            site_id: row.site_id,
            sector_id: row.sector_id,
        };
        let ids = events::ImageIds {
            image_id: row.id,
            content_id: row.content_id,
            task_id: row.task_id,
        };
        events::image(
            &mut tx,
            events::IMAGE_STATUS_CHANGED,
            scope,
            ids,
            status.as_str(),
            &ctx.request_id,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(pb::BulkResult {
        affected: changed.len() as u64,
    })
}

/// A page of content items that have images, newest first, each with its images.
pub async fn content_images(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListContentImagesRequest,
) -> Result<pb::ContentImagesList> {
    let mut errors = FieldErrors::new();
    let page = Page::from_request(req.page.as_ref())?;
    let content_id = validate::optional_id(&mut errors, "content_id", &req.content_id);
    let status = validate::filter_choice(
        &mut errors,
        "status",
        &req.status,
        ImageStatus::parse,
        ImageStatus::choices,
    );
    let scope = list_scope(state, ctx, &mut errors, &req.site_id, &req.sector_id).await?;
    errors.into_result()?;
    let filters = |qb: &mut QueryBuilder<Postgres>| {
        qb.push(" WHERE true");
        scope.push(qb);
        if let Some(id) = content_id {
            qb.push(" AND id = ").push_bind(id);
        }
        qb.push(" AND EXISTS (SELECT 1 FROM writer.images i WHERE i.content_id = content.id");
        if let Some(status) = status {
            qb.push(" AND i.status = ").push_bind(status.as_str());
        }
        qb.push(")");
    };
    let mut conn = state.pool.acquire().await?;
    let mut qb = QueryBuilder::new("SELECT id, title FROM writer.content");
    filters(&mut qb);
    qb.push(" ORDER BY created_at DESC, id DESC");
    page.push(&mut qb);
    let items: Vec<(Uuid, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let mut qb = QueryBuilder::new("SELECT count(*) FROM writer.content");
    filters(&mut qb);
    let count: i64 = qb.build_query_scalar().fetch_one(&mut *conn).await?;
    let ids: Vec<Uuid> = items.iter().map(|(id, _)| *id).collect();
    let mut by_content: HashMap<Uuid, Vec<ImageRow>> = HashMap::new();
    for image in of_content(&mut conn, scope.account_id, &ids).await? {
        if let Some(id) = image.content_id {
            by_content.entry(id).or_default().push(image);
        }
    }
    let mut groups = Vec::with_capacity(items.len());
    for (id, title) in items {
        let mut group = pb::ContentImages {
            content_id: id.to_string(),
            content_title: title,
            ..Default::default()
        };
        for image in by_content.remove(&id).unwrap_or_default() {
            match image.status.as_str() {
                "pending" => group.pending += 1,
                "generated" => group.generated += 1,
                _ => group.failed += 1,
            }
            if image.image_type == ImageType::Featured.as_str() {
                group.featured = Some(image.into());
            } else {
                group.in_article.push(image.into());
            }
        }
        groups.push(group);
    }
    Ok(pb::ContentImagesList {
        groups,
        page: Some(page.info(count)),
    })
}

//! `/api/v1/writer/images`: images of content (or, for older rows, of tasks).

use axum::extract::State;
use igny8_proto::writer::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::{
    dto::{BulkResult, ContentImages, Image},
    param, writer,
};
use crate::{
    auth::Caller,
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiResult, ErrorBody},
    extract::{Ids, ListQuery, ValidJson},
    state::AppState,
};

use super::id;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateImageIn {
    /// One of content_id and task_id; the image takes its site and sector.
    #[serde(default)]
    pub content_id: String,
    #[serde(default)]
    pub task_id: String,
    /// featured or in_article.
    #[serde(default)]
    pub image_type: String,
    /// 0 for the featured image; unique per content (or task) and type.
    #[serde(default)]
    pub position: u32,
    #[serde(default)]
    pub prompt: String,
    #[serde(default)]
    pub negative_prompt: String,
    #[serde(default)]
    pub alt_text: String,
    #[serde(default)]
    pub caption: String,
    /// pending (default), generated or failed.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub file_ref: String,
    #[serde(default)]
    pub image_url: String,
}

/// Absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateImageIn {
    pub position: Option<u32>,
    pub prompt: Option<String>,
    pub negative_prompt: Option<String>,
    pub alt_text: Option<String>,
    pub caption: Option<String>,
    pub status: Option<String>,
    pub file_ref: Option<String>,
    pub image_url: Option<String>,
}

/// New status for the images named by `ids`, or for every image of `content_id`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdateImagesIn {
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default)]
    pub content_id: String,
    #[serde(default)]
    pub status: String,
}

/// Images of the caller's account (a site key: of its site).
#[utoipa::path(get, path = "/api/v1/writer/images", tag = "writer-images",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "Only this sector (needs site_id)"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
        ("ordering" = Option<String>, Query, description = "created_at, updated_at, position, status or image_type; prefix - to descend (default -created_at)"),
        ("content_id" = Option<uuid::Uuid>, Query, description = "Only this content item's images"),
        ("task_id" = Option<uuid::Uuid>, Query, description = "Only this task's images"),
        ("image_type" = Option<String>, Query, description = "featured or in_article"),
        ("status" = Option<String>, Query, description = "pending, generated or failed"),
    ),
    responses(
        (status = 200, description = "A page of images", body = ListBody<Image>),
        (status = 400, description = "A bad filter, ordering or paging parameter", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<Image>> {
    let request = pb::ListImagesRequest {
        site_id: param(&query, "site_id"),
        sector_id: param(&query, "sector_id"),
        page: Some(query.page_request()),
        ordering: param(&query, "ordering"),
        content_id: param(&query, "content_id"),
        task_id: param(&query, "task_id"),
        image_type: param(&query, "image_type"),
        status: param(&query, "status"),
    };
    let list = writer(&state)
        .list_images(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.images.into_iter().map(Image::from).collect(),
        count,
        &query,
    ))
}

/// Creates an image slot (prompt and, once generated, its file).
#[utoipa::path(post, path = "/api/v1/writer/images", tag = "writer-images", request_body = CreateImageIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The new image", body = SuccessBody<Image>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such content or task for the caller", body = ErrorBody),
        (status = 409, description = "The slot is taken (IMAGE_SLOT_TAKEN)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CreateImageIn>,
) -> ApiResult<Envelope<Image>> {
    let request = pb::CreateImageRequest {
        content_id: input.content_id,
        task_id: input.task_id,
        image_type: input.image_type,
        position: input.position,
        prompt: input.prompt,
        negative_prompt: input.negative_prompt,
        alt_text: input.alt_text,
        caption: input.caption,
        status: input.status,
        file_ref: input.file_ref,
        url: input.image_url,
    };
    let image = writer(&state)
        .create_image(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::created(image.into()))
}

/// One image.
#[utoipa::path(get, path = "/api/v1/writer/images/{id}", tag = "writer-images",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Image id")),
    responses(
        (status = 200, description = "The image", body = SuccessBody<Image>),
        (status = 404, description = "No such image for the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<Image>> {
    let Ids([image_id]) = path;
    let image = writer(&state)
        .get_image(caller.forward(id(image_id)))
        .await?
        .into_inner();
    Ok(Envelope::ok(image.into()))
}

/// Changes an image.
#[utoipa::path(patch, path = "/api/v1/writer/images/{id}", tag = "writer-images", request_body = UpdateImageIn,
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Image id")),
    responses(
        (status = 200, description = "The changed image", body = SuccessBody<Image>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such image for the caller", body = ErrorBody),
        (status = 409, description = "The new position is taken (IMAGE_SLOT_TAKEN)", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<UpdateImageIn>,
) -> ApiResult<Envelope<Image>> {
    let Ids([image_id]) = path;
    let request = pb::UpdateImageRequest {
        id: image_id.to_string(),
        position: input.position,
        prompt: input.prompt,
        negative_prompt: input.negative_prompt,
        alt_text: input.alt_text,
        caption: input.caption,
        status: input.status,
        file_ref: input.file_ref,
        url: input.image_url,
    };
    let image = writer(&state)
        .update_image(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(image.into()))
}

/// Deletes an image.
#[utoipa::path(delete, path = "/api/v1/writer/images/{id}", tag = "writer-images",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Image id")),
    responses(
        (status = 200, description = "Deleted (data is null)", body = SuccessBody<Option<String>>),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such image for the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<()>> {
    let Ids([image_id]) = path;
    writer(&state)
        .delete_image(caller.forward(id(image_id)))
        .await?;
    Ok(Envelope::done("image deleted"))
}

/// Sets the status of images by ids or by content item.
#[utoipa::path(post, path = "/api/v1/writer/images/bulk_update", tag = "writer-images", request_body = BulkUpdateImagesIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "How many changed", body = SuccessBody<BulkResult>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such content for the caller", body = ErrorBody),
    ))]
pub async fn bulk_update(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<BulkUpdateImagesIn>,
) -> ApiResult<Envelope<BulkResult>> {
    let request = pb::BulkUpdateImageStatusRequest {
        ids: input.ids,
        content_id: input.content_id,
        status: input.status,
    };
    let result = writer(&state)
        .bulk_update_image_status(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(result.into()))
}

/// Content items that have images, newest first, each with its images.
#[utoipa::path(get, path = "/api/v1/writer/images/content_images", tag = "writer-images",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "Only this sector (needs site_id)"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Items per page, 1-100 (default 25)"),
        ("content_id" = Option<uuid::Uuid>, Query, description = "Only this content item"),
        ("status" = Option<String>, Query, description = "Only content with an image in this status"),
    ),
    responses(
        (status = 200, description = "A page of content items with their images", body = ListBody<ContentImages>),
        (status = 400, description = "A bad filter or paging parameter", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn content_images(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<ContentImages>> {
    let request = pb::ListContentImagesRequest {
        site_id: param(&query, "site_id"),
        sector_id: param(&query, "sector_id"),
        page: Some(query.page_request()),
        content_id: param(&query, "content_id"),
        status: param(&query, "status"),
    };
    let list = writer(&state)
        .list_content_images(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.groups.into_iter().map(ContentImages::from).collect(),
        count,
        &query,
    ))
}

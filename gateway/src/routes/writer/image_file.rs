//! `GET /api/v1/writer/images/{id}/file`: the bytes of a generated image, read from the file
//! store ai-svc writes to. writer-svc decides whether the caller may see the image at all.

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use igny8_platform::storage::{content_type_of, is_plain_ref};

use super::{id, writer};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult, ErrorBody},
    extract::Ids,
    state::AppState,
};

fn no_file() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "the image has no file")
}

/// The image's file (`image/png`, `image/jpeg`, ...).
#[utoipa::path(get, path = "/api/v1/writer/images/{id}/file", tag = "writer-images",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Image id")),
    responses(
        (status = 200, description = "The file", content_type = "image/*", body = Vec<u8>),
        (status = 404, description = "No such image for the caller, or it has no file", body = ErrorBody),
    ))]
pub async fn file(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Response> {
    let Ids([image_id]) = path;
    let image = writer(&state)
        .get_image(caller.forward(id(image_id)))
        .await?
        .into_inner();
    let file_ref = image.file_ref;
    // Generated files live under `images/<account>/`. A reference can also be set by hand
    // (PATCH), so only plain paths in the caller's own account folder are served: a hand-set
    // reference to another account's file reads as no file at all.
    let account = caller.0.account_id().map_err(|_| no_file())?;
    if !is_plain_ref(&file_ref) || !file_ref.starts_with(&format!("images/{account}/")) {
        return Err(no_file());
    }
    let bytes = match state.images.get(&file_ref).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(no_file()),
        Err(err) => return Err(ApiError::internal(format!("reading {file_ref}: {err:#}"))),
    };
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type_of(&file_ref)),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=3600"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    Ok((headers, bytes).into_response())
}

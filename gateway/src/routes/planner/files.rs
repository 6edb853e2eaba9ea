//! CSV in and out: keyword import (raw `text/csv` body or a multipart form's file), the
//! streamed export, and the keyword-library import.

use axum::{
    body::{Body, Bytes},
    extract::{FromRequest, Multipart, Request, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse as _, Response},
};
use futures_util::StreamExt as _;
use igny8_proto::planner::v1 as pb;

use super::{
    Params,
    dto::{KeywordsAdded, LibraryImport},
    keyword_filter, planner,
};
use crate::{
    auth::Caller,
    envelope::{Envelope, SuccessBody},
    error::{ApiError, ApiResult, ErrorBody},
    extract::ListQuery,
    state::AppState,
};

/// An uploaded CSV file: the body of a `text/csv` request, or the first file part of a
/// `multipart/form-data` one.
pub struct CsvUpload(pub Vec<u8>);

fn too_large_or(field: &str, rejection: impl std::fmt::Display + IsTooLarge) -> ApiError {
    if rejection.too_large() {
        ApiError::payload_too_large()
    } else {
        ApiError::field(
            field.to_owned(),
            format!("could not read the upload: {rejection}"),
        )
    }
}

/// Rejections that can say the body limit was hit.
trait IsTooLarge {
    fn too_large(&self) -> bool;
}

impl IsTooLarge for axum::extract::rejection::BytesRejection {
    fn too_large(&self) -> bool {
        self.status() == StatusCode::PAYLOAD_TOO_LARGE
    }
}

impl IsTooLarge for axum::extract::multipart::MultipartError {
    fn too_large(&self) -> bool {
        self.status() == StatusCode::PAYLOAD_TOO_LARGE
    }
}

impl<S: Send + Sync> FromRequest<S> for CsvUpload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let mime = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        match mime.as_str() {
            "text/csv" | "application/csv" | "text/plain" | "application/vnd.ms-excel" => {
                let bytes = Bytes::from_request(request, state)
                    .await
                    .map_err(|r| too_large_or("csv", r))?;
                Ok(Self(bytes.to_vec()))
            }
            "multipart/form-data" => {
                let mut form = Multipart::from_request(request, state)
                    .await
                    .map_err(|_| ApiError::field("csv", "malformed multipart form"))?;
                while let Some(part) = form
                    .next_field()
                    .await
                    .map_err(|r| too_large_or("csv", r))?
                {
                    if part.file_name().is_some() || part.name() == Some("file") {
                        let bytes = part.bytes().await.map_err(|r| too_large_or("csv", r))?;
                        return Ok(Self(bytes.to_vec()));
                    }
                }
                Err(ApiError::field("file", "the form has no file"))
            }
            _ => Err(ApiError::unsupported_media_type()),
        }
    }
}

/// Imports a CSV file of keywords into a sector: header row; keyword, volume, difficulty, cpc
/// and intent columns found by common names or named with `*_column`; repeats and keywords the
/// sector has are skipped. All or nothing: any bad row rejects the upload (400) with one error
/// per row, named `line N`.
#[utoipa::path(post, path = "/api/v1/planner/keywords/import", tag = "planner-keywords",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = uuid::Uuid, Query, description = "The site"),
        ("sector_id" = uuid::Uuid, Query, description = "The sector to import into"),
        ("keyword_column" = Option<String>, Query, description = "Header of the keyword column"),
        ("volume_column" = Option<String>, Query, description = "Header of the search volume column"),
        ("difficulty_column" = Option<String>, Query, description = "Header of the difficulty column"),
        ("cpc_column" = Option<String>, Query, description = "Header of the CPC column"),
        ("intent_column" = Option<String>, Query, description = "Header of the intent column"),
    ),
    request_body(content = String, content_type = "text/csv", description = "The CSV file, or a multipart/form-data form with it as `file`"),
    responses(
        (status = 200, description = "Counts created and skipped", body = SuccessBody<KeywordsAdded>),
        (status = 400, description = "Rejected rows (`line N`) or a bad file; nothing was imported", body = ErrorBody),
        (status = 402, description = "The plan's keyword limit is reached (PLAN_LIMIT)", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
        (status = 413, description = "The file is larger than the body limit", body = ErrorBody),
        (status = 415, description = "Neither text/csv nor multipart/form-data", body = ErrorBody),
    ))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
    CsvUpload(csv): CsvUpload,
) -> ApiResult<Envelope<KeywordsAdded>> {
    let p = Params::new(&query);
    let request = pb::ImportKeywordsRequest {
        site_id: p.text("site_id"),
        sector_id: p.text("sector_id"),
        csv,
        keyword_column: p.text("keyword_column"),
        volume_column: p.text("volume_column"),
        difficulty_column: p.text("difficulty_column"),
        cpc_column: p.text("cpc_column"),
        intent_column: p.text("intent_column"),
    };
    let added = planner(&state)
        .import_keywords(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(added.into()))
}

/// The keywords the filters select, as a CSV download (streamed; the same filters as the list).
#[utoipa::path(get, path = "/api/v1/planner/keywords/export", tag = "planner-keywords",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "Only this sector (needs site_id)"),
        ("status" = Option<String>, Query, description = "Other filters as in the list"),
    ),
    responses(
        (status = 200, description = "keyword,search_volume,difficulty,cpc,intent,status,source,cluster,disabled,created_at", content_type = "text/csv", body = String),
        (status = 400, description = "A bad filter parameter", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Response> {
    let chunks = planner(&state)
        .export_keywords(caller.forward(keyword_filter(&query)?))
        .await?
        .into_inner();
    // A failure after the first chunk can only cut the download short; it is logged here.
    let body = Body::from_stream(chunks.map(|chunk| {
        chunk.map(|c| Bytes::from(c.data)).map_err(|status| {
            tracing::warn!(code = ?status.code(), "keyword export stopped");
            std::io::Error::other(status.message().to_owned())
        })
    }));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"keywords.csv\""),
    );
    Ok(response)
}

/// Imports keywords into the platform library (developers only): industry, sector and keyword
/// columns, optionally volume, difficulty, cpc, intent and country. All or nothing.
#[utoipa::path(post, path = "/api/v1/keywords-library/import", tag = "keywords-library",
    security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv", description = "The CSV file, or a multipart/form-data form with it as `file`"),
    responses(
        (status = 200, description = "Counts created and skipped", body = SuccessBody<LibraryImport>),
        (status = 400, description = "Rejected rows (`line N`) or a bad file; nothing was imported", body = ErrorBody),
        (status = 403, description = "Only developers import into the library", body = ErrorBody),
        (status = 415, description = "Neither text/csv nor multipart/form-data", body = ErrorBody),
    ))]
pub async fn import_library(
    State(state): State<AppState>,
    caller: Caller,
    CsvUpload(csv): CsvUpload,
) -> ApiResult<Envelope<LibraryImport>> {
    let result = planner(&state)
        .import_library_keywords(caller.forward(pb::ImportLibraryKeywordsRequest { csv }))
        .await?
        .into_inner();
    Ok(Envelope::ok(LibraryImport {
        created: result.created,
        skipped: result.skipped,
    }))
}

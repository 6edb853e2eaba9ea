//! `/api/v1/writer/taxonomies`: categories and tags of a site.

use axum::extract::State;
use igny8_proto::writer::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::{dto::TaxonomyTerm, param, writer};
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
pub struct CreateTaxonomyIn {
    #[serde(default)]
    pub site_id: String,
    /// Optional: a term of one sector only.
    #[serde(default)]
    pub sector_id: String,
    #[serde(default)]
    pub name: String,
    /// Derived from the name when empty.
    #[serde(default)]
    pub slug: String,
    /// category or tag.
    #[serde(default)]
    pub taxonomy_type: String,
    #[serde(default)]
    pub description: String,
    /// The term's id on WordPress.
    #[serde(default)]
    pub external_id: String,
    /// e.g. category, post_tag.
    #[serde(default)]
    pub external_taxonomy: String,
}

/// Absent fields stay as they are; an empty external_id clears it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTaxonomyIn {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub external_taxonomy: Option<String>,
}

/// Terms of the caller's sites (a site key: of its site).
#[utoipa::path(get, path = "/api/v1/writer/taxonomies", tag = "writer-taxonomies",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("site_id" = Option<uuid::Uuid>, Query, description = "Only this site"),
        ("sector_id" = Option<uuid::Uuid>, Query, description = "This sector's terms and the site-wide ones (needs site_id)"),
        ("page" = Option<u32>, Query, description = "1-based page number"),
        ("page_size" = Option<u32>, Query, description = "Rows per page, 1-100 (default 25)"),
        ("search" = Option<String>, Query, description = "Substring of the name or slug"),
        ("ordering" = Option<String>, Query, description = "name, slug or created_at; prefix - to descend (default name)"),
        ("taxonomy_type" = Option<String>, Query, description = "category or tag"),
    ),
    responses(
        (status = 200, description = "A page of terms", body = ListBody<TaxonomyTerm>),
        (status = 400, description = "A bad filter, ordering or paging parameter", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Paginated<TaxonomyTerm>> {
    let request = pb::ListTaxonomiesRequest {
        site_id: param(&query, "site_id"),
        sector_id: param(&query, "sector_id"),
        page: Some(query.page_request()),
        search: param(&query, "search"),
        ordering: param(&query, "ordering"),
        taxonomy_type: param(&query, "taxonomy_type"),
    };
    let list = writer(&state)
        .list_taxonomies(caller.forward(request))
        .await?
        .into_inner();
    let count = list.page.map_or(0, |p| p.count);
    Ok(Paginated::page(
        list.terms.into_iter().map(TaxonomyTerm::from).collect(),
        count,
        &query,
    ))
}

/// Creates a category or tag on a site.
#[utoipa::path(post, path = "/api/v1/writer/taxonomies", tag = "writer-taxonomies", request_body = CreateTaxonomyIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The new term", body = SuccessBody<TaxonomyTerm>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such site or sector for the caller", body = ErrorBody),
        (status = 409, description = "The slug or external id is taken for this type (TAXONOMY_EXISTS)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CreateTaxonomyIn>,
) -> ApiResult<Envelope<TaxonomyTerm>> {
    let request = pb::CreateTaxonomyRequest {
        site_id: input.site_id,
        sector_id: input.sector_id,
        name: input.name,
        slug: input.slug,
        taxonomy_type: input.taxonomy_type,
        description: input.description,
        external_id: input.external_id,
        external_taxonomy: input.external_taxonomy,
    };
    let term = writer(&state)
        .create_taxonomy(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::created(term.into()))
}

/// One term.
#[utoipa::path(get, path = "/api/v1/writer/taxonomies/{id}", tag = "writer-taxonomies",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Term id")),
    responses(
        (status = 200, description = "The term", body = SuccessBody<TaxonomyTerm>),
        (status = 404, description = "No such term for the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<TaxonomyTerm>> {
    let Ids([term_id]) = path;
    let term = writer(&state)
        .get_taxonomy(caller.forward(id(term_id)))
        .await?
        .into_inner();
    Ok(Envelope::ok(term.into()))
}

/// Changes a term.
#[utoipa::path(patch, path = "/api/v1/writer/taxonomies/{id}", tag = "writer-taxonomies", request_body = UpdateTaxonomyIn,
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Term id")),
    responses(
        (status = 200, description = "The changed term", body = SuccessBody<TaxonomyTerm>),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such term for the caller", body = ErrorBody),
        (status = 409, description = "The slug or external id is taken (TAXONOMY_EXISTS)", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
    ValidJson(input): ValidJson<UpdateTaxonomyIn>,
) -> ApiResult<Envelope<TaxonomyTerm>> {
    let Ids([term_id]) = path;
    let request = pb::UpdateTaxonomyRequest {
        id: term_id.to_string(),
        name: input.name,
        slug: input.slug,
        description: input.description,
        external_id: input.external_id,
        external_taxonomy: input.external_taxonomy,
    };
    let term = writer(&state)
        .update_taxonomy(caller.forward(request))
        .await?
        .into_inner();
    Ok(Envelope::ok(term.into()))
}

/// Deletes a term (content and tasks lose it).
#[utoipa::path(delete, path = "/api/v1/writer/taxonomies/{id}", tag = "writer-taxonomies",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "Term id")),
    responses(
        (status = 200, description = "Deleted (data is null)", body = SuccessBody<Option<String>>),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such term for the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Ids<1>,
) -> ApiResult<Envelope<()>> {
    let Ids([term_id]) = path;
    writer(&state)
        .delete_taxonomy(caller.forward(id(term_id)))
        .await?;
    Ok(Envelope::done("term deleted"))
}

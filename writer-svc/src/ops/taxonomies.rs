//! Taxonomy terms (categories and tags) of a site: CRUD, and the term lookups tasks and
//! content use.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::{common::v1::Empty, writer::v1 as pb};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use super::common::{Page, id_str, list_scope, order_by, parse_id, ts};
use crate::{
    domain::{TaxonomyType, validate},
    events,
    state::AppState,
};

#[derive(Clone, sqlx::FromRow)]
pub struct TermRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Option<Uuid>,
    pub name: String,
    pub slug: String,
    pub taxonomy_type: String,
    pub description: String,
    pub external_id: Option<String>,
    pub external_taxonomy: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<TermRow> for pb::TaxonomyTerm {
    fn from(t: TermRow) -> Self {
        Self {
            id: t.id.to_string(),
            site_id: t.site_id.to_string(),
            sector_id: id_str(t.sector_id),
            name: t.name,
            slug: t.slug,
            taxonomy_type: t.taxonomy_type,
            description: t.description,
            external_id: t.external_id.unwrap_or_default(),
            external_taxonomy: t.external_taxonomy,
            created_at: Some(ts(t.created_at)),
            updated_at: Some(ts(t.updated_at)),
        }
    }
}

pub const COLUMNS: &str = "id, site_id, sector_id, name, slug, taxonomy_type, description, \
     external_id, external_taxonomy, created_at, updated_at";

const ORDERING: &[(&str, &str)] = &[
    ("name", "name"),
    ("slug", "slug"),
    ("created_at", "created_at"),
];

/// A term of the caller's account that the caller may see.
pub async fn load(conn: &mut PgConnection, ctx: &RequestContext, id: Uuid) -> Result<TermRow> {
    let row: TermRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM writer.taxonomies WHERE id = $1 AND account_id = $2"
    )))
    .bind(id)
    .bind(ctx.account_id()?)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("taxonomy term"))?;
    ctx.check_site(row.site_id, "taxonomy term")?;
    Ok(row)
}

/// Terms of `site_id` with the given ids; an id of another site or account is a field error.
pub async fn terms_of_site(
    conn: &mut PgConnection,
    errors: &mut FieldErrors,
    field: &str,
    account_id: Uuid,
    site_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM writer.taxonomies WHERE id = ANY($1) AND account_id = $2 AND site_id = $3",
    )
    .bind(ids)
    .bind(account_id)
    .bind(site_id)
    .fetch_all(&mut *conn)
    .await?;
    for id in ids.iter().filter(|id| !found.contains(id)) {
        errors.add(field, format!("no taxonomy term {id} on this site"));
    }
    Ok(found)
}

/// Ids of the terms named `names` of `kind` on a site, creating the missing ones.
pub async fn find_or_create(
    conn: &mut PgConnection,
    account_id: Uuid,
    site_id: Uuid,
    kind: TaxonomyType,
    names: &[String],
    request_id: &str,
) -> Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let name: String = name.trim().chars().take(validate::MAX_SHORT).collect();
        let slug = validate::slugify(&name);
        if slug.is_empty() {
            continue;
        }
        let inserted: Option<Uuid> = sqlx::query_scalar(
            "INSERT INTO writer.taxonomies (id, account_id, site_id, name, slug, taxonomy_type) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (site_id, taxonomy_type, slug) DO NOTHING RETURNING id",
        )
        .bind(Uuid::now_v7())
        .bind(account_id)
        .bind(site_id)
        .bind(&name)
        .bind(&slug)
        .bind(kind.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        let id = match inserted {
            Some(id) => {
                events::taxonomy(conn, events::TAXONOMY_CREATED, account_id, site_id, id, request_id).await?;
                id
            }
            None => sqlx::query_scalar(
                "SELECT id FROM writer.taxonomies WHERE site_id = $1 AND taxonomy_type = $2 AND slug = $3",
            )
            .bind(site_id)
            .bind(kind.as_str())
            .bind(&slug)
            .fetch_one(&mut *conn)
            .await?,
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

pub async fn get(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdRequest,
) -> Result<pb::TaxonomyTerm> {
    let id = parse_id(&req.id, "taxonomy term")?;
    let mut conn = state.pool.acquire().await?;
    Ok(load(&mut conn, ctx, id).await?.into())
}

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListTaxonomiesRequest,
) -> Result<pb::TaxonomyList> {
    let mut errors = FieldErrors::new();
    let page = Page::from_request(req.page.as_ref())?;
    let order = order_by(&mut errors, &req.ordering, ORDERING, "name");
    let kind = validate::filter_choice(
        &mut errors,
        "taxonomy_type",
        &req.taxonomy_type,
        TaxonomyType::parse,
        TaxonomyType::choices,
    );
    let scope = list_scope(state, ctx, &mut errors, &req.site_id, &req.sector_id).await?;
    errors.into_result()?;
    let search = req.search.trim().to_owned();
    let filters = |qb: &mut QueryBuilder<Postgres>| {
        qb.push(" WHERE true");
        qb.push(" AND account_id = ").push_bind(scope.account_id);
        if let Some(site) = scope.site_id {
            qb.push(" AND site_id = ").push_bind(site);
        }
        if let Some(sector) = scope.sector_id {
            // Site-wide terms belong to every sector of the site.
            qb.push(" AND (sector_id IS NULL OR sector_id = ")
                .push_bind(sector)
                .push(")");
        }
        if let Some(kind) = kind {
            qb.push(" AND taxonomy_type = ").push_bind(kind.as_str());
        }
        if !search.is_empty() {
            let pattern = format!("%{}%", like_escape(&search));
            qb.push(" AND (name ILIKE ")
                .push_bind(pattern.clone())
                .push(" OR slug ILIKE ")
                .push_bind(pattern)
                .push(")");
        }
    };
    let mut conn = state.pool.acquire().await?;
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM writer.taxonomies"));
    filters(&mut qb);
    qb.push(&order);
    page.push(&mut qb);
    let rows: Vec<TermRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let mut qb = QueryBuilder::new("SELECT count(*) FROM writer.taxonomies");
    filters(&mut qb);
    let count: i64 = qb.build_query_scalar().fetch_one(&mut *conn).await?;
    Ok(pb::TaxonomyList {
        terms: rows.into_iter().map(Into::into).collect(),
        page: Some(page.info(count)),
    })
}

/// `value` with LIKE wildcards escaped, for substring search.
pub fn like_escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Maps the unique indexes of terms to a conflict naming what clashed.
fn duplicate(err: sqlx::Error) -> Error {
    if igny8_platform::error::is_unique_violation(&err, "taxonomies_site_type_slug") {
        Error::already_exists(
            "TAXONOMY_EXISTS",
            "a term of this type with this slug exists on the site",
        )
    } else if igny8_platform::error::is_unique_violation(&err, "taxonomies_site_type_external") {
        Error::already_exists(
            "TAXONOMY_EXISTS",
            "a term of this type with this external id exists on the site",
        )
    } else {
        err.into()
    }
}

fn slug_of(errors: &mut FieldErrors, slug: &str, name: &str) -> String {
    let given = slug.trim();
    let slug = validate::slugify(if given.is_empty() { name } else { given });
    if !given.is_empty() && slug != given {
        errors.add("slug", "use lowercase letters, digits and dashes only");
    } else if slug.is_empty() && !name.trim().is_empty() {
        errors.add("slug", "cannot be derived from the name; give one");
    }
    slug
}

fn external_id(errors: &mut FieldErrors, value: &str) -> Option<String> {
    let value = validate::line(errors, "external_id", value, false, 64);
    (!value.is_empty()).then_some(value)
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateTaxonomyRequest,
) -> Result<pb::TaxonomyTerm> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let site_id = validate::required_id(&mut errors, "site_id", &req.site_id);
    let sector_id = validate::optional_id(&mut errors, "sector_id", &req.sector_id);
    let name = validate::line(&mut errors, "name", &req.name, true, validate::MAX_SHORT);
    let slug = slug_of(&mut errors, &req.slug, &name);
    let kind = validate::choice(
        &mut errors,
        "taxonomy_type",
        &req.taxonomy_type,
        None,
        TaxonomyType::parse,
        TaxonomyType::choices,
    );
    let description = validate::text(
        &mut errors,
        "description",
        &req.description,
        validate::MAX_TEXT,
    );
    let external_id = external_id(&mut errors, &req.external_id);
    let external_taxonomy = validate::line(
        &mut errors,
        "external_taxonomy",
        &req.external_taxonomy,
        false,
        100,
    );
    if let Some(site) = site_id {
        state.scopes.resolve(ctx, site, sector_id).await?;
    }
    errors.into_result()?;
    let (Some(site_id), Some(kind)) = (site_id, kind) else {
        return Err(FieldErrors::single("site_id", "this field is required"));
    };
    let id = Uuid::now_v7();
    let mut tx = state.pool.begin().await?;
    sqlx::query(
        "INSERT INTO writer.taxonomies (id, account_id, site_id, sector_id, name, slug, taxonomy_type, \
         description, external_id, external_taxonomy) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(account_id)
    .bind(site_id)
    .bind(sector_id)
    .bind(&name)
    .bind(&slug)
    .bind(kind.as_str())
    .bind(&description)
    .bind(&external_id)
    .bind(&external_taxonomy)
    .execute(&mut *tx)
    .await
    .map_err(duplicate)?;
    events::taxonomy(
        &mut tx,
        events::TAXONOMY_CREATED,
        account_id,
        site_id,
        id,
        &ctx.request_id,
    )
    .await?;
    let term = load(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(term.into())
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateTaxonomyRequest,
) -> Result<pb::TaxonomyTerm> {
    let id = parse_id(&req.id, "taxonomy term")?;
    let mut tx = state.pool.begin().await?;
    let current = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    let name = req
        .name
        .as_deref()
        .map(|v| validate::line(&mut errors, "name", v, true, validate::MAX_SHORT));
    let slug = req
        .slug
        .as_deref()
        .map(|v| slug_of(&mut errors, v, name.as_deref().unwrap_or(&current.name)));
    let description = req
        .description
        .as_deref()
        .map(|v| validate::text(&mut errors, "description", v, validate::MAX_TEXT));
    let external = req
        .external_id
        .as_deref()
        .map(|v| external_id(&mut errors, v));
    let external_taxonomy = req
        .external_taxonomy
        .as_deref()
        .map(|v| validate::line(&mut errors, "external_taxonomy", v, false, 100));
    errors.into_result()?;
    sqlx::query(
        "UPDATE writer.taxonomies SET name = COALESCE($2, name), slug = COALESCE($3, slug), \
         description = COALESCE($4, description), \
         external_id = CASE WHEN $5 THEN $6 ELSE external_id END, \
         external_taxonomy = COALESCE($7, external_taxonomy), updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(slug)
    .bind(description)
    .bind(external.is_some())
    .bind(external.flatten())
    .bind(external_taxonomy)
    .execute(&mut *tx)
    .await
    .map_err(duplicate)?;
    events::taxonomy(
        &mut tx,
        events::TAXONOMY_UPDATED,
        ctx.account_id()?,
        current.site_id,
        id,
        &ctx.request_id,
    )
    .await?;
    let term = load(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(term.into())
}

/// Deleting a term unlinks it from content and tasks.
pub async fn delete(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<Empty> {
    let id = parse_id(&req.id, "taxonomy term")?;
    let mut tx = state.pool.begin().await?;
    let current = load(&mut tx, ctx, id).await?;
    ctx.require_role(Role::Editor)?;
    sqlx::query("DELETE FROM writer.taxonomies WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    events::taxonomy(
        &mut tx,
        events::TAXONOMY_DELETED,
        ctx.account_id()?,
        current.site_id,
        id,
        &ctx.request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(Empty {})
}

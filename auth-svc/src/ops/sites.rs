//! Sites of an account: CRUD, activation, sector selection from industry templates, and
//! scope resolution for the other services.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::{auth::v1 as pb, common::v1 as common};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    common::{Page, lock_account, parse_id, plan_limits, ts, within_limit},
    sectors,
};
use crate::{domain::validate, state::AppState};

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: Uuid,
    name: String,
    slug: String,
    domain: String,
    description: String,
    industry_slug: Option<String>,
    is_active: bool,
    sector_count: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<SiteRow> for pb::Site {
    fn from(s: SiteRow) -> Self {
        Self {
            id: s.id.to_string(),
            name: s.name,
            slug: s.slug,
            domain: s.domain,
            description: s.description,
            industry_slug: s.industry_slug.unwrap_or_default(),
            is_active: s.is_active,
            sector_count: s.sector_count as u32,
            created_at: Some(ts(s.created_at)),
            updated_at: Some(ts(s.updated_at)),
        }
    }
}

const SITE_SELECT: &str = "SELECT s.id, s.name, s.slug, s.domain, s.description, i.slug AS industry_slug, \
     s.is_active, (SELECT count(*) FROM auth.sectors x WHERE x.site_id = s.id AND x.is_active) AS sector_count, \
     s.created_at, s.updated_at FROM auth.sites s LEFT JOIN auth.industries i ON i.id = s.industry_id";

/// A site of the caller's account that the caller may see (a site key sees only its site).
pub async fn load(
    conn: &mut PgConnection,
    ctx: &RequestContext,
    site_id: Uuid,
) -> Result<pb::Site> {
    ctx.check_site(site_id, "site")?;
    let row: SiteRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SITE_SELECT} WHERE s.id = $1 AND s.account_id = $2"
    )))
    .bind(site_id)
    .bind(ctx.account_id()?)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("site"))?;
    Ok(row.into())
}

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListSitesRequest,
) -> Result<pb::SiteList> {
    let account_id = ctx.account_id()?;
    let page = Page::from_request(req.page.as_ref())?;
    let only = ctx.site_restriction();
    let rows: Vec<SiteRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SITE_SELECT} WHERE s.account_id = $1 AND ($2::uuid IS NULL OR s.id = $2) \
         ORDER BY s.created_at, s.id LIMIT $3 OFFSET $4"
    )))
    .bind(account_id)
    .bind(only)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&state.pool)
    .await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM auth.sites WHERE account_id = $1 AND ($2::uuid IS NULL OR id = $2)",
    )
    .bind(account_id)
    .bind(only)
    .fetch_one(&state.pool)
    .await?;
    Ok(pb::SiteList {
        sites: rows.into_iter().map(Into::into).collect(),
        page: Some(page.info(count)),
    })
}

pub async fn get(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<pb::Site> {
    let site_id = parse_id(&req.id, "site")?;
    let mut conn = state.pool.acquire().await?;
    load(&mut conn, ctx, site_id).await
}

async fn industry_id(
    conn: &mut PgConnection,
    errors: &mut FieldErrors,
    slug: &str,
) -> Result<Option<Uuid>> {
    let slug = slug.trim();
    if slug.is_empty() {
        return Ok(None);
    }
    let id: Option<Uuid> = sqlx::query_scalar("SELECT id FROM auth.industries WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?;
    if id.is_none() {
        errors.add("industry_slug", "no such industry");
    }
    Ok(id)
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateSiteRequest,
) -> Result<pb::Site> {
    ctx.require_role(Role::Admin)?;
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let name = validate::text(&mut errors, "name", &req.name, true, validate::MAX_NAME);
    let domain = validate::domain(&mut errors, "domain", &req.domain);
    let description = validate::text(
        &mut errors,
        "description",
        &req.description,
        false,
        validate::MAX_TEXT,
    );
    let mut tx = state.pool.begin().await?;
    let industry = industry_id(&mut tx, &mut errors, &req.industry_slug).await?;
    errors.into_result()?;
    lock_account(&mut tx, account_id).await?;
    let limits = plan_limits(&mut tx, account_id).await?;
    let sites: i64 = sqlx::query_scalar("SELECT count(*) FROM auth.sites WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(&mut *tx)
        .await?;
    within_limit(sites, limits.max_sites, "sites")?;
    let site_id = Uuid::now_v7();
    let base = validate::slugify(&name);
    // Slugs are unique per account: a second "My Blog" becomes my-blog-2.
    let taken: Vec<String> = sqlx::query_scalar(
        "SELECT slug FROM auth.sites WHERE account_id = $1 AND slug LIKE $2 || '%'",
    )
    .bind(account_id)
    .bind(&base)
    .fetch_all(&mut *tx)
    .await?;
    let slug = (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|s| !taken.contains(s))
        .unwrap_or(base);
    sqlx::query(
        "INSERT INTO auth.sites (id, account_id, name, slug, domain, description, industry_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(site_id)
    .bind(account_id)
    .bind(&name)
    .bind(&slug)
    .bind(&domain)
    .bind(&description)
    .bind(industry)
    .execute(&mut *tx)
    .await?;
    let site = load(&mut tx, ctx, site_id).await?;
    tx.commit().await?;
    Ok(site)
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateSiteRequest,
) -> Result<pb::Site> {
    let site_id = parse_id(&req.id, "site")?;
    let mut tx = state.pool.begin().await?;
    load(&mut tx, ctx, site_id).await?;
    ctx.require_role(Role::Admin)?;
    let mut errors = FieldErrors::new();
    let name = req
        .name
        .as_deref()
        .map(|v| validate::text(&mut errors, "name", v, true, validate::MAX_NAME));
    let domain = req
        .domain
        .as_deref()
        .map(|v| validate::domain(&mut errors, "domain", v));
    let description = req
        .description
        .as_deref()
        .map(|v| validate::text(&mut errors, "description", v, false, validate::MAX_TEXT));
    let industry = match req.industry_slug.as_deref() {
        Some(slug) => industry_id(&mut tx, &mut errors, slug).await?,
        None => None,
    };
    errors.into_result()?;
    sqlx::query(
        "UPDATE auth.sites SET name = COALESCE($2, name), domain = COALESCE($3, domain), \
         description = COALESCE($4, description), industry_id = COALESCE($5, industry_id), \
         is_active = COALESCE($6, is_active), updated_at = now() WHERE id = $1",
    )
    .bind(site_id)
    .bind(name)
    .bind(domain)
    .bind(description)
    .bind(industry)
    .bind(req.is_active)
    .execute(&mut *tx)
    .await?;
    let site = load(&mut tx, ctx, site_id).await?;
    tx.commit().await?;
    Ok(site)
}

pub async fn delete(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<()> {
    let site_id = parse_id(&req.id, "site")?;
    let mut tx = state.pool.begin().await?;
    load(&mut tx, ctx, site_id).await?;
    ctx.require_role(Role::Admin)?;
    sqlx::query("DELETE FROM auth.sites WHERE id = $1")
        .bind(site_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks the site active; other sites keep their state (as the product does).
pub async fn set_active(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdRequest,
) -> Result<pb::Site> {
    let site_id = parse_id(&req.id, "site")?;
    let mut tx = state.pool.begin().await?;
    load(&mut tx, ctx, site_id).await?;
    ctx.require_role(Role::Admin)?;
    sqlx::query("UPDATE auth.sites SET is_active = true, updated_at = now() WHERE id = $1")
        .bind(site_id)
        .execute(&mut *tx)
        .await?;
    let site = load(&mut tx, ctx, site_id).await?;
    tx.commit().await?;
    Ok(site)
}

/// Sets the site's industry and makes exactly the chosen template sectors active (all of the
/// industry's when none are named): missing ones are created, unlisted ones deactivated.
pub async fn select_sectors(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::SelectSectorsRequest,
) -> Result<pb::SectorList> {
    let site_id = parse_id(&req.site_id, "site")?;
    let account_id = ctx.account_id()?;
    let mut tx = state.pool.begin().await?;
    load(&mut tx, ctx, site_id).await?;
    ctx.require_role(Role::Admin)?;
    let mut errors = FieldErrors::new();
    if req.industry_slug.trim().is_empty() {
        errors.add("industry_slug", "this field is required");
    }
    let industry = industry_id(&mut tx, &mut errors, &req.industry_slug).await?;
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let industry =
        industry.ok_or_else(|| FieldErrors::single("industry_slug", "no such industry"))?;
    let templates: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT id, slug, name FROM auth.industry_sectors WHERE industry_id = $1 ORDER BY sort_order, slug",
    )
    .bind(industry)
    .fetch_all(&mut *tx)
    .await?;
    let wanted: Vec<&(Uuid, String, String)> = if req.sector_slugs.is_empty() {
        templates.iter().collect()
    } else {
        let mut chosen = Vec::new();
        for slug in &req.sector_slugs {
            match templates.iter().find(|t| t.1 == slug.trim()) {
                Some(t) if !chosen.iter().any(|c: &&(Uuid, String, String)| c.0 == t.0) => {
                    chosen.push(t)
                }
                Some(_) => {}
                None => {
                    errors.add(
                        "sector_slugs",
                        format!("{slug:?} is not a sector of this industry"),
                    );
                }
            }
        }
        errors.into_result()?;
        chosen
    };
    lock_account(&mut tx, account_id).await?;
    let limits = plan_limits(&mut tx, account_id).await?;
    if wanted.len() as i64 > i64::from(limits.max_sectors_per_site) {
        return Err(Error::precondition(
            "PLAN_LIMIT",
            format!(
                "your plan allows {} sectors per site; choose fewer or upgrade",
                limits.max_sectors_per_site
            ),
        ));
    }
    sqlx::query("UPDATE auth.sites SET industry_id = $2, updated_at = now() WHERE id = $1")
        .bind(site_id)
        .bind(industry)
        .execute(&mut *tx)
        .await?;
    let wanted_ids: Vec<Uuid> = wanted.iter().map(|t| t.0).collect();
    sqlx::query(
        "UPDATE auth.sectors SET is_active = COALESCE(industry_sector_id = ANY($2), false), updated_at = now() \
         WHERE site_id = $1 AND is_active <> COALESCE(industry_sector_id = ANY($2), false)",
    )
    .bind(site_id)
    .bind(&wanted_ids)
    .execute(&mut *tx)
    .await?;
    for (template_id, slug, name) in wanted {
        sqlx::query(
            "INSERT INTO auth.sectors (id, account_id, site_id, industry_sector_id, name, slug) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (site_id, slug) DO UPDATE SET is_active = true, industry_sector_id = EXCLUDED.industry_sector_id",
        )
        .bind(Uuid::now_v7())
        .bind(account_id)
        .bind(site_id)
        .bind(template_id)
        .bind(name)
        .bind(slug)
        .execute(&mut *tx)
        .await?;
    }
    let list = sectors::list_for_site(
        &mut tx,
        account_id,
        site_id,
        true,
        Page { page: 1, size: 100 },
    )
    .await?;
    tx.commit().await?;
    Ok(list)
}

/// Confirms the site (and sector, if given) belong to the caller; NotFound otherwise.
pub async fn resolve_scope(
    state: &AppState,
    ctx: &RequestContext,
    req: common::Scope,
) -> Result<pb::ResolvedScope> {
    let account_id = ctx.account_id()?;
    let site_id = parse_id(&req.site_id, "site")?;
    ctx.check_site(site_id, "site")?;
    let site_active: bool =
        sqlx::query_scalar("SELECT is_active FROM auth.sites WHERE id = $1 AND account_id = $2")
            .bind(site_id)
            .bind(account_id)
            .fetch_optional(&state.pool)
            .await?
            .ok_or(Error::NotFound("site"))?;
    let sector_id = if req.sector_id.trim().is_empty() {
        String::new()
    } else {
        let sector_id = parse_id(&req.sector_id, "sector")?;
        sqlx::query_scalar::<_, Uuid>(
            "SELECT id FROM auth.sectors WHERE id = $1 AND site_id = $2 AND account_id = $3",
        )
        .bind(sector_id)
        .bind(site_id)
        .bind(account_id)
        .fetch_optional(&state.pool)
        .await?
        .ok_or(Error::NotFound("sector"))?
        .to_string()
    };
    Ok(pb::ResolvedScope {
        account_id: account_id.to_string(),
        site_id: site_id.to_string(),
        sector_id,
        site_active,
    })
}

/// An industry joined with one of its sectors (none for an industry without sectors).
type IndustryRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub async fn list_industries(state: &AppState) -> Result<pb::IndustryList> {
    let rows: Vec<IndustryRow> = sqlx::query_as(
        "SELECT i.slug, i.name, i.description, s.slug, s.name, s.description \
         FROM auth.industries i LEFT JOIN auth.industry_sectors s ON s.industry_id = i.id \
         ORDER BY i.sort_order, i.slug, s.sort_order, s.slug",
    )
    .fetch_all(&state.pool)
    .await?;
    let mut industries: Vec<pb::Industry> = Vec::new();
    for (slug, name, description, sector_slug, sector_name, sector_description) in rows {
        if industries.last().is_none_or(|i| i.slug != slug) {
            industries.push(pb::Industry {
                slug,
                name,
                description,
                sectors: Vec::new(),
            });
        }
        if let (Some(slug), Some(name), Some(industry)) =
            (sector_slug, sector_name, industries.last_mut())
        {
            industry.sectors.push(pb::IndustrySector {
                slug,
                name,
                description: sector_description.unwrap_or_default(),
            });
        }
    }
    Ok(pb::IndustryList { industries })
}

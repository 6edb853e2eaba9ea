//! Sectors of a site: CRUD, limited per site by the plan.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::auth::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    common::{Page, lock_account, parse_id, plan_limits, ts, within_limit},
    sites,
};
use crate::{domain::validate, state::AppState};

#[derive(sqlx::FromRow)]
struct SectorRow {
    id: Uuid,
    site_id: Uuid,
    name: String,
    slug: String,
    industry_sector: Option<String>,
    is_active: bool,
    created_at: DateTime<Utc>,
}

impl From<SectorRow> for pb::Sector {
    fn from(s: SectorRow) -> Self {
        Self {
            id: s.id.to_string(),
            site_id: s.site_id.to_string(),
            name: s.name,
            slug: s.slug,
            industry_sector: s.industry_sector.unwrap_or_default(),
            is_active: s.is_active,
            created_at: Some(ts(s.created_at)),
        }
    }
}

const SECTOR_SELECT: &str = "SELECT x.id, x.site_id, x.name, x.slug, t.slug AS industry_sector, x.is_active, x.created_at \
     FROM auth.sectors x LEFT JOIN auth.industry_sectors t ON t.id = x.industry_sector_id";

pub async fn list_for_site(
    conn: &mut PgConnection,
    account_id: Uuid,
    site_id: Uuid,
    active_only: bool,
    page: Page,
) -> Result<pb::SectorList> {
    let rows: Vec<SectorRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SECTOR_SELECT} WHERE x.account_id = $1 AND x.site_id = $2 AND (x.is_active OR NOT $3) \
         ORDER BY x.created_at, x.id LIMIT $4 OFFSET $5"
    )))
    .bind(account_id)
    .bind(site_id)
    .bind(active_only)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM auth.sectors WHERE account_id = $1 AND site_id = $2 AND (is_active OR NOT $3)",
    )
    .bind(account_id)
    .bind(site_id)
    .bind(active_only)
    .fetch_one(&mut *conn)
    .await?;
    Ok(pb::SectorList {
        sectors: rows.into_iter().map(Into::into).collect(),
        page: Some(page.info(count)),
    })
}

/// Sectors of one site (`site_id` given) or of every site the caller may see.
pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListSectorsRequest,
) -> Result<pb::SectorList> {
    let account_id = ctx.account_id()?;
    let page = Page::from_request(req.page.as_ref())?;
    let mut conn = state.pool.acquire().await?;
    if !req.site_id.trim().is_empty() {
        let site_id = parse_id(&req.site_id, "site")?;
        sites::load(&mut conn, ctx, site_id).await?;
        return list_for_site(&mut conn, account_id, site_id, req.active_only, page).await;
    }
    let only = ctx.site_restriction();
    let rows: Vec<SectorRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SECTOR_SELECT} WHERE x.account_id = $1 AND ($2::uuid IS NULL OR x.site_id = $2) AND (x.is_active OR NOT $3) \
         ORDER BY x.created_at, x.id LIMIT $4 OFFSET $5"
    )))
    .bind(account_id)
    .bind(only)
    .bind(req.active_only)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM auth.sectors WHERE account_id = $1 AND ($2::uuid IS NULL OR site_id = $2) \
         AND (is_active OR NOT $3)",
    )
    .bind(account_id)
    .bind(only)
    .bind(req.active_only)
    .fetch_one(&mut *conn)
    .await?;
    Ok(pb::SectorList {
        sectors: rows.into_iter().map(Into::into).collect(),
        page: Some(page.info(count)),
    })
}

async fn load(
    conn: &mut PgConnection,
    ctx: &RequestContext,
    sector_id: Uuid,
) -> Result<pb::Sector> {
    let row: SectorRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SECTOR_SELECT} WHERE x.id = $1 AND x.account_id = $2 AND ($3::uuid IS NULL OR x.site_id = $3)"
    )))
    .bind(sector_id)
    .bind(ctx.account_id()?)
    .bind(ctx.site_restriction())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("sector"))?;
    Ok(row.into())
}

pub async fn get(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<pb::Sector> {
    let sector_id = parse_id(&req.id, "sector")?;
    let mut conn = state.pool.acquire().await?;
    load(&mut conn, ctx, sector_id).await
}

async fn active_sectors(conn: &mut PgConnection, site_id: Uuid) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM auth.sectors WHERE site_id = $1 AND is_active")
            .bind(site_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateSectorRequest,
) -> Result<pb::Sector> {
    let account_id = ctx.account_id()?;
    let mut errors = FieldErrors::new();
    let site_id = match req.site_id.trim() {
        "" => {
            errors.add("site_id", "this field is required");
            None
        }
        raw => Some(parse_id(raw, "site")?),
    };
    let name = validate::text(&mut errors, "name", &req.name, true, validate::MAX_NAME);
    errors.into_result()?;
    let site_id = site_id.ok_or(Error::NotFound("site"))?;
    let mut tx = state.pool.begin().await?;
    let site = sites::load(&mut tx, ctx, site_id).await?;
    ctx.require_role(Role::Admin)?;
    let template: Option<Uuid> = if req.industry_sector.trim().is_empty() {
        None
    } else {
        let found: Option<Uuid> = sqlx::query_scalar(
            "SELECT t.id FROM auth.industry_sectors t JOIN auth.industries i ON i.id = t.industry_id \
             WHERE t.slug = $1 AND ($2 = '' OR i.slug = $2) ORDER BY (i.slug = $2) DESC LIMIT 1",
        )
        .bind(req.industry_sector.trim())
        .bind(&site.industry_slug)
        .fetch_optional(&mut *tx)
        .await?;
        Some(
            found
                .ok_or_else(|| FieldErrors::single("industry_sector", "no such industry sector"))?,
        )
    };
    lock_account(&mut tx, account_id).await?;
    let limits = plan_limits(&mut tx, account_id).await?;
    within_limit(
        active_sectors(&mut tx, site_id).await?,
        limits.max_sectors_per_site,
        "sectors per site",
    )?;
    let sector_id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO auth.sectors (id, account_id, site_id, industry_sector_id, name, slug) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(sector_id)
    .bind(account_id)
    .bind(site_id)
    .bind(template)
    .bind(&name)
    .bind(validate::slugify(&name))
    .execute(&mut *tx)
    .await;
    if let Err(err) = inserted {
        return Err(
            if igny8_platform::error::is_unique_violation(&err, "sectors_site_slug_key") {
                FieldErrors::single("name", "this site already has a sector with this name")
            } else {
                err.into()
            },
        );
    }
    let sector = load(&mut tx, ctx, sector_id).await?;
    tx.commit().await?;
    Ok(sector)
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateSectorRequest,
) -> Result<pb::Sector> {
    let sector_id = parse_id(&req.id, "sector")?;
    let account_id = ctx.account_id()?;
    let mut tx = state.pool.begin().await?;
    let current = load(&mut tx, ctx, sector_id).await?;
    ctx.require_role(Role::Admin)?;
    let mut errors = FieldErrors::new();
    let name = req
        .name
        .as_deref()
        .map(|v| validate::text(&mut errors, "name", v, true, validate::MAX_NAME));
    errors.into_result()?;
    if req.is_active == Some(true) && !current.is_active {
        lock_account(&mut tx, account_id).await?;
        let limits = plan_limits(&mut tx, account_id).await?;
        let site_id = parse_id(&current.site_id, "site")?;
        within_limit(
            active_sectors(&mut tx, site_id).await?,
            limits.max_sectors_per_site,
            "sectors per site",
        )?;
    }
    let updated = sqlx::query(
        "UPDATE auth.sectors SET name = COALESCE($2, name), slug = COALESCE($3, slug), \
         is_active = COALESCE($4, is_active), updated_at = now() WHERE id = $1",
    )
    .bind(sector_id)
    .bind(&name)
    .bind(name.as_deref().map(validate::slugify))
    .bind(req.is_active)
    .execute(&mut *tx)
    .await;
    if let Err(err) = updated {
        return Err(
            if igny8_platform::error::is_unique_violation(&err, "sectors_site_slug_key") {
                FieldErrors::single("name", "this site already has a sector with this name")
            } else {
                err.into()
            },
        );
    }
    let sector = load(&mut tx, ctx, sector_id).await?;
    tx.commit().await?;
    Ok(sector)
}

pub async fn delete(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<()> {
    let sector_id = parse_id(&req.id, "sector")?;
    let mut tx = state.pool.begin().await?;
    load(&mut tx, ctx, sector_id).await?;
    ctx.require_role(Role::Admin)?;
    sqlx::query("DELETE FROM auth.sectors WHERE id = $1")
        .bind(sector_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

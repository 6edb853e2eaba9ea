//! Helpers every operation uses: pages, ids, timestamps, ordering, list scopes and counts.

use chrono::{DateTime, Utc};
use igny8_platform::{
    Error, Principal, RequestContext, Result, error::FieldErrors, scope::ResolvedScope,
};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::{domain::validate, state::AppState};

/// Shared with every service (igny8-platform).
pub use igny8_platform::{
    paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page},
    wire::{opt_ts, parse_id, ts},
};

/// A timestamp from a request; `None` when it is out of range.
pub fn from_ts(at: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).ok()?)
}

pub fn id_str(id: Option<Uuid>) -> String {
    id.map(|id| id.to_string()).unwrap_or_default()
}

/// Who made a change, as recorded in version history.
pub fn actor(ctx: &RequestContext) -> String {
    match &ctx.principal {
        Principal::User { user_id, .. } => format!("user:{user_id}"),
        Principal::SiteKey { key_id, .. } => format!("key:{key_id}"),
        Principal::Service { name, .. } => format!("service:{name}"),
    }
}

/// `ORDER BY` of a list from an `ordering` parameter (`-field` descends) and its whitelist of
/// field -> column; ties break on id in the same direction so pages never overlap.
pub fn order_by(
    errors: &mut FieldErrors,
    value: &str,
    allowed: &[(&str, &'static str)],
    default: &str,
) -> String {
    let value = if value.trim().is_empty() {
        default
    } else {
        value.trim()
    };
    let (desc, field) = match value.strip_prefix('-') {
        Some(field) => (true, field),
        None => (false, value),
    };
    let Some((_, column)) = allowed.iter().find(|(name, _)| *name == field) else {
        let names: Vec<&str> = allowed.iter().map(|(name, _)| *name).collect();
        errors.add(
            "ordering",
            format!(
                "must be one of {} (prefix - to sort descending)",
                names.join(", ")
            ),
        );
        return String::new();
    };
    let direction = if desc { "DESC" } else { "ASC" };
    format!(" ORDER BY {column} {direction}, id {direction}")
}

/// The rows a list may show: the caller's account, narrowed to a site (always the key's site
/// for a site key) and a sector.
#[derive(Debug, Clone, Copy)]
pub struct ListScope {
    pub account_id: Uuid,
    pub site_id: Option<Uuid>,
    pub sector_id: Option<Uuid>,
}

impl ListScope {
    /// Appends the scope conditions (`WHERE` is already written; each condition starts with AND).
    pub fn push(&self, qb: &mut QueryBuilder<Postgres>) {
        qb.push(" AND account_id = ").push_bind(self.account_id);
        if let Some(site) = self.site_id {
            qb.push(" AND site_id = ").push_bind(site);
        }
        if let Some(sector) = self.sector_id {
            qb.push(" AND sector_id = ").push_bind(sector);
        }
    }
}

/// Checks the `site_id`/`sector_id` filters of a list against the caller.
pub async fn list_scope(
    state: &AppState,
    ctx: &RequestContext,
    errors: &mut FieldErrors,
    site: &str,
    sector: &str,
) -> Result<ListScope> {
    let account_id = ctx.account_id()?;
    let site_id = validate::optional_id(errors, "site_id", site);
    let sector_id = validate::optional_id(errors, "sector_id", sector);
    if sector_id.is_some() && site.trim().is_empty() {
        errors.add("sector_id", "needs site_id");
    }
    if !errors.is_empty() {
        return Err(Error::Validation(std::mem::take(errors)));
    }
    let site_id = match site_id {
        Some(site) => {
            state.scopes.resolve(ctx, site, sector_id).await?;
            Some(site)
        }
        None => ctx.site_restriction(),
    };
    Ok(ListScope {
        account_id,
        site_id,
        sector_id,
    })
}

/// Checks the `site_id`/`sector_id` of a create (both required) against the caller.
pub async fn create_scope(
    state: &AppState,
    ctx: &RequestContext,
    errors: &mut FieldErrors,
    site: &str,
    sector: &str,
) -> Result<Option<ResolvedScope>> {
    let site_id = validate::required_id(errors, "site_id", site);
    let sector_id = validate::required_id(errors, "sector_id", sector);
    match (site_id, sector_id) {
        (Some(site), Some(sector)) => {
            Ok(Some(state.scopes.resolve(ctx, site, Some(sector)).await?))
        }
        _ => Ok(None),
    }
}

/// Rows of `entity` (tasks, content, images) in a scope, from the per-sector counters.
pub async fn counted(conn: &mut PgConnection, entity: &str, scope: &ListScope) -> Result<i64> {
    let mut qb = QueryBuilder::new(
        "SELECT COALESCE(sum(n), 0)::bigint FROM writer.scope_counts WHERE entity = ",
    );
    qb.push_bind(entity.to_owned());
    scope.push(&mut qb);
    Ok(qb.build_query_scalar().fetch_one(&mut *conn).await?)
}

//! Helpers the operations share: ids, pages, orderings, timestamps and scope checks.

use igny8_platform::{RequestContext, Result, error::FieldErrors};
use uuid::Uuid;

use crate::state::AppState;

/// Shared with every service (igny8-platform).
pub use igny8_platform::{
    paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page},
    wire::{parse_id, ts},
};

/// Most ids one bulk call may name.
pub const MAX_BULK_IDS: usize = 1000;

/// The ids of a bulk call: present, well formed, not too many, duplicates dropped.
pub fn parse_ids(field: &str, values: &[String]) -> Result<Vec<Uuid>> {
    if values.is_empty() {
        return Err(FieldErrors::single(field, "this field is required"));
    }
    if values.len() > MAX_BULK_IDS {
        return Err(FieldErrors::single(
            field,
            format!("at most {MAX_BULK_IDS} ids per call"),
        ));
    }
    let mut ids = Vec::with_capacity(values.len());
    for value in values {
        let id: Uuid = value
            .trim()
            .parse()
            .map_err(|_| FieldErrors::single(field, format!("{value:?} is not a valid id")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// An optional reference in a body (e.g. a cluster): empty is none, malformed is a field error
/// added to `errors`.
pub fn reference(errors: &mut FieldErrors, field: &str, value: &str) -> Option<Uuid> {
    match value.trim() {
        "" => None,
        raw => raw.parse().map_or_else(
            |_| {
                errors.add(field, "must be a valid id");
                None
            },
            Some,
        ),
    }
}

/// A whitelisted `ordering`: `name` or `-name`, mapped to the SQL expression it sorts by.
/// Ties break on id in the same direction, so one index serves both directions; except for
/// `unique`, an ordering already unique in the rows selected (a keyword within one sector),
/// whose unique index then serves the order as it is.
pub fn order_by(
    ordering: &str,
    default: &str,
    allowed: &[(&str, &'static str)],
    id_column: &str,
    unique: Option<&str>,
) -> Result<String> {
    let raw = match ordering.trim() {
        "" => default,
        other => other,
    };
    let (name, desc) = match raw.strip_prefix('-') {
        Some(name) => (name, true),
        None => (raw, false),
    };
    let (_, expr) = allowed.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
        FieldErrors::single(
            "ordering",
            format!("must be one of {} (\"-\" for descending)", names.join(", ")),
        )
    })?;
    let dir = if desc { "DESC" } else { "ASC" };
    if unique == Some(name) {
        return Ok(format!("{expr} {dir}"));
    }
    Ok(format!("{expr} {dir}, {id_column} {dir}"))
}

/// The scope a list reads: the caller's account, and a site (and sector) when asked or when
/// the caller is confined to one site.
#[derive(Debug, Clone, Copy)]
pub struct ListScope {
    pub account_id: Uuid,
    pub site_id: Option<Uuid>,
    pub sector_id: Option<Uuid>,
}

/// Checks the requested site/sector with auth-svc (404 unless the caller's).
pub async fn list_scope(
    state: &AppState,
    ctx: &RequestContext,
    site: &str,
    sector: &str,
) -> Result<ListScope> {
    let account_id = ctx.account_id()?;
    let sector_id = match sector.trim() {
        "" => None,
        raw => Some(parse_id(raw, "sector")?),
    };
    let site_id = match site.trim() {
        "" if sector_id.is_some() => {
            return Err(FieldErrors::single("site_id", "is required with sector_id"));
        }
        "" => None,
        raw => Some(parse_id(raw, "site")?),
    };
    match site_id {
        Some(site_id) => {
            state.scopes.resolve(ctx, site_id, sector_id).await?;
            Ok(ListScope {
                account_id,
                site_id: Some(site_id),
                sector_id,
            })
        }
        None => Ok(ListScope {
            account_id,
            site_id: ctx.site_restriction(),
            sector_id: None,
        }),
    }
}

/// A sector rows are created in.
#[derive(Debug, Clone, Copy)]
pub struct SectorScope {
    pub account_id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Uuid,
}

/// Checks the site_id/sector_id of a create (both required; 404 unless the caller's).
pub async fn sector_scope(
    state: &AppState,
    ctx: &RequestContext,
    site: &str,
    sector: &str,
) -> Result<SectorScope> {
    let mut errors = FieldErrors::new();
    for (field, value) in [("site_id", site), ("sector_id", sector)] {
        if value.trim().is_empty() {
            errors.add(field, "this field is required");
        }
    }
    errors.into_result()?;
    let site_id = parse_id(site, "site")?;
    let sector_id = parse_id(sector, "sector")?;
    let resolved = state.scopes.resolve(ctx, site_id, Some(sector_id)).await?;
    Ok(SectorScope {
        account_id: resolved.account_id,
        site_id,
        sector_id,
    })
}

/// An optional `true`/`false` filter rendered for SQL binding.
pub fn opt_i64(value: Option<u32>) -> Option<i64> {
    value.map(i64::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orderings_are_whitelisted_and_tie_break_on_id() {
        let allowed = [
            ("search_volume", "k.search_volume"),
            ("keyword", "k.keyword_key"),
        ];
        assert_eq!(
            order_by("-search_volume", "keyword", &allowed, "k.id", None).unwrap(),
            "k.search_volume DESC, k.id DESC"
        );
        assert_eq!(
            order_by("", "keyword", &allowed, "k.id", None).unwrap(),
            "k.keyword_key ASC, k.id ASC"
        );
        assert_eq!(
            order_by("-keyword", "", &allowed, "k.id", Some("keyword")).unwrap(),
            "k.keyword_key DESC"
        );
        assert!(order_by("password; drop", "keyword", &allowed, "k.id", None).is_err());
    }

    #[test]
    fn bulk_ids_are_checked_and_deduplicated() {
        let id = Uuid::now_v7().to_string();
        assert_eq!(parse_ids("ids", &[id.clone(), id]).unwrap().len(), 1);
        assert!(parse_ids("ids", &[]).is_err());
        assert!(parse_ids("ids", &["nope".into()]).is_err());
    }
}

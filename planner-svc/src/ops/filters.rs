//! The keyword filter shared by list, export and filter options, rendered into SQL with
//! bound values only (names and operators come from this file, never from the request).

use igny8_platform::{RequestContext, Result, error::FieldErrors};
use igny8_proto::planner::v1 as pb;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::common::{ListScope, list_scope};
use crate::{
    domain::keyword::{INTENTS, SOURCES, STATUSES, choice, like_pattern},
    state::AppState,
};

/// A filter on a row's cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterIs {
    None,
    Id(Uuid),
}

/// The facet a filter-options query computes, whose own filter it leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    All,
    Status,
    Intent,
    Source,
    Cluster,
    Ranges,
}

#[derive(Debug, Clone)]
pub struct KeywordQuery {
    pub scope: ListScope,
    pub search: Option<String>,
    pub status: Option<&'static str>,
    pub intent: Option<&'static str>,
    pub source: Option<&'static str>,
    pub cluster: Option<ClusterIs>,
    pub disabled: Option<bool>,
    pub volume_min: Option<i64>,
    pub volume_max: Option<i64>,
    pub difficulty_min: Option<i64>,
    pub difficulty_max: Option<i64>,
}

/// A member of `choices` or a field error; empty means no filter.
pub fn filter_choice(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
    choices: &[&'static str],
) -> Option<&'static str> {
    if raw.trim().is_empty() {
        return None;
    }
    let found = choice(raw, choices);
    if found.is_none() {
        errors.add(field, format!("must be one of {}", choices.join(", ")));
    }
    found
}

/// A cluster filter: an id or "none".
pub fn cluster_filter(errors: &mut FieldErrors, raw: &str) -> Option<ClusterIs> {
    match raw.trim() {
        "" => None,
        "none" | "null" => Some(ClusterIs::None),
        value => match value.parse() {
            Ok(id) => Some(ClusterIs::Id(id)),
            Err(_) => {
                errors.add("cluster_id", "must be a cluster id or none");
                None
            }
        },
    }
}

/// The lowercase LIKE pattern of a search term (none when blank).
pub fn search_pattern(raw: &str) -> Option<String> {
    let term = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    (!term.is_empty()).then(|| like_pattern(&term.to_lowercase()))
}

/// Appends `WHERE <alias>.account_id = .. [AND site] [AND sector]`.
pub fn push_scope(qb: &mut QueryBuilder<Postgres>, alias: &str, scope: &ListScope) {
    qb.push(format!(" WHERE {alias}.account_id = "));
    qb.push_bind(scope.account_id);
    if let Some(site_id) = scope.site_id {
        qb.push(format!(" AND {alias}.site_id = "));
        qb.push_bind(site_id);
    }
    if let Some(sector_id) = scope.sector_id {
        qb.push(format!(" AND {alias}.sector_id = "));
        qb.push_bind(sector_id);
    }
}

/// Appends `AND <expr> = value` when the value is present.
pub fn push_eq<T>(qb: &mut QueryBuilder<Postgres>, expr: &str, value: Option<T>)
where
    T: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres>,
{
    if let Some(value) = value {
        qb.push(format!(" AND {expr} = "));
        qb.push_bind(value);
    }
}

/// Appends bounds on `expr`.
pub fn push_range(qb: &mut QueryBuilder<Postgres>, expr: &str, min: Option<i64>, max: Option<i64>) {
    if let Some(min) = min {
        qb.push(format!(" AND {expr} >= "));
        qb.push_bind(min);
    }
    if let Some(max) = max {
        qb.push(format!(" AND {expr} <= "));
        qb.push_bind(max);
    }
}

/// Appends the cluster filter on `column`.
pub fn push_cluster(qb: &mut QueryBuilder<Postgres>, column: &str, cluster: Option<ClusterIs>) {
    match cluster {
        Some(ClusterIs::None) => {
            qb.push(format!(" AND {column} IS NULL"));
        }
        Some(ClusterIs::Id(id)) => {
            qb.push(format!(" AND {column} = "));
            qb.push_bind(id);
        }
        None => {}
    }
}

impl KeywordQuery {
    pub async fn parse(
        state: &AppState,
        ctx: &RequestContext,
        filter: &pb::KeywordFilter,
    ) -> Result<Self> {
        let mut errors = FieldErrors::new();
        let status = filter_choice(&mut errors, "status", &filter.status, STATUSES);
        let intent = filter_choice(&mut errors, "intent", &filter.intent, INTENTS);
        let source = filter_choice(&mut errors, "source", &filter.source, SOURCES);
        let cluster = cluster_filter(&mut errors, &filter.cluster_id);
        errors.into_result()?;
        let scope = list_scope(state, ctx, &filter.site_id, &filter.sector_id).await?;
        Ok(Self {
            scope,
            search: search_pattern(&filter.search),
            status,
            intent,
            source,
            cluster,
            disabled: filter.disabled,
            volume_min: filter.volume_min.map(i64::from),
            volume_max: filter.volume_max.map(i64::from),
            difficulty_min: filter.difficulty_min.map(i64::from),
            difficulty_max: filter.difficulty_max.map(i64::from),
        })
    }

    /// True when only the scope narrows the rows, so the per-sector counters hold the count.
    pub fn is_unfiltered(&self) -> bool {
        self.search.is_none()
            && self.status.is_none()
            && self.intent.is_none()
            && self.source.is_none()
            && self.cluster.is_none()
            && self.disabled.is_none()
            && self.volume_min.is_none()
            && self.volume_max.is_none()
            && self.difficulty_min.is_none()
            && self.difficulty_max.is_none()
    }

    /// Appends the WHERE clause on alias `k`, leaving out the filter of `skip`.
    pub fn push_where(&self, qb: &mut QueryBuilder<Postgres>, skip: Facet) {
        push_scope(qb, "k", &self.scope);
        if let Some(pattern) = &self.search {
            qb.push(" AND k.keyword_key LIKE ");
            qb.push_bind(pattern.clone());
        }
        if skip != Facet::Status {
            push_eq(qb, "k.status", self.status);
        }
        if skip != Facet::Intent {
            push_eq(qb, "k.intent", self.intent);
        }
        if skip != Facet::Source {
            push_eq(qb, "k.source", self.source);
        }
        if skip != Facet::Cluster {
            push_cluster(qb, "k.cluster_id", self.cluster);
        }
        push_eq(qb, "k.disabled", self.disabled);
        if skip != Facet::Ranges {
            push_range(qb, "k.search_volume", self.volume_min, self.volume_max);
            push_range(qb, "k.difficulty", self.difficulty_min, self.difficulty_max);
        }
    }
}

//! Reading many clusters: the paginated list (counts from the sector counters when
//! unfiltered) and filter options.

use igny8_platform::{RequestContext, Result, error::FieldErrors};
use igny8_proto::planner::v1 as pb;
use sqlx::{Postgres, QueryBuilder};

use super::{
    clusters::{AVG_DIFFICULTY, ClusterRow, STATUSES, columns},
    common::{ListScope, Page, list_scope, order_by},
    filters::{filter_choice, push_eq, push_range, push_scope, search_pattern},
};
use crate::state::AppState;

const ORDERINGS: &[(&str, &str)] = &[
    ("name", "c.name_key"),
    ("keyword_count", "c.keyword_count"),
    ("total_volume", "c.total_volume"),
    ("avg_difficulty", AVG_DIFFICULTY),
    ("idea_count", "c.idea_count"),
    ("created_at", "c.id"),
];

#[derive(sqlx::FromRow)]
struct ListedCluster {
    total: i64,
    #[sqlx(flatten)]
    row: ClusterRow,
}

struct ClusterQuery {
    scope: ListScope,
    search: Option<String>,
    status: Option<&'static str>,
    disabled: Option<bool>,
    volume: (Option<i64>, Option<i64>),
    difficulty: (Option<i64>, Option<i64>),
}

impl ClusterQuery {
    fn unfiltered(&self) -> bool {
        self.search.is_none()
            && self.status.is_none()
            && self.disabled.is_none()
            && self.volume == (None, None)
            && self.difficulty == (None, None)
    }

    fn push_where(&self, qb: &mut QueryBuilder<Postgres>, with_status: bool) {
        push_scope(qb, "c", &self.scope);
        if let Some(pattern) = &self.search {
            qb.push(" AND c.name_key LIKE ");
            qb.push_bind(pattern.clone());
        }
        if with_status {
            push_eq(qb, "c.status", self.status);
        }
        push_eq(qb, "c.disabled", self.disabled);
        push_range(qb, "c.total_volume", self.volume.0, self.volume.1);
        push_range(qb, AVG_DIFFICULTY, self.difficulty.0, self.difficulty.1);
    }

    async fn parse(state: &AppState, ctx: &RequestContext, f: &pb::ClusterFilter) -> Result<Self> {
        let mut errors = FieldErrors::new();
        let status = filter_choice(&mut errors, "status", &f.status, STATUSES);
        errors.into_result()?;
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        Ok(Self {
            scope: list_scope(state, ctx, &f.site_id, &f.sector_id).await?,
            search: search_pattern(&f.search),
            status,
            disabled: f.disabled,
            volume: (f.volume_min.map(clamp), f.volume_max.map(clamp)),
            difficulty: (
                f.difficulty_min.map(i64::from),
                f.difficulty_max.map(i64::from),
            ),
        })
    }
}

fn push_count(qb: &mut QueryBuilder<Postgres>, query: &ClusterQuery) {
    if query.unfiltered() {
        qb.push("(SELECT COALESCE(sum(s.clusters), 0)::bigint FROM planner.sector_counters s");
        push_scope(qb, "s", &query.scope);
    } else {
        qb.push("(SELECT count(*) FROM planner.clusters c");
        query.push_where(qb, true);
    }
    qb.push(")");
}

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListClustersRequest,
) -> Result<pb::ClusterList> {
    let page = Page::from_request(req.page.as_ref())?;
    let query = ClusterQuery::parse(state, ctx, &req.filter.unwrap_or_default()).await?;
    // Names are unique within a sector (clusters_sector_name_key serves that order).
    let unique = query.scope.sector_id.map(|_| "name");
    let order = order_by(&req.ordering, "-created_at", ORDERINGS, "c.id", unique)?;
    let mut qb = QueryBuilder::new("SELECT ");
    push_count(&mut qb, &query);
    qb.push(format!(" AS total, {} FROM planner.clusters c", columns()));
    query.push_where(&mut qb, true);
    qb.push(format!(" ORDER BY {order}"));
    page.push(&mut qb);
    let rows: Vec<ListedCluster> = qb.build_query_as().fetch_all(&state.pool).await?;
    let count = match rows.first() {
        Some(first) => first.total,
        None => {
            let mut qb = QueryBuilder::new("SELECT ");
            push_count(&mut qb, &query);
            qb.build_query_scalar().fetch_one(&state.pool).await?
        }
    };
    Ok(pb::ClusterList {
        clusters: rows.into_iter().map(|r| r.row.into()).collect(),
        page: Some(page.info(count)),
    })
}

pub async fn filter_options(
    state: &AppState,
    ctx: &RequestContext,
    filter: pb::ClusterFilter,
) -> Result<pb::ClusterFilterOptionsResponse> {
    let query = ClusterQuery::parse(state, ctx, &filter).await?;
    let mut qb = QueryBuilder::new("SELECT DISTINCT c.status FROM planner.clusters c");
    query.push_where(&mut qb, false);
    let present: Vec<String> = qb.build_query_scalar().fetch_all(&state.pool).await?;
    Ok(pb::ClusterFilterOptionsResponse {
        statuses: STATUSES
            .iter()
            .filter(|s| present.iter().any(|p| p == *s))
            .map(|s| (*s).to_owned())
            .collect(),
    })
}

//! Reading many ideas: the paginated list (counts from the sector counters when unfiltered)
//! and filter options.

use igny8_platform::{RequestContext, Result, error::FieldErrors};
use igny8_proto::planner::v1 as pb;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::{
    common::{ListScope, Page, list_scope, order_by},
    filters::{
        ClusterIs, cluster_filter, filter_choice, push_cluster, push_eq, push_scope, search_pattern,
    },
    ideas::{IDEA_COLUMNS, IDEA_FROM, IdeaRow},
};
use crate::{
    domain::idea::{CONTENT_STRUCTURES, CONTENT_TYPES, STATUSES},
    state::AppState,
};

const ORDERINGS: &[(&str, &str)] = &[
    ("title", "i.title_key"),
    ("estimated_word_count", "i.estimated_word_count"),
    ("status", "i.status"),
    ("created_at", "i.id"),
];

#[derive(sqlx::FromRow)]
struct ListedIdea {
    total: i64,
    #[sqlx(flatten)]
    row: IdeaRow,
}

struct IdeaQuery {
    scope: ListScope,
    search: Option<String>,
    status: Option<&'static str>,
    cluster: Option<ClusterIs>,
    content_type: Option<&'static str>,
    content_structure: Option<&'static str>,
    disabled: Option<bool>,
}

/// The facet a filter-options query leaves out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Skip {
    Nothing,
    Status,
    Cluster,
    ContentType,
    ContentStructure,
}

impl IdeaQuery {
    async fn parse(state: &AppState, ctx: &RequestContext, f: &pb::IdeaFilter) -> Result<Self> {
        let mut errors = FieldErrors::new();
        let status = filter_choice(&mut errors, "status", &f.status, STATUSES);
        let content_type =
            filter_choice(&mut errors, "content_type", &f.content_type, CONTENT_TYPES);
        let content_structure = filter_choice(
            &mut errors,
            "content_structure",
            &f.content_structure,
            CONTENT_STRUCTURES,
        );
        let cluster = cluster_filter(&mut errors, &f.cluster_id);
        errors.into_result()?;
        Ok(Self {
            scope: list_scope(state, ctx, &f.site_id, &f.sector_id).await?,
            search: search_pattern(&f.search),
            status,
            cluster,
            content_type,
            content_structure,
            disabled: f.disabled,
        })
    }

    fn unfiltered(&self) -> bool {
        self.search.is_none()
            && self.status.is_none()
            && self.cluster.is_none()
            && self.content_type.is_none()
            && self.content_structure.is_none()
            && self.disabled.is_none()
    }

    fn push_where(&self, qb: &mut QueryBuilder<Postgres>, skip: Skip) {
        push_scope(qb, "i", &self.scope);
        if let Some(pattern) = &self.search {
            qb.push(" AND i.title_key LIKE ");
            qb.push_bind(pattern.clone());
        }
        if skip != Skip::Status {
            push_eq(qb, "i.status", self.status);
        }
        if skip != Skip::Cluster {
            push_cluster(qb, "i.cluster_id", self.cluster);
        }
        if skip != Skip::ContentType {
            push_eq(qb, "i.content_type", self.content_type);
        }
        if skip != Skip::ContentStructure {
            push_eq(qb, "i.content_structure", self.content_structure);
        }
        push_eq(qb, "i.disabled", self.disabled);
    }
}

fn push_count(qb: &mut QueryBuilder<Postgres>, query: &IdeaQuery) {
    if query.unfiltered() {
        qb.push("(SELECT COALESCE(sum(s.ideas), 0)::bigint FROM planner.sector_counters s");
        push_scope(qb, "s", &query.scope);
    } else {
        qb.push("(SELECT count(*) FROM planner.ideas i");
        query.push_where(qb, Skip::Nothing);
    }
    qb.push(")");
}

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListIdeasRequest,
) -> Result<pb::IdeaList> {
    let page = Page::from_request(req.page.as_ref())?;
    let order = order_by(&req.ordering, "-created_at", ORDERINGS, "i.id", None)?;
    let query = IdeaQuery::parse(state, ctx, &req.filter.unwrap_or_default()).await?;
    let mut qb = QueryBuilder::new("SELECT ");
    push_count(&mut qb, &query);
    qb.push(format!(" AS total, {IDEA_COLUMNS} {IDEA_FROM}"));
    query.push_where(&mut qb, Skip::Nothing);
    qb.push(format!(" ORDER BY {order}"));
    page.push(&mut qb);
    let rows: Vec<ListedIdea> = qb.build_query_as().fetch_all(&state.pool).await?;
    let count = match rows.first() {
        Some(first) => first.total,
        None => {
            let mut qb = QueryBuilder::new("SELECT ");
            push_count(&mut qb, &query);
            qb.build_query_scalar().fetch_one(&state.pool).await?
        }
    };
    Ok(pb::IdeaList {
        ideas: rows.into_iter().map(|r| r.row.into()).collect(),
        page: Some(page.info(count)),
    })
}

pub async fn filter_options(
    state: &AppState,
    ctx: &RequestContext,
    filter: pb::IdeaFilter,
) -> Result<pb::IdeaFilterOptionsResponse> {
    let query = IdeaQuery::parse(state, ctx, &filter).await?;
    let mut present = Vec::new();
    for (column, skip, order) in [
        ("status", Skip::Status, STATUSES),
        ("content_type", Skip::ContentType, CONTENT_TYPES),
        (
            "content_structure",
            Skip::ContentStructure,
            CONTENT_STRUCTURES,
        ),
    ] {
        let mut qb = QueryBuilder::new(format!("SELECT DISTINCT i.{column} FROM planner.ideas i"));
        query.push_where(&mut qb, skip);
        let values: Vec<String> = qb.build_query_scalar().fetch_all(&state.pool).await?;
        present.push(
            order
                .iter()
                .filter(|v| values.iter().any(|x| x == *v))
                .map(|v| (*v).to_owned())
                .collect::<Vec<_>>(),
        );
    }
    let mut qb = QueryBuilder::new(
        "SELECT c.id, c.name FROM planner.clusters c WHERE c.id IN (SELECT i.cluster_id FROM planner.ideas i",
    );
    query.push_where(&mut qb, Skip::Cluster);
    qb.push(") ORDER BY c.name_key, c.id");
    let clusters: Vec<(Uuid, String)> = qb.build_query_as().fetch_all(&state.pool).await?;
    let mut present = present.into_iter();
    Ok(pb::IdeaFilterOptionsResponse {
        statuses: present.next().unwrap_or_default(),
        content_types: present.next().unwrap_or_default(),
        content_structures: present.next().unwrap_or_default(),
        clusters: clusters
            .into_iter()
            .map(|(id, name)| pb::ClusterOption {
                id: id.to_string(),
                name,
            })
            .collect(),
    })
}

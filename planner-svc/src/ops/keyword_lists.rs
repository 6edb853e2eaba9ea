//! Reading many keywords: the paginated list, CSV export and filter options.
//!
//! Unfiltered counts come from the per-sector counters (one row per sector) and filtered counts
//! from the covering `keywords_by_volume` index; the page and its count travel in one query.

use igny8_platform::{RequestContext, Result};
use igny8_proto::planner::v1 as pb;
use sqlx::{PgPool, Postgres, QueryBuilder};
use tokio::sync::mpsc;
use tonic::Status;
use uuid::Uuid;

use super::{
    common::{Page, order_by},
    filters::{Facet, KeywordQuery, push_scope},
    keywords::{KEYWORD_COLUMNS, KEYWORD_FROM, KeywordRow},
};
use crate::{
    domain::keyword::{INTENTS, SOURCES, STATUSES, format_cpc},
    state::AppState,
};

/// Orderings a list may ask for; each has an index ending in id (see the schema).
const ORDERINGS: &[(&str, &str)] = &[
    ("keyword", "k.keyword_key"),
    ("search_volume", "k.search_volume"),
    ("difficulty", "k.difficulty"),
    ("cpc", "k.cpc_micros"),
    ("created_at", "k.id"),
];
/// Rows per exported chunk.
const EXPORT_BATCH: i64 = 5000;

#[derive(sqlx::FromRow)]
struct ListedKeyword {
    total: i64,
    #[sqlx(flatten)]
    row: KeywordRow,
}

/// Appends the count of what `query` selects: counters when unfiltered, else an index scan.
fn push_count(qb: &mut QueryBuilder<Postgres>, query: &KeywordQuery) {
    if query.is_unfiltered() {
        qb.push("(SELECT COALESCE(sum(s.keywords), 0)::bigint FROM planner.sector_counters s");
        push_scope(qb, "s", &query.scope);
    } else {
        qb.push("(SELECT count(*) FROM planner.keywords k");
        query.push_where(qb, Facet::All);
    }
    qb.push(")");
}

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListKeywordsRequest,
) -> Result<pb::KeywordList> {
    let page = Page::from_request(req.page.as_ref())?;
    let query = KeywordQuery::parse(state, ctx, &req.filter.unwrap_or_default()).await?;
    // Keywords are unique within a sector (keywords_sector_keyword_key serves that order).
    let unique = query.scope.sector_id.map(|_| "keyword");
    let order = order_by(&req.ordering, "-created_at", ORDERINGS, "k.id", unique)?;
    let mut qb = QueryBuilder::new("SELECT ");
    push_count(&mut qb, &query);
    qb.push(format!(" AS total, {KEYWORD_COLUMNS} {KEYWORD_FROM}"));
    query.push_where(&mut qb, Facet::All);
    qb.push(format!(" ORDER BY {order}"));
    page.push(&mut qb);
    let rows: Vec<ListedKeyword> = qb.build_query_as().fetch_all(&state.pool).await?;
    let count = match rows.first() {
        Some(first) => first.total,
        // Past the last page: the count needs its own query.
        None => {
            let mut qb = QueryBuilder::new("SELECT ");
            push_count(&mut qb, &query);
            qb.build_query_scalar().fetch_one(&state.pool).await?
        }
    };
    Ok(pb::KeywordList {
        keywords: rows.into_iter().map(|r| r.row.into()).collect(),
        page: Some(page.info(count)),
    })
}

pub async fn filter_options(
    state: &AppState,
    ctx: &RequestContext,
    filter: pb::KeywordFilter,
) -> Result<pb::KeywordFilterOptionsResponse> {
    let query = KeywordQuery::parse(state, ctx, &filter).await?;
    let pool = &state.pool;
    let distinct = |column: &'static str, facet: Facet| {
        let query = query.clone();
        async move {
            let mut qb = QueryBuilder::new(format!(
                "SELECT DISTINCT k.{column} FROM planner.keywords k"
            ));
            query.push_where(&mut qb, facet);
            let values: Vec<String> = qb.build_query_scalar().fetch_all(pool).await?;
            Ok::<_, sqlx::Error>(values)
        }
    };
    let ordered = |values: Vec<String>, order: &[&str]| -> Vec<String> {
        order
            .iter()
            .filter(|v| values.iter().any(|x| x == *v))
            .map(|v| (*v).to_owned())
            .collect()
    };
    let statuses = ordered(distinct("status", Facet::Status).await?, STATUSES);
    let intents = ordered(distinct("intent", Facet::Intent).await?, INTENTS);
    let sources = ordered(distinct("source", Facet::Source).await?, SOURCES);
    let mut qb = QueryBuilder::new(
        "SELECT c.id, c.name FROM planner.clusters c WHERE c.id IN (SELECT k.cluster_id FROM planner.keywords k",
    );
    query.push_where(&mut qb, Facet::Cluster);
    qb.push(") ORDER BY c.name_key, c.id");
    let clusters: Vec<(Uuid, String)> = qb.build_query_as().fetch_all(pool).await?;
    let mut qb = QueryBuilder::new(
        "SELECT COALESCE(min(k.search_volume), 0), COALESCE(max(k.search_volume), 0), \
         COALESCE(min(k.difficulty), 0)::int, COALESCE(max(k.difficulty), 0)::int FROM planner.keywords k",
    );
    query.push_where(&mut qb, Facet::Ranges);
    let (volume_min, volume_max, difficulty_min, difficulty_max): (i32, i32, i32, i32) =
        qb.build_query_as().fetch_one(pool).await?;
    Ok(pb::KeywordFilterOptionsResponse {
        statuses,
        intents,
        sources,
        clusters: clusters
            .into_iter()
            .map(|(id, name)| pb::ClusterOption {
                id: id.to_string(),
                name,
            })
            .collect(),
        volume_min: volume_min.max(0) as u32,
        volume_max: volume_max.max(0) as u32,
        difficulty_min: difficulty_min.max(0) as u32,
        difficulty_max: difficulty_max.max(0) as u32,
    })
}

/// Checks the filter, then streams the CSV from a task: batches in (site, sector, id) order,
/// each resuming after the last row of the one before, so no batch rereads earlier rows.
pub async fn export(
    state: &AppState,
    ctx: &RequestContext,
    filter: pb::KeywordFilter,
) -> Result<mpsc::Receiver<Result<pb::CsvChunk, Status>>> {
    let query = KeywordQuery::parse(state, ctx, &filter).await?;
    let (tx, rx) = mpsc::channel(4);
    let pool = state.pool.clone();
    tokio::spawn(async move {
        if let Err(err) = stream_csv(&pool, &query, &tx).await {
            let _ = tx.send(Err(err.into())).await;
        }
    });
    Ok(rx)
}

const EXPORT_HEADER: [&str; 10] = [
    "keyword",
    "search_volume",
    "difficulty",
    "cpc",
    "intent",
    "status",
    "source",
    "cluster",
    "disabled",
    "created_at",
];

async fn stream_csv(
    pool: &PgPool,
    query: &KeywordQuery,
    tx: &mpsc::Sender<Result<pb::CsvChunk, Status>>,
) -> Result<()> {
    let mut header = true;
    let mut after: Option<(Uuid, Uuid, Uuid)> = None;
    loop {
        let mut qb = QueryBuilder::new(format!("SELECT {KEYWORD_COLUMNS} {KEYWORD_FROM}"));
        query.push_where(&mut qb, Facet::All);
        if let Some((site, sector, id)) = after {
            qb.push(" AND (k.site_id, k.sector_id, k.id) > (");
            qb.push_bind(site);
            qb.push(", ");
            qb.push_bind(sector);
            qb.push(", ");
            qb.push_bind(id);
            qb.push(")");
        }
        qb.push(" ORDER BY k.site_id, k.sector_id, k.id LIMIT ");
        qb.push_bind(EXPORT_BATCH);
        let rows: Vec<KeywordRow> = qb.build_query_as().fetch_all(pool).await?;
        let done = (rows.len() as i64) < EXPORT_BATCH;
        after = rows.last().map(|r| (r.site_id, r.sector_id, r.id));
        let mut writer = csv::Writer::from_writer(Vec::new());
        if std::mem::take(&mut header) {
            writer
                .write_record(EXPORT_HEADER)
                .map_err(anyhow::Error::from)?;
        }
        for r in rows {
            writer
                .write_record([
                    r.keyword,
                    r.search_volume.to_string(),
                    r.difficulty.to_string(),
                    format_cpc(r.cpc_micros),
                    r.intent,
                    r.status,
                    r.source,
                    r.cluster_name.unwrap_or_default(),
                    r.disabled.to_string(),
                    r.created_at.to_rfc3339(),
                ])
                .map_err(anyhow::Error::from)?;
        }
        let data = writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("csv: {e}"))?;
        if !data.is_empty() && tx.send(Ok(pb::CsvChunk { data })).await.is_err() {
            return Ok(()); // the caller went away
        }
        if done {
            return Ok(());
        }
    }
}

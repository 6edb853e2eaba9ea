//! The platform keyword library: search it, import into it (developers), and copy from it
//! into a sector.

use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors, grpc::forward};
use igny8_proto::{common::v1::Empty, planner::v1 as pb};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::{
    common::{Page, order_by, parse_ids, sector_scope},
    filters::{filter_choice, push_eq, push_range, search_pattern},
    keyword_bulk::{NewKeyword, add_many},
};
use crate::{
    domain::{
        csv_import::{self, Column, Layout},
        keyword::{INTENTS, KeywordText, format_cpc},
    },
    state::AppState,
};

const ORDERINGS: &[(&str, &str)] = &[
    ("keyword", "l.keyword_key"),
    ("search_volume", "l.search_volume"),
    ("difficulty", "l.difficulty"),
];

#[derive(sqlx::FromRow)]
struct LibraryRow {
    total: i64,
    id: Uuid,
    industry: String,
    sector: String,
    keyword: String,
    search_volume: i32,
    difficulty: i16,
    cpc_micros: i64,
    intent: String,
    country: String,
}

impl From<LibraryRow> for pb::LibraryKeyword {
    fn from(r: LibraryRow) -> Self {
        Self {
            id: r.id.to_string(),
            industry: r.industry,
            sector: r.sector,
            keyword: r.keyword,
            search_volume: r.search_volume.max(0) as u32,
            difficulty: r.difficulty.max(0) as u32,
            cpc: format_cpc(r.cpc_micros),
            intent: r.intent,
            country: r.country,
        }
    }
}

fn push_filters(
    qb: &mut QueryBuilder<Postgres>,
    req: &pb::ListLibraryKeywordsRequest,
    intent: Option<&'static str>,
) {
    qb.push(" WHERE true");
    let slug = |raw: &str| Some(raw.trim().to_ascii_lowercase()).filter(|s| !s.is_empty());
    push_eq(qb, "l.industry", slug(&req.industry));
    push_eq(qb, "l.sector", slug(&req.sector));
    if let Some(pattern) = search_pattern(&req.search) {
        qb.push(" AND l.keyword_key LIKE ");
        qb.push_bind(pattern);
    }
    push_eq(qb, "l.intent", intent);
    push_range(
        qb,
        "l.search_volume",
        req.volume_min.map(i64::from),
        req.volume_max.map(i64::from),
    );
    push_range(
        qb,
        "l.difficulty",
        req.difficulty_min.map(i64::from),
        req.difficulty_max.map(i64::from),
    );
}

/// Any signed-in caller may read the library; it holds no account's data.
pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListLibraryKeywordsRequest,
) -> Result<pb::LibraryKeywordList> {
    ctx.account_id()?;
    let page = Page::from_request(req.page.as_ref())?;
    let order = order_by(&req.ordering, "-search_volume", ORDERINGS, "l.id", None)?;
    let mut errors = FieldErrors::new();
    let intent = filter_choice(&mut errors, "intent", &req.intent, INTENTS);
    errors.into_result()?;
    let mut qb = QueryBuilder::new("SELECT (SELECT count(*) FROM planner.library_keywords l");
    push_filters(&mut qb, &req, intent);
    qb.push(
        ") AS total, l.id, l.industry, l.sector, l.keyword, l.search_volume, l.difficulty, \
             l.cpc_micros, l.intent, l.country FROM planner.library_keywords l",
    );
    push_filters(&mut qb, &req, intent);
    qb.push(format!(" ORDER BY {order}"));
    page.push(&mut qb);
    let rows: Vec<LibraryRow> = qb.build_query_as().fetch_all(&state.pool).await?;
    let count = match rows.first() {
        Some(first) => first.total,
        None => {
            let mut qb = QueryBuilder::new("SELECT count(*) FROM planner.library_keywords l");
            push_filters(&mut qb, &req, intent);
            qb.build_query_scalar().fetch_one(&state.pool).await?
        }
    };
    Ok(pb::LibraryKeywordList {
        keywords: rows.into_iter().map(Into::into).collect(),
        page: Some(page.info(count)),
    })
}

/// Industry/sector slug pairs auth-svc knows (sites pick sectors from the same list).
async fn known_sectors(state: &AppState, ctx: &RequestContext) -> Result<Vec<(String, String)>> {
    let industries = state
        .auth
        .clone()
        .list_industries(forward(Empty {}, ctx))
        .await
        .map_err(|status| {
            tracing::warn!(code = ?status.code(), "listing industries failed");
            Error::Unavailable("the industry list is unavailable; try again".into())
        })?
        .into_inner()
        .industries;
    Ok(industries
        .into_iter()
        .flat_map(|i| {
            let industry = i.slug;
            i.sectors
                .into_iter()
                .map(move |s| (industry.clone(), s.slug))
        })
        .collect())
}

pub async fn import(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ImportLibraryKeywordsRequest,
) -> Result<pb::LibraryImportResult> {
    ctx.require_role(Role::Developer)?;
    let csv = req.csv;
    let mut parsed = tokio::task::spawn_blocking(move || {
        csv_import::parse(
            &csv,
            &Layout {
                required: &[Column::Keyword, Column::Industry, Column::Sector],
                optional: &[
                    Column::Volume,
                    Column::Difficulty,
                    Column::Cpc,
                    Column::Intent,
                    Column::Country,
                ],
                names: &[],
            },
        )
    })
    .await
    .map_err(|e| Error::Internal(e.into()))??;
    let known = known_sectors(state, ctx).await?;
    let mut unknown = Vec::new();
    parsed.rows.retain(|row| {
        let ok = known
            .iter()
            .any(|(i, s)| *i == row.industry && *s == row.sector);
        if !ok {
            unknown.push((row.line, row.industry.clone(), row.sector.clone()));
        }
        ok
    });
    for (line, industry, sector) in unknown {
        parsed.rejected += 1;
        if parsed.errors.len() < csv_import::MAX_REPORTED_ERRORS {
            parsed.errors.push((
                line,
                "sector",
                format!("no industry sector {industry}/{sector}"),
            ));
        }
    }
    if parsed.rejected > 0 {
        parsed.errors.sort_by_key(|(line, _, _)| *line);
        return Err(Error::Validation(parsed.rejection()));
    }
    let rows = &parsed.rows;
    let total = rows.len() as u64;
    let column = |f: fn(&csv_import::CsvKeyword) -> &str| rows.iter().map(f).collect::<Vec<_>>();
    let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
    let volumes: Vec<i32> = rows.iter().map(|r| r.volume).collect();
    let difficulties: Vec<i16> = rows.iter().map(|r| r.difficulty).collect();
    let cpcs: Vec<i64> = rows.iter().map(|r| r.cpc_micros).collect();
    let created = sqlx::query(
        "INSERT INTO planner.library_keywords (id, industry, sector, keyword, keyword_key, search_volume, \
             difficulty, cpc_micros, intent, country) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], \
             $7::smallint[], $8::bigint[], $9::text[], $10::text[]) \
         ON CONFLICT ON CONSTRAINT library_keywords_sector_keyword_key DO NOTHING",
    )
    .bind(&ids)
    .bind(column(|r| &r.industry))
    .bind(column(|r| &r.sector))
    .bind(column(|r| &r.keyword.display))
    .bind(column(|r| &r.keyword.key))
    .bind(&volumes)
    .bind(&difficulties)
    .bind(&cpcs)
    .bind(column(|r| r.intent))
    .bind(column(|r| &r.country))
    .execute(&state.pool)
    .await?
    .rows_affected();
    Ok(pb::LibraryImportResult {
        created,
        skipped: total - created,
    })
}

#[derive(sqlx::FromRow)]
struct Seed {
    keyword: String,
    search_volume: i32,
    difficulty: i16,
    cpc_micros: i64,
    intent: String,
}

pub async fn add_to_sector(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::AddKeywordsFromLibraryRequest,
) -> Result<pb::KeywordsAdded> {
    ctx.require_role(Role::Editor)?;
    let ids = parse_ids("library_ids", &req.library_ids)?;
    let scope = sector_scope(state, ctx, &req.site_id, &req.sector_id).await?;
    let seeds: Vec<Seed> = sqlx::query_as(
        "SELECT keyword, search_volume, difficulty, cpc_micros, intent FROM planner.library_keywords \
         WHERE id = ANY($1) ORDER BY array_position($1, id)",
    )
    .bind(&ids)
    .fetch_all(&state.pool)
    .await?;
    if seeds.len() < ids.len() {
        return Err(FieldErrors::single(
            "library_ids",
            format!(
                "{} of the ids are not in the library",
                ids.len() - seeds.len()
            ),
        ));
    }
    let rows = seeds
        .into_iter()
        .filter_map(|s| {
            Some(NewKeyword {
                keyword: KeywordText::parse(&s.keyword).ok()?,
                volume: s.search_volume,
                difficulty: s.difficulty,
                cpc_micros: s.cpc_micros,
                intent: INTENTS.iter().copied().find(|i| *i == s.intent)?,
            })
        })
        .collect();
    add_many(state, ctx, &scope, rows, "library").await
}

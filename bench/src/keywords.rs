//! `keywords`: a sector of 100,000 keywords (seeded through the CSV import path, whose first
//! 50,000-row upload is timed end to end), then GET /api/v1/planner/keywords (50 rows ordered by
//! -search_volume) through the gateway, the same page over planner-svc's gRPC API, and the same
//! SQL straight against Postgres, at the same concurrency, with the ratios.
//!
//! Set-up goes to the services over gRPC (a service token from the platform's secret), so the
//! gRPC figures stand even while the gateway lacks the planner routes; the gateway loops run
//! when it answers them.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use igny8_proto::common::v1::PageRequest;
use igny8_proto::planner::v1::{self as pb, planner_service_client::PlannerServiceClient};
use sqlx::postgres::PgPoolOptions;
use tonic::transport::{Channel, Endpoint};

use crate::cli::{LoadArgs, Target, ensure_loopback};
use crate::keyword_setup::{
    Sector, bearer, channel, csv_file, import_over_grpc, import_over_http, set_up,
};
use crate::load::{self, Outcome};
use crate::{http_load, report};

/// The page query planner-svc runs for an unfiltered list ordered by -search_volume (the count
/// comes from the per-sector counter). Keep in step with planner-svc `ops/keyword_lists.rs`.
const LIST_SQL: &str = "SELECT (SELECT COALESCE(sum(s.keywords), 0)::bigint FROM planner.sector_counters s \
     WHERE s.account_id = $1 AND s.site_id = $2 AND s.sector_id = $3) AS total, \
     k.id, k.site_id, k.sector_id, k.keyword, k.search_volume, k.difficulty, k.cpc_micros, k.intent, \
     k.status, k.source, k.cluster_id, c.name AS cluster_name, k.disabled, k.created_at, k.updated_at \
     FROM planner.keywords k LEFT JOIN planner.clusters c ON c.id = k.cluster_id \
     WHERE k.account_id = $4 AND k.site_id = $5 AND k.sector_id = $6 \
     ORDER BY k.search_volume DESC, k.id DESC LIMIT $7 OFFSET $8";

/// The original Django stack on this machine: a 50-row page of a 100,000-keyword sector
/// (ARCHITECTURE.md §12).
const DJANGO_PAGE_PER_SECOND: f64 = 52.0;
pub const ROWS_PER_UPLOAD: u32 = 50_000;
const PAGE_SIZE: u32 = 50;

#[derive(clap::Args, Debug)]
pub struct KeywordsArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    #[command(flatten)]
    load: LoadArgs,
    /// auth-svc's gRPC address (set-up: account, site, sector, plan).
    #[arg(long, env = "IGNY8_AUTH_URL", default_value = "http://127.0.0.1:50051")]
    pub(crate) auth: String,
    /// planner-svc's gRPC address.
    #[arg(
        long,
        env = "IGNY8_PLANNER_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    planner: String,
    /// The platform's service secret, exchanged for a service token.
    #[arg(
        long,
        env = "SERVICE_SECRET_FILE",
        default_value = ".local/secrets/service_secret"
    )]
    pub(crate) service_secret_file: PathBuf,
}

pub async fn run(args: KeywordsArgs) -> anyhow::Result<()> {
    let gateway = args.target.checked_gateway()?.to_owned();
    ensure_loopback("--auth", &args.auth)?;
    ensure_loopback("--planner", &args.planner)?;
    let plan = args.load.plan();
    let database_url = args.target.database_url.clone();
    let sector = set_up(&args).await?;
    let planner = channel(&args.planner).await?;
    let through_gateway = gateway_serves_planner(&gateway, &sector).await;

    println!("\nkeywords: CSV import of {ROWS_PER_UPLOAD} keywords, end to end");
    for upload in 0..2 {
        let csv = csv_file(upload);
        let started = Instant::now();
        let (created, path) = if through_gateway {
            (
                import_over_http(&gateway, &sector, csv).await?,
                "gateway POST .../keywords/import",
            )
        } else {
            (
                import_over_grpc(&planner, &sector, csv).await?,
                "planner-svc gRPC ImportKeywords",
            )
        };
        let took = started.elapsed();
        anyhow::ensure!(
            created == u64::from(ROWS_PER_UPLOAD),
            "upload {upload} created {created}"
        );
        println!(
            "  upload {} via {path}: {:.2} s",
            upload + 1,
            took.as_secs_f64()
        );
    }
    let count = list_over_grpc(&planner, &sector).await?;
    anyhow::ensure!(
        count == 100_000,
        "the sector holds {count} keywords, not 100000"
    );

    report::print_header(
        "keywords: 50-row page of a 100,000-keyword sector, -search_volume",
        &plan,
    );
    let mut gateway_rate = None;
    if through_gateway {
        let url = list_url(&gateway, &sector);
        let token = sector.token.clone();
        let stats =
            http_load::run(&plan, move |client| client.get(&url).bearer_auth(&token)).await?;
        report::print_stats("gateway GET /planner/keywords", &stats);
        gateway_rate = Some(stats.per_second());
    }
    let grpc = {
        let mut operations = Vec::with_capacity(plan.connections);
        for _ in 0..plan.connections {
            // One HTTP/2 connection per worker, like independent callers.
            let client = PlannerServiceClient::new(lazy_channel(&args.planner)?);
            let (request, token) = (list_request(&sector), sector.token.clone());
            operations.push(move || {
                let (mut client, request, token) = (client.clone(), request.clone(), token.clone());
                async move {
                    match client.list_keywords(bearer(request, &token)).await {
                        Ok(page) if page.get_ref().keywords.len() == PAGE_SIZE as usize => {
                            Outcome::Ok
                        }
                        Ok(_) => Outcome::Error("short page".into()),
                        Err(status) => Outcome::Error(status.to_string()),
                    }
                }
            });
        }
        load::run(&plan, operations).await?
    };
    report::print_stats("planner-svc gRPC ListKeywords", &grpc);
    let pool = PgPoolOptions::new()
        .max_connections(u32::try_from(plan.connections).unwrap_or(u32::MAX))
        .connect(&database_url)
        .await
        .with_context(|| format!("connecting to {database_url}"))?;
    let baseline = {
        let operations = (0..plan.connections)
            .map(|_| {
                let (pool, s) = (
                    pool.clone(),
                    (sector.account_id, sector.site_id, sector.sector_id),
                );
                move || {
                    let pool = pool.clone();
                    async move {
                        let rows = sqlx::query(LIST_SQL)
                            .bind(s.0)
                            .bind(s.1)
                            .bind(s.2)
                            .bind(s.0)
                            .bind(s.1)
                            .bind(s.2)
                            .bind(i64::from(PAGE_SIZE))
                            .bind(0_i64)
                            .fetch_all(&pool)
                            .await;
                        match rows {
                            Ok(rows) if rows.len() == PAGE_SIZE as usize => Outcome::Ok,
                            Ok(rows) => Outcome::Error(format!("{} rows", rows.len())),
                            Err(error) => Outcome::Error(error.to_string()),
                        }
                    }
                }
            })
            .collect();
        load::run(&plan, operations).await?
    };
    pool.close().await;
    report::print_stats("postgres, same SQL (baseline)", &baseline);
    println!();
    if let Some(rate) = gateway_rate {
        report::print_ratio("gateway / postgres baseline", rate, baseline.per_second());
        report::print_ratio(
            &format!("gateway / Django ({DJANGO_PAGE_PER_SECOND:.0} req/s, ARCHITECTURE §12)"),
            rate,
            DJANGO_PAGE_PER_SECOND,
        );
    } else {
        println!("gateway: no planner routes answered; gRPC figures only");
    }
    report::print_ratio(
        "gRPC / postgres baseline",
        grpc.per_second(),
        baseline.per_second(),
    );
    report::print_ratio("gRPC / Django", grpc.per_second(), DJANGO_PAGE_PER_SECOND);
    Ok(())
}

fn lazy_channel(url: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .tcp_nodelay(true)
        .connect_lazy())
}

fn list_request(s: &Sector) -> pb::ListKeywordsRequest {
    pb::ListKeywordsRequest {
        filter: Some(pb::KeywordFilter {
            site_id: s.site_id.to_string(),
            sector_id: s.sector_id.to_string(),
            ..Default::default()
        }),
        page: Some(PageRequest {
            page: 1,
            page_size: PAGE_SIZE,
        }),
        ordering: "-search_volume".into(),
    }
}

fn list_url(gateway: &str, s: &Sector) -> String {
    format!(
        "{gateway}/api/v1/planner/keywords/?site_id={}&sector_id={}&page_size={PAGE_SIZE}&ordering=-search_volume",
        s.site_id, s.sector_id
    )
}

async fn list_over_grpc(planner: &Channel, s: &Sector) -> anyhow::Result<u64> {
    let page = PlannerServiceClient::new(planner.clone())
        .list_keywords(bearer(list_request(s), &s.token))
        .await
        .context("listing over gRPC")?
        .into_inner();
    Ok(page.page.map_or(0, |p| p.count))
}

/// True when the gateway answers the planner list (it may predate the planner routes).
async fn gateway_serves_planner(gateway: &str, s: &Sector) -> bool {
    let Ok(client) = http_load::single_connection_client() else {
        return false;
    };
    match client
        .get(list_url(gateway, s))
        .bearer_auth(&s.token)
        .send()
        .await
    {
        Ok(response) => response.status().is_success(),
        Err(_) => false,
    }
}

//! Set-up of the `keywords` scenario: a bench account on a plan with room for 100,000
//! keywords, a site and sector, the CSV files, and the two ways of uploading them.

use anyhow::{Context, bail};
use igny8_proto::auth::v1::{self as auth, auth_service_client::AuthServiceClient};
use igny8_proto::planner::v1::{self as pb, planner_service_client::PlannerServiceClient};
use sqlx::postgres::PgPoolOptions;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

use crate::http_load;
use crate::keywords::{KeywordsArgs, ROWS_PER_UPLOAD};

/// The bench account: its owner's token and the scope the list reads.
pub(crate) struct Sector {
    pub token: String,
    pub account_id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Uuid,
}

/// 50,000 distinct keywords per upload, with spread volumes and difficulties.
pub(crate) fn csv_file(upload: u32) -> Vec<u8> {
    let intents = [
        "informational",
        "commercial",
        "transactional",
        "navigational",
    ];
    let mut csv = String::with_capacity(3 * 1024 * 1024);
    csv.push_str("keyword,search volume,difficulty,cpc,intent\n");
    for i in 0..ROWS_PER_UPLOAD {
        let n = upload * ROWS_PER_UPLOAD + i;
        let volume = (n.wrapping_mul(2_654_435_761) >> 8) % 200_000;
        csv.push_str(&format!(
            "bench keyword {n} {},{volume},{},{}.{:02},{}\n",
            ["guide", "price", "review", "near me", "vs"][(n % 5) as usize],
            n % 101,
            n % 9,
            n % 100,
            intents[(n % 4) as usize]
        ));
    }
    csv.into_bytes()
}

pub(crate) fn bearer<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(value) = MetadataValue::try_from(format!("Bearer {token}")) {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

pub(crate) async fn channel(url: &str) -> anyhow::Result<Channel> {
    Endpoint::from_shared(url.to_owned())?
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("connecting to {url} (./dev up?)"))
}

/// Registers a bench account with a site and a sector, on a plan with room for the keywords.
pub(crate) async fn set_up(args: &KeywordsArgs) -> anyhow::Result<Sector> {
    let secret = std::fs::read_to_string(&args.service_secret_file)
        .with_context(|| format!("reading {}", args.service_secret_file.display()))?;
    let mut auth = AuthServiceClient::new(channel(&args.auth).await?);
    let service = auth
        .issue_service_token(auth::ServiceTokenRequest {
            service: "planner-bench".into(),
            secret: secret.trim().into(),
        })
        .await
        .context("auth-svc refused the service secret")?
        .into_inner()
        .token;
    let id = Uuid::new_v4();
    let registered = auth
        .register(bearer(
            auth::RegisterRequest {
                email: format!("bench-keywords-{id}@example.com"),
                password: "bench-password-123".into(),
                first_name: "Bench".into(),
                last_name: "Keywords".into(),
                account_name: format!("Bench keywords {id}"),
            },
            &service,
        ))
        .await
        .context("registering the bench account")?
        .into_inner();
    let token = registered.access;
    let account_id: Uuid = registered
        .user
        .and_then(|u| u.account)
        .context("account")?
        .id
        .parse()?;
    move_to_bench_plan(&mut auth, &service, account_id, &args.target.database_url).await?;
    let site = auth
        .create_site(bearer(
            auth::CreateSiteRequest {
                name: format!("Bench {id}"),
                domain: String::new(),
                description: String::new(),
                industry_slug: "technology".into(),
            },
            &token,
        ))
        .await?
        .into_inner();
    let sectors = auth
        .select_sectors(bearer(
            auth::SelectSectorsRequest {
                site_id: site.id.clone(),
                industry_slug: "technology".into(),
                sector_slugs: vec!["saas".into()],
            },
            &token,
        ))
        .await?
        .into_inner()
        .sectors;
    let sector_id = sectors.first().context("no sector")?.id.parse()?;
    Ok(Sector {
        token,
        account_id,
        site_id: site.id.parse()?,
        sector_id,
    })
}

/// Moves an account onto the `bench` plan (room for 100 sites of 10 sectors and 1,000,000
/// keywords). No catalogue plan is that big: the bench adds its own, moves the account onto
/// it through auth-svc as billing would, and hides it from the catalogue again.
pub(crate) async fn move_to_bench_plan(
    auth: &mut AuthServiceClient<Channel>,
    service_token: &str,
    account_id: Uuid,
    database_url: &str,
) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(database_url)
        .await?;
    sqlx::query(
        "INSERT INTO auth.plans (id, slug, name, price_cents, max_sites, max_users, max_keywords, \
         max_sectors_per_site, included_credits, is_active, sort_order) \
         VALUES ($1, 'bench', 'Bench', 0, 100, 10, 1000000, 10, 0, true, 999) \
         ON CONFLICT (slug) DO UPDATE SET is_active = true",
    )
    .bind(Uuid::now_v7())
    .execute(&pool)
    .await
    .context("adding the bench plan (is --database-url the platform's database?)")?;
    let moved = auth
        .update_subscription(bearer(
            auth::UpdateSubscriptionRequest {
                account_id: account_id.to_string(),
                plan_slug: Some("bench".into()),
                status: None,
                start_new_period: false,
            },
            service_token,
        ))
        .await;
    sqlx::query("UPDATE auth.plans SET is_active = false WHERE slug = 'bench'")
        .execute(&pool)
        .await?;
    pool.close().await;
    moved.context("moving the bench account to the bench plan")?;
    Ok(())
}

pub(crate) async fn import_over_grpc(
    planner: &Channel,
    s: &Sector,
    csv: Vec<u8>,
) -> anyhow::Result<u64> {
    let request = pb::ImportKeywordsRequest {
        site_id: s.site_id.to_string(),
        sector_id: s.sector_id.to_string(),
        csv,
        ..Default::default()
    };
    let added = PlannerServiceClient::new(planner.clone())
        .import_keywords(bearer(request, &s.token))
        .await
        .context("importing over gRPC")?
        .into_inner();
    Ok(added.created)
}

pub(crate) async fn import_over_http(
    gateway: &str,
    s: &Sector,
    csv: Vec<u8>,
) -> anyhow::Result<u64> {
    let url = format!(
        "{gateway}/api/v1/planner/keywords/import/?site_id={}&sector_id={}",
        s.site_id, s.sector_id
    );
    let response = http_load::single_connection_client()?
        .post(&url)
        .bearer_auth(&s.token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.context("import answer is not JSON")?;
    if !status.is_success() {
        bail!("POST {url} answered {status}: {body}");
    }
    body["data"]["created"]
        .as_u64()
        .with_context(|| format!("no data.created in {body}"))
}

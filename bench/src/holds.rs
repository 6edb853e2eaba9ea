//! `holds`: hold + capture pairs per second through billing-svc's gRPC API, beside the same
//! ledger transactions driven straight against Postgres (billing-svc's own ledger functions on
//! a plain pool: the same SQL, without gRPC, tokens or the service process), at the same
//! concurrency, with the ratio.
//!
//! Two scenarios: every caller on one account (all transactions queue on that account's
//! balances row lock, the worst case) and one account per caller (no shared lock).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use billing_svc::ledger::holds::{self as ledger_holds, HoldTtl, Resolution};
use igny8_proto::auth::v1::{ServiceTokenRequest, auth_service_client::AuthServiceClient};
use igny8_proto::billing::v1::{
    self as pb, billing_service_client::BillingServiceClient as BillingClient,
};
use sqlx::PgPool;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

use crate::cli::ensure_loopback;
use crate::load::{self, LoadPlan, Outcome};
use crate::report;

/// Credits each pair holds and then captures, in milli-credits.
const PAIR_MILLI: i64 = 1000;
/// Granted to each bench account: far more than any run can spend.
const GRANT_MILLI: i64 = 10_000_000_000_000;

#[derive(clap::Args, Debug)]
pub struct HoldsArgs {
    /// billing-svc's gRPC address.
    #[arg(
        long,
        env = "IGNY8_BILLING_URL",
        default_value = "http://127.0.0.1:50054"
    )]
    billing: String,
    /// auth-svc's gRPC address (issues the bench's service token).
    #[arg(long, env = "IGNY8_AUTH_URL", default_value = "http://127.0.0.1:50051")]
    auth: String,
    /// The database billing-svc uses, for the baseline loop.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/igny8"
    )]
    database_url: String,
    /// The platform's service secret, exchanged for a service token.
    #[arg(
        long,
        env = "SERVICE_SECRET_FILE",
        default_value = ".local/secrets/service_secret"
    )]
    service_secret_file: PathBuf,
    /// Concurrent callers (one worker each; the baseline pool has as many connections).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1024))]
    callers: u32,
    /// Measured seconds per loop.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    duration_secs: u64,
    /// Unmeasured seconds before each loop.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=600))]
    warmup_secs: u64,
}

pub async fn run(args: HoldsArgs) -> anyhow::Result<()> {
    ensure_loopback("--billing", &args.billing)?;
    ensure_loopback("--auth", &args.auth)?;
    ensure_loopback("--database-url", &args.database_url)?;
    let plan = LoadPlan {
        connections: args.callers as usize,
        warmup: Duration::from_secs(args.warmup_secs),
        duration: Duration::from_secs(args.duration_secs),
    };
    let token = service_token(&args).await?;
    let channel = Endpoint::from_shared(args.billing.clone())?
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("connecting to billing-svc at {} (./dev up?)", args.billing))?;
    let billing = Billing { channel, token };
    let pool = igny8_platform::db::connect(&args.database_url, args.callers, "billing").await?;

    report::print_header("holds (hold + capture pairs)", &plan);
    for accounts in [1, args.callers as usize] {
        let ids: Vec<Uuid> = (0..accounts).map(|_| Uuid::now_v7()).collect();
        for id in &ids {
            billing.grant(*id).await?;
        }
        // Setup checks: one pair each way must work before anything is measured.
        billing
            .pair(ids[0])
            .await
            .context("a gRPC hold + capture")?;
        direct_pair(&pool, ids[0])
            .await
            .context("a direct hold + capture (is billing-svc migrated in --database-url?)")?;
        let label = if accounts == 1 {
            "1 account".to_owned()
        } else {
            format!("{accounts} accounts")
        };
        let grpc_pair = {
            let billing = billing.clone();
            move |id| {
                let billing = billing.clone();
                async move { outcome(billing.pair(id).await) }
            }
        };
        let over_grpc = load::run(&plan, operations(&ids, &plan, grpc_pair)).await?;
        report::print_stats(&format!("gRPC, {label}"), &over_grpc);
        let sql_pair = {
            let pool = pool.clone();
            move |id| {
                let pool = pool.clone();
                async move { outcome(direct_pair(&pool, id).await) }
            }
        };
        let direct = load::run(&plan, operations(&ids, &plan, sql_pair)).await?;
        report::print_stats(&format!("postgres, same SQL, {label}"), &direct);
        report::print_ratio(
            &format!("gRPC / postgres, {label}"),
            over_grpc.per_second(),
            direct.per_second(),
        );
        println!();
    }
    pool.close().await;
    Ok(())
}

/// One operation per caller; caller `i` works on account `i mod accounts`.
fn operations<F, Fut>(
    ids: &[Uuid],
    plan: &LoadPlan,
    pair: F,
) -> Vec<impl FnMut() -> Fut + Send + 'static>
where
    F: Fn(Uuid) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    (0..plan.connections)
        .map(|i| {
            let (id, pair) = (ids[i % ids.len()], pair.clone());
            move || pair(id)
        })
        .collect()
}

fn outcome(result: anyhow::Result<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Ok,
        Err(error) => Outcome::Error(format!("{error:#}")),
    }
}

async fn service_token(args: &HoldsArgs) -> anyhow::Result<String> {
    let secret = std::fs::read_to_string(&args.service_secret_file)
        .with_context(|| format!("reading {}", args.service_secret_file.display()))?;
    let mut auth = AuthServiceClient::connect(args.auth.clone())
        .await
        .with_context(|| format!("connecting to auth-svc at {}", args.auth))?;
    let response = auth
        .issue_service_token(ServiceTokenRequest {
            service: "bench".into(),
            secret: secret.trim().to_owned(),
        })
        .await
        .context("auth-svc refused the service secret")?;
    Ok(response.into_inner().token)
}

/// billing-svc over gRPC, as a platform service acting for bench accounts (the `jobs`
/// scenario uses it to grant its account credits too).
#[derive(Clone)]
pub(crate) struct Billing {
    pub(crate) channel: Channel,
    /// A service token (auth-svc IssueServiceToken).
    pub(crate) token: String,
}

impl Billing {
    fn request<T>(&self, message: T, account: Uuid) -> anyhow::Result<tonic::Request<T>> {
        let mut request = tonic::Request::new(message);
        let md = request.metadata_mut();
        md.insert(
            "authorization",
            MetadataValue::try_from(format!("Bearer {}", self.token))?,
        );
        md.insert(
            "x-igny8-account",
            MetadataValue::try_from(account.to_string())?,
        );
        Ok(request)
    }

    /// Grants the account far more credits than any run can spend.
    pub(crate) async fn grant(&self, account: Uuid) -> anyhow::Result<()> {
        let request = self.request(
            pb::GrantRequest {
                idempotency_key: "bench-grant".into(),
                kind: "purchase".into(),
                amount_milli: GRANT_MILLI,
                reason: "igny8-bench".into(),
            },
            account,
        )?;
        BillingClient::new(self.channel.clone())
            .grant(request)
            .await
            .context("granting the bench account's credits")?;
        Ok(())
    }

    async fn pair(&self, account: Uuid) -> anyhow::Result<()> {
        let mut client = BillingClient::new(self.channel.clone());
        let key = Uuid::now_v7().to_string();
        let held = client
            .hold(self.request(
                pb::HoldRequest {
                    idempotency_key: format!("{key}:hold"),
                    amount_milli: PAIR_MILLI,
                    reason: "bench".into(),
                    ..Default::default()
                },
                account,
            )?)
            .await?
            .into_inner();
        let Some(hold) = held.hold else {
            bail!("hold answered without a hold");
        };
        client
            .capture(self.request(
                pb::CaptureRequest {
                    idempotency_key: format!("{key}:capture"),
                    hold_id: hold.id,
                    actual_milli: PAIR_MILLI,
                },
                account,
            )?)
            .await?;
        Ok(())
    }
}

/// The same pair through billing-svc's ledger functions on a plain pool.
async fn direct_pair(pool: &PgPool, account: Uuid) -> anyhow::Result<()> {
    const TTL: HoldTtl = HoldTtl {
        default_secs: 3600,
        max_secs: 86_400,
    };
    let key = Uuid::now_v7().to_string();
    let request = pb::HoldRequest {
        idempotency_key: format!("{key}:hold"),
        amount_milli: PAIR_MILLI,
        reason: "bench".into(),
        ..Default::default()
    };
    let held = ledger_holds::hold(pool, account, &request, TTL, "igny8-bench").await?;
    let Some(hold) = held.hold else {
        bail!("hold returned without a hold");
    };
    ledger_holds::resolve(
        pool,
        account,
        &format!("{key}:capture"),
        &hold.id,
        Resolution::Capture(PAIR_MILLI),
        "igny8-bench",
    )
    .await?;
    Ok(())
}

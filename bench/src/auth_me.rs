//! `auth-me`: registers a fresh user, then measures GET /api/v1/auth/me through the gateway and,
//! as the baseline, the same lookup straight against Postgres, at the same concurrency.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::cli::{LoadArgs, Target};
use crate::pg_load::Param;
use crate::{http_load, pg_load, report};

/// The lookup behind /auth/me ($1 user id, $2 account id), taken from auth-svc itself so the
/// baseline can never drift from what the service runs.
fn auth_me_sql() -> &'static str {
    auth_svc::ops::views::user_query()
}

/// The original Django stack's /auth/me throughput on this machine (ARCHITECTURE.md §12).
const DJANGO_AUTH_ME_PER_SECOND: f64 = 300.0;

#[derive(clap::Args, Debug)]
pub struct AuthMeArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    load: LoadArgs,
}

/// The registered bench user: its access token and the ids the baseline query binds.
struct BenchUser {
    access: String,
    user_id: Param,
    account_id: Param,
}

pub async fn run(args: AuthMeArgs) -> anyhow::Result<()> {
    let gateway = args.target.checked_gateway()?;
    let database_url = args.target.database_url.as_str();
    let plan = args.load.plan();

    let user = register(gateway).await?;
    let me_url = format!("{gateway}/api/v1/auth/me");
    probe_me(&me_url, &user.access).await?;
    let params = vec![user.user_id, user.account_id];
    pg_load::probe(database_url, auth_me_sql(), &params).await?;

    report::print_header("auth-me", &plan);
    let access = user.access;
    let through_gateway = http_load::run(&plan, move |client| {
        client.get(&me_url).bearer_auth(&access)
    })
    .await?;
    report::print_stats("gateway GET /api/v1/auth/me", &through_gateway);
    let baseline = pg_load::run(&plan, database_url, auth_me_sql(), params).await?;
    report::print_stats("postgres, same lookup (baseline)", &baseline);

    println!();
    report::print_ratio(
        "gateway / postgres baseline",
        through_gateway.per_second(),
        baseline.per_second(),
    );
    report::print_ratio(
        &format!("gateway / Django ({DJANGO_AUTH_ME_PER_SECOND:.0} req/s, ARCHITECTURE §12)"),
        through_gateway.per_second(),
        DJANGO_AUTH_ME_PER_SECOND,
    );
    Ok(())
}

/// Registers `bench-<uuid>@example.com` through the gateway and reads the token and ids back.
async fn register(gateway: &str) -> anyhow::Result<BenchUser> {
    let id = Uuid::new_v4();
    let body = json!({
        "email": format!("bench-{id}@example.com"),
        "password": "bench-password-123",
        "first_name": "Bench",
        "last_name": "User",
        "account_name": format!("Bench {id}"),
    });
    let url = format!("{gateway}/api/v1/auth/register");
    let response = http_load::single_connection_client()?
        .post(&url)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("POST {url} (is the platform up? ./dev up)"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .context("reading the register response")?;
    if !status.is_success() {
        bail!("registration failed: POST {url} answered {status}: {text}");
    }
    let envelope: Value = serde_json::from_str(&text)
        .with_context(|| format!("register response is not JSON: {text}"))?;
    let data = &envelope["data"];
    let field = |value: &Value, name: &str| {
        Param::from_json(value).with_context(|| format!("register response lacks {name}: {text}"))
    };
    Ok(BenchUser {
        access: data["access"]
            .as_str()
            .with_context(|| format!("register response lacks data.access: {text}"))?
            .to_owned(),
        user_id: field(&data["user"]["id"], "data.user.id")?,
        account_id: field(&data["user"]["account"]["id"], "data.user.account.id")?,
    })
}

/// One authenticated request before the loop: a failure here is a setup problem, not a figure.
async fn probe_me(url: &str, access: &str) -> anyhow::Result<()> {
    let response = http_load::single_connection_client()?
        .get(url)
        .bearer_auth(access)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        bail!("GET {url} with the new user's token answered {status}: {text}");
    }
    Ok(())
}

//! Set-up of the `jobs` scenario. The user, its sites, sectors and keywords go through the
//! gateway like a client's; what no client may do (a plan with room for the keywords, credits
//! for the jobs) goes to auth-svc and billing-svc as a platform service.

use std::path::Path;

use anyhow::{Context, bail, ensure};
use igny8_proto::auth::v1::{ServiceTokenRequest, auth_service_client::AuthServiceClient};
use reqwest::{Client, RequestBuilder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::holds::Billing;
use crate::http_load;
use crate::keyword_setup::{channel, move_to_bench_plan};

/// Keywords one bulk_create request may carry (the gateway's limit).
const BULK_CREATE_MAX: usize = 1000;
/// Rows per page when listing the keywords back (the gateway's limit).
const PAGE_SIZE: usize = 100;

/// The gateway, as one API client with one connection.
#[derive(Clone)]
pub(crate) struct Gateway {
    base: String,
    client: Client,
}

impl Gateway {
    pub(crate) fn new(base: &str) -> anyhow::Result<Self> {
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client: http_load::single_connection_client()?,
        })
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut request = self.client.post(&url).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        send(request, "POST", &url).await
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        send(self.client.get(&url).bearer_auth(token), "GET", &url).await
    }
}

/// Sends, and returns the JSON body of a 2xx answer; anything else is an error quoting it.
async fn send(request: RequestBuilder, method: &str, url: &str) -> anyhow::Result<Value> {
    let response = request
        .send()
        .await
        .with_context(|| format!("{method} {url} (is the platform up? ./dev up)"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .with_context(|| format!("reading the answer to {method} {url}"))?;
    if !status.is_success() {
        bail!("{method} {url} answered {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| format!("{method} {url}: not JSON: {text}"))
}

fn text_at<'a>(body: &'a Value, pointer: &str) -> anyhow::Result<&'a str> {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .with_context(|| format!("no {pointer} in {body}"))
}

/// The bench user: its account and its current token pair (refreshed between
/// configurations, so a long run outlives the access token's lifetime).
pub(crate) struct Session {
    pub(crate) account_id: Uuid,
    pub(crate) access: String,
    refresh: String,
}

impl Session {
    /// Registers `bench-jobs-<uuid>@example.com` through the gateway.
    pub(crate) async fn register(gateway: &Gateway) -> anyhow::Result<Self> {
        let id = Uuid::new_v4();
        let body = json!({
            "email": format!("bench-jobs-{id}@example.com"),
            "password": "bench-password-123",
            "first_name": "Bench",
            "last_name": "Jobs",
            "account_name": format!("Bench jobs {id}"),
        });
        let answer = gateway
            .post("/api/v1/auth/register", None, &body)
            .await
            .context("registering the bench user")?;
        Ok(Self {
            account_id: text_at(&answer, "/data/user/account/id")?.parse()?,
            access: text_at(&answer, "/data/access")?.to_owned(),
            refresh: text_at(&answer, "/data/refresh")?.to_owned(),
        })
    }

    /// Trades the refresh token for a fresh pair.
    pub(crate) async fn refresh(&mut self, gateway: &Gateway) -> anyhow::Result<()> {
        let answer = gateway
            .post(
                "/api/v1/auth/token/refresh",
                None,
                &json!({ "refresh": self.refresh }),
            )
            .await
            .context("refreshing the bench user's token")?;
        self.access = text_at(&answer, "/data/access")?.to_owned();
        self.refresh = text_at(&answer, "/data/refresh")?.to_owned();
        Ok(())
    }
}

/// Where the platform's services are, for what only a service may do.
pub(crate) struct Services<'a> {
    pub(crate) auth: &'a str,
    pub(crate) billing: &'a str,
    pub(crate) service_secret_file: &'a Path,
    pub(crate) database_url: &'a str,
}

/// Moves the account onto the bench plan (room for a site per configuration and all their
/// keywords) and grants it far more credits than the jobs can spend.
pub(crate) async fn provision(services: &Services<'_>, account_id: Uuid) -> anyhow::Result<()> {
    let secret = std::fs::read_to_string(services.service_secret_file)
        .with_context(|| format!("reading {}", services.service_secret_file.display()))?;
    let mut auth = AuthServiceClient::new(channel(services.auth).await?);
    let token = auth
        .issue_service_token(ServiceTokenRequest {
            service: "jobs-bench".into(),
            secret: secret.trim().into(),
        })
        .await
        .context("auth-svc refused the service secret")?
        .into_inner()
        .token;
    move_to_bench_plan(&mut auth, &token, account_id, services.database_url).await?;
    Billing {
        channel: channel(services.billing).await?,
        token,
    }
    .grant(account_id)
    .await
}

/// A new site with one sector holding `count` new keywords; returns the keywords' ids.
pub(crate) async fn sector_with_keywords(
    gateway: &Gateway,
    session: &Session,
    label: &str,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let token = Some(session.access.as_str());
    let tag = Uuid::new_v4().simple().to_string();
    let site = gateway
        .post(
            "/api/v1/auth/sites",
            token,
            &json!({ "name": format!("Bench jobs {label} {tag}"), "industry_slug": "technology" }),
        )
        .await
        .context("creating a bench site")?;
    let site_id = text_at(&site, "/data/id")?.to_owned();
    let sectors = gateway
        .post(
            &format!("/api/v1/auth/sites/{site_id}/select_sectors"),
            token,
            &json!({ "industry_slug": "technology", "sector_slugs": ["saas"] }),
        )
        .await
        .context("adding the bench sector")?;
    let sector_id = text_at(&sectors, "/results/0/id")?.to_owned();

    let names: Vec<String> = (0..count)
        .map(|i| format!("bench job {label} keyword {i} {tag}"))
        .collect();
    for chunk in names.chunks(BULK_CREATE_MAX) {
        let keywords: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, name)| json!({ "keyword": name, "search_volume": 100 + i, "difficulty": i % 101 }))
            .collect();
        let added = gateway
            .post(
                "/api/v1/planner/keywords/bulk_create",
                token,
                &json!({ "site_id": site_id, "sector_id": sector_id, "keywords": keywords }),
            )
            .await
            .context("creating the bench keywords")?;
        let created = added.pointer("/data/created").and_then(Value::as_u64);
        ensure!(
            created == Some(chunk.len() as u64),
            "bulk_create made {created:?} of {} keywords: {added}",
            chunk.len()
        );
    }

    let mut ids = Vec::with_capacity(count);
    for page in 1..=count.div_ceil(PAGE_SIZE) {
        let list = gateway
            .get(
                &format!(
                    "/api/v1/planner/keywords?site_id={site_id}&sector_id={sector_id}\
                     &page={page}&page_size={PAGE_SIZE}&ordering=keyword"
                ),
                &session.access,
            )
            .await
            .context("listing the bench keywords")?;
        let rows = list["results"]
            .as_array()
            .with_context(|| format!("no results in {list}"))?;
        for row in rows {
            ids.push(text_at(row, "/id")?.to_owned());
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ensure!(
        ids.len() == count,
        "the bench sector lists {} distinct keywords, not {count}",
        ids.len()
    );
    Ok(ids)
}

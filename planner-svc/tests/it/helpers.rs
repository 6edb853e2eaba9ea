//! A per-test platform: own database, queue prefix and keys; auth-svc, planner-svc and
//! optionally writer-svc in-process; tenants with owners, members and site keys.

use std::net::SocketAddr;

use igny8_platform::{config::ServiceArgs, discovery::ServiceAddr};
use igny8_proto::{
    auth::v1::{self as auth, auth_service_client::AuthServiceClient},
    planner::v1::{self as pb, planner_service_client::PlannerServiceClient},
};
use igny8_test_support::{amqp, db::TestDb, keys::TestKeys};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request, Status, metadata::MetadataValue, transport::Channel};

type Task = (CancellationToken, JoinHandle<anyhow::Result<()>>);

pub struct TestEnv {
    pub db: TestDb,
    pub keys: TestKeys,
    pub prefix: String,
    pub auth_addr: SocketAddr,
    pub planner_addr: SocketAddr,
    /// auth-svc's pool (tests arrange plans and roles through it).
    pub auth_pool: sqlx::PgPool,
    pub planner_pool: sqlx::PgPool,
    tasks: Vec<Task>,
}

/// A registered account with one site (technology) and two sectors (saas, cybersecurity).
#[derive(Clone)]
pub struct Tenant {
    pub token: String,
    pub user_id: String,
    pub account_id: String,
    pub site_id: String,
    pub sectors: Vec<String>,
}

impl Tenant {
    pub fn sector(&self) -> &str {
        &self.sectors[0]
    }
}

fn spawn<F>(run: impl FnOnce(CancellationToken) -> F) -> Task
where
    F: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run(shutdown.clone()));
    (shutdown, task)
}

impl TestEnv {
    /// auth-svc and planner-svc; the writer address is a closed port.
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// auth-svc, writer-svc and planner-svc pointed at it.
    pub async fn start_with_writer() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(writer: bool) -> Self {
        igny8_test_support::init_tracing();
        igny8_platform::install_crypto_provider();
        let db = TestDb::create().await.expect("test database");
        let keys = TestKeys::create().expect("test keys");
        let prefix = amqp::unique_prefix();
        let amqp_url = amqp::amqp_url();
        let auth = auth_svc::Application::build(auth_svc::Config::for_tests(
            &db.url,
            &amqp_url,
            &prefix,
            &keys.private_key_file,
            &keys.service_secret_file,
        ))
        .await
        .expect("auth-svc builds");
        let auth_addr = auth.grpc_addr();
        let auth_pool = auth.pool();
        let mut tasks = vec![spawn(|s| auth.run_until_stopped(s))];
        let args = ServiceArgs::for_tests(
            &db.url,
            &amqp_url,
            &prefix,
            auth_addr,
            &keys.service_secret_file,
        );
        // Port 9 (discard) is closed here: a test that forgot the writer fails loudly.
        let mut writer_svc = ServiceAddr::Static("http://127.0.0.1:9".into());
        if writer {
            let app = writer_svc::Application::build(&args)
                .await
                .expect("writer-svc builds");
            writer_svc = ServiceAddr::Static(format!("http://{}", app.grpc_addr()));
            tasks.push(spawn(|s| app.run_until_stopped(s)));
        }
        let config = planner_svc::Config {
            service: args,
            writer_svc,
        };
        let planner = planner_svc::Application::build_with(&config)
            .await
            .expect("planner-svc builds");
        let planner_addr = planner.grpc_addr();
        let planner_pool = planner.pool();
        tasks.push(spawn(|s| planner.run_until_stopped(s)));
        Self {
            db,
            keys,
            prefix,
            auth_addr,
            planner_addr,
            auth_pool,
            planner_pool,
            tasks,
        }
    }

    pub fn planner(&self) -> PlannerServiceClient<Channel> {
        let channel = Channel::from_shared(format!("http://{}", self.planner_addr))
            .expect("uri")
            .connect_lazy();
        PlannerServiceClient::new(channel).max_decoding_message_size(64 * 1024 * 1024)
    }

    pub fn auth(&self) -> AuthServiceClient<Channel> {
        let channel = Channel::from_shared(format!("http://{}", self.auth_addr))
            .expect("uri")
            .connect_lazy();
        AuthServiceClient::new(channel)
    }

    pub async fn service_token(&self, service: &str) -> String {
        self.auth()
            .issue_service_token(auth::ServiceTokenRequest {
                service: service.into(),
                secret: self.keys.service_secret.clone(),
            })
            .await
            .expect("service token")
            .into_inner()
            .token
    }

    /// Adds keywords `(text, volume, difficulty)` to the tenant's first sector.
    pub async fn seed(&self, tenant: &Tenant, rows: &[(&str, u32, u32)]) -> pb::KeywordsAdded {
        let keywords = rows
            .iter()
            .map(|(k, v, d)| pb::KeywordInput {
                keyword: (*k).into(),
                search_volume: *v,
                difficulty: *d,
                ..Default::default()
            })
            .collect();
        self.planner()
            .bulk_create_keywords(bearer(
                pb::BulkCreateKeywordsRequest {
                    site_id: tenant.site_id.clone(),
                    sector_id: tenant.sector().into(),
                    keywords,
                },
                &tenant.token,
            ))
            .await
            .expect("seed keywords")
            .into_inner()
    }

    /// Every keyword of the tenant's first sector, by search volume (largest first).
    pub async fn all_keywords(&self, tenant: &Tenant) -> Vec<pb::Keyword> {
        let mut all = Vec::new();
        for page in 1.. {
            let list = self
                .planner()
                .list_keywords(bearer(
                    list_request(
                        tenant,
                        pb::KeywordFilter::default(),
                        page,
                        100,
                        "-search_volume",
                    ),
                    &tenant.token,
                ))
                .await
                .expect("list")
                .into_inner();
            let done = list.keywords.len() < 100;
            all.extend(list.keywords);
            if done {
                break;
            }
        }
        all
    }

    pub async fn cleanup(self, queues: &[&str]) {
        for (shutdown, task) in self.tasks.into_iter().rev() {
            shutdown.cancel();
            task.await
                .expect("service task")
                .expect("service stops cleanly");
        }
        self.auth_pool.close().await;
        self.planner_pool.close().await;
        // planner-svc's own consumer queue goes too, whatever the test declared.
        let mut queues = queues.to_vec();
        queues.push(planner_svc::consumer::QUEUE);
        amqp::cleanup(&self.prefix, &queues)
            .await
            .expect("queue cleanup");
        self.db.cleanup().await.expect("database cleanup");
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// A list request over the tenant's first sector.
pub fn list_request(
    tenant: &Tenant,
    mut filter: pb::KeywordFilter,
    page: u32,
    page_size: u32,
    ordering: &str,
) -> pb::ListKeywordsRequest {
    filter.site_id = tenant.site_id.clone();
    filter.sector_id = tenant.sector().into();
    pb::ListKeywordsRequest {
        filter: Some(filter),
        page: Some(igny8_proto::common::v1::PageRequest { page, page_size }),
        ordering: ordering.into(),
    }
}

/// A request carrying `Authorization: Bearer <token>`.
pub fn bearer<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {token}")).expect("ascii"),
    );
    request
}

/// A request of a service token acting for `account_id`.
pub fn acting<T>(message: T, token: &str, account_id: &str) -> Request<T> {
    let mut request = bearer(message, token);
    request.metadata_mut().insert(
        igny8_platform::grpc::ACCOUNT_HEADER,
        MetadataValue::try_from(account_id).expect("ascii"),
    );
    request
}

pub fn unique_email() -> String {
    format!("planner-{}@example.com", igny8_test_support::unique_tag())
}

/// The field names of an InvalidArgument status's violations.
pub fn violations(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let decoded = igny8_platform::error::decode_status(status);
    decoded.fields.0.into_keys().collect()
}

/// The machine code of a status (e.g. PLAN_LIMIT).
pub fn code_of(status: &Status) -> String {
    igny8_platform::error::decode_status(status).code
}

/// Reads a counter row of the planner schema.
pub async fn sector_count(env: &TestEnv, sector_id: &str, column: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE((SELECT {column} FROM planner.sector_counters WHERE sector_id = $1::uuid), 0)"
    )))
    .bind(sector_id)
    .fetch_one(&env.planner_pool)
    .await
    .expect("counter")
}

/// Rows of a sector counted the slow way, to check the counters against.
pub async fn real_count(env: &TestEnv, table: &str, sector_id: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM planner.{table} WHERE sector_id = $1::uuid"
    )))
    .bind(sector_id)
    .fetch_one(&env.planner_pool)
    .await
    .expect("count")
}

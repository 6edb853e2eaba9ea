//! A per-test platform: own database, queue prefix, keys and temp folder; auth-svc,
//! billing-svc, writer-svc, planner-svc and ai-svc in-process on ephemeral ports, every AI
//! provider pointed at a fake provider server; tenants with an owner, an editor, a viewer and
//! two sites.

use std::{net::SocketAddr, path::PathBuf, str::FromStr as _, time::Duration};

use base64::Engine as _;
use igny8_platform::{config::ServiceArgs, discovery::ServiceAddr};
use igny8_proto::{
    ai::v1::ai_service_client::AiServiceClient,
    auth::v1::{self as auth, auth_service_client::AuthServiceClient},
    billing::v1::billing_service_client::BillingServiceClient,
    common::v1::Empty,
    planner::v1::{
        BulkCreateKeywordsRequest, KeywordInput, planner_service_client::PlannerServiceClient,
    },
    writer::v1::writer_service_client::WriterServiceClient,
};
use igny8_test_support::{amqp, db::TestDb, fake_provider::FakeProvider, keys::TestKeys};
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::{Request, metadata::MetadataValue, transport::Channel};

pub const PASSWORD: &str = "correct horse battery";
/// The platform key the fake provider is given when a provider is configured.
pub const PLATFORM_PROVIDER_KEY: &str = "sk-test-key";

pub struct Options {
    /// Whether the platform has provider keys (false: accounts must bring their own).
    pub provider_configured: bool,
    /// Whether ai-svc is started (false: the test starts its own from `ai_config()`).
    pub start_ai: bool,
    /// Another broker URL than the shared one (the fault test puts a proxy in front of it).
    pub amqp_url: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            provider_configured: true,
            start_ai: true,
            amqp_url: None,
        }
    }
}

struct Running {
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    fn spawn<F>(run: impl FnOnce(CancellationToken) -> F) -> Self
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(run(shutdown.clone()));
        Self { shutdown, task }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.task
            .await
            .expect("service task")
            .expect("service stops cleanly");
    }
}

pub struct Platform {
    pub db: TestDb,
    pub keys: TestKeys,
    pub prefix: String,
    pub fake: FakeProvider,
    /// ai-svc's pool (search_path ai), usable even when ai-svc was not started here.
    pub ai_pool: PgPool,
    pub auth_pool: PgPool,
    pub planner_pool: PgPool,
    pub writer_pool: PgPool,
    pub billing_pool: PgPool,
    pub image_dir: PathBuf,
    pub auth_addr: SocketAddr,
    pub billing_addr: SocketAddr,
    pub writer_addr: SocketAddr,
    pub planner_addr: SocketAddr,
    /// The first ai-svc started (by `start_with` or `spawn_ai`).
    pub ai_addr: Option<SocketAddr>,
    pub amqp_url: String,
    /// Holds the provider and settings key files and `image_dir`; removed by `cleanup`.
    temp_dir: PathBuf,
    provider_key_file: Option<PathBuf>,
    settings_key_file: PathBuf,
    /// ai-svc processes, stopped first.
    ai: Vec<Running>,
    /// planner, writer, billing, auth: stopped in this order.
    peers: Vec<Running>,
}

/// One account: an owner, an editor and a viewer, two sites (sectors a1, a2 on site a; b1 on
/// site b), on the growth plan with its opening credits granted.
pub struct Tenant {
    pub account_id: String,
    pub owner: String,
    pub editor: String,
    pub viewer: String,
    pub site_a: String,
    pub sector_a1: String,
    pub sector_a2: String,
    pub site_b: String,
    pub sector_b1: String,
}

impl Platform {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(opts: Options) -> Self {
        igny8_test_support::init_tracing();
        igny8_platform::install_crypto_provider();
        let db = TestDb::create().await.expect("test database");
        let keys = TestKeys::create().expect("test keys");
        let prefix = amqp::unique_prefix();
        let amqp_url = opts.amqp_url.clone().unwrap_or_else(amqp::amqp_url);
        let fake = FakeProvider::start().await.expect("fake provider");
        // Answers each AI function's prompt with valid JSON built from its inputs.
        fake.set_responder(igny8_test_support::fake_answers::respond);
        let temp_dir = std::env::temp_dir().join(format!(
            "igny8-ai-test-{}",
            igny8_test_support::unique_tag()
        ));
        let image_dir = temp_dir.join("images");
        std::fs::create_dir_all(&image_dir).expect("temp dir");
        let provider_key_file = opts.provider_configured.then(|| {
            let path = temp_dir.join("provider_key");
            std::fs::write(&path, PLATFORM_PROVIDER_KEY).expect("provider key file");
            path
        });
        let settings_key_file = temp_dir.join("ai_settings_key");
        let settings_key =
            base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
        std::fs::write(&settings_key_file, settings_key).expect("settings key file");

        let auth_app = auth_svc::Application::build(auth_svc::Config::for_tests(
            &db.url,
            &amqp_url,
            &prefix,
            &keys.private_key_file,
            &keys.service_secret_file,
        ))
        .await
        .expect("auth-svc builds");
        let auth_addr = auth_app.grpc_addr();
        let auth_pool = auth_app.pool();
        let auth_task = Running::spawn(|s| auth_app.run_until_stopped(s));
        let args = ServiceArgs::for_tests(
            &db.url,
            &amqp_url,
            &prefix,
            auth_addr,
            &keys.service_secret_file,
        );
        let billing_app = billing_svc::Application::build(&args)
            .await
            .expect("billing-svc builds");
        let billing_addr = billing_app.grpc_addr();
        let billing_pool = billing_app.pool();
        let billing_task = Running::spawn(|s| billing_app.run_until_stopped(s));
        let writer_app = writer_svc::Application::build(&args)
            .await
            .expect("writer-svc builds");
        let writer_addr = writer_app.grpc_addr();
        let writer_pool = writer_app.pool();
        let writer_task = Running::spawn(|s| writer_app.run_until_stopped(s));
        let planner_app = planner_svc::Application::build_with(&planner_svc::Config {
            service: args,
            writer_svc: ServiceAddr::Static(format!("http://{writer_addr}")),
        })
        .await
        .expect("planner-svc builds");
        let planner_addr = planner_app.grpc_addr();
        let planner_pool = planner_app.pool();
        let planner_task = Running::spawn(|s| planner_app.run_until_stopped(s));

        let mut platform = Self {
            ai_pool: ai_pool_for(&db.url),
            db,
            keys,
            prefix,
            fake,
            auth_pool,
            planner_pool,
            writer_pool,
            billing_pool,
            image_dir,
            auth_addr,
            billing_addr,
            writer_addr,
            planner_addr,
            ai_addr: None,
            amqp_url,
            temp_dir,
            provider_key_file,
            settings_key_file,
            ai: Vec::new(),
            peers: vec![planner_task, writer_task, billing_task, auth_task],
        };
        if opts.start_ai {
            platform.spawn_ai(platform.ai_config()).await;
        }
        platform
    }

    /// ai-svc settings of this platform (peers, fake provider, keys, image folder), for
    /// starting more ai processes.
    pub fn ai_config(&self) -> ai_svc::Config {
        let args = ServiceArgs::for_tests(
            &self.db.url,
            &self.amqp_url,
            &self.prefix,
            self.auth_addr,
            &self.keys.service_secret_file,
        );
        ai_svc::Config::for_tests(
            args,
            self.planner_addr,
            self.writer_addr,
            self.billing_addr,
            &format!("http://{}", self.fake.addr),
            self.provider_key_file.clone(),
            self.settings_key_file.clone(),
            self.image_dir.clone(),
        )
    }

    /// Builds and runs an ai-svc with `config` until `cleanup`; returns its gRPC address.
    /// The first one started becomes the address `ai()` talks to.
    pub async fn spawn_ai(&mut self, config: ai_svc::Config) -> SocketAddr {
        let app = ai_svc::Application::build(config)
            .await
            .expect("ai-svc builds");
        let addr = app.grpc_addr();
        self.ai.push(Running::spawn(|s| app.run_until_stopped(s)));
        self.ai_addr.get_or_insert(addr);
        addr
    }

    /// The environment of an `ai-svc --role worker` process of this platform (ephemeral
    /// ports, `concurrency` jobs at once, leases of `lease_seconds`).
    pub fn worker_env(&self, concurrency: u16, lease_seconds: u32) -> Vec<(String, String)> {
        let config = self.ai_config();
        let p = &config.providers;
        let mut env = vec![
            ("AI_ROLE", "worker".to_owned()),
            ("DATABASE_URL", self.db.url.clone()),
            ("DATABASE_MAX_CONNECTIONS", "3".to_owned()),
            ("AMQP_URL", self.amqp_url.clone()),
            ("AMQP_PREFIX", self.prefix.clone()),
            ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
            ("METRICS_ADDR", "127.0.0.1:0".to_owned()),
            ("AUTH_SVC", format!("http://{}", self.auth_addr)),
            ("PLANNER_SVC", format!("http://{}", self.planner_addr)),
            ("WRITER_SVC", format!("http://{}", self.writer_addr)),
            ("BILLING_SVC", format!("http://{}", self.billing_addr)),
            (
                "SERVICE_SECRET_FILE",
                self.keys.service_secret_file.display().to_string(),
            ),
            (
                "AI_SETTINGS_KEY_FILE",
                self.settings_key_file.display().to_string(),
            ),
            ("IMAGE_STORAGE_DIR", self.image_dir.display().to_string()),
            ("OPENAI_BASE_URL", p.openai_base_url.clone()),
            ("ANTHROPIC_BASE_URL", p.anthropic_base_url.clone()),
            ("RUNWARE_BASE_URL", p.runware_base_url.clone()),
            (
                "PROVIDER_TIMEOUT_SECONDS",
                p.provider_timeout_seconds.to_string(),
            ),
            ("WORKER_CONCURRENCY", concurrency.to_string()),
            ("JOB_LEASE_SECONDS", lease_seconds.to_string()),
            ("RUST_LOG", "warn".to_owned()),
        ];
        if let Some(key) = &self.provider_key_file {
            for name in [
                "OPENAI_API_KEY_FILE",
                "ANTHROPIC_API_KEY_FILE",
                "RUNWARE_API_KEY_FILE",
            ] {
                env.push((name, key.display().to_string()));
            }
        }
        env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    pub fn ai(&self) -> AiServiceClient<Channel> {
        let addr = self.ai_addr.expect("ai-svc was started");
        AiServiceClient::new(channel(addr))
    }

    pub fn planner(&self) -> PlannerServiceClient<Channel> {
        PlannerServiceClient::new(channel(self.planner_addr))
    }

    /// Adds `keywords` to the tenant's sector a1 (as its owner) and returns their ids, in the
    /// order of their keyword text.
    pub async fn add_keywords(&self, tenant: &Tenant, keywords: Vec<KeywordInput>) -> Vec<String> {
        let names: Vec<String> = keywords.iter().map(|k| k.keyword.clone()).collect();
        self.planner()
            .bulk_create_keywords(bearer(
                BulkCreateKeywordsRequest {
                    site_id: tenant.site_a.clone(),
                    sector_id: tenant.sector_a1.clone(),
                    keywords,
                },
                &tenant.owner,
            ))
            .await
            .expect("keywords");
        sqlx::query_scalar(
            "SELECT id::text FROM planner.keywords \
             WHERE sector_id = $1::uuid AND keyword = ANY($2) ORDER BY keyword",
        )
        .bind(&tenant.sector_a1)
        .bind(&names)
        .fetch_all(&self.planner_pool)
        .await
        .expect("keyword ids")
    }

    pub fn writer(&self) -> WriterServiceClient<Channel> {
        WriterServiceClient::new(channel(self.writer_addr))
    }

    pub fn billing(&self) -> BillingServiceClient<Channel> {
        BillingServiceClient::new(channel(self.billing_addr))
    }

    pub fn auth(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(channel(self.auth_addr))
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

    /// Registers an account on the growth plan with two sites, an editor and a viewer, and
    /// waits until billing granted its opening credits.
    pub async fn tenant(&self) -> Tenant {
        let gateway = self.service_token("gateway").await;
        let email = unique_email();
        let registered = self
            .auth()
            .register(bearer(
                auth::RegisterRequest {
                    email: email.clone(),
                    password: PASSWORD.into(),
                    first_name: "Owner".into(),
                    last_name: "User".into(),
                    account_name: "AI test".into(),
                },
                &gateway,
            ))
            .await
            .expect("register")
            .into_inner();
        let account_id = registered.user.expect("user").account.expect("account").id;
        // Two sites need a bigger plan than the free one.
        let billing_token = self.service_token("billing-svc").await;
        self.auth()
            .update_subscription(bearer(
                auth::UpdateSubscriptionRequest {
                    account_id: account_id.clone(),
                    plan_slug: Some("growth".into()),
                    status: None,
                    start_new_period: false,
                },
                &billing_token,
            ))
            .await
            .expect("upgrade");
        // A fresh token carries the new plan.
        let owner = self.login(&email, &gateway).await;
        let site_a = self.site(&owner, "Site A").await;
        let site_b = self.site(&owner, "Site B").await;
        let sector_a1 = self.sector(&owner, &site_a, "Sector A1").await;
        let sector_a2 = self.sector(&owner, &site_a, "Sector A2").await;
        let sector_b1 = self.sector(&owner, &site_b, "Sector B1").await;
        let editor = self.member(&owner, &email, "editor", &gateway).await;
        let viewer = self.member(&owner, &email, "viewer", &gateway).await;
        self.wait_for_credits(&account_id).await;
        Tenant {
            account_id,
            owner,
            editor,
            viewer,
            site_a,
            sector_a1,
            sector_a2,
            site_b,
            sector_b1,
        }
    }

    /// Invites a member with `role` and signs them in (with the owner's password: the invitee
    /// would set one from the mailed link).
    async fn member(&self, owner: &str, owner_email: &str, role: &str, gateway: &str) -> String {
        let email = unique_email();
        self.auth()
            .invite_user(bearer(
                auth::InviteUserRequest {
                    email: email.clone(),
                    first_name: "Team".into(),
                    last_name: role.into(),
                    role: role.into(),
                },
                owner,
            ))
            .await
            .expect("invite member");
        sqlx::query(
            "UPDATE auth.users m SET password_hash = o.password_hash FROM auth.users o \
             WHERE lower(m.email) = lower($1) AND lower(o.email) = lower($2)",
        )
        .bind(&email)
        .bind(owner_email)
        .execute(&self.auth_pool)
        .await
        .expect("member password");
        self.login(&email, gateway).await
    }

    async fn wait_for_credits(&self, account_id: &str) {
        let token = self.service_token("ai-svc").await;
        for _ in 0..200 {
            let balance = self
                .billing()
                .get_balance(acting(Empty {}, &token, account_id))
                .await;
            if balance.is_ok_and(|b| b.into_inner().available_milli > 0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("billing did not grant the opening credits within 10 s");
    }

    async fn login(&self, email: &str, gateway: &str) -> String {
        let request = auth::LoginRequest {
            email: email.into(),
            password: PASSWORD.into(),
        };
        self.auth()
            .login(bearer(request, gateway))
            .await
            .expect("login")
            .into_inner()
            .access
    }

    async fn site(&self, owner: &str, name: &str) -> String {
        let request = auth::CreateSiteRequest {
            name: name.into(),
            ..Default::default()
        };
        self.auth()
            .create_site(bearer(request, owner))
            .await
            .expect("site")
            .into_inner()
            .id
    }

    async fn sector(&self, owner: &str, site: &str, name: &str) -> String {
        let request = auth::CreateSectorRequest {
            site_id: site.into(),
            name: name.into(),
            industry_sector: String::new(),
        };
        self.auth()
            .create_sector(bearer(request, owner))
            .await
            .expect("sector")
            .into_inner()
            .id
    }

    /// Stops every service (ai first), removes the prefix's queues and exchanges, drops the
    /// database and removes the temp folder.
    pub async fn cleanup(mut self) {
        for running in self.ai.drain(..).chain(self.peers.drain(..)) {
            running.stop().await;
        }
        for pool in [
            &self.ai_pool,
            &self.auth_pool,
            &self.planner_pool,
            &self.writer_pool,
            &self.billing_pool,
        ] {
            pool.close().await;
        }
        let queues = consumer_queues();
        let queues: Vec<&str> = queues.iter().map(String::as_str).collect();
        amqp::cleanup(&self.prefix, &queues)
            .await
            .expect("queue cleanup");
        let db = std::mem::replace(
            &mut self.db,
            TestDb {
                name: String::new(),
                url: String::new(),
            },
        );
        db.cleanup().await.expect("database cleanup");
        std::fs::remove_dir_all(&self.temp_dir).expect("temp dir removed");
    }
}

/// The queues the services of a platform consume (ai jobs, billing's and planner's events).
fn consumer_queues() -> Vec<String> {
    let mut queues: Vec<String> = ai_svc::jobs::JobKind::ALL
        .into_iter()
        .map(|kind| kind.queue())
        .collect();
    queues.push(billing_svc::events::QUEUE.to_owned());
    queues.push(planner_svc::consumer::QUEUE.to_owned());
    queues
}

/// A test that panicked never reaches `cleanup`: its folder and queues are removed here (the
/// database goes with `TestDb`'s own drop). After `cleanup` the folder is gone and this is a
/// no-op.
impl Drop for Platform {
    fn drop(&mut self) {
        if !self.temp_dir.exists() {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.temp_dir);
        let prefix = self.prefix.clone();
        igny8_test_support::clean_up_in_drop("removing the test's queues", async move {
            let queues = consumer_queues();
            let queues: Vec<&str> = queues.iter().map(String::as_str).collect();
            amqp::cleanup(&prefix, &queues).await
        });
    }
}

/// A pool on the test database with ai-svc's search path; connects on first use, so it also
/// serves ai processes a test starts itself.
fn ai_pool_for(url: &str) -> PgPool {
    let options = PgConnectOptions::from_str(url)
        .expect("database url")
        .options([("search_path", "ai")]);
    PgPoolOptions::new()
        .max_connections(3)
        .connect_lazy_with(options)
}

fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect_lazy()
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
    request
        .metadata_mut()
        .insert("x-igny8-account", account_id.parse().expect("ascii"));
    request
}

pub fn unique_email() -> String {
    format!("user-{}@example.com", igny8_test_support::unique_tag())
}

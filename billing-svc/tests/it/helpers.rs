//! A per-test platform: own database, queue prefix and keys; auth-svc and billing-svc
//! in-process on ephemeral ports. `cleanup` audits the ledger's invariants before it tears
//! everything down, so every test ends with the invariant check.

use std::{future::Future, net::SocketAddr, time::Duration};

use billing_svc::{Application, BillingArgs, Hooks};
use igny8_platform::{Role, config::ServiceArgs};
use igny8_proto::{
    auth::v1::{self as auth_pb, auth_service_client::AuthServiceClient},
    billing::v1::{self as pb, billing_service_client::BillingServiceClient},
    common::v1::Empty,
};
use igny8_test_support::{amqp, db::TestDb, keys::TestKeys};
use tokio::task::{AbortHandle, JoinHandle};
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request, Status, metadata::MetadataValue, transport::Channel};

pub const PASSWORD: &str = "correct horse battery";
/// The free plan's included credits, in milli-credits (auth-svc's seed: 100 credits).
pub const FREE_PLAN_MILLI: i64 = 100_000;

struct Running {
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    async fn stop(self) {
        self.shutdown.cancel();
        self.task
            .await
            .expect("service task")
            .expect("service stops cleanly");
    }
}

pub struct Harness {
    pub db: TestDb,
    pub keys: TestKeys,
    pub prefix: String,
    pub auth_addr: SocketAddr,
    pub auth_pool: sqlx::PgPool,
    auth: Option<Running>,
    pub billing_addr: SocketAddr,
    /// billing-svc's pool (search_path = billing).
    pub pool: sqlx::PgPool,
    billing: Option<Running>,
}

/// Settings for tests: a quick sweeper, everything else as in production.
pub fn test_settings() -> BillingArgs {
    BillingArgs {
        sweep_interval_ms: 100,
        ..BillingArgs::default()
    }
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(test_settings(), Hooks::default()).await
    }

    pub async fn start_with(settings: BillingArgs, hooks: Hooks) -> Self {
        igny8_test_support::init_tracing();
        igny8_platform::install_crypto_provider();
        let db = TestDb::create().await.expect("test database");
        let keys = TestKeys::create().expect("test keys");
        let prefix = amqp::unique_prefix();
        let config = auth_svc::Config::for_tests(
            &db.url,
            &amqp::amqp_url(),
            &prefix,
            &keys.private_key_file,
            &keys.service_secret_file,
        );
        let auth = auth_svc::Application::build(config)
            .await
            .expect("auth-svc builds");
        let auth_addr = auth.grpc_addr();
        let auth_pool = auth.pool();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(auth.run_until_stopped(shutdown.clone()));
        let mut harness = Self {
            db,
            keys,
            prefix,
            auth_addr,
            auth_pool,
            auth: Some(Running { shutdown, task }),
            billing_addr: ([127, 0, 0, 1], 0).into(),
            pool: lazy_pool(),
            billing: None,
        };
        let app = harness.build_billing(settings, hooks).await;
        harness.spawn_billing(app);
        harness
    }

    /// Builds (migrates, binds, declares its queue) a billing-svc for this platform.
    pub async fn build_billing(&self, settings: BillingArgs, hooks: Hooks) -> Application {
        let mut args = ServiceArgs::for_tests(
            &self.db.url,
            &amqp::amqp_url(),
            &self.prefix,
            self.auth_addr,
            &self.keys.service_secret_file,
        );
        // The concurrency tests send 200 callers at once and watch the balances row through
        // this same pool; the small test default would leave them queueing for a connection
        // past the acquire timeout on a loaded machine. These tests run only two services, so
        // the production default fits the connection budget.
        args.db.database_max_connections = 10;
        Application::build_with(&args, settings, hooks)
            .await
            .expect("billing-svc builds")
    }

    /// Runs `app` as this platform's billing-svc; returns its task's abort handle.
    pub fn spawn_billing(&mut self, app: Application) -> AbortHandle {
        self.billing_addr = app.grpc_addr();
        self.pool = app.pool();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        let abort = task.abort_handle();
        self.billing = Some(Running { shutdown, task });
        abort
    }

    pub async fn stop_billing(&mut self) {
        if let Some(running) = self.billing.take() {
            running.stop().await;
        }
    }

    /// After the billing task was aborted: stops what it had spawned (outbox relay, metrics),
    /// as the death of its process would, and waits until the task is gone.
    pub async fn reap_aborted_billing(&mut self) {
        if let Some(running) = self.billing.take() {
            running.shutdown.cancel();
            let joined = running.task.await;
            assert!(
                joined.as_ref().is_err_and(|e| e.is_cancelled()),
                "the billing task was aborted, not finished: {joined:?}"
            );
        }
    }

    pub fn billing(&self) -> BillingServiceClient<Channel> {
        BillingServiceClient::new(channel(self.billing_addr))
    }

    pub fn auth(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(channel(self.auth_addr))
    }

    pub async fn service_token(&self, service: &str) -> String {
        self.auth()
            .issue_service_token(auth_pb::ServiceTokenRequest {
                service: service.into(),
                secret: self.keys.service_secret.clone(),
            })
            .await
            .expect("service token")
            .into_inner()
            .token
    }

    /// Registers a fresh account (free plan) and waits until billing opened its ledger.
    pub async fn account(&self) -> Account {
        let email = format!("user-{}@example.com", igny8_test_support::unique_tag());
        let gateway = self.service_token("gateway").await;
        let registered = self
            .auth()
            .register(bearer(
                auth_pb::RegisterRequest {
                    email: email.clone(),
                    password: PASSWORD.into(),
                    first_name: "Test".into(),
                    last_name: "User".into(),
                    account_name: "Test account".into(),
                },
                &gateway,
            ))
            .await
            .expect("register")
            .into_inner();
        let user = registered.user.expect("user");
        let account = Account {
            id: user.account.expect("account").id,
            email,
            owner_token: registered.access,
            service_token: self.service_token("ai-svc").await,
        };
        let opened = self
            .eventually(|| async {
                let balance = self.balance(&account).await;
                (!balance.plan_slug.is_empty()).then_some(balance)
            })
            .await;
        assert_eq!(opened.plan_milli, FREE_PLAN_MILLI);
        account
    }

    /// A token of a user of `account` with `role` (the owner, re-roled, signing in again).
    pub async fn token_with_role(&self, account: &Account, role: Role) -> String {
        auth_svc::admin::set_role(&self.auth_pool, &account.email, role)
            .await
            .expect("set role");
        let gateway = self.service_token("gateway").await;
        self.auth()
            .login(bearer(
                auth_pb::LoginRequest {
                    email: account.email.clone(),
                    password: PASSWORD.into(),
                },
                &gateway,
            ))
            .await
            .expect("login")
            .into_inner()
            .access
    }

    pub async fn balance(&self, account: &Account) -> pb::Balance {
        self.billing()
            .get_balance(account.acting(Empty {}))
            .await
            .expect("balance")
            .into_inner()
    }

    /// Polls `probe` (every 50 ms, at most 10 s) until it returns a value.
    pub async fn eventually<T, F, Fut>(&self, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        for _ in 0..200 {
            if let Some(value) = probe().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("condition not reached within 10 s");
    }

    /// Audits the ledger (the invariant check every test ends with), then removes everything.
    pub async fn cleanup(mut self) {
        let violations = billing_svc::audit::verify(&self.pool)
            .await
            .expect("ledger audit runs");
        assert!(violations.is_empty(), "ledger invariants: {violations:#?}");
        self.stop_billing().await;
        self.pool.close().await;
        if let Some(auth) = self.auth.take() {
            auth.stop().await;
        }
        self.auth_pool.close().await;
        amqp::cleanup(&self.prefix, &[billing_svc::events::QUEUE])
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
    }
}

/// A registered account: its owner's token and a platform service's token.
pub struct Account {
    pub id: String,
    pub email: String,
    pub owner_token: String,
    pub service_token: String,
}

impl Account {
    /// A request from a platform service acting for this account.
    pub fn acting<T>(&self, message: T) -> Request<T> {
        let mut request = bearer(message, &self.service_token);
        request.metadata_mut().insert(
            "x-igny8-account",
            MetadataValue::try_from(self.id.as_str()).expect("ascii"),
        );
        request
    }

    pub fn uuid(&self) -> uuid::Uuid {
        self.id.parse().expect("account id")
    }
}

fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect_lazy()
}

fn lazy_pool() -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .connect_lazy("postgres://unused@127.0.0.1/unused")
        .expect("lazy pool")
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

/// Asserts a gRPC error's code and machine code (ErrorInfo reason).
pub fn assert_error(status: &Status, code: Code, reason: &str) {
    let decoded = igny8_platform::error::decode_status(status);
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(decoded.code, reason, "{status:?}");
}

/// The field names of a validation error.
pub fn field_errors(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    igny8_platform::error::decode_status(status)
        .fields
        .0
        .into_keys()
        .collect()
}

pub fn hold(key: &str, amount_milli: i64) -> pb::HoldRequest {
    pb::HoldRequest {
        idempotency_key: key.into(),
        amount_milli,
        reason: "test".into(),
        operation: "content_generation".into(),
        job_id: "job-1".into(),
        ttl_seconds: 0,
    }
}

pub fn capture(key: &str, hold_id: &str, actual_milli: i64) -> pb::CaptureRequest {
    pb::CaptureRequest {
        idempotency_key: key.into(),
        hold_id: hold_id.into(),
        actual_milli,
    }
}

pub fn void(key: &str, hold_id: &str) -> pb::VoidRequest {
    pb::VoidRequest {
        idempotency_key: key.into(),
        hold_id: hold_id.into(),
    }
}

pub fn grant(key: &str, kind: &str, amount_milli: i64) -> pb::GrantRequest {
    pb::GrantRequest {
        idempotency_key: key.into(),
        kind: kind.into(),
        amount_milli,
        reason: "test".into(),
    }
}

/// How many transfers of `kind` the account has.
pub async fn transfers_of(pool: &sqlx::PgPool, account: &Account, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM billing.transfers WHERE account_id = $1 AND kind = $2")
        .bind(account.uuid())
        .bind(kind)
        .fetch_one(pool)
        .await
        .expect("count transfers")
}

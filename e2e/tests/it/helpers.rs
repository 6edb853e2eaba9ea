//! A per-test platform: own database, own queue prefix, own keys, auth-svc in-process.

use std::net::SocketAddr;

use igny8_proto::auth::v1::{self as pb, auth_service_client::AuthServiceClient};
use igny8_test_support::{amqp, db::TestDb, keys::TestKeys};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::{Request, metadata::MetadataValue, transport::Channel};

pub struct Platform {
    pub db: TestDb,
    pub keys: TestKeys,
    pub prefix: String,
    pub auth_addr: SocketAddr,
    pub pool: sqlx::PgPool,
    auth: Option<(CancellationToken, JoinHandle<anyhow::Result<()>>)>,
}

impl Platform {
    pub async fn start() -> Self {
        igny8_test_support::init_tracing();
        igny8_platform::install_crypto_provider();
        let db = TestDb::create().await.expect("test database");
        let keys = TestKeys::create().expect("test keys");
        let prefix = amqp::unique_prefix();
        let mut platform = Self {
            db,
            keys,
            prefix,
            auth_addr: ([127, 0, 0, 1], 0).into(),
            pool: lazy_pool(),
            auth: None,
        };
        platform.start_auth().await;
        platform
    }

    pub fn auth_config(&self) -> auth_svc::Config {
        auth_svc::Config::for_tests(
            &self.db.url,
            &amqp::amqp_url(),
            &self.prefix,
            &self.keys.private_key_file,
            &self.keys.service_secret_file,
        )
    }

    /// Starts auth-svc (again) on a fresh port, with its outbox relay.
    pub async fn start_auth(&mut self) {
        let app = auth_svc::Application::build(self.auth_config())
            .await
            .expect("auth-svc builds");
        self.auth_addr = app.grpc_addr();
        self.pool = app.pool();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        self.auth = Some((shutdown, task));
    }

    /// Stops auth-svc (and its relay) and waits until it has.
    pub async fn stop_auth(&mut self) {
        if let Some((shutdown, task)) = self.auth.take() {
            shutdown.cancel();
            task.await
                .expect("auth-svc task")
                .expect("auth-svc stops cleanly");
        }
    }

    pub fn auth_client(&self) -> AuthServiceClient<Channel> {
        let channel = Channel::from_shared(format!("http://{}", self.auth_addr))
            .expect("uri")
            .connect_lazy();
        AuthServiceClient::new(channel)
    }

    pub async fn service_token(&self, service: &str) -> String {
        self.auth_client()
            .issue_service_token(pb::ServiceTokenRequest {
                service: service.into(),
                secret: self.keys.service_secret.clone(),
            })
            .await
            .expect("service token")
            .into_inner()
            .token
    }

    /// Registers a fresh account through auth-svc as the gateway would.
    pub async fn register(&self, email: &str) -> pb::AuthResult {
        let token = self.service_token("gateway").await;
        self.auth_client()
            .register(bearer(
                pb::RegisterRequest {
                    email: email.into(),
                    password: "correct horse battery".into(),
                    first_name: "Test".into(),
                    last_name: "User".into(),
                    account_name: "Test account".into(),
                },
                &token,
            ))
            .await
            .expect("register")
            .into_inner()
    }

    pub async fn cleanup(mut self, queues: &[&str]) {
        self.stop_auth().await;
        self.pool.close().await;
        amqp::cleanup(&self.prefix, queues)
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

pub fn unique_email() -> String {
    format!("user-{}@example.com", igny8_test_support::unique_tag())
}

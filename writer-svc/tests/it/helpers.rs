//! A per-test platform: own database, queue prefix and keys; auth-svc and writer-svc
//! in-process; and a tenant with two sites, a site key, a viewer, and a second tenant.

use std::net::SocketAddr;

use igny8_platform::config::ServiceArgs;
use igny8_proto::{
    auth::v1::{self as auth, auth_service_client::AuthServiceClient},
    writer::v1::writer_service_client::WriterServiceClient,
};
use igny8_test_support::{amqp, db::TestDb, keys::TestKeys};
use prost::Message;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request, Status, metadata::MetadataValue, transport::Channel};

type Task = (CancellationToken, JoinHandle<anyhow::Result<()>>);

pub struct Platform {
    pub db: TestDb,
    pub keys: TestKeys,
    pub prefix: String,
    pub auth_addr: SocketAddr,
    pub writer_addr: SocketAddr,
    /// writer-svc's pool (search_path writer).
    pub pool: sqlx::PgPool,
    /// auth-svc's pool (search_path auth).
    pub auth_pool: sqlx::PgPool,
    auth: Option<Task>,
    writer: Option<Task>,
}

/// One account: an owner, two sites (sectors a1, a2 on site a; b1 on site b), a key for site
/// a, a viewer, and service tokens acting for it.
pub struct Tenant {
    pub account_id: String,
    pub owner: String,
    pub viewer: String,
    /// Token of an API key of site a.
    pub site_key: String,
    pub site_a: String,
    pub sector_a1: String,
    pub sector_a2: String,
    pub site_b: String,
    pub sector_b1: String,
}

impl Platform {
    pub async fn start() -> Self {
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
        let auth_app = auth_svc::Application::build(config)
            .await
            .expect("auth-svc builds");
        let auth_addr = auth_app.grpc_addr();
        let auth_pool = auth_app.pool();
        let shutdown = CancellationToken::new();
        let auth = Some((
            shutdown.clone(),
            tokio::spawn(auth_app.run_until_stopped(shutdown)),
        ));
        let args = ServiceArgs::for_tests(
            &db.url,
            &amqp::amqp_url(),
            &prefix,
            auth_addr,
            &keys.service_secret_file,
        );
        let writer_app = writer_svc::Application::build(&args)
            .await
            .expect("writer-svc builds");
        let writer_addr = writer_app.grpc_addr();
        let pool = writer_app.pool();
        let shutdown = CancellationToken::new();
        let writer = Some((
            shutdown.clone(),
            tokio::spawn(writer_app.run_until_stopped(shutdown)),
        ));
        Self {
            db,
            keys,
            prefix,
            auth_addr,
            writer_addr,
            pool,
            auth_pool,
            auth,
            writer,
        }
    }

    pub fn auth(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(channel(self.auth_addr))
    }

    pub fn writer(&self) -> WriterServiceClient<Channel> {
        WriterServiceClient::new(channel(self.writer_addr))
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

    /// Registers an account and gives it two sites with sectors, a site key and a viewer.
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
                    account_name: "Writer test".into(),
                },
                &gateway,
            ))
            .await
            .expect("register")
            .into_inner();
        let owner = registered.access;
        let account_id = registered.user.unwrap().account.unwrap().id;
        // Two sites need a bigger plan than the free one.
        let billing = self.service_token("billing-svc").await;
        self.auth()
            .update_subscription(bearer(
                auth::UpdateSubscriptionRequest {
                    account_id: account_id.clone(),
                    plan_slug: Some("growth".into()),
                    status: None,
                    start_new_period: false,
                },
                &billing,
            ))
            .await
            .expect("upgrade");
        let owner = self.login(&email, &gateway).await.unwrap_or(owner);
        let site_a = self.site(&owner, "Site A").await;
        let site_b = self.site(&owner, "Site B").await;
        let sector_a1 = self.sector(&owner, &site_a, "Sector A1").await;
        let sector_a2 = self.sector(&owner, &site_a, "Sector A2").await;
        let sector_b1 = self.sector(&owner, &site_b, "Sector B1").await;
        let key = self
            .auth()
            .create_api_key(bearer(
                auth::CreateApiKeyRequest {
                    site_id: site_a.clone(),
                    name: "plugin".into(),
                },
                &owner,
            ))
            .await
            .expect("api key")
            .into_inner()
            .plaintext;
        let site_key = self
            .auth()
            .exchange_api_key(bearer(auth::ExchangeApiKeyRequest { key }, &gateway))
            .await
            .expect("exchange")
            .into_inner()
            .access;
        let viewer_email = unique_email();
        self.auth()
            .invite_user(bearer(
                auth::InviteUserRequest {
                    email: viewer_email.clone(),
                    first_name: "View".into(),
                    last_name: "Er".into(),
                    role: "viewer".into(),
                },
                &owner,
            ))
            .await
            .expect("invite viewer");
        // The invitee would set a password from the mailed link; give them the owner's.
        sqlx::query(
            "UPDATE auth.users v SET password_hash = o.password_hash FROM auth.users o \
             WHERE lower(v.email) = lower($1) AND lower(o.email) = lower($2)",
        )
        .bind(&viewer_email)
        .bind(&email)
        .execute(&self.auth_pool)
        .await
        .expect("viewer password");
        let viewer = self
            .login(&viewer_email, &gateway)
            .await
            .expect("viewer login");
        Tenant {
            account_id,
            owner,
            viewer,
            site_key,
            site_a,
            sector_a1,
            sector_a2,
            site_b,
            sector_b1,
        }
    }

    async fn login(&self, email: &str, gateway: &str) -> Option<String> {
        let request = auth::LoginRequest {
            email: email.into(),
            password: PASSWORD.into(),
        };
        Some(
            self.auth()
                .login(bearer(request, gateway))
                .await
                .ok()?
                .into_inner()
                .access,
        )
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

    /// Events in writer's outbox, oldest first: (routing key, payload).
    pub async fn events(&self) -> Vec<(String, Vec<u8>)> {
        sqlx::query_as("SELECT routing_key, payload FROM writer.outbox ORDER BY seq")
            .fetch_all(&self.pool)
            .await
            .expect("outbox")
    }

    /// Payloads of the events with `key`, decoded.
    pub async fn events_of<M: Message + Default>(&self, key: &str) -> Vec<M> {
        self.events()
            .await
            .into_iter()
            .filter(|(k, _)| k == key)
            .map(|(_, payload)| M::decode(payload.as_slice()).expect("event decodes"))
            .collect()
    }

    pub async fn cleanup(mut self, queues: &[&str]) {
        for (shutdown, task) in [self.writer.take(), self.auth.take()].into_iter().flatten() {
            shutdown.cancel();
            task.await
                .expect("service task")
                .expect("service stops cleanly");
        }
        self.pool.close().await;
        self.auth_pool.close().await;
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

pub const PASSWORD: &str = "correct horse battery";

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

/// Asserts `status` is a validation error naming `field`.
pub fn assert_field_error(status: &Status, field: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let decoded = igny8_platform::error::decode_status(status);
    assert!(
        decoded.fields.0.contains_key(field),
        "expected a violation for {field}, got {:?}",
        decoded.fields
    );
}

/// The machine code a status carries (e.g. INVALID_TRANSITION).
pub fn code_of(status: &Status) -> String {
    igny8_platform::error::decode_status(status).code
}

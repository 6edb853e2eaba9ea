//! One isolated platform per test: database, queue prefix, key files, SMTP sink, auth-svc and
//! gateway. Everything is torn down on drop, also when the test fails halfway.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use igny8_platform::storage::StorageArgs;
use igny8_proto::auth::v1::{
    ServiceTokenRequest, UpdateSubscriptionRequest, auth_service_client::AuthServiceClient,
};
use igny8_test_support::{
    amqp, db::TestDb, fake_provider::FakeProvider, fake_s3::FakeS3, keys::TestKeys, smtp::SmtpSink,
};
use reqwest::{Method, header::HeaderMap};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub auth_grpc: SocketAddr,
    pub keys: TestKeys,
    pub smtp: SmtpSink,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    db: Option<TestDb>,
    amqp_prefix: String,
    /// Consumer queues the started services declared (removed on drop).
    queues: Vec<String>,
    /// billing-svc's gRPC address, when started.
    pub billing_grpc: Option<SocketAddr>,
    /// With ai-svc: the fake AI provider every provider points at.
    pub fake: Option<FakeProvider>,
    /// With ai-svc: where it stores images and the gateway reads them (inside `temp_dir`).
    pub image_dir: Option<PathBuf>,
    /// With ai-svc: key files and images, removed on drop.
    temp_dir: Option<PathBuf>,
    /// With ai-svc storing files in a bucket: the S3 server holding it.
    pub s3: Option<FakeS3>,
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON, `Null` when it is not JSON.
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Field messages of an error envelope.
    pub fn field_errors(&self, field: &str) -> Vec<String> {
        self.body["errors"][field]
            .as_array()
            .map(|messages| {
                messages
                    .iter()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts an error envelope with `status` and `code`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Self {
        self.assert_status(status);
        assert_eq!(self.body["success"], json!(false), "body: {}", self.text);
        assert_eq!(self.body["code"], json!(code), "body: {}", self.text);
        self
    }

    /// Asserts a 400 naming `field`.
    #[track_caller]
    pub fn assert_field_error(&self, field: &str) -> &Self {
        self.assert_error(400, "VALIDATION_ERROR");
        assert!(
            !self.field_errors(field).is_empty(),
            "expected an error for {field:?}; body: {}",
            self.text
        );
        self
    }
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub access: String,
    pub refresh: String,
    pub user_id: String,
    pub account_id: String,
    pub email: String,
}

impl Session {
    fn from_auth(body: &Value, email: &str) -> Self {
        let data = &body["data"];
        Self {
            access: data["access"].as_str().expect("access token").to_owned(),
            refresh: data["refresh"].as_str().expect("refresh token").to_owned(),
            user_id: data["user"]["id"].as_str().expect("user id").to_owned(),
            account_id: data["user"]["account"]["id"]
                .as_str()
                .expect("account id")
                .to_owned(),
            email: email.to_owned(),
        }
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// A unique address per call (tests share nothing, but addresses make logs readable).
pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", uuid::Uuid::new_v4().simple())
}

impl TestApp {
    /// Generous auth limits so functional tests never trip them; `limits` tests set their own.
    pub async fn spawn() -> Self {
        Self::spawn_with(|config| {
            config.rate_limit_auth_strict_per_minute = 1000;
            config.rate_limit_auth_per_minute = 1000;
        })
        .await
    }

    pub async fn spawn_with(tune: impl FnOnce(&mut gateway::Config)) -> Self {
        Self::spawn_services(tune, false).await
    }

    /// Also starts writer-svc, for the `/api/v1/writer` routes.
    pub async fn spawn_with_writer() -> Self {
        Self::spawn_services(
            |config| {
                config.rate_limit_auth_strict_per_minute = 1000;
                config.rate_limit_auth_per_minute = 1000;
            },
            true,
        )
        .await
    }

    /// Also starts planner-svc, and writer-svc for it to queue ideas to, for the
    /// `/api/v1/planner` and `/api/v1/keywords-library` routes.
    pub async fn spawn_with_planner() -> Self {
        Self::spawn_platform(
            |config| {
                config.rate_limit_auth_strict_per_minute = 1000;
                config.rate_limit_auth_per_minute = 1000;
            },
            true,
            true,
            false,
            None,
        )
        .await
    }

    /// Also starts billing-svc, for the `/api/v1/billing` routes.
    pub async fn spawn_with_billing() -> Self {
        Self::spawn_platform(
            |config| {
                config.rate_limit_auth_strict_per_minute = 1000;
                config.rate_limit_auth_per_minute = 1000;
            },
            false,
            false,
            true,
            None,
        )
        .await
    }

    /// Also starts planner-, writer-, billing- and ai-svc (with a fake AI provider that
    /// answers every AI function), for the job, system and image file routes.
    pub async fn spawn_with_ai() -> Self {
        Self::spawn_with_ai_options(AiOptions::default(), |_| {}).await
    }

    /// `spawn_with_ai` with ai-svc set up as `options` say and gateway settings changed by
    /// `tune`.
    pub async fn spawn_with_ai_options(
        options: AiOptions,
        tune: impl FnOnce(&mut gateway::Config),
    ) -> Self {
        Self::spawn_platform(
            |config| {
                config.rate_limit_auth_strict_per_minute = 1000;
                config.rate_limit_auth_per_minute = 1000;
                tune(config);
            },
            true,
            true,
            true,
            Some(options),
        )
        .await
    }

    async fn spawn_services(tune: impl FnOnce(&mut gateway::Config), writer: bool) -> Self {
        Self::spawn_platform(tune, writer, false, false, None).await
    }

    async fn spawn_platform(
        tune: impl FnOnce(&mut gateway::Config),
        writer: bool,
        planner: bool,
        billing: bool,
        ai: Option<AiOptions>,
    ) -> Self {
        igny8_platform::install_crypto_provider();
        igny8_test_support::init_tracing();
        let db = TestDb::create().await.expect("create the test database");
        let amqp_prefix = amqp::unique_prefix();
        let keys = TestKeys::create().expect("create key files");
        let smtp = SmtpSink::start().await.expect("start the SMTP sink");
        let shutdown = CancellationToken::new();
        let mut tasks = Vec::new();

        let mut auth_config = auth_svc::Config::for_tests(
            &db.url,
            &amqp::amqp_url(),
            &amqp_prefix,
            &keys.private_key_file,
            &keys.service_secret_file,
        );
        auth_config.smtp_url = Some(smtp.url());
        let auth = auth_svc::Application::build(auth_config)
            .await
            .expect("auth-svc starts");
        let auth_grpc = auth.grpc_addr();
        let token = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(err) = auth.run_until_stopped(token).await {
                eprintln!("auth-svc stopped with an error: {err:#}");
            }
        }));

        let mut config = gateway::Config::for_tests(auth_grpc, keys.service_secret_file.clone());
        let mut writer_grpc = None;
        let mut planner_grpc = None;
        if writer {
            let args = igny8_platform::config::ServiceArgs::for_tests(
                &db.url,
                &amqp::amqp_url(),
                &amqp_prefix,
                auth_grpc,
                &keys.service_secret_file,
            );
            let writer = writer_svc::Application::build(&args)
                .await
                .expect("writer-svc starts");
            writer_grpc = Some(writer.grpc_addr());
            config.writer_svc = igny8_platform::discovery::ServiceAddr::Static(format!(
                "http://{}",
                writer.grpc_addr()
            ));
            let token = shutdown.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(err) = writer.run_until_stopped(token).await {
                    eprintln!("writer-svc stopped with an error: {err:#}");
                }
            }));
        }
        if planner {
            let service = igny8_platform::config::ServiceArgs::for_tests(
                &db.url,
                &amqp::amqp_url(),
                &amqp_prefix,
                auth_grpc,
                &keys.service_secret_file,
            );
            let writer_svc = config.writer_svc.clone();
            let planner = planner_svc::Application::build_with(&planner_svc::Config {
                service,
                writer_svc,
            })
            .await
            .expect("planner-svc starts");
            planner_grpc = Some(planner.grpc_addr());
            config.planner_svc = igny8_platform::discovery::ServiceAddr::Static(format!(
                "http://{}",
                planner.grpc_addr()
            ));
            let token = shutdown.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(err) = planner.run_until_stopped(token).await {
                    eprintln!("planner-svc stopped with an error: {err:#}");
                }
            }));
        }
        let mut queues = Vec::new();
        if planner {
            queues.push(planner_svc::consumer::QUEUE.to_owned());
        }
        let mut billing_grpc = None;
        if billing {
            let args = igny8_platform::config::ServiceArgs::for_tests(
                &db.url,
                &amqp::amqp_url(),
                &amqp_prefix,
                auth_grpc,
                &keys.service_secret_file,
            );
            let billing = billing_svc::Application::build(&args)
                .await
                .expect("billing-svc starts");
            config.billing_svc = igny8_platform::discovery::ServiceAddr::Static(format!(
                "http://{}",
                billing.grpc_addr()
            ));
            queues.push(billing_svc::events::QUEUE.to_owned());
            billing_grpc = Some(billing.grpc_addr());
            let token = shutdown.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(err) = billing.run_until_stopped(token).await {
                    eprintln!("billing-svc stopped with an error: {err:#}");
                }
            }));
        }
        let (mut fake, mut image_dir, mut temp_dir, mut s3) = (None, None, None, None);
        if let Some(options) = ai {
            let (Some(planner), Some(writer), Some(billing)) =
                (planner_grpc, writer_grpc, billing_grpc)
            else {
                panic!("ai-svc needs planner-, writer- and billing-svc");
            };
            let args = igny8_platform::config::ServiceArgs::for_tests(
                &db.url,
                &amqp::amqp_url(),
                &amqp_prefix,
                auth_grpc,
                &keys.service_secret_file,
            );
            let started = AiSvc::start(options, args, planner, writer, billing).await;
            config.ai_svc = igny8_platform::discovery::ServiceAddr::Static(format!(
                "http://{}",
                started.app.grpc_addr()
            ));
            config.storage = started.storage.clone();
            queues.extend(ai_svc::jobs::JobKind::ALL.map(|kind| kind.queue()));
            let (app, token) = (started.app, shutdown.clone());
            tasks.push(tokio::spawn(async move {
                if let Err(err) = app.run_until_stopped(token).await {
                    eprintln!("ai-svc stopped with an error: {err:#}");
                }
            }));
            fake = Some(started.fake);
            image_dir = Some(started.images);
            s3 = started.s3;
            temp_dir = Some(started.dir);
        }
        tune(&mut config);
        let gateway = gateway::Application::build(config)
            .await
            .expect("gateway starts");
        let base = format!("http://127.0.0.1:{}", gateway.port());
        let token = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(err) = gateway.run_until_stopped(token).await {
                eprintln!("gateway stopped with an error: {err:#}");
            }
        }));

        let app = Self {
            base,
            client: reqwest::Client::new(),
            auth_grpc,
            keys,
            smtp,
            shutdown,
            tasks,
            db: Some(db),
            amqp_prefix,
            queues,
            billing_grpc,
            fake,
            image_dir,
            temp_dir,
            s3,
        };
        app.wait_until_auth_ready().await;
        app
    }

    /// Waits (bounded) until the gateway reaches auth-svc and has loaded the security feed.
    async fn wait_until_auth_ready(&self) {
        for _ in 0..200 {
            let ready = self.get("/readyz", None).await;
            let errors = &ready.body["errors"];
            if ready.status == 200
                || (errors.get("auth").is_none() && errors.get("security_feed").is_none())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the gateway never became ready for auth calls");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request; `token` goes into `Authorization: Bearer`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.expect("request reaches the gateway")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(Method::DELETE, path, token, None).await
    }

    /// Registers a new account and returns its owner's session.
    pub async fn register(&self, tag: &str) -> Session {
        let email = unique_email(tag);
        let response = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "first_name": "Ann", "last_name": "Owner", "account_name": format!("{tag} inc")}),
            )
            .await;
        response.assert_status(201);
        Session::from_auth(&response.body, &email)
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// Signs in and returns the session (the login must succeed).
    pub async fn login_session(&self, email: &str, password: &str) -> Session {
        let response = self.login(email, password).await;
        response.assert_status(200);
        Session::from_auth(&response.body, email)
    }

    /// Invites a user with `role` into the owner's account, sets their password from the
    /// invitation mail and signs them in.
    pub async fn invite_and_login(&self, owner: &Session, role: &str) -> Session {
        let email = unique_email(role);
        let before = self.smtp.mails().await.len();
        self.post(
            "/api/v1/auth/users",
            Some(&owner.access),
            json!({"email": email, "first_name": "New", "last_name": role, "role": role}),
        )
        .await
        .assert_status(201);
        let token = self.mailed_token(&email, before).await;
        self.post(
            "/api/v1/auth/password/reset/confirm",
            None,
            json!({"token": token, "new_password": PASSWORD}),
        )
        .await
        .assert_status(200);
        self.login_session(&email, PASSWORD).await
    }

    /// The token of the first link mailed to `address` after the first `after` mails.
    pub async fn mailed_token(&self, address: &str, after: usize) -> String {
        for _ in 0..100 {
            let mails = self.smtp.wait_for(after + 1).await;
            if let Some(mail) = mails
                .iter()
                .skip(after)
                .find(|m| m.to.iter().any(|to| to == address))
            {
                return token_in(&mail_text(&mail.data)).expect("the mail holds a token");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail reached {address}");
    }

    /// A service token from auth-svc (as a platform service such as billing would get it).
    pub async fn service_token(&self) -> String {
        let mut client = self.grpc().await;
        client
            .issue_service_token(ServiceTokenRequest {
                service: "billing".into(),
                secret: self.keys.service_secret.clone(),
            })
            .await
            .expect("service token")
            .into_inner()
            .token
    }

    pub async fn grpc(&self) -> AuthServiceClient<tonic::transport::Channel> {
        AuthServiceClient::connect(format!("http://{}", self.auth_grpc))
            .await
            .expect("auth-svc gRPC")
    }

    /// Changes an account's plan or status the way billing does (over gRPC as a service).
    pub async fn set_subscription(
        &self,
        account_id: &str,
        plan_slug: Option<&str>,
        status: Option<&str>,
    ) {
        let token = self.service_token().await;
        let request = igny8_platform::grpc::as_service(
            UpdateSubscriptionRequest {
                account_id: account_id.to_owned(),
                plan_slug: plan_slug.map(str::to_owned),
                status: status.map(str::to_owned),
                start_new_period: false,
            },
            &token,
            None,
            "test",
        );
        self.grpc()
            .await
            .update_subscription(request)
            .await
            .expect("subscription updated");
    }

    /// Makes `session`'s user a platform developer (a role only operators can give) and signs
    /// them in again, so the new token carries the role.
    pub async fn make_developer(&self, session: &Session) -> Session {
        let url = &self.db.as_ref().expect("the test database").url;
        let pool = igny8_platform::db::connect(url, 1, "auth")
            .await
            .expect("auth database");
        auth_svc::admin::set_role(&pool, &session.email, igny8_platform::Role::Developer)
            .await
            .expect("developer role");
        pool.close().await;
        self.login_session(&session.email, PASSWORD).await
    }

    /// GETs `path` until it answers `status` (bounded), for effects that travel through the
    /// security feed.
    pub async fn eventually_status(&self, path: &str, token: &str, status: u16) -> Resp {
        let mut last = None;
        for _ in 0..100 {
            let response = self.get(path, Some(token)).await;
            if response.status == status {
                return response;
            }
            last = Some(response);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{path} never answered {status}; last answer: {last:?}");
    }
}

/// How a test's ai-svc runs.
#[derive(Debug, Clone, Copy)]
pub struct AiOptions {
    /// `Api` runs no jobs: submitted jobs stay queued.
    pub role: ai_svc::Role,
    /// Whether the platform has provider keys (false: accounts must bring their own).
    pub platform_key: bool,
    /// Generated files go to a local S3-compatible server instead of a folder.
    pub bucket: bool,
}

impl Default for AiOptions {
    fn default() -> Self {
        Self {
            role: ai_svc::Role::All,
            platform_key: true,
            bucket: false,
        }
    }
}

/// ai-svc built for a test: every provider at a fake answering each AI function, a platform
/// key, a settings key and an image folder in a temp folder of its own.
struct AiSvc {
    app: ai_svc::Application,
    fake: FakeProvider,
    images: PathBuf,
    /// Where ai-svc stores files, and the gateway reads them.
    storage: StorageArgs,
    s3: Option<FakeS3>,
    dir: PathBuf,
}

impl AiSvc {
    async fn start(
        options: AiOptions,
        args: igny8_platform::config::ServiceArgs,
        planner: SocketAddr,
        writer: SocketAddr,
        billing: SocketAddr,
    ) -> Self {
        let fake = FakeProvider::start().await.expect("fake AI provider");
        fake.set_responder(igny8_test_support::fake_answers::respond);
        let dir = std::env::temp_dir().join(format!(
            "igny8-gateway-ai-{}",
            igny8_test_support::unique_tag()
        ));
        let images = dir.join("images");
        std::fs::create_dir_all(&images).expect("image folder");
        let key_file = dir.join("provider_key");
        std::fs::write(&key_file, "sk-test").expect("provider key file");
        // 32 random bytes, base64 (two v4 UUIDs: random enough for a test key).
        let settings_key_file = dir.join("ai_settings_key");
        let key_bytes = [
            uuid::Uuid::new_v4().into_bytes(),
            uuid::Uuid::new_v4().into_bytes(),
        ];
        std::fs::write(
            &settings_key_file,
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                key_bytes.concat(),
            ),
        )
        .expect("settings key file");
        let mut config = ai_svc::Config::for_tests(
            args,
            planner,
            writer,
            billing,
            &format!("http://{}", fake.addr),
            options.platform_key.then_some(key_file),
            settings_key_file,
            images.clone(),
        );
        config.role = options.role;
        let s3 = if options.bucket {
            let s3 = FakeS3::start().await.expect("fake S3 server");
            let secret_file = dir.join("s3_secret");
            std::fs::write(&secret_file, s3.secret_key()).expect("S3 secret file");
            config.storage.s3_bucket = Some(s3.bucket().to_owned());
            config.storage.s3_endpoint = Some(s3.endpoint());
            config.storage.s3_access_key_id = Some(s3.access_key().to_owned());
            config.storage.s3_secret_access_key_file = Some(secret_file);
            Some(s3)
        } else {
            None
        };
        let storage = config.storage.clone();
        let app = ai_svc::Application::build(config)
            .await
            .expect("ai-svc starts");
        Self {
            app,
            fake,
            images,
            storage,
            s3,
            dir,
        }
    }
}

pub async fn read(response: reqwest::Response) -> Resp {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("response body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        body,
    }
}

/// The decoded text body of a mail as the sink stored it (headers, blank line, body).
pub fn mail_text(data: &str) -> String {
    let (headers, body) = data.split_once("\n\n").unwrap_or(("", data));
    let headers = headers.to_ascii_lowercase();
    if headers.contains("content-transfer-encoding: quoted-printable") {
        decode_quoted_printable(body)
    } else if headers.contains("content-transfer-encoding: base64") {
        use base64::Engine as _;
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .expect("base64 body"),
        )
        .expect("utf-8 body")
    } else {
        body.to_owned()
    }
}

fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf-8 body")
}

/// The value after `token=` in a link.
pub fn token_in(text: &str) -> Option<String> {
    let start = text.find("token=")? + "token=".len();
    let token: String = text[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    (!token.is_empty()).then_some(token)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        for task in &self.tasks {
            task.abort();
        }
        // The database drops itself (TestDb's drop), also when the test panicked.
        drop(self.db.take());
        let prefix = std::mem::take(&mut self.amqp_prefix);
        let queues = std::mem::take(&mut self.queues);
        if let Some(dir) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        igny8_test_support::clean_up_in_drop("removing test queues and exchanges", async move {
            let queues: Vec<&str> = queues.iter().map(String::as_str).collect();
            amqp::cleanup(&prefix, &queues).await
        });
    }
}

//! auth-svc settings: flags or environment variables, each with a local default.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use igny8_platform::config::{AmqpArgs, DbArgs, LogArgs};

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// gRPC listen address.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:50051")]
    pub listen_addr: SocketAddr,
    /// Metrics and liveness HTTP address.
    #[arg(long, env = "METRICS_ADDR", default_value = "127.0.0.1:9101")]
    pub metrics_addr: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub amqp: AmqpArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// PEM (PKCS#8) Ed25519 key that signs tokens; create one with `auth-svc gen-key`.
    #[arg(
        long,
        env = "JWT_PRIVATE_KEY_FILE",
        default_value = ".local/keys/jwt_ed25519.pem"
    )]
    pub jwt_private_key_file: PathBuf,
    /// Older signing keys (PEM, comma-separated) whose tokens are still accepted during a rotation.
    #[arg(long, env = "JWT_PREVIOUS_KEY_FILES", value_delimiter = ',')]
    pub jwt_previous_key_files: Vec<PathBuf>,
    /// Secret platform services exchange for service tokens.
    #[arg(
        long,
        env = "SERVICE_SECRET_FILE",
        default_value = ".local/secrets/service_secret"
    )]
    pub service_secret_file: PathBuf,
    #[arg(long, env = "ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: i64,
    #[arg(long, env = "REFRESH_TOKEN_TTL_SECS", default_value_t = 604_800)]
    pub refresh_token_ttl_secs: i64,
    /// Life of the token an API key is exchanged for.
    #[arg(long, env = "SITE_TOKEN_TTL_SECS", default_value_t = 300)]
    pub site_token_ttl_secs: i64,
    #[arg(long, env = "SERVICE_TOKEN_TTL_SECS", default_value_t = 3600)]
    pub service_token_ttl_secs: i64,
    #[arg(long, env = "PASSWORD_RESET_TTL_SECS", default_value_t = 3600)]
    pub password_reset_ttl_secs: i64,
    /// Life of the set-your-password link an invited user gets.
    #[arg(long, env = "INVITE_TTL_SECS", default_value_t = 604_800)]
    pub invite_ttl_secs: i64,
    /// `smtp://host:port` (or `smtps://user:pass@host`); unset logs mails instead of sending.
    #[arg(long, env = "SMTP_URL")]
    pub smtp_url: Option<String>,
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "IGNY8 <no-reply@igny8.local>"
    )]
    pub mail_from: String,
    /// Link in reset mails; the token is appended.
    #[arg(
        long,
        env = "PASSWORD_RESET_URL",
        default_value = "http://127.0.0.1:8080/reset-password?token="
    )]
    pub password_reset_url: String,
}

impl Config {
    /// A configuration for in-process tests: ephemeral ports and the test's own database,
    /// queue prefix and key files (`igny8_test_support::keys::TestKeys` makes them:
    /// pass `&keys.private_key_file, &keys.service_secret_file`).
    pub fn for_tests(
        database_url: &str,
        amqp_url: &str,
        amqp_prefix: &str,
        private_key_file: &Path,
        service_secret_file: &Path,
    ) -> Self {
        Self {
            listen_addr: "127.0.0.1:0".parse().expect("valid address"),
            metrics_addr: "127.0.0.1:0".parse().expect("valid address"),
            db: DbArgs {
                database_url: database_url.to_owned(),
                database_max_connections: 5,
            },
            amqp: AmqpArgs {
                amqp_url: amqp_url.to_owned(),
                amqp_prefix: amqp_prefix.to_owned(),
            },
            log: LogArgs {
                log_format: igny8_platform::telemetry::LogFormat::Pretty,
            },
            jwt_private_key_file: private_key_file.to_owned(),
            jwt_previous_key_files: Vec::new(),
            service_secret_file: service_secret_file.to_owned(),
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 604_800,
            site_token_ttl_secs: 300,
            service_token_ttl_secs: 3600,
            password_reset_ttl_secs: 3600,
            invite_ttl_secs: 604_800,
            smtp_url: None,
            mail_from: "IGNY8 <no-reply@igny8.local>".into(),
            password_reset_url: "http://127.0.0.1:8080/reset-password?token=".into(),
        }
    }
}

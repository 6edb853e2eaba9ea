//! Configuration pieces every binary flattens into its own `clap` parser.
//!
//! Each setting reads from a flag or an environment variable, with a default that works for
//! local development; clap names the variable in any start-up error.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::discovery::ServiceAddr;

/// Postgres settings.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// Postgres connection URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/igny8"
    )]
    pub database_url: String,
    /// Pool size; about the core count is right for a busy service.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,
}

/// RabbitMQ settings.
#[derive(Debug, Clone, clap::Args)]
pub struct AmqpArgs {
    /// AMQP URL of the broker.
    #[arg(
        long,
        env = "AMQP_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    pub amqp_url: String,
    /// Prefix of every exchange and queue name (isolates tests and environments).
    #[arg(long, env = "AMQP_PREFIX", default_value = "")]
    pub amqp_prefix: String,
}

/// Log output settings.
#[derive(Debug, Clone, clap::Args)]
pub struct LogArgs {
    /// `pretty` for people, `json` for log collectors.
    #[arg(long, env = "LOG_FORMAT", default_value = "pretty")]
    pub log_format: crate::telemetry::LogFormat,
}

/// How a service reaches auth-svc and proves it is a platform service.
#[derive(Debug, Clone, clap::Args)]
pub struct PlatformPeerArgs {
    /// auth-svc address: `http://host:port` or `dns+srv://_grpc._tcp.<svc>.<ns>.svc.cluster.local`.
    #[arg(long, env = "AUTH_SVC", default_value = "http://127.0.0.1:50051")]
    pub auth_svc: ServiceAddr,
    /// File holding the secret services exchange for service tokens.
    #[arg(
        long,
        env = "SERVICE_SECRET_FILE",
        default_value = ".local/secrets/service_secret"
    )]
    pub service_secret_file: PathBuf,
}

/// Settings every domain service shares; listen addresses default per service.
#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// gRPC listen address (default: the service's own port on 127.0.0.1).
    #[arg(long, env = "LISTEN_ADDR")]
    pub listen_addr: Option<std::net::SocketAddr>,
    /// Metrics and liveness HTTP address (default: the service's metrics port on 127.0.0.1).
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub amqp: AmqpArgs,
    #[command(flatten)]
    pub log: LogArgs,
    #[command(flatten)]
    pub peers: PlatformPeerArgs,
}

impl ServiceArgs {
    /// Settings for an in-process test: ephemeral ports, the test's database, queue prefix
    /// and auth-svc.
    pub fn for_tests(
        database_url: &str,
        amqp_url: &str,
        amqp_prefix: &str,
        auth_svc: std::net::SocketAddr,
        service_secret_file: &Path,
    ) -> Self {
        Self {
            listen_addr: Some(([127, 0, 0, 1], 0).into()),
            metrics_addr: Some(([127, 0, 0, 1], 0).into()),
            db: DbArgs {
                database_url: database_url.to_owned(),
                // Four tests at a time each run up to seven services against one Postgres.
                database_max_connections: 3,
            },
            amqp: AmqpArgs {
                amqp_url: amqp_url.to_owned(),
                amqp_prefix: amqp_prefix.to_owned(),
            },
            log: LogArgs {
                log_format: crate::telemetry::LogFormat::Pretty,
            },
            peers: PlatformPeerArgs {
                auth_svc: ServiceAddr::Static(format!("http://{auth_svc}")),
                service_secret_file: service_secret_file.to_owned(),
            },
        }
    }
}

/// Reads a secret file, naming the setting when it cannot.
pub fn read_secret_file(path: &Path, setting: &str) -> anyhow::Result<String> {
    let raw = std::fs::read_to_string(path).with_context(|| {
        format!(
            "{setting}: cannot read {} (run ./dev up to create local secrets)",
            path.display()
        )
    })?;
    let secret = raw.trim().to_owned();
    anyhow::ensure!(
        secret.len() >= 16,
        "{setting}: {} holds fewer than 16 characters",
        path.display()
    );
    Ok(secret)
}

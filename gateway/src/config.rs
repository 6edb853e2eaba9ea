//! Gateway settings: flags or environment variables, each with a default that works locally.
//! clap names the variable at fault when one does not parse, and the process stops.

use std::{
    net::{SocketAddr, TcpListener},
    path::PathBuf,
    time::Duration,
};

use axum::http::HeaderValue;
use igny8_platform::{
    config::{LogArgs, PlatformPeerArgs},
    discovery::ServiceAddr,
    storage::StorageArgs,
    telemetry::LogFormat,
};

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "gateway",
    version,
    about = "IGNY8 HTTP gateway: REST and auth in front of the gRPC services"
)]
pub struct Config {
    /// HTTP listen address.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen_addr: SocketAddr,
    #[command(flatten)]
    pub peers: PlatformPeerArgs,
    /// planner-svc address (`http://host:port` or `dns+srv://...`).
    #[arg(long, env = "PLANNER_SVC", default_value = "http://127.0.0.1:50052")]
    pub planner_svc: ServiceAddr,
    /// writer-svc address.
    #[arg(long, env = "WRITER_SVC", default_value = "http://127.0.0.1:50053")]
    pub writer_svc: ServiceAddr,
    /// billing-svc address.
    #[arg(long, env = "BILLING_SVC", default_value = "http://127.0.0.1:50054")]
    pub billing_svc: ServiceAddr,
    /// integration-svc address.
    #[arg(
        long,
        env = "INTEGRATION_SVC",
        default_value = "http://127.0.0.1:50055"
    )]
    pub integration_svc: ServiceAddr,
    /// ai-svc address.
    #[arg(long, env = "AI_SVC", default_value = "http://127.0.0.1:50056")]
    pub ai_svc: ServiceAddr,
    /// Browser origins allowed by CORS, comma-separated (e.g. `https://app.example.com`).
    #[arg(
        long,
        env = "CORS_ORIGINS",
        value_delimiter = ',',
        default_value = "http://localhost:5173,http://127.0.0.1:5173",
        value_parser = parse_origin
    )]
    pub cors_origins: Vec<HeaderValue>,
    /// Largest accepted request body.
    #[arg(long, env = "BODY_LIMIT_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub body_limit_bytes: usize,
    /// Deadline of every call to a service.
    #[arg(long, env = "UPSTREAM_TIMEOUT_MS", default_value_t = 15_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub upstream_timeout_ms: u64,
    /// Per client IP and route: login, password reset and reset confirmation (0 disables).
    #[arg(long, env = "RATE_LIMIT_AUTH_STRICT_PER_MINUTE", default_value_t = 5)]
    pub rate_limit_auth_strict_per_minute: u32,
    /// Per client IP and route: register, token refresh, logout (0 disables).
    #[arg(long, env = "RATE_LIMIT_AUTH_PER_MINUTE", default_value_t = 20)]
    pub rate_limit_auth_per_minute: u32,
    /// Per account over every authenticated route (0 disables).
    #[arg(long, env = "RATE_LIMIT_ACCOUNT_PER_MINUTE", default_value_t = 600)]
    pub rate_limit_account_per_minute: u32,
    /// How often revocations and account status changes are fetched from auth-svc.
    #[arg(long, env = "SECURITY_FEED_INTERVAL_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(10..))]
    pub security_feed_interval_ms: u64,
    /// Longest time an API key's exchanged token is reused before asking auth-svc again.
    #[arg(long, env = "API_KEY_CACHE_SECS", default_value_t = 60)]
    pub api_key_cache_secs: u64,
    /// Where generated image files are read from: the store ai-svc writes them to (the same
    /// directory, a shared volume, or the same bucket).
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

/// An origin is `scheme://host[:port]`, nothing more (browsers compare it byte for byte).
fn parse_origin(raw: &str) -> Result<HeaderValue, String> {
    let origin = raw.trim();
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .ok_or_else(|| format!("{origin:?}: an origin starts with http:// or https://"))?;
    if rest.is_empty() || rest.contains('/') {
        return Err(format!(
            "{origin:?}: an origin is scheme://host[:port] without a path"
        ));
    }
    HeaderValue::from_str(origin).map_err(|e| format!("{origin:?}: {e}"))
}

impl Config {
    pub fn upstream_timeout(&self) -> Duration {
        Duration::from_millis(self.upstream_timeout_ms)
    }

    pub fn security_feed_interval(&self) -> Duration {
        Duration::from_millis(self.security_feed_interval_ms)
    }

    pub fn api_key_cache_ttl(&self) -> Duration {
        Duration::from_secs(self.api_key_cache_secs)
    }

    /// Settings for in-process tests: an ephemeral port, the test's auth-svc, and every other
    /// service at a port nothing listens on.
    pub fn for_tests(auth_grpc: SocketAddr, service_secret_file: PathBuf) -> Self {
        let closed = || ServiceAddr::Static(format!("http://127.0.0.1:{}", closed_port()));
        Self {
            listen_addr: "127.0.0.1:0".parse().expect("valid address"),
            peers: PlatformPeerArgs {
                auth_svc: ServiceAddr::Static(format!("http://{auth_grpc}")),
                service_secret_file,
            },
            planner_svc: closed(),
            writer_svc: closed(),
            billing_svc: closed(),
            integration_svc: closed(),
            ai_svc: closed(),
            cors_origins: vec![
                HeaderValue::from_static("http://localhost:5173"),
                HeaderValue::from_static("http://127.0.0.1:5173"),
            ],
            body_limit_bytes: 10 * 1024 * 1024,
            upstream_timeout_ms: 15_000,
            rate_limit_auth_strict_per_minute: 5,
            rate_limit_auth_per_minute: 20,
            rate_limit_account_per_minute: 600,
            security_feed_interval_ms: 1_000,
            api_key_cache_secs: 60,
            // Outside the source tree; tests that serve images point it at their own folder.
            storage: StorageArgs::directory(std::env::temp_dir().join("igny8-gateway-images")),
            log: LogArgs {
                log_format: LogFormat::Pretty,
            },
        }
    }
}

/// A local port that was free a moment ago and that nothing listens on now.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or(9)
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    #[test]
    fn defaults_parse_and_bad_origins_are_refused() {
        let config = Config::try_parse_from(["gateway"]).unwrap();
        assert_eq!(config.listen_addr.port(), 8080);
        assert_eq!(config.cors_origins.len(), 2);
        assert!(Config::try_parse_from(["gateway", "--cors-origins", "localhost:5173"]).is_err());
        assert!(
            Config::try_parse_from(["gateway", "--cors-origins", "http://a.example/path"]).is_err()
        );
        let many = Config::try_parse_from([
            "gateway",
            "--cors-origins",
            "https://a.example,http://b.example:81",
        ])
        .unwrap();
        assert_eq!(many.cors_origins.len(), 2);
    }
}

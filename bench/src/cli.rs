//! Command-line arguments every scenario shares: where the platform is and how hard to load it.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::load::LoadPlan;

/// Where the platform under test listens. Only loopback addresses are accepted.
#[derive(clap::Args, Debug)]
pub struct Target {
    /// Base URL of the gateway.
    #[arg(
        long,
        env = "IGNY8_GATEWAY_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub gateway: String,
    /// Postgres database the services use, for the baseline loop.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/igny8"
    )]
    pub database_url: String,
}

impl Target {
    /// Returns the gateway URL without a trailing slash, after checking both targets are local.
    pub fn checked_gateway(&self) -> anyhow::Result<&str> {
        ensure_loopback("--gateway", &self.gateway)?;
        ensure_loopback("--database-url", &self.database_url)?;
        Ok(self.gateway.trim_end_matches('/'))
    }
}

/// How many connections, for how long.
#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// Concurrent connections (one worker task each).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub connections: u32,
    /// Measured seconds per loop.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration_secs: u64,
    /// Unmeasured seconds before each loop (connections open, caches warm).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub warmup_secs: u64,
}

impl LoadArgs {
    pub fn plan(&self) -> LoadPlan {
        LoadPlan {
            connections: self.connections as usize,
            warmup: Duration::from_secs(self.warmup_secs),
            duration: Duration::from_secs(self.duration_secs),
        }
    }
}

/// Refuses any URL whose host is not loopback: a load generator must never aim elsewhere.
pub fn ensure_loopback(flag: &str, url: &str) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("{flag}: invalid URL {url}"))?;
    let host = parsed.host_str().unwrap_or_default();
    let is_loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !is_loopback {
        bail!("{flag}: only loopback targets are allowed (127.0.0.1, ::1, localhost), got {url}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ensure_loopback;

    #[test]
    fn loopback_targets_are_accepted_and_others_refused() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:8080/",
            "http://[::1]:8080",
            "postgres://postgres@127.0.0.1:5432/igny8",
        ] {
            assert!(ensure_loopback("--x", ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://10.0.0.1:8080",
            "http://example.com",
            "postgres://db.internal/igny8",
            "not a url",
        ] {
            assert!(ensure_loopback("--x", refused).is_err(), "{refused}");
        }
    }
}

//! billing-svc's own settings, beside the [`ServiceArgs`](igny8_platform::config::ServiceArgs)
//! every service shares.

use std::time::Duration;

use crate::ledger::holds::HoldTtl;

#[derive(Debug, Clone, clap::Args)]
pub struct BillingArgs {
    /// Lifetime of a hold whose caller names none, in seconds.
    #[arg(long, env = "BILLING_HOLD_TTL_SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub hold_ttl_secs: u32,
    /// Longest lifetime a caller may give a hold, in seconds.
    #[arg(long, env = "BILLING_MAX_HOLD_TTL_SECS", default_value_t = 86_400,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_hold_ttl_secs: u32,
    /// How often the sweeper expires overdue holds and revokes unpaid plan credits, in ms.
    #[arg(long, env = "BILLING_SWEEP_INTERVAL_MS", default_value_t = 15_000,
          value_parser = clap::value_parser!(u64).range(10..))]
    pub sweep_interval_ms: u64,
    /// How long after an unpaid renewal plan credits are kept, in seconds (product: 24 h).
    #[arg(long, env = "BILLING_PLAN_GRACE_SECS", default_value_t = 86_400)]
    pub plan_grace_secs: u64,
}

impl Default for BillingArgs {
    fn default() -> Self {
        Self {
            hold_ttl_secs: 3600,
            max_hold_ttl_secs: 86_400,
            sweep_interval_ms: 15_000,
            plan_grace_secs: 86_400,
        }
    }
}

impl BillingArgs {
    pub fn hold_ttl(&self) -> HoldTtl {
        HoldTtl {
            default_secs: self.hold_ttl_secs.min(self.max_hold_ttl_secs),
            max_secs: self.max_hold_ttl_secs,
        }
    }

    pub fn sweep_interval(&self) -> Duration {
        Duration::from_millis(self.sweep_interval_ms)
    }

    pub fn plan_grace(&self) -> Duration {
        Duration::from_secs(self.plan_grace_secs)
    }
}

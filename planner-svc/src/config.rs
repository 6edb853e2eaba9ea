//! planner-svc settings: the shared service settings plus the writer-svc address.

use igny8_platform::{config::ServiceArgs, discovery::ServiceAddr};

/// Default writer-svc address (ARCHITECTURE §9).
pub const DEFAULT_WRITER_SVC: &str = "http://127.0.0.1:50053";

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    #[command(flatten)]
    pub service: ServiceArgs,
    /// writer-svc address: `http://host:port` or `dns+srv://_grpc._tcp.<svc>.<ns>.svc.cluster.local`.
    #[arg(long, env = "WRITER_SVC", default_value = DEFAULT_WRITER_SVC)]
    pub writer_svc: ServiceAddr,
}

impl Config {
    /// The shared settings with writer-svc at its default address.
    pub fn from_service_args(service: ServiceArgs) -> Self {
        Self {
            service,
            writer_svc: ServiceAddr::Static(DEFAULT_WRITER_SVC.to_owned()),
        }
    }
}

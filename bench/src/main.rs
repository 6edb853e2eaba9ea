//! `igny8-bench`: the load scenarios behind `./dev bench`. Prints figures and never fails on
//! timing; only a failed setup (registration, a probe request) exits non-zero.

mod auth_me;
mod cli;
mod fake_provider;
mod holds;
mod http_load;
mod jobs;
mod jobs_figures;
mod jobs_setup;
mod jobs_workers;
mod keyword_setup;
mod keywords;
mod load;
mod pg_load;
mod report;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    version,
    about = "Load scenarios for the IGNY8 platform (local targets only)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// GET /api/v1/auth/me through the gateway, against the same lookup straight in Postgres.
    AuthMe(auth_me::AuthMeArgs),
    /// Hold + capture pairs per second over billing-svc's gRPC API, against the same ledger
    /// transactions straight in Postgres.
    Holds(holds::HoldsArgs),
    /// A 100,000-keyword sector: CSV import time, then a 50-row page through the gateway and
    /// over gRPC, against the same SQL straight in Postgres.
    Keywords(keywords::KeywordsArgs),
    /// AI jobs per minute with 1, 2 and 4 ai-svc worker processes, and submit-to-complete
    /// latency (auto_cluster jobs through the gateway).
    Jobs(jobs::JobsArgs),
    /// The tests' fake AI provider as a server: valid answers after a fixed delay.
    FakeProvider(fake_provider::FakeProviderArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The workspace builds reqwest without a TLS provider of its own; every client needs one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Cli::parse().command {
        Command::AuthMe(args) => auth_me::run(args).await,
        Command::Holds(args) => holds::run(args).await,
        Command::Keywords(args) => keywords::run(args).await,
        Command::Jobs(args) => jobs::run(args).await,
        Command::FakeProvider(args) => fake_provider::run(args).await,
    }
}

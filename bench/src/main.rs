//! `igny8-bench`: the load scenarios behind `./dev bench`. Prints figures and never fails on
//! timing; only a failed setup (registration, a probe request) exits non-zero.

mod auth_me;
mod cli;
mod http_load;
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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The workspace builds reqwest without a TLS provider of its own; every client needs one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Cli::parse().command {
        Command::AuthMe(args) => auth_me::run(args).await,
    }
}

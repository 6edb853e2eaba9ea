//! auth-svc entry point: parse settings, then serve (default) or run an operator command.

use std::path::PathBuf;

use auth_svc::{Application, Config};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "auth-svc",
    version,
    about = "IGNY8 identity and tenancy service"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Write a new Ed25519 signing key (PKCS#8 PEM).
    GenKey {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Give a user a role, including the platform-only developer role.
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    igny8_platform::install_crypto_provider();
    let cli = Cli::parse();
    igny8_platform::telemetry::init("auth-svc", cli.config.log.log_format);
    match cli.command {
        Some(Command::GenKey { out, force }) => auth_svc::crypto::keys::write_new_key(&out, force),
        Some(Command::SetRole { email, role }) => {
            let role = igny8_platform::Role::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("unknown role {role}"))?;
            let db = &cli.config.db;
            let pool = igny8_platform::db::connect(&db.database_url, 1, "auth").await?;
            auth_svc::admin::set_role(&pool, &email, role).await
        }
        None => {
            let app = Application::build(cli.config).await?;
            app.run_until_stopped(igny8_platform::shutdown::token_on_signal())
                .await
        }
    }
}

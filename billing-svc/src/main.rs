//! billing-svc entry point: parse settings, start, serve until SIGTERM.

use clap::Parser;
use igny8_platform::config::ServiceArgs;

#[derive(Parser)]
#[command(
    name = "billing-svc",
    version,
    about = "IGNY8 billing: the credit ledger"
)]
struct Cli {
    #[command(flatten)]
    args: ServiceArgs,
    #[command(flatten)]
    billing: billing_svc::BillingArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    igny8_platform::install_crypto_provider();
    let cli = Cli::parse();
    igny8_platform::telemetry::init(billing_svc::SPEC.name, cli.args.log.log_format);
    let app =
        billing_svc::Application::build_with(&cli.args, cli.billing, Default::default()).await?;
    app.run_until_stopped(igny8_platform::shutdown::token_on_signal())
        .await
}

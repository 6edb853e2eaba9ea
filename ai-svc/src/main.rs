//! ai-svc entry point: parse settings, start, serve until SIGTERM.

use clap::Parser;
use igny8_platform::config::ServiceArgs;

#[derive(Parser)]
#[command(name = "ai-svc", version, about = "IGNY8 AI jobs and providers")]
struct Cli {
    #[command(flatten)]
    args: ServiceArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    igny8_platform::install_crypto_provider();
    let cli = Cli::parse();
    igny8_platform::telemetry::init(ai_svc::SPEC.name, cli.args.log.log_format);
    let app = ai_svc::Application::build(&cli.args).await?;
    app.run_until_stopped(igny8_platform::shutdown::token_on_signal())
        .await
}

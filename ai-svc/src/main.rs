//! ai-svc entry point: parse settings, start the role, serve until SIGTERM.

use clap::Parser;

#[derive(Parser)]
#[command(name = "ai-svc", version, about = "IGNY8 AI jobs and providers")]
struct Cli {
    #[command(flatten)]
    config: ai_svc::Config,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    igny8_platform::install_crypto_provider();
    let cli = Cli::parse();
    igny8_platform::telemetry::init(ai_svc::SPEC.name, cli.config.service.log.log_format);
    let app = ai_svc::Application::build(cli.config).await?;
    app.run_until_stopped(igny8_platform::shutdown::token_on_signal())
        .await
}

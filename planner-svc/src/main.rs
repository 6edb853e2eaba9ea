//! planner-svc entry point: parse settings, start, serve until SIGTERM.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "planner-svc",
    version,
    about = "IGNY8 planner: keywords, clusters, ideas"
)]
struct Cli {
    #[command(flatten)]
    config: planner_svc::Config,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    igny8_platform::install_crypto_provider();
    let cli = Cli::parse();
    igny8_platform::telemetry::init(planner_svc::SPEC.name, cli.config.service.log.log_format);
    let app = planner_svc::Application::build_with(&cli.config).await?;
    app.run_until_stopped(igny8_platform::shutdown::token_on_signal())
        .await
}

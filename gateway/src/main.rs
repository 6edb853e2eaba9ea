//! gateway binary: parse configuration, set up logging, serve until SIGINT/SIGTERM.

use clap::Parser as _;
use gateway::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    igny8_platform::install_crypto_provider();
    igny8_platform::telemetry::init("gateway", config.log.log_format);
    let app = Application::build(config).await?;
    let shutdown = igny8_platform::shutdown::token_on_signal();
    app.run_until_stopped(shutdown).await
}

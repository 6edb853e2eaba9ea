//! `fake-provider`: the tests' fake AI provider as a standalone server, so a benchmark can point
//! real ai-svc processes at a provider that answers every AI function with valid JSON after a
//! fixed delay (the provider's latency is then a known constant, not noise). Runs until SIGTERM
//! or SIGINT. It keeps every request it received in memory (a test feature): fine for a
//! benchmark's thousands of calls, not for days of traffic.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use igny8_test_support::{fake_answers, fake_provider::FakeProvider};

#[derive(clap::Args, Debug)]
pub struct FakeProviderArgs {
    /// Address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:18091")]
    listen: SocketAddr,
    /// How long every answer waits before it is sent.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    delay_ms: u64,
}

pub async fn run(args: FakeProviderArgs) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() {
        bail!(
            "--listen: only loopback addresses are allowed, got {}",
            args.listen
        );
    }
    let provider = FakeProvider::start_on(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    provider.set_delay(Duration::from_millis(args.delay_ms));
    provider.set_responder(fake_answers::respond);
    println!(
        "fake AI provider on {} (OpenAI base {}), answering after {} ms; SIGTERM stops it",
        provider.addr,
        provider.openai_base(),
        args.delay_ms
    );
    igny8_platform::shutdown::signal().await;
    Ok(())
}

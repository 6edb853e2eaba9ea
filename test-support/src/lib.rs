//! Test scaffolding shared by every crate's integration tests: a database per test, a queue
//! prefix per test, key material, an SMTP sink, and one-time log setup.
//!
//! Everything a test creates here it also removes (databases, queues, temp files).

pub mod amqp;
pub mod broker;
pub mod db;
pub mod fake_answers;
pub mod fake_provider;
pub mod fake_s3;
pub mod keys;
pub mod smtp;

use std::sync::Once;

/// Turns test logs on when `TEST_LOG` is set (silent otherwise).
pub fn init_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_test_writer()
                .try_init();
        }
    });
}

/// Runs async clean-up from a `Drop`: on a thread of its own with a private runtime, since a
/// drop cannot await and may run inside a runtime (also while a test panics). A failure is
/// printed, not raised: a drop must not panic.
pub fn clean_up_in_drop<F>(what: &str, cleanup: F)
where
    F: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let done = std::thread::spawn(move || -> anyhow::Result<()> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(cleanup)
    })
    .join();
    match done {
        Ok(Ok(())) => {}
        Ok(Err(err)) => eprintln!("{what} failed: {err:#}"),
        Err(_) => eprintln!("{what} panicked"),
    }
}

/// A short random tag for names that must not collide across parallel tests.
pub fn unique_tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

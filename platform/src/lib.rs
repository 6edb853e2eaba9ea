//! Shared runtime of every IGNY8 process: configuration pieces, telemetry, Postgres, gRPC
//! serving, request identity, errors, RabbitMQ with outbox/inbox, and service discovery.
//!
//! Nothing here knows a domain entity: services own those.

pub mod amqp;
pub mod applied_jobs;
pub mod config;
pub mod context;
pub mod db;
pub mod discovery;
pub mod error;
pub mod grpc;
pub mod inbox;
pub mod metrics;
pub mod outbox;
pub mod paging;
pub mod scope;
pub mod service;
pub mod service_token;
pub mod shutdown;
pub mod storage;
pub mod telemetry;
pub mod token;
pub mod wire;

pub use context::{Principal, RequestContext, Role};
pub use error::{Error, Result};

/// Installs the process-wide TLS crypto provider (ring) that reqwest, sqlx and lapin share.
///
/// Calling it more than once is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

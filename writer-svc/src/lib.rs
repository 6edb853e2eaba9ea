//! writer-svc: writer tasks, content (with version history), images and taxonomy terms.
//!
//! Owns the `writer` schema. Serves `igny8.writer.v1.WriterService` to the gateway (users and
//! site keys) and to platform services (planner queues tasks, ai writes generated content and
//! images, integration moves publishing status), and publishes `writer.*` events.

pub mod domain;
pub mod events;
pub mod grpc;
pub mod ops;
pub mod startup;
pub mod state;

pub use startup::{Application, MIGRATOR, SPEC};

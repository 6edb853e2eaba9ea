//! planner-svc: keywords, the platform keyword library, clusters and content ideas.
//!
//! Owns the `planner` schema; asks auth-svc about tenancy and plans, and writer-svc to turn
//! ideas into tasks.

pub mod config;
pub mod consumer;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod ops;
pub mod startup;
pub mod state;

pub use config::Config;
pub use startup::{Application, MIGRATOR, SPEC};

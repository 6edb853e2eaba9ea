//! ai-svc: AI jobs, prompts, provider settings and the job pipeline.
//!
//! Owns the `ai` schema. Roles (`AI_ROLE`): `api` serves the AiService gRPC API, `worker`
//! runs jobs from RabbitMQ, `all` does both (local development).

pub mod config;
pub mod grpc;
pub mod jobs;
pub mod prompts;
pub mod providers;
pub mod startup;
pub mod state;
pub mod system;

pub use config::{Config, Role};
pub use startup::{Application, MIGRATOR, SPEC};

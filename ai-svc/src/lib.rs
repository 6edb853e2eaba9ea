//! ai-svc: AI jobs, prompts, provider settings and the job pipeline.
//!
//! Owns the `ai` schema. Today it starts, migrates, verifies callers' tokens and serves
//! gRPC health and reflection; its domain API is the subject of its own issue.

pub mod prompts;
pub mod providers;
pub mod startup;

pub use startup::{Application, MIGRATOR, SPEC};

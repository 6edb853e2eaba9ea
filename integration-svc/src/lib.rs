//! integration-svc: WordPress site integrations and publishing.
//!
//! Owns the `integration` schema. Today it starts, migrates, verifies callers' tokens and serves
//! gRPC health and reflection; its domain API is the subject of its own issue.

pub mod startup;

pub use startup::{Application, MIGRATOR, SPEC};

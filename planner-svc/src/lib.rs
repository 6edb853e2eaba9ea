//! planner-svc: Keywords, clusters and content ideas.
//!
//! Owns the `planner` schema. Today it starts, migrates, verifies callers' tokens and serves
//! gRPC health and reflection; its domain API is the subject of its own issue.

pub mod startup;

pub use startup::{Application, MIGRATOR, SPEC};

//! billing-svc: the credit ledger (double-entry, append-only, integer milli-credits), holds,
//! plan credits from auth-svc's events, the cost table, and the usage log.
//!
//! Owns the `billing` schema. The layout: `grpc` (who may call) delegates to `ledger` (writes:
//! holds, grants), `reads`, `usage` and `costs`; `events` consumes auth-svc's events;
//! `sweeper` expires holds and unpaid plan credits; `audit` checks the ledger's invariants.

pub mod audit;
pub mod config;
pub mod convert;
pub mod costs;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod ledger;
pub mod reads;
pub mod startup;
pub mod sweeper;
pub mod usage;

pub use config::BillingArgs;
pub use startup::{Application, Hooks, MIGRATOR, SPEC};

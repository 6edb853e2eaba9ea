//! auth-svc: accounts, users, plans, subscriptions, sites, sectors, industries, site API keys,
//! sessions and the tokens every other part of the platform verifies.

pub mod admin;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod mail;
pub mod ops;
pub mod startup;
pub mod state;

pub use config::Config;
pub use startup::{Application, MIGRATOR};

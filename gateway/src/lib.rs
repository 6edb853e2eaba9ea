//! The IGNY8 gateway: the one HTTP edge in front of the gRPC services. It authenticates
//! (JWTs verified locally, API keys exchanged and cached), rate limits, validates input,
//! translates REST to gRPC and answers every request in the platform's JSON envelope.

pub mod api_keys;
pub mod auth;
pub mod clients;
pub mod config;
pub mod context;
pub mod dto;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod health;
pub mod openapi;
pub mod ratelimit;
pub mod revocation;
pub mod routes;
pub mod startup;
pub mod state;
pub mod validate;

pub use config::Config;
pub use startup::Application;

//! End-to-end tests of the gateway: a real auth-svc (own database, queue prefix, keys and SMTP
//! sink per test) and a real gateway in-process, driven over HTTP like a client would.

mod accounts;
mod ai;
mod api_keys;
mod billing;
mod envelope;
mod harness;
mod limits;
mod operations;
mod password_reset;
mod planner;
mod roles;
mod sessions;
mod tenancy;
mod tokens;
mod validation;
mod writer;

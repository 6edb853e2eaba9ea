//! planner-svc integration tests (one binary): real Postgres and RabbitMQ, auth-svc (and
//! writer-svc where needed) and planner-svc in-process on ephemeral ports, a database and a
//! queue prefix per test.

mod access;
mod ai_jobs;
mod clusters;
mod events;
mod helpers;
mod ideas;
mod import;
mod keywords;
mod library;
mod lists;
mod tenants;
mod writer_events;

//! writer-svc integration tests (one binary): real Postgres and RabbitMQ, auth-svc and
//! writer-svc in-process on ephemeral ports, a database and queue prefix per test.

mod content;
mod events;
mod helpers;
mod images;
mod services;
mod tasks;
mod taxonomies;

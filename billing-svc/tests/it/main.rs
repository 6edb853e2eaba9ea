//! billing-svc integration tests (one binary): real Postgres and RabbitMQ, auth-svc and
//! billing-svc in-process; every test ends with the ledger audit (see helpers::cleanup).

mod access;
mod concurrency;
mod costs;
mod helpers;
mod holds;
mod plans;
mod restart;
mod sweeper;

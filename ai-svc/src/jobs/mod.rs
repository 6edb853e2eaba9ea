//! The job pipeline: submit (validate, hold, queue), the worker (claim, run, apply, settle),
//! and the reads clients use to follow a job.
//!
//! The job row is the truth. A queue message only wakes a worker; a worker claims the row
//! with a lease it keeps renewing; every effect is idempotent on the job id, so a job that
//! runs twice (a killed worker, a redelivered message) writes and charges once.

pub mod answer;
pub mod calls;
pub mod functions;
pub mod kind;
pub mod notify;
pub mod progress;
pub mod provider_factory;
pub mod queries;
pub mod run;
pub mod settle;
pub mod store;
pub mod submit;
pub mod sweeper;
pub mod watch;
pub mod worker;

pub use kind::JobKind;

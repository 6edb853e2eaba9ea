//! ai-svc integration tests against real Postgres and RabbitMQ, with every peer service
//! in-process and a fake AI provider speaking the real HTTP protocols on 127.0.0.1: provider
//! clients, prompts/profiles/settings, the job pipeline, and the fault test.

mod fault;
// The harness serves every test module; not each uses all of it.
#[allow(dead_code)]
mod harness;
mod jobs;
mod providers;
mod system;

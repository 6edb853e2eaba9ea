//! Cross-service integration tests (one binary): real Postgres, real RabbitMQ, services
//! started in-process on ephemeral ports.

mod discovery;
mod events;
mod grpc_access;
mod helpers;
mod services;

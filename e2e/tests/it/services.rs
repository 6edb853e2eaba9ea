//! Each domain service starts, migrates its own schema, serves health and reflection, refuses
//! calls without a token, and stops cleanly.

use futures_util::StreamExt as _;
use igny8_platform::config::ServiceArgs;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use crate::helpers::Platform;

async fn check(platform: &Platform, channel: Channel) {
    let status = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health answers without a token")
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection answers")
        .into_inner();
    let response = responses.next().await.expect("one response").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.iter().any(|n| n == "grpc.health.v1.Health"),
        "{names:?}"
    );
    let _ = platform;
}

macro_rules! service_test {
    ($name:ident, $krate:ident, $schema:literal, $queues:expr) => {
        #[tokio::test]
        async fn $name() {
            let platform = Platform::start().await;
            let args = ServiceArgs::for_tests(
                &platform.db.url,
                &igny8_test_support::amqp::amqp_url(),
                &platform.prefix,
                platform.auth_addr,
                &platform.keys.service_secret_file,
            );
            let app = $krate::Application::build(&args)
                .await
                .expect("service builds");
            let addr = app.grpc_addr();
            let pool = app.pool();
            let shutdown = CancellationToken::new();
            let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
            let channel = Channel::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect_lazy();
            check(&platform, channel).await;
            let migrated: i64 = sqlx::query_scalar(concat!(
                "SELECT count(*) FROM ",
                $schema,
                "._sqlx_migrations"
            ))
            .fetch_one(&pool)
            .await
            .expect("migrations table lives in the service's schema");
            assert!(migrated >= 1);
            shutdown.cancel();
            task.await.unwrap().expect("stops cleanly");
            pool.close().await;
            platform.cleanup($queues).await;
        }
    };
}

service_test!(
    planner_svc_starts_serves_health_and_stops,
    planner_svc,
    "planner",
    &[planner_svc::consumer::QUEUE]
);
service_test!(
    writer_svc_starts_serves_health_and_stops,
    writer_svc,
    "writer",
    &[]
);
// billing consumes auth events: its queue goes with the test.
service_test!(
    billing_svc_starts_serves_health_and_stops,
    billing_svc,
    "billing",
    &[billing_svc::events::QUEUE]
);
service_test!(
    integration_svc_starts_serves_health_and_stops,
    integration_svc,
    "integration",
    &[]
);

// ai-svc takes its own settings (peers, providers, the key sealing accounts' provider keys).
#[tokio::test]
async fn ai_svc_starts_serves_health_and_stops() {
    let platform = Platform::start().await;
    let args = ServiceArgs::for_tests(
        &platform.db.url,
        &igny8_test_support::amqp::amqp_url(),
        &platform.prefix,
        platform.auth_addr,
        &platform.keys.service_secret_file,
    );
    let dir =
        std::env::temp_dir().join(format!("igny8-e2e-ai-{}", igny8_test_support::unique_tag()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("ai_settings_key");
    std::fs::write(&key_file, "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=").unwrap();
    // No peer is called while starting; unroutable addresses prove it.
    let nowhere: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    let config = ai_svc::Config::for_tests(
        args,
        nowhere,
        nowhere,
        nowhere,
        "http://127.0.0.1:9",
        None,
        key_file,
        dir.join("images"),
    );
    let app = ai_svc::Application::build(config)
        .await
        .expect("service builds");
    let addr = app.grpc_addr();
    let pool = app.pool();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_lazy();
    check(&platform, channel).await;
    let migrated: i64 = sqlx::query_scalar("SELECT count(*) FROM ai._sqlx_migrations")
        .fetch_one(&pool)
        .await
        .expect("migrations table lives in the service's schema");
    assert!(migrated >= 3);
    shutdown.cancel();
    task.await.unwrap().expect("stops cleanly");
    pool.close().await;
    let queues: Vec<String> = ai_svc::jobs::JobKind::ALL.map(|k| k.queue()).to_vec();
    let queues: Vec<&str> = queues.iter().map(String::as_str).collect();
    platform.cleanup(&queues).await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn auth_svc_reflection_lists_the_auth_service() {
    let platform = Platform::start().await;
    let channel = Channel::from_shared(format!("http://{}", platform.auth_addr))
        .unwrap()
        .connect_lazy();
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer");
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "igny8.auth.v1.AuthService")
    );
    platform.cleanup(&[]).await;
}

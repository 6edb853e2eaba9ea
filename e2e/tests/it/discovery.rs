//! DNS-SRV discovery against a DNS server of our own on 127.0.0.1: the balancing channel
//! reaches every resolved endpoint.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use hickory_resolver::proto::{
    op::Message,
    rr::{
        Name, RData, Record, RecordType,
        rdata::{A, SRV},
    },
};
use igny8_platform::discovery::{self, ChannelOptions, ServiceAddr};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

const SERVICE: &str = "_grpc._tcp.health.igny8.test.";

/// Answers SRV queries for SERVICE with one target per current port, and A queries with
/// 127.0.0.1; tests change the ports as Kubernetes would when pods come and go.
async fn fake_dns(ports: Arc<Mutex<Vec<u16>>>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 1500];
        while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
            reply.metadata.recursion_desired = query.metadata.recursion_desired;
            reply.metadata.recursion_available = true;
            for q in &query.queries {
                reply.add_query(q.clone());
                let name = q.name().clone();
                match q.query_type() {
                    RecordType::SRV if name.to_ascii().eq_ignore_ascii_case(SERVICE) => {
                        let current = ports.lock().unwrap().clone();
                        for (i, port) in current.iter().enumerate() {
                            let target =
                                Name::from_ascii(format!("pod-{i}.health.igny8.test.")).unwrap();
                            reply.add_answer(Record::from_rdata(
                                name.clone(),
                                5,
                                RData::SRV(SRV::new(0, 10, *port, target)),
                            ));
                        }
                    }
                    RecordType::A => {
                        reply.add_answer(Record::from_rdata(
                            name,
                            5,
                            RData::A(A([127, 0, 0, 1].into())),
                        ));
                    }
                    _ => {}
                }
            }
            let _ = socket.send_to(&reply.to_vec().unwrap(), peer).await;
        }
    });
    (addr, task)
}

async fn health_server() -> (u16, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_reporter, service) = tonic_health::server::health_reporter();
    let stop = CancellationToken::new();
    let shutdown = stop.clone();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                shutdown.cancelled_owned(),
            )
            .await
            .unwrap();
    });
    (port, stop)
}

#[tokio::test]
async fn srv_names_resolve_to_every_endpoint_and_the_channel_serves_calls() {
    let (port_a, stop_a) = health_server().await;
    let (port_b, stop_b) = health_server().await;
    let ports = Arc::new(Mutex::new(vec![port_a, port_b]));
    let (dns, dns_task) = fake_dns(ports.clone()).await;

    let resolved = discovery::resolve_srv_once(SERVICE, Some(dns))
        .await
        .unwrap();
    let mut expected: Vec<SocketAddr> = vec![
        ([127, 0, 0, 1], port_a).into(),
        ([127, 0, 0, 1], port_b).into(),
    ];
    expected.sort();
    assert_eq!(resolved, expected);

    let shutdown = CancellationToken::new();
    let options = ChannelOptions {
        dns_server: Some(dns),
        refresh_every: Duration::from_millis(200),
        ..Default::default()
    };
    let addr: ServiceAddr = format!("dns+srv://{SERVICE}").parse().unwrap();
    let channel = discovery::connect(&addr, &options, shutdown.clone()).unwrap();
    let mut client = HealthClient::new(channel);
    let mut ok = 0;
    for _ in 0..50 {
        if client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .is_ok()
        {
            ok += 1;
        } else {
            // The first refresh may not have landed yet.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(
        ok >= 40,
        "calls through the balanced channel succeed ({ok}/50)"
    );

    // One endpoint goes away: calls keep succeeding through the other.
    // A pod goes away: DNS stops naming it and the next refresh removes it from the channel.
    ports.lock().unwrap().retain(|p| *p != port_a);
    stop_a.cancel();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut after = 0;
    for _ in 0..20 {
        let answered = client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await;
        if answered.is_ok() {
            after += 1;
        }
    }
    assert_eq!(after, 20, "every call reaches the surviving endpoint");
    shutdown.cancel();
    stop_b.cancel();
    dns_task.abort();
}

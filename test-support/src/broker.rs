//! A TCP proxy in front of the shared RabbitMQ, one per test, for tests that need the broker to
//! go away: an outage drops every connection made through the proxy and refuses new ones for
//! a while, which is what the services see when the broker restarts, while every other test
//! keeps its broker. The broker itself notices the dropped connections as a client crash
//! would: unacknowledged deliveries go back to their queues.
//!
//! (An earlier version booted a private RabbitMQ node per test; on a loaded CI machine it did
//! not come up within a minute, and a test that depends on booting a second broker is a test
//! of the machine, not of our code.)

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::Context as _;
use tokio::{
    net::{TcpListener, TcpStream},
    task::{JoinHandle, JoinSet},
};

pub struct BrokerProxy {
    url: String,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

#[derive(Default)]
struct Shared {
    down: AtomicBool,
    links: Mutex<JoinSet<()>>,
}

impl BrokerProxy {
    /// Listens on a free loopback port and forwards to the broker `upstream_url` names.
    pub async fn start(upstream_url: &str) -> anyhow::Result<Self> {
        let mut url = url::Url::parse(upstream_url).context("broker URL")?;
        let host = url.host_str().context("broker URL has no host")?.to_owned();
        let port = url.port().unwrap_or(5672);
        let upstream = tokio::net::lookup_host((host.as_str(), port))
            .await?
            .next()
            .context("broker host resolves to nothing")?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let local = listener.local_addr()?;
        url.set_host(Some("127.0.0.1"))?;
        url.set_port(Some(local.port()))
            .map_err(|()| anyhow::anyhow!("broker URL cannot take a port"))?;
        let shared = Arc::new(Shared::default());
        let accept = tokio::spawn(accept_loop(listener, upstream, Arc::clone(&shared)));
        Ok(Self {
            url: url.into(),
            shared,
            accept,
        })
    }

    /// The URL services should use: the upstream's, pointing at the proxy.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops every open connection and refuses new ones for `length`, then serves again.
    /// Returns how many open connections it dropped.
    pub async fn outage(&self, length: Duration) -> usize {
        self.shared.down.store(true, Ordering::SeqCst);
        let dropped = {
            let mut links = self.shared.links.lock().expect("links lock");
            while links.try_join_next().is_some() {}
            let open = links.len();
            links.abort_all();
            open
        };
        tokio::time::sleep(length).await;
        self.shared.down.store(false, Ordering::SeqCst);
        dropped
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        if shared.down.load(Ordering::SeqCst) {
            // Closing at once is what a client sees from a broker that is not there yet.
            drop(inbound);
            continue;
        }
        let mut links = shared.links.lock().expect("links lock");
        // Finished links are reaped here so the set does not grow with every reconnect.
        while links.try_join_next().is_some() {}
        links.spawn(async move {
            let _ = inbound.set_nodelay(true);
            if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                let _ = outbound.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

impl Drop for BrokerProxy {
    fn drop(&mut self) {
        self.accept.abort();
        if let Ok(mut links) = self.shared.links.lock() {
            links.abort_all();
        }
    }
}

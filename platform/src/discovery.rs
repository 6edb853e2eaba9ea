//! Service addresses: static (`http://host:port`) or DNS-SRV (`dns+srv://name`).
//!
//! SRV names are resolved with hickory and refreshed periodically; every resolved endpoint
//! joins one balancing tonic channel, so calls spread over all pods of a headless Kubernetes
//! Service instead of pinning to the one a kube-proxy connection happened to reach.

use std::{collections::HashMap, fmt, net::SocketAddr, str::FromStr, time::Duration};

use hickory_resolver::{
    Resolver, TokioResolver,
    config::{ConnectionConfig, NameServerConfig, ResolverConfig},
    net::runtime::TokioRuntimeProvider,
    proto::rr::RData,
};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint, channel::Change};

/// Where a peer service is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceAddr {
    Static(String),
    DnsSrv(String),
}

impl FromStr for ServiceAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(name) = s.strip_prefix("dns+srv://") {
            if name.is_empty() || name.contains('/') {
                return Err(format!(
                    "{s:?}: expected dns+srv://_grpc._tcp.<svc>.<ns>.svc.cluster.local"
                ));
            }
            Ok(Self::DnsSrv(name.to_owned()))
        } else if s.starts_with("http://") || s.starts_with("https://") {
            s.parse::<http::Uri>().map_err(|e| format!("{s:?}: {e}"))?;
            Ok(Self::Static(s.to_owned()))
        } else {
            Err(format!(
                "{s:?}: expected http://host:port or dns+srv://name"
            ))
        }
    }
}

impl fmt::Display for ServiceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static(uri) => f.write_str(uri),
            Self::DnsSrv(name) => write!(f, "dns+srv://{name}"),
        }
    }
}

/// Settings of the channels built by [`connect`].
#[derive(Debug, Clone)]
pub struct ChannelOptions {
    pub connect_timeout: Duration,
    /// Deadline of each call.
    pub request_timeout: Duration,
    /// How often SRV records are resolved again.
    pub refresh_every: Duration,
    /// DNS server to ask instead of the system's (tests run their own).
    pub dns_server: Option<SocketAddr>,
}

impl Default for ChannelOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(15),
            refresh_every: Duration::from_secs(15),
            dns_server: None,
        }
    }
}

fn endpoint(uri: String, options: &ChannelOptions) -> Result<Endpoint, tonic::transport::Error> {
    Ok(Endpoint::from_shared(uri)?
        .connect_timeout(options.connect_timeout)
        .timeout(options.request_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true))
}

/// A long-lived channel to `addr`; connects lazily, so a peer that starts later is fine.
///
/// For SRV addresses a background task keeps the endpoint set current until `shutdown`.
pub fn connect(
    addr: &ServiceAddr,
    options: &ChannelOptions,
    shutdown: CancellationToken,
) -> anyhow::Result<Channel> {
    match addr {
        ServiceAddr::Static(uri) => Ok(endpoint(uri.clone(), options)?.connect_lazy()),
        ServiceAddr::DnsSrv(name) => {
            let (channel, changes) = Channel::balance_channel::<SocketAddr>(64);
            let resolver = resolver(options.dns_server, options.refresh_every)?;
            let refresher = SrvRefresher {
                name: name.clone(),
                resolver,
                options: options.clone(),
                changes,
                current: HashMap::new(),
            };
            tokio::spawn(refresher.run(shutdown));
            Ok(channel)
        }
    }
}

/// A resolver whose cache never outlives one refresh period, so a pod removed from DNS leaves
/// the channel within `max_age` rather than after the record's TTL.
fn resolver(dns_server: Option<SocketAddr>, max_age: Duration) -> anyhow::Result<TokioResolver> {
    let mut builder = match dns_server {
        Some(server) => {
            let mut connection = ConnectionConfig::udp();
            connection.port = server.port();
            let mut ns = NameServerConfig::udp(server.ip());
            ns.connections = vec![connection];
            Resolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![ns]),
                TokioRuntimeProvider::default(),
            )
        }
        None => Resolver::builder_tokio()?,
    };
    builder.options_mut().positive_max_ttl = Some(max_age);
    Ok(builder.build()?)
}

struct SrvRefresher {
    name: String,
    resolver: TokioResolver,
    options: ChannelOptions,
    changes: tokio::sync::mpsc::Sender<Change<SocketAddr, Endpoint>>,
    current: HashMap<SocketAddr, ()>,
}

impl SrvRefresher {
    async fn run(mut self, shutdown: CancellationToken) {
        loop {
            match resolve_srv(&self.resolver, &self.name).await {
                Ok(addrs) => {
                    if self.apply(addrs).await.is_err() {
                        return; // the channel is gone
                    }
                }
                // Keep the last known endpoints: a DNS hiccup must not empty the channel.
                Err(err) => {
                    tracing::warn!(name = %self.name, error.message = %err, "SRV lookup failed")
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.options.refresh_every) => {}
            }
        }
    }

    async fn apply(&mut self, addrs: Vec<SocketAddr>) -> Result<(), ()> {
        let fresh: HashMap<SocketAddr, ()> = addrs.into_iter().map(|a| (a, ())).collect();
        for gone in self
            .current
            .keys()
            .filter(|a| !fresh.contains_key(a))
            .copied()
            .collect::<Vec<_>>()
        {
            self.changes
                .send(Change::Remove(gone))
                .await
                .map_err(|_| ())?;
            self.current.remove(&gone);
        }
        for addr in fresh
            .keys()
            .filter(|a| !self.current.contains_key(a))
            .copied()
            .collect::<Vec<_>>()
        {
            match endpoint(format!("http://{addr}"), &self.options) {
                Ok(ep) => {
                    self.changes
                        .send(Change::Insert(addr, ep))
                        .await
                        .map_err(|_| ())?;
                    self.current.insert(addr, ());
                }
                Err(err) => tracing::warn!(%addr, error.message = %err, "bad endpoint"),
            }
        }
        tracing::debug!(name = %self.name, endpoints = self.current.len(), "SRV endpoints refreshed");
        Ok(())
    }
}

/// Resolves an SRV name to socket addresses (targets resolved to their A/AAAA records).
pub async fn resolve_srv(resolver: &TokioResolver, name: &str) -> anyhow::Result<Vec<SocketAddr>> {
    let lookup = resolver.srv_lookup(name).await?;
    let mut out = Vec::new();
    for record in lookup.answers() {
        if let RData::SRV(srv) = &record.data {
            let target = srv.target.to_utf8();
            let ips = resolver.lookup_ip(target.as_str()).await?;
            out.extend(ips.iter().map(|ip| SocketAddr::new(ip, srv.port)));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Resolves `name` once against `dns_server` (or the system resolver).
pub async fn resolve_srv_once(
    name: &str,
    dns_server: Option<SocketAddr>,
) -> anyhow::Result<Vec<SocketAddr>> {
    resolve_srv(&resolver(dns_server, Duration::ZERO)?, name).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_static_and_srv_forms_and_refuse_others() {
        assert_eq!(
            "http://127.0.0.1:50051".parse::<ServiceAddr>().unwrap(),
            ServiceAddr::Static("http://127.0.0.1:50051".into())
        );
        assert_eq!(
            "dns+srv://_grpc._tcp.auth.igny8.svc.cluster.local"
                .parse::<ServiceAddr>()
                .unwrap(),
            ServiceAddr::DnsSrv("_grpc._tcp.auth.igny8.svc.cluster.local".into())
        );
        assert!("127.0.0.1:50051".parse::<ServiceAddr>().is_err());
        assert!("dns+srv://".parse::<ServiceAddr>().is_err());
    }
}

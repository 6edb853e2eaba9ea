//! Serving gRPC: health, reflection, the request-context layer, graceful shutdown; and the
//! metadata every outgoing call carries.

use std::{
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use futures_util::future::BoxFuture;
use http::HeaderMap;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{
    Status,
    metadata::{AsciiMetadataValue, MetadataMap},
    service::Routes,
};
use tower::{Layer, Service};
use tracing::Instrument as _;
use uuid::Uuid;

use crate::{
    context::{Principal, RequestContext},
    token::{JwksSource, TokenError, TokenVerifier},
};

/// Metadata key naming the account a service token acts for.
pub const ACCOUNT_HEADER: &str = "x-igny8-account";
/// Metadata key of the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// W3C trace context.
pub const TRACEPARENT_HEADER: &str = "traceparent";

/// Methods reachable without a token: health checks, reflection, and what a service lists.
const ALWAYS_PUBLIC: &[&str] = &["/grpc.health.v1.Health/", "/grpc.reflection."];

/// Verifies the bearer token of each call and builds its [`RequestContext`].
pub struct Authenticator {
    verifier: Arc<TokenVerifier>,
    jwks: Option<JwksSource>,
    public_methods: Vec<String>,
}

impl Authenticator {
    /// `jwks` refetches keys for unknown key ids; auth-svc itself passes `None`.
    pub fn new(verifier: Arc<TokenVerifier>, jwks: Option<JwksSource>) -> Self {
        Self {
            verifier,
            jwks,
            public_methods: Vec::new(),
        }
    }

    /// Lets calls to `method` (full path, e.g. `/igny8.auth.v1.AuthService/GetJwks`) through
    /// without a token.
    pub fn allow_anonymous(mut self, method: impl Into<String>) -> Self {
        self.public_methods.push(method.into());
        self
    }

    fn is_public(&self, path: &str) -> bool {
        ALWAYS_PUBLIC.iter().any(|prefix| path.starts_with(prefix))
            || self.public_methods.iter().any(|m| m == path)
    }

    /// The context of a call, `None` for an anonymous call to a public method.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        path: &str,
    ) -> Result<Option<RequestContext>, Status> {
        let bearer = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(bearer) = bearer else {
            return if self.is_public(path) {
                Ok(None)
            } else {
                Err(Status::unauthenticated("missing credentials"))
            };
        };
        let claims = match self.verifier.verify(bearer) {
            Err(TokenError::UnknownKey) if self.jwks.is_some() => {
                let kid = TokenVerifier::kid_of(bearer).map_err(token_status)?;
                if let Some(jwks) = &self.jwks {
                    jwks.ensure_kid(&kid).await;
                }
                self.verifier.verify(bearer)
            }
            other => other,
        }
        .map_err(token_status)?;
        let mut principal = claims.principal().map_err(token_status)?;
        if let Some(acting) = headers.get(ACCOUNT_HEADER) {
            let acting: Uuid = acting
                .to_str()
                .ok()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| Status::invalid_argument("x-igny8-account is not a valid id"))?;
            match &mut principal {
                Principal::Service { account_id, .. } => *account_id = Some(acting),
                Principal::User { account_id, .. } | Principal::SiteKey { account_id, .. } => {
                    if *account_id != acting {
                        return Err(Status::permission_denied(
                            "only platform services may act for another account",
                        ));
                    }
                }
            }
        }
        Ok(Some(RequestContext {
            principal,
            bearer: bearer.to_owned(),
            request_id: request_id_of(headers),
            traceparent: header_str(headers, TRACEPARENT_HEADER).map(str::to_owned),
        }))
    }
}

fn token_status(err: TokenError) -> Status {
    match err {
        TokenError::Expired => Status::unauthenticated("token has expired"),
        _ => Status::unauthenticated("invalid token"),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn request_id_of(headers: &HeaderMap) -> String {
    header_str(headers, REQUEST_ID_HEADER)
        .filter(|id| !id.is_empty() && id.len() <= 128)
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_owned)
}

/// The trace id of a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), if well formed.
pub fn trace_id_of(traceparent: Option<&str>) -> Option<&str> {
    let mut parts = traceparent?.split('-');
    let _version = parts.next()?;
    let trace_id = parts.next()?;
    (trace_id.len() == 32 && trace_id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(trace_id)
}

/// Starts a new W3C trace (`00-<trace id>-<span id>-01`) for a request that came without one,
/// so every log line of the request carries a trace id.
pub fn new_traceparent() -> String {
    let trace: u128 = rand::random::<u128>().max(1);
    let span: u64 = rand::random::<u64>().max(1);
    format!("00-{trace:032x}-{span:016x}-01")
}

/// Tower layer that authenticates each call, opens its span and records its latency.
#[derive(Clone)]
pub struct ContextLayer {
    auth: Arc<Authenticator>,
}

impl ContextLayer {
    pub fn new(auth: Arc<Authenticator>) -> Self {
        Self { auth }
    }
}

impl<S> Layer<S> for ContextLayer {
    type Service = ContextService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ContextService {
            inner,
            auth: self.auth.clone(),
        }
    }
}

#[derive(Clone)]
pub struct ContextService<S> {
    inner: S,
    auth: Arc<Authenticator>,
}

impl<S, B> Service<http::Request<B>> for ContextService<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The ready service is the one we were polled for; leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        let path = request.uri().path().to_owned();
        let request_id = request_id_of(request.headers());
        let trace_id =
            trace_id_of(header_str(request.headers(), TRACEPARENT_HEADER)).map(str::to_owned);
        let span = tracing::info_span!(
            "grpc",
            method = %path,
            request_id = %request_id,
            trace_id = trace_id.as_deref().unwrap_or(""),
        );
        Box::pin(
            async move {
                let started = Instant::now();
                match auth.authenticate(request.headers(), &path).await {
                    Ok(Some(ctx)) => {
                        request.extensions_mut().insert(ctx);
                    }
                    Ok(None) => {}
                    Err(status) => {
                        tracing::debug!(code = ?status.code(), "call refused");
                        return Ok(status.into_http());
                    }
                }
                let response = inner.call(request).await;
                metrics::histogram!("grpc_server_request_duration_seconds", "method" => path)
                    .record(started.elapsed().as_secs_f64());
                response
            }
            .instrument(span),
        )
    }
}

/// Health and reflection (v1 and v1alpha, for older grpcurl) plus the caller's services.
pub struct ServerParts {
    pub health: tonic_health::server::HealthReporter,
    pub routes: tonic::service::RoutesBuilder,
}

/// Starts the routes every service serves; add the service's own with `routes.add_service`.
pub fn standard_routes(descriptor_sets: &[&[u8]]) -> anyhow::Result<ServerParts> {
    let (health, health_service) = tonic_health::server::health_reporter();
    let mut v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
    let mut v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
    for set in descriptor_sets {
        v1 = v1.register_encoded_file_descriptor_set(set);
        v1alpha = v1alpha.register_encoded_file_descriptor_set(set);
    }
    let mut routes = tonic::service::RoutesBuilder::default();
    routes
        .add_service(health_service)
        .add_service(v1.build_v1()?)
        .add_service(v1alpha.build_v1alpha()?);
    Ok(ServerParts { health, routes })
}

/// Serves `routes` on `listener` until `shutdown` is cancelled, then drains in-flight calls.
pub async fn serve(
    listener: TcpListener,
    auth: Arc<Authenticator>,
    routes: Routes,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tonic::transport::Server::builder()
        .layer(ContextLayer::new(auth))
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await?;
    Ok(())
}

/// Serves health, reflection and the service's routes until `shutdown`; then reports
/// NOT_SERVING (so load balancers stop sending) and drains in-flight calls.
pub async fn serve_parts(
    listener: TcpListener,
    auth: Arc<Authenticator>,
    parts: ServerParts,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let ServerParts { health, routes } = parts;
    let grpc_shutdown = CancellationToken::new();
    let watcher = {
        let grpc_shutdown = grpc_shutdown.clone();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            health
                .set_service_status("", tonic_health::ServingStatus::NotServing)
                .await;
            grpc_shutdown.cancel();
        })
    };
    let served = serve(listener, auth, routes.routes(), grpc_shutdown).await;
    watcher.abort();
    served
}

/// Builds an outgoing request that carries the caller's identity and correlation ids.
pub fn forward<T>(message: T, ctx: &RequestContext) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let md = request.metadata_mut();
    insert_bearer(md, &ctx.bearer);
    insert_ascii(md, REQUEST_ID_HEADER, &ctx.request_id);
    if let Some(tp) = &ctx.traceparent {
        insert_ascii(md, TRACEPARENT_HEADER, tp);
    }
    // A service token names its account beside the token; the next hop needs it too.
    if let Principal::Service {
        account_id: Some(account),
        ..
    } = &ctx.principal
    {
        insert_ascii(md, ACCOUNT_HEADER, &account.to_string());
    }
    request
}

/// Builds an outgoing request signed with a service token, acting for `account_id` if given.
pub fn as_service<T>(
    message: T,
    service_token: &str,
    account_id: Option<Uuid>,
    request_id: &str,
) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let md = request.metadata_mut();
    insert_bearer(md, service_token);
    insert_ascii(md, REQUEST_ID_HEADER, request_id);
    if let Some(account) = account_id {
        insert_ascii(md, ACCOUNT_HEADER, &account.to_string());
    }
    request
}

fn insert_bearer(md: &mut MetadataMap, token: &str) {
    insert_ascii(md, "authorization", &format!("Bearer {token}"));
}

fn insert_ascii(md: &mut MetadataMap, key: &'static str, value: &str) {
    if let Ok(value) = AsciiMetadataValue::try_from(value) {
        md.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarding_a_service_call_keeps_the_account_it_acts_for() {
        let account = Uuid::new_v4();
        let ctx = RequestContext {
            principal: Principal::Service {
                name: "ai-svc".into(),
                account_id: Some(account),
            },
            bearer: "t".into(),
            request_id: "r".into(),
            traceparent: None,
        };
        let request = forward((), &ctx);
        assert_eq!(
            request.metadata().get(ACCOUNT_HEADER).unwrap(),
            account.to_string().as_str()
        );
        assert_eq!(request.metadata().get("authorization").unwrap(), "Bearer t");
    }

    #[test]
    fn new_traces_are_well_formed_and_distinct() {
        let a = new_traceparent();
        assert!(trace_id_of(Some(&a)).is_some(), "{a}");
        assert_ne!(trace_id_of(Some(&a)), trace_id_of(Some(&new_traceparent())));
    }

    #[test]
    fn trace_id_is_read_from_a_well_formed_traceparent_only() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            trace_id_of(Some(tp)),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(trace_id_of(Some("00-xyz-1-01")), None);
        assert_eq!(trace_id_of(None), None);
    }
}

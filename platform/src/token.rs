//! Token claims and verification with auth-svc's public keys (EdDSA, selected by `kid`).
//!
//! auth-svc signs; everybody else verifies locally. Keys come from auth-svc's `GetJwks`
//! and are refreshed periodically and whenever a token names a key id not seen yet, so a key
//! rotation needs no restart.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::context::{Principal, Role};

/// Issuer of every token.
pub const ISSUER: &str = "igny8-auth";
/// Audience of every token.
pub const AUDIENCE: &str = "igny8";

/// What a token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A user's access token.
    User,
    /// A site API key exchanged for a short-lived token.
    Site,
    /// A platform service.
    Service,
}

/// Claims of every token auth-svc signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id, API key id or service name.
    pub sub: String,
    /// The account the token acts for (absent for services).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Uuid>,
    pub role: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    pub iss: String,
    pub aud: String,
    pub kind: TokenKind,
    /// Refresh-token family (user tokens), so one session can be revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    /// The one site a site token may touch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<Uuid>,
}

impl Claims {
    /// Turns verified claims into a principal; malformed claims are refused.
    pub fn principal(&self) -> Result<Principal, TokenError> {
        let bad = || TokenError::Malformed;
        match self.kind {
            TokenKind::User => Ok(Principal::User {
                user_id: self.sub.parse().map_err(|_| bad())?,
                account_id: self.account.ok_or_else(bad)?,
                role: Role::parse(&self.role).ok_or_else(bad)?,
                session_id: self.sid.ok_or_else(bad)?,
            }),
            TokenKind::Site => Ok(Principal::SiteKey {
                key_id: self.sub.parse().map_err(|_| bad())?,
                account_id: self.account.ok_or_else(bad)?,
                site_id: self.site.ok_or_else(bad)?,
            }),
            TokenKind::Service => Ok(Principal::Service {
                name: self.sub.clone(),
                account_id: None,
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token signing key is unknown")]
    UnknownKey,
    #[error("token has expired")]
    Expired,
    #[error("token signature is invalid")]
    Invalid,
}

/// One public key as auth-svc publishes it (an OKP/Ed25519 JWK).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kid: String,
    /// The JWK `x` member: the raw public key, base64url without padding.
    pub x: String,
}

impl PublicKey {
    /// Builds a key from raw Ed25519 public key bytes.
    pub fn from_bytes(kid: &str, bytes: &[u8]) -> Self {
        Self {
            kid: kid.to_owned(),
            x: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        }
    }
}

/// Verifies tokens against a set of public keys that can be replaced at run time.
pub struct TokenVerifier {
    keys: RwLock<HashMap<String, DecodingKey>>,
    validation: Validation,
}

impl Default for TokenVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenVerifier {
    pub fn new() -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            keys: RwLock::new(HashMap::new()),
            validation,
        }
    }

    /// Replaces the key set.
    pub fn set_keys(&self, keys: &[PublicKey]) {
        let map = keys
            .iter()
            .filter_map(|key| match DecodingKey::from_ed_components(&key.x) {
                Ok(decoding) => Some((key.kid.clone(), decoding)),
                Err(err) => {
                    tracing::warn!(kid = %key.kid, error.message = %err, "ignoring unusable public key");
                    None
                }
            })
            .collect();
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = map;
    }

    pub fn has_key(&self, kid: &str) -> bool {
        self.keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(kid)
    }

    /// The key id a token names, without verifying anything.
    pub fn kid_of(token: &str) -> Result<String, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid);
        }
        header.kid.ok_or(TokenError::Malformed)
    }

    /// Verifies signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let kid = Self::kid_of(token)?;
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let key = keys.get(&kid).ok_or(TokenError::UnknownKey)?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                jsonwebtoken::errors::ErrorKind::InvalidSignature
                | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => TokenError::Invalid,
                _ => TokenError::Malformed,
            })
    }
}

/// Keeps a [`TokenVerifier`] filled with auth-svc's current public keys.
#[derive(Clone)]
pub struct JwksSource {
    verifier: Arc<TokenVerifier>,
    client:
        igny8_proto::auth::v1::auth_service_client::AuthServiceClient<tonic::transport::Channel>,
    last_fetch: Arc<tokio::sync::Mutex<Option<Instant>>>,
}

/// Fetches at most this often when tokens name unknown keys (someone may be probing).
const MIN_REFETCH: Duration = Duration::from_secs(5);

impl JwksSource {
    pub fn new(verifier: Arc<TokenVerifier>, channel: tonic::transport::Channel) -> Self {
        Self {
            verifier,
            client: igny8_proto::auth::v1::auth_service_client::AuthServiceClient::new(channel),
            last_fetch: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    pub fn verifier(&self) -> &Arc<TokenVerifier> {
        &self.verifier
    }

    /// Fetches the key set now.
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let mut last = self.last_fetch.lock().await;
        let jwks = self
            .client
            .clone()
            .get_jwks(igny8_proto::common::v1::Empty {})
            .await?
            .into_inner();
        let keys: Vec<PublicKey> = jwks
            .keys
            .into_iter()
            .map(|k| PublicKey { kid: k.kid, x: k.x })
            .collect();
        self.verifier.set_keys(&keys);
        *last = Some(Instant::now());
        Ok(())
    }

    /// Refetches when `kid` is unknown, unless a fetch happened very recently.
    pub async fn ensure_kid(&self, kid: &str) {
        if self.verifier.has_key(kid) {
            return;
        }
        let recent = self
            .last_fetch
            .lock()
            .await
            .is_some_and(|at| at.elapsed() < MIN_REFETCH);
        if !recent && let Err(err) = self.refresh().await {
            tracing::warn!(error.message = %err, "fetching token keys failed");
        }
    }

    /// Refreshes every `every` until cancelled; retries quickly while the first fetch fails.
    pub async fn run(self, every: Duration, shutdown: tokio_util::sync::CancellationToken) {
        loop {
            let wait = match self.refresh().await {
                Ok(()) => every,
                Err(err) => {
                    tracing::warn!(error.message = %err, "fetching token keys failed");
                    Duration::from_millis(500)
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

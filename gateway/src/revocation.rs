//! The security feed: what auth-svc revoked (users, sessions, API keys) and which accounts
//! changed status, polled every `SECURITY_FEED_INTERVAL_MS` so tokens the gateway verifies
//! locally stop working soon after the event, without a call per request.
//!
//! The gateway also applies its own actions at once (a logout revokes that session here before
//! the answer leaves) and polls immediately after actions whose effects auth-svc decides.

use std::{
    collections::HashMap,
    sync::{
        RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use igny8_proto::auth::v1::{SecurityEvent, SecurityFeedRequest, security_event::Kind};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{api_keys::ApiKeys, clients::ServiceCaller, context::RequestMeta, error::ApiError};

/// Entries older than this cannot matter any more: every access token they could apply to has
/// expired (access tokens live at most an hour), and no new token can be minted from them.
const RETENTION: Duration = Duration::from_secs(24 * 3600);
const PRUNE_EVERY: Duration = Duration::from_secs(300);

#[derive(Default)]
struct Revocations {
    /// user id -> unix seconds before which the user's tokens are dead.
    users: HashMap<Uuid, i64>,
    /// session (refresh family) id -> when the gateway learned of it.
    sessions: HashMap<Uuid, Instant>,
    /// account id -> subscription status, for accounts whose status the feed reported.
    accounts: HashMap<Uuid, String>,
    /// API key id -> when the gateway learned of it.
    api_keys: HashMap<Uuid, Instant>,
}

pub struct SecurityFeed {
    state: RwLock<Revocations>,
    loaded: AtomicBool,
    /// Last applied sequence number; the lock also keeps polls from overlapping.
    cursor: tokio::sync::Mutex<i64>,
    caller: ServiceCaller,
    api_keys: ApiKeys,
}

/// Subscription statuses that may use the product.
pub fn status_is_active(status: &str) -> bool {
    matches!(status, "active" | "trial")
}

impl SecurityFeed {
    pub fn new(caller: ServiceCaller, api_keys: ApiKeys) -> Self {
        Self {
            state: RwLock::new(Revocations::default()),
            loaded: AtomicBool::new(false),
            cursor: tokio::sync::Mutex::new(0),
            caller,
            api_keys,
        }
    }

    /// True once the first snapshot was applied.
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Revocations> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Revocations> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// True when a user token (issued at `issued_at`, of session `session_id`) was revoked.
    pub fn user_token_revoked(&self, user_id: Uuid, session_id: Uuid, issued_at: i64) -> bool {
        let state = self.read();
        state
            .users
            .get(&user_id)
            .is_some_and(|not_before| issued_at < *not_before)
            || state.sessions.contains_key(&session_id)
    }

    pub fn key_revoked(&self, key_id: Uuid) -> bool {
        self.read().api_keys.contains_key(&key_id)
    }

    /// False only when the feed reported a status other than active or trial.
    pub fn account_active(&self, account_id: Uuid) -> bool {
        self.read()
            .accounts
            .get(&account_id)
            .is_none_or(|status| status_is_active(status))
    }

    /// Applies a logout made through this gateway before auth-svc's event arrives.
    pub fn revoke_session(&self, session_id: Uuid) {
        self.write().sessions.insert(session_id, Instant::now());
    }

    /// Applies a key revocation made through this gateway before auth-svc's event arrives.
    pub fn revoke_key(&self, key_id: Uuid) {
        self.write().api_keys.insert(key_id, Instant::now());
        self.api_keys.evict(key_id);
    }

    /// Fetches and applies what happened since the last poll; returns how many events.
    pub async fn poll(&self) -> Result<usize, ApiError> {
        let mut cursor = self.cursor.lock().await;
        let meta = RequestMeta {
            request_id: format!("feed-{}", Uuid::new_v4()).into(),
            traceparent: None,
        };
        let request = SecurityFeedRequest { after_seq: *cursor };
        let response = self
            .caller
            .call(&meta, request, |mut client, request| async move {
                client.security_feed(request).await
            })
            .await?;
        let count = response.events.len();
        *cursor = self.apply(response.events, response.last_seq.max(*cursor));
        self.loaded.store(true, Ordering::Release);
        Ok(count)
    }

    /// Applies feed events; returns the newest sequence number seen (at least `last_seq`).
    pub fn apply(&self, events: Vec<SecurityEvent>, last_seq: i64) -> i64 {
        let mut newest = last_seq;
        let mut evicted_keys = Vec::new();
        {
            let mut state = self.write();
            let now = Instant::now();
            let id = |raw: &str| Uuid::try_parse(raw).ok();
            for event in events {
                newest = newest.max(event.seq);
                match event.kind {
                    Some(Kind::UserRevoked(user)) => {
                        if let Some(user_id) = id(&user.user_id) {
                            let entry = state.users.entry(user_id).or_insert(user.not_before);
                            *entry = (*entry).max(user.not_before);
                        }
                    }
                    Some(Kind::SessionRevoked(session)) => {
                        if let Some(session_id) = id(&session.session_id) {
                            state.sessions.entry(session_id).or_insert(now);
                        }
                    }
                    Some(Kind::AccountStatus(account)) => {
                        if let Some(account_id) = id(&account.account_id) {
                            state.accounts.insert(account_id, account.status);
                        }
                    }
                    Some(Kind::ApiKeyRevoked(key)) => {
                        if let Some(key_id) = id(&key.key_id) {
                            state.api_keys.entry(key_id).or_insert(now);
                            evicted_keys.push(key_id);
                        }
                    }
                    None => {}
                }
            }
        }
        for key_id in evicted_keys {
            self.api_keys.evict(key_id);
        }
        newest
    }

    /// Polls right away (after an action whose effects auth-svc decides); a failure is logged
    /// and the next regular poll catches up.
    pub async fn poll_now(&self) {
        if let Err(err) = self.poll().await {
            tracing::warn!(error = ?err, "security feed poll failed");
        }
    }

    /// Polls every `every` until `shutdown`.
    pub async fn run(self: std::sync::Arc<Self>, every: Duration, shutdown: CancellationToken) {
        let mut last_prune = Instant::now();
        let mut failing = false;
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            let mut drained = true;
            match self.poll().await {
                Ok(count) => {
                    if failing {
                        tracing::info!("security feed recovered");
                    }
                    failing = false;
                    // auth-svc answers in pages; after any events ask again at once, so a
                    // backlog (the first snapshot, a burst of revocations) is drained quickly.
                    drained = count == 0;
                }
                Err(err) => {
                    // Log the first failure of a streak, not one line per interval.
                    if !failing {
                        tracing::warn!(error = ?err, "security feed poll failed");
                    }
                    failing = true;
                }
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                self.prune();
                last_prune = Instant::now();
            }
            if !drained {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }

    fn prune(&self) {
        let now_unix = chrono::Utc::now().timestamp();
        let retention_secs = RETENTION.as_secs() as i64;
        let mut state = self.write();
        state
            .users
            .retain(|_, not_before| *not_before > now_unix - retention_secs);
        state
            .sessions
            .retain(|_, learned| learned.elapsed() < RETENTION);
        state
            .api_keys
            .retain(|_, learned| learned.elapsed() < RETENTION);
    }
}

#[cfg(test)]
mod tests {
    use igny8_proto::auth::v1::{AccountStatus, SessionRevoked, UserRevoked};

    use super::*;
    use crate::{clients::Clients, config::Config};

    fn feed() -> SecurityFeed {
        let config = Config::for_tests("127.0.0.1:9".parse().unwrap(), "unused".into());
        let clients = Clients::connect(&config, CancellationToken::new()).unwrap();
        let verifier = std::sync::Arc::new(igny8_platform::token::TokenVerifier::new());
        let caller = ServiceCaller::new(&clients, "x".repeat(32), verifier);
        SecurityFeed::new(caller, ApiKeys::new(Duration::from_secs(60)))
    }

    fn event(seq: i64, kind: Kind) -> SecurityEvent {
        SecurityEvent {
            seq,
            kind: Some(kind),
        }
    }

    #[tokio::test]
    async fn events_revoke_tokens_and_lapse_accounts() {
        let feed = feed();
        let (user, session, account) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        assert!(!feed.user_token_revoked(user, session, 100));
        assert!(feed.account_active(account));
        let newest = feed.apply(
            vec![
                event(
                    3,
                    Kind::UserRevoked(UserRevoked {
                        user_id: user.to_string(),
                        not_before: 200,
                    }),
                ),
                event(
                    4,
                    Kind::AccountStatus(AccountStatus {
                        account_id: account.to_string(),
                        status: "suspended".into(),
                    }),
                ),
            ],
            2,
        );
        assert_eq!(newest, 4);
        assert!(
            feed.user_token_revoked(user, session, 199),
            "issued before not_before"
        );
        assert!(
            !feed.user_token_revoked(user, session, 200),
            "issued at not_before"
        );
        assert!(!feed.account_active(account));
        feed.apply(
            vec![
                event(
                    5,
                    Kind::SessionRevoked(SessionRevoked {
                        session_id: session.to_string(),
                    }),
                ),
                event(
                    6,
                    Kind::AccountStatus(AccountStatus {
                        account_id: account.to_string(),
                        status: "trial".into(),
                    }),
                ),
            ],
            4,
        );
        assert!(
            feed.user_token_revoked(user, session, 500),
            "the session is revoked whatever the time"
        );
        assert!(feed.account_active(account));
    }
}

//! Plumbing for the platform itself: published keys, service tokens and the security feed.

use chrono::Utc;
use igny8_platform::{Error, Result, error::FieldErrors};
use igny8_proto::auth::v1 as pb;
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use crate::state::AppState;

pub fn jwks(state: &AppState) -> pb::Jwks {
    pb::Jwks {
        keys: state
            .issuer
            .public_keys()
            .into_iter()
            .map(|k| pb::Jwk {
                kid: k.kid,
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                alg: "EdDSA".into(),
                x: k.x,
            })
            .collect(),
    }
}

pub fn service_token(
    state: &AppState,
    req: pb::ServiceTokenRequest,
) -> Result<pb::ServiceTokenResponse> {
    let name = req.service.trim();
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(FieldErrors::single(
            "service",
            "must be a lowercase service name (letters, digits, -)",
        ));
    }
    // Constant-time, so response timing does not reveal how much of a guess was right.
    let presented = req.secret.as_bytes();
    let expected = state.service_secret.as_bytes();
    if presented.len() != expected.len() || !bool::from(presented.ct_eq(expected)) {
        tracing::warn!(service = name, "service token refused: wrong secret");
        return Err(Error::unauthenticated("invalid service credentials"));
    }
    let signed = state.issuer.service_token(name)?;
    Ok(pb::ServiceTokenResponse {
        token: signed.token,
        expires_in: signed.expires_in,
    })
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    kind: String,
    subject_id: Uuid,
    not_before: Option<i64>,
    status: Option<String>,
}

impl EventRow {
    fn into_proto(self) -> pb::SecurityEvent {
        use pb::security_event::Kind;
        let subject = self.subject_id.to_string();
        let kind = match self.kind.as_str() {
            "user_revoked" => Kind::UserRevoked(pb::UserRevoked {
                user_id: subject,
                not_before: self.not_before.unwrap_or(0),
            }),
            "session_revoked" => Kind::SessionRevoked(pb::SessionRevoked {
                session_id: subject,
            }),
            "account_status" => Kind::AccountStatus(pb::AccountStatus {
                account_id: subject,
                status: self.status.unwrap_or_default(),
            }),
            _ => Kind::ApiKeyRevoked(pb::ApiKeyRevoked { key_id: subject }),
        };
        pb::SecurityEvent {
            seq: self.seq,
            kind: Some(kind),
        }
    }
}

/// Events after `after_seq`. From zero it is a snapshot: every account not in good standing
/// plus revocations young enough to matter (older ones only concern expired tokens).
pub async fn security_feed(
    state: &AppState,
    req: pb::SecurityFeedRequest,
) -> Result<pb::SecurityFeedResponse> {
    const PAGE: i64 = 1000;
    let ttl = state
        .config
        .access_token_ttl_secs
        .max(state.config.site_token_ttl_secs);
    let horizon = Utc::now() - chrono::Duration::seconds(ttl + 60);
    let mut tx = state.pool.begin().await?;
    // Inserts are serialised (see record_security_event), so committed seqs form a prefix and
    // reading up to the current maximum can never skip an event that commits later.
    let max_seq: i64 = sqlx::query_scalar("SELECT COALESCE(max(seq), 0) FROM auth.security_events")
        .fetch_one(&mut *tx)
        .await?;
    let events: Vec<EventRow> = sqlx::query_as(
        "SELECT seq, kind, subject_id, not_before, status FROM auth.security_events \
         WHERE seq > $1 AND seq <= $2 AND ($1 > 0 OR kind = 'account_status' OR created_at > $3) \
         ORDER BY seq LIMIT $4",
    )
    .bind(req.after_seq)
    .bind(max_seq)
    .bind(horizon)
    .bind(PAGE)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let last_seq = if events.len() as i64 == PAGE {
        events.last().map_or(req.after_seq, |e| e.seq)
    } else {
        max_seq.max(req.after_seq)
    };
    Ok(pb::SecurityFeedResponse {
        events: events.into_iter().map(EventRow::into_proto).collect(),
        last_seq,
    })
}

//! The JSON shapes the API answers, mapped from auth-svc's messages. The wire contract of the
//! REST API is these types, not the protobuf ones, so either side can change on its own.

use chrono::{DateTime, Utc};
use igny8_proto::auth::v1 as pb;
use serde::Serialize;
use utoipa::ToSchema;

/// A wire timestamp as a UTC time (`None` when absent).
pub(crate) fn time(ts: Option<prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    ts.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
}

/// An empty proto string as JSON null.
pub(crate) fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Plan {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub price_cents: i64,
    pub billing_cycle: String,
    pub max_sites: u32,
    pub max_users: u32,
    pub max_keywords: u32,
    pub max_sectors_per_site: u32,
    pub included_credits: i64,
    pub is_default: bool,
}

impl From<pb::Plan> for Plan {
    fn from(p: pb::Plan) -> Self {
        Self {
            id: p.id,
            slug: p.slug,
            name: p.name,
            price_cents: p.price_cents,
            billing_cycle: p.billing_cycle,
            max_sites: p.max_sites,
            max_users: p.max_users,
            max_keywords: p.max_keywords,
            max_sectors_per_site: p.max_sectors_per_site,
            included_credits: p.included_credits,
            is_default: p.is_default,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Subscription {
    pub id: String,
    pub plan_slug: String,
    /// active, trial, past_due, suspended or cancelled.
    pub status: String,
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
}

impl From<pb::Subscription> for Subscription {
    fn from(s: pb::Subscription) -> Self {
        Self {
            id: s.id,
            plan_slug: s.plan_slug,
            status: s.status,
            current_period_start: time(s.current_period_start),
            current_period_end: time(s.current_period_end),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub status: String,
    pub timezone: String,
    pub owner_user_id: Option<String>,
    pub plan: Option<Plan>,
    pub subscription: Option<Subscription>,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<pb::Account> for Account {
    fn from(a: pb::Account) -> Self {
        Self {
            id: a.id,
            name: a.name,
            slug: a.slug,
            status: a.status,
            timezone: a.timezone,
            owner_user_id: non_empty(a.owner_user_id),
            plan: a.plan.map(Plan::from),
            subscription: a.subscription.map(Subscription::from),
            created_at: time(a.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// developer, owner, admin, editor, viewer or system_bot.
    pub role: String,
    pub is_active: bool,
    /// The user's account (present on sign-in and `me`).
    pub account: Option<Account>,
    pub created_at: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<pb::User> for User {
    fn from(u: pb::User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            role: u.role,
            is_active: u.is_active,
            account: u.account.map(Account::from),
            created_at: time(u.created_at),
            last_login_at: time(u.last_login_at),
        }
    }
}

/// A token pair and the signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthTokens {
    /// Access token (JWT) for `Authorization: Bearer`.
    pub access: String,
    /// Refresh token; single use, rotated on every refresh.
    pub refresh: String,
    pub access_expires_in: i64,
    pub refresh_expires_in: i64,
    pub user: Option<User>,
}

impl From<pb::AuthResult> for AuthTokens {
    fn from(r: pb::AuthResult) -> Self {
        Self {
            access: r.access,
            refresh: r.refresh,
            access_expires_in: r.access_expires_in,
            refresh_expires_in: r.refresh_expires_in,
            user: r.user.map(User::from),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub domain: String,
    pub description: String,
    pub industry_slug: Option<String>,
    pub is_active: bool,
    pub sector_count: u32,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<pb::Site> for Site {
    fn from(s: pb::Site) -> Self {
        Self {
            id: s.id,
            name: s.name,
            slug: s.slug,
            domain: s.domain,
            description: s.description,
            industry_slug: non_empty(s.industry_slug),
            is_active: s.is_active,
            sector_count: s.sector_count,
            created_at: time(s.created_at),
            updated_at: time(s.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Sector {
    pub id: String,
    pub site_id: String,
    pub name: String,
    pub slug: String,
    /// Slug of the industry template sector it was made from, if any.
    pub industry_sector: Option<String>,
    pub is_active: bool,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<pb::Sector> for Sector {
    fn from(s: pb::Sector) -> Self {
        Self {
            id: s.id,
            site_id: s.site_id,
            name: s.name,
            slug: s.slug,
            industry_sector: non_empty(s.industry_sector),
            is_active: s.is_active,
            created_at: time(s.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndustrySector {
    pub slug: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Industry {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub sectors: Vec<IndustrySector>,
}

impl From<pb::Industry> for Industry {
    fn from(i: pb::Industry) -> Self {
        Self {
            slug: i.slug,
            name: i.name,
            description: i.description,
            sectors: i
                .sectors
                .into_iter()
                .map(|s| IndustrySector {
                    slug: s.slug,
                    name: s.name,
                    description: s.description,
                })
                .collect(),
        }
    }
}

/// A site API key as listed (the key itself is never shown again).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub site_id: String,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    pub created_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<pb::ApiKey> for ApiKey {
    fn from(k: pb::ApiKey) -> Self {
        Self {
            id: k.id,
            site_id: k.site_id,
            name: k.name,
            prefix: k.prefix,
            created_at: time(k.created_at),
            last_used_at: time(k.last_used_at),
        }
    }
}

/// A freshly issued key: `key` is the whole secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub id: String,
    pub site_id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: Option<DateTime<Utc>>,
    /// Send as `X-IGNY8-API-Key`; store it now, it cannot be shown again.
    pub key: String,
}

impl From<pb::CreatedApiKey> for CreatedApiKey {
    fn from(c: pb::CreatedApiKey) -> Self {
        let key = c.key.unwrap_or_default();
        Self {
            id: key.id,
            site_id: key.site_id,
            name: key.name,
            prefix: key.prefix,
            created_at: time(key.created_at),
            key: c.plaintext,
        }
    }
}

/// One public key of auth-svc (RFC 8037 OKP JWK).
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub kid: String,
    pub x: String,
}

/// A JSON Web Key Set (a standard document, not enveloped).
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl From<pb::Jwks> for Jwks {
    fn from(set: pb::Jwks) -> Self {
        Self {
            keys: set
                .keys
                .into_iter()
                .map(|k| Jwk {
                    kty: k.kty,
                    crv: k.crv,
                    alg: k.alg,
                    use_: "sig".to_owned(),
                    kid: k.kid,
                    x: k.x,
                })
                .collect(),
        }
    }
}

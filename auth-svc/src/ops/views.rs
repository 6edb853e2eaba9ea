//! Read models: users and accounts with their plan and subscription, as the API shows them.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use igny8_platform::{Error, Result};
use igny8_proto::auth::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::common::{opt_ts, ts};

#[derive(Debug, sqlx::FromRow)]
pub struct PlanRow {
    #[sqlx(rename = "plan_id")]
    pub id: Uuid,
    #[sqlx(rename = "plan_slug")]
    pub slug: String,
    #[sqlx(rename = "plan_name")]
    pub name: String,
    #[sqlx(rename = "plan_price_cents")]
    pub price_cents: i64,
    #[sqlx(rename = "plan_billing_cycle")]
    pub billing_cycle: String,
    #[sqlx(rename = "plan_max_sites")]
    pub max_sites: i32,
    #[sqlx(rename = "plan_max_users")]
    pub max_users: i32,
    #[sqlx(rename = "plan_max_keywords")]
    pub max_keywords: i32,
    #[sqlx(rename = "plan_max_sectors_per_site")]
    pub max_sectors_per_site: i32,
    #[sqlx(rename = "plan_included_credits")]
    pub included_credits: i64,
    #[sqlx(rename = "plan_is_default")]
    pub is_default: bool,
}

impl From<PlanRow> for pb::Plan {
    fn from(p: PlanRow) -> Self {
        Self {
            id: p.id.to_string(),
            slug: p.slug,
            name: p.name,
            price_cents: p.price_cents,
            billing_cycle: p.billing_cycle,
            max_sites: p.max_sites as u32,
            max_users: p.max_users as u32,
            max_keywords: p.max_keywords as u32,
            max_sectors_per_site: p.max_sectors_per_site as u32,
            included_credits: p.included_credits,
            is_default: p.is_default,
        }
    }
}

/// Plan columns, aliased `plan_*` so they never collide with user or account columns when
/// flattened into a joined row (sqlx keeps the last column of a repeated name).
pub const PLAN_COLUMNS: &str = "p.id AS plan_id, p.slug AS plan_slug, p.name AS plan_name, \
     p.price_cents AS plan_price_cents, p.billing_cycle AS plan_billing_cycle, p.max_sites AS plan_max_sites, \
     p.max_users AS plan_max_users, p.max_keywords AS plan_max_keywords, \
     p.max_sectors_per_site AS plan_max_sectors_per_site, p.included_credits AS plan_included_credits, \
     p.is_default AS plan_is_default";

#[derive(Debug, sqlx::FromRow)]
struct AccountRow {
    account_id: Uuid,
    account_name: String,
    account_slug: String,
    timezone: String,
    owner_user_id: Option<Uuid>,
    account_created_at: DateTime<Utc>,
    subscription_id: Uuid,
    status: String,
    current_period_start: DateTime<Utc>,
    current_period_end: DateTime<Utc>,
    #[sqlx(flatten)]
    plan: PlanRow,
}

impl From<AccountRow> for pb::Account {
    fn from(a: AccountRow) -> Self {
        Self {
            id: a.account_id.to_string(),
            name: a.account_name,
            slug: a.account_slug,
            status: a.status.clone(),
            timezone: a.timezone,
            owner_user_id: a.owner_user_id.map(|id| id.to_string()).unwrap_or_default(),
            subscription: Some(pb::Subscription {
                id: a.subscription_id.to_string(),
                plan_slug: a.plan.slug.clone(),
                status: a.status,
                current_period_start: Some(ts(a.current_period_start)),
                current_period_end: Some(ts(a.current_period_end)),
            }),
            plan: Some(a.plan.into()),
            created_at: Some(ts(a.account_created_at)),
        }
    }
}

const ACCOUNT_SELECT: &str = "a.id AS account_id, a.name AS account_name, a.slug AS account_slug, a.timezone, \
     a.owner_user_id, a.created_at AS account_created_at, s.id AS subscription_id, s.status, \
     s.current_period_start, s.current_period_end";

const ACCOUNT_JOIN: &str = "auth.accounts a JOIN auth.subscriptions s ON s.account_id = a.id \
     JOIN auth.plans p ON p.id = a.plan_id";

pub async fn account(conn: &mut PgConnection, account_id: Uuid) -> Result<pb::Account> {
    let sql =
        format!("SELECT {ACCOUNT_SELECT}, {PLAN_COLUMNS} FROM {ACCOUNT_JOIN} WHERE a.id = $1");
    let row: AccountRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound("account"))?;
    Ok(row.into())
}

#[derive(Debug, sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    first_name: String,
    last_name: String,
    role: String,
    is_active: bool,
    created_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
    #[sqlx(flatten)]
    account: AccountRow,
}

impl From<UserRow> for pb::User {
    fn from(u: UserRow) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            role: u.role,
            is_active: u.is_active,
            account: Some(u.account.into()),
            created_at: Some(ts(u.created_at)),
            last_login_at: opt_ts(u.last_login_at),
        }
    }
}

const USER_SELECT: &str =
    "u.id, u.email, u.first_name, u.last_name, u.role, u.is_active, u.created_at, u.last_login_at";

/// The statement behind `Me` and every single-user read: `$1` user id, `$2` account id.
/// Public so the benchmark's baseline runs exactly the SQL the service runs.
pub fn user_query() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {USER_SELECT}, {ACCOUNT_SELECT}, {PLAN_COLUMNS} \
             FROM auth.users u JOIN {ACCOUNT_JOIN} ON a.id = u.account_id \
             WHERE u.id = $1 AND u.account_id = $2"
        )
    });
    &SQL
}

/// One user of `account_id` with the account, plan and subscription (one round trip).
pub async fn user(conn: &mut PgConnection, account_id: Uuid, user_id: Uuid) -> Result<pb::User> {
    let row: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(user_query()))
        .bind(user_id)
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound("user"))?;
    Ok(row.into())
}

/// A page of the account's users, oldest first.
pub async fn users(
    conn: &mut PgConnection,
    account_id: Uuid,
    limit: i64,
    offset: i64,
) -> Result<(Vec<pb::User>, i64)> {
    let sql = format!(
        "SELECT {USER_SELECT}, {ACCOUNT_SELECT}, {PLAN_COLUMNS} \
         FROM auth.users u JOIN {ACCOUNT_JOIN} ON a.id = u.account_id \
         WHERE u.account_id = $1 ORDER BY u.created_at, u.id LIMIT $2 OFFSET $3"
    );
    let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM auth.users WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok((rows.into_iter().map(Into::into).collect(), count))
}

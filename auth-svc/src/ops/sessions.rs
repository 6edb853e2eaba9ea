//! Sign-up, sign-in, rotating refresh tokens, sign-out and passwords.

use chrono::{Duration, Utc};
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::auth::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    common::{SecurityEvent, record_security_event, revoke_sessions},
    views,
};
use crate::{
    crypto::{opaque, passwords},
    domain::validate,
    events::{self, SubscriptionFacts},
    state::AppState,
};

/// Issues an access token and the first refresh token of a new session.
async fn start_session(
    state: &AppState,
    conn: &mut PgConnection,
    user_id: Uuid,
    account_id: Uuid,
    role: Role,
) -> Result<pb::AuthResult> {
    let family = Uuid::now_v7();
    let refresh = insert_refresh_token(state, conn, family, user_id).await?;
    let access = state.issuer.user_token(user_id, account_id, role, family)?;
    Ok(pb::AuthResult {
        access: access.token,
        refresh,
        user: Some(views::user(conn, account_id, user_id).await?),
        access_expires_in: access.expires_in,
        refresh_expires_in: state.config.refresh_token_ttl_secs,
    })
}

async fn insert_refresh_token(
    state: &AppState,
    conn: &mut PgConnection,
    family: Uuid,
    user_id: Uuid,
) -> Result<String> {
    let token = opaque::new_token();
    sqlx::query(
        "INSERT INTO auth.refresh_tokens (id, family_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Uuid::now_v7())
    .bind(family)
    .bind(user_id)
    .bind(opaque::hash(&token))
    .bind(Utc::now() + Duration::seconds(state.config.refresh_token_ttl_secs))
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

pub async fn register(
    state: &AppState,
    req: pb::RegisterRequest,
    request_id: &str,
) -> Result<pb::AuthResult> {
    let mut errors = FieldErrors::new();
    let email = validate::email(&mut errors, "email", &req.email);
    validate::password(&mut errors, "password", &req.password);
    let first_name = validate::text(
        &mut errors,
        "first_name",
        &req.first_name,
        false,
        validate::MAX_NAME,
    );
    let last_name = validate::text(
        &mut errors,
        "last_name",
        &req.last_name,
        false,
        validate::MAX_NAME,
    );
    let mut account_name = validate::text(
        &mut errors,
        "account_name",
        &req.account_name,
        false,
        validate::MAX_NAME,
    );
    errors.into_result()?;
    if account_name.is_empty() {
        account_name = format!(
            "{}'s account",
            if first_name.is_empty() {
                &email
            } else {
                &first_name
            }
        );
    }
    let password_hash = passwords::hash(req.password).await?;

    let mut tx = state.pool.begin().await?;
    let plan: views::PlanRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM auth.plans p WHERE p.is_default AND p.is_active",
        views::PLAN_COLUMNS
    )))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::Internal(anyhow::anyhow!("no default plan is seeded")))?;
    let (account_id, user_id, subscription_id) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let slug = format!(
        "{}-{}",
        validate::slugify(&account_name),
        &account_id.simple().to_string()[24..]
    );
    sqlx::query("INSERT INTO auth.accounts (id, name, slug, owner_user_id, plan_id) VALUES ($1, $2, $3, $4, $5)")
        .bind(account_id)
        .bind(&account_name)
        .bind(&slug)
        .bind(user_id)
        .bind(plan.id)
        .execute(&mut *tx)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO auth.users (id, account_id, email, password_hash, first_name, last_name, role) \
         VALUES ($1, $2, $3, $4, $5, $6, 'owner')",
    )
    .bind(user_id)
    .bind(account_id)
    .bind(&email)
    .bind(&password_hash)
    .bind(&first_name)
    .bind(&last_name)
    .execute(&mut *tx)
    .await;
    if let Err(err) = inserted {
        return Err(email_taken_or(err));
    }
    let (period_start, period_end) = (Utc::now(), Utc::now() + Duration::days(30));
    sqlx::query(
        "INSERT INTO auth.subscriptions (id, account_id, plan_id, status, current_period_start, current_period_end) \
         VALUES ($1, $2, $3, 'active', $4, $5)",
    )
    .bind(subscription_id)
    .bind(account_id)
    .bind(plan.id)
    .bind(period_start)
    .bind(period_end)
    .execute(&mut *tx)
    .await?;
    let facts = SubscriptionFacts {
        account_id,
        subscription_id,
        plan_slug: &plan.slug,
        status: "active",
        included_credits: plan.included_credits,
        period_start,
        period_end,
    };
    events::account_created(&mut tx, user_id, &facts, request_id).await?;
    let result = start_session(state, &mut tx, user_id, account_id, Role::Owner).await?;
    tx.commit().await.map_err(email_taken_or)?;
    tracing::info!(%account_id, %user_id, "account registered");
    Ok(result)
}

fn email_taken_or(err: sqlx::Error) -> Error {
    if igny8_platform::error::is_unique_violation(&err, "users_email_key") {
        FieldErrors::single("email", "a user with this email already exists")
    } else {
        err.into()
    }
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    id: Uuid,
    account_id: Uuid,
    password_hash: Option<String>,
    role: String,
    is_active: bool,
}

pub async fn login(state: &AppState, req: pb::LoginRequest) -> Result<pb::AuthResult> {
    let mut errors = FieldErrors::new();
    let email = validate::email(&mut errors, "email", &req.email);
    if req.password.is_empty() {
        errors.add("password", "this field is required");
    }
    errors.into_result()?;
    let row: Option<LoginRow> = sqlx::query_as(
        "SELECT id, account_id, password_hash, role, is_active FROM auth.users WHERE lower(email) = $1",
    )
    .bind(&email)
    .fetch_optional(&state.pool)
    .await?;
    let matches = passwords::verify(
        req.password,
        row.as_ref().and_then(|r| r.password_hash.clone()),
    )
    .await;
    let row = match row {
        Some(row) if matches => row,
        _ => return Err(Error::unauthenticated("invalid email or password")),
    };
    if !row.is_active {
        return Err(Error::unauthenticated("this user has been deactivated"));
    }
    let role = Role::parse(&row.role)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("stored role is unknown")))?;
    let mut tx = state.pool.begin().await?;
    sqlx::query("UPDATE auth.users SET last_login_at = now() WHERE id = $1")
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
    let result = start_session(state, &mut tx, row.id, row.account_id, role).await?;
    tx.commit().await?;
    Ok(result)
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    id: Uuid,
    family_id: Uuid,
    user_id: Uuid,
    expired: bool,
    used: bool,
    revoked: bool,
    account_id: Uuid,
    role: String,
    is_active: bool,
}

/// Rotates a refresh token. Presenting one that was already rotated means it leaked (or a
/// client raced itself): the whole session is revoked.
pub async fn refresh(state: &AppState, req: pb::RefreshRequest) -> Result<pb::AuthResult> {
    if req.refresh.trim().is_empty() {
        return Err(FieldErrors::single("refresh", "this field is required"));
    }
    let invalid = || Error::unauthenticated("refresh token is invalid or expired");
    let mut tx = state.pool.begin().await?;
    let row: RefreshRow = sqlx::query_as(
        "SELECT t.id, t.family_id, t.user_id, t.expires_at < now() AS expired, t.used_at IS NOT NULL AS used, \
                t.revoked_at IS NOT NULL AS revoked, u.account_id, u.role, u.is_active \
         FROM auth.refresh_tokens t JOIN auth.users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 FOR UPDATE OF t",
    )
    .bind(opaque::hash(req.refresh.trim()))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(invalid)?;
    if row.used && !row.revoked {
        sqlx::query("UPDATE auth.refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL")
            .bind(row.family_id)
            .execute(&mut *tx)
            .await?;
        record_security_event(
            &mut tx,
            SecurityEvent::SessionRevoked {
                session_id: row.family_id,
            },
        )
        .await?;
        tx.commit().await?;
        tracing::warn!(user_id = %row.user_id, session = %row.family_id, "refresh token reused; session revoked");
        return Err(invalid());
    }
    if row.used || row.revoked || row.expired || !row.is_active {
        return Err(invalid());
    }
    sqlx::query("UPDATE auth.refresh_tokens SET used_at = now() WHERE id = $1")
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
    let role = Role::parse(&row.role)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("stored role is unknown")))?;
    let refresh = insert_refresh_token(state, &mut tx, row.family_id, row.user_id).await?;
    let access = state
        .issuer
        .user_token(row.user_id, row.account_id, role, row.family_id)?;
    let user = views::user(&mut tx, row.account_id, row.user_id).await?;
    tx.commit().await?;
    Ok(pb::AuthResult {
        access: access.token,
        refresh,
        user: Some(user),
        access_expires_in: access.expires_in,
        refresh_expires_in: state.config.refresh_token_ttl_secs,
    })
}

/// Ends the session the refresh token belongs to (idempotent; unknown tokens are ignored).
pub async fn logout(state: &AppState, req: pb::LogoutRequest) -> Result<()> {
    if req.refresh.trim().is_empty() {
        return Err(FieldErrors::single("refresh", "this field is required"));
    }
    let mut tx = state.pool.begin().await?;
    let family: Option<Uuid> =
        sqlx::query_scalar("SELECT family_id FROM auth.refresh_tokens WHERE token_hash = $1")
            .bind(opaque::hash(req.refresh.trim()))
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(family) = family {
        let revoked = sqlx::query("UPDATE auth.refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL")
            .bind(family)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if revoked > 0 {
            record_security_event(
                &mut tx,
                SecurityEvent::SessionRevoked { session_id: family },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

pub async fn me(state: &AppState, ctx: &RequestContext) -> Result<pb::User> {
    let (user_id, account_id, _, _) = ctx.user()?;
    let mut conn = state.pool.acquire().await?;
    views::user(&mut conn, account_id, user_id).await
}

/// Changes the caller's password and ends their other sessions.
pub async fn change_password(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ChangePasswordRequest,
) -> Result<()> {
    let (user_id, _, _, session_id) = ctx.user()?;
    let mut errors = FieldErrors::new();
    if req.current_password.is_empty() {
        errors.add("current_password", "this field is required");
    }
    validate::password(&mut errors, "new_password", &req.new_password);
    errors.into_result()?;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM auth.users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&state.pool)
            .await?
            .flatten();
    if !passwords::verify(req.current_password, stored).await {
        return Err(FieldErrors::single("current_password", "is not correct"));
    }
    let hash = passwords::hash(req.new_password).await?;
    let mut tx = state.pool.begin().await?;
    sqlx::query("UPDATE auth.users SET password_hash = $2, updated_at = now() WHERE id = $1")
        .bind(user_id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    revoke_sessions(&mut tx, user_id, Some(session_id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Mails a single-use reset link when the address belongs to an active user; answers the
/// same either way so the endpoint cannot be used to find accounts.
pub async fn request_password_reset(state: &AppState, req: pb::PasswordResetRequest) -> Result<()> {
    let mut errors = FieldErrors::new();
    let email = validate::email(&mut errors, "email", &req.email);
    errors.into_result()?;
    let user: Option<(Uuid, String)> =
        sqlx::query_as("SELECT id, email FROM auth.users WHERE lower(email) = $1 AND is_active")
            .bind(&email)
            .fetch_optional(&state.pool)
            .await?;
    let Some((user_id, address)) = user else {
        tracing::info!("password reset requested for an unknown address");
        return Ok(());
    };
    send_password_link(
        state,
        &state.pool,
        user_id,
        &address,
        state.config.password_reset_ttl_secs,
        false,
    )
    .await
}

/// Creates a reset token and mails the link (also used to invite a user).
pub async fn send_password_link<'e, E>(
    state: &AppState,
    executor: E,
    user_id: Uuid,
    address: &str,
    ttl_secs: i64,
    invitation: bool,
) -> Result<()>
where
    E: sqlx::PgExecutor<'e>,
{
    let token = opaque::new_token();
    sqlx::query("INSERT INTO auth.password_reset_tokens (id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(Uuid::now_v7())
        .bind(user_id)
        .bind(opaque::hash(&token))
        .bind(Utc::now() + Duration::seconds(ttl_secs))
        .execute(executor)
        .await?;
    let link = format!("{}{token}", state.config.password_reset_url);
    let (subject, body) = if invitation {
        (
            "You are invited to IGNY8",
            format!(
                "You have been invited to an IGNY8 account.\n\nSet your password here:\n{link}\n\nThis link works once."
            ),
        )
    } else {
        (
            "Reset your IGNY8 password",
            format!(
                "Someone asked to reset your IGNY8 password.\n\nSet a new one here:\n{link}\n\nThis link works once and expires in {} minutes. If it was not you, ignore this mail.",
                ttl_secs / 60
            ),
        )
    };
    if let Err(err) = state.mailer.send(address, subject, body).await {
        tracing::error!(error.message = %err, "sending mail failed");
        return Err(Error::Unavailable(
            "mail could not be sent; try again later".into(),
        ));
    }
    Ok(())
}

pub async fn confirm_password_reset(state: &AppState, req: pb::PasswordResetConfirm) -> Result<()> {
    let mut errors = FieldErrors::new();
    if req.token.trim().is_empty() {
        errors.add("token", "this field is required");
    }
    validate::password(&mut errors, "new_password", &req.new_password);
    errors.into_result()?;
    let hash = passwords::hash(req.new_password).await?;
    let mut tx = state.pool.begin().await?;
    let user_id: Uuid = sqlx::query_scalar(
        "UPDATE auth.password_reset_tokens SET used_at = now() \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id",
    )
    .bind(opaque::hash(req.token.trim()))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| FieldErrors::single("token", "this reset link is invalid, used or expired"))?;
    sqlx::query("UPDATE auth.users SET password_hash = $2, updated_at = now() WHERE id = $1")
        .bind(user_id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    // Whoever held the old password may hold sessions: end them all.
    revoke_sessions(&mut tx, user_id, None).await?;
    record_security_event(
        &mut tx,
        SecurityEvent::UserRevoked {
            user_id,
            not_before: Utc::now().timestamp(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

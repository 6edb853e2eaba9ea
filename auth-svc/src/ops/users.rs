//! The account's team: list, invite, change role, deactivate.

use chrono::Utc;
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::auth::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    common::{
        Page, SecurityEvent, lock_account, parse_id, plan_limits, record_security_event,
        revoke_sessions, within_limit,
    },
    sessions::send_password_link,
    views,
};
use crate::{domain::validate, state::AppState};

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListUsersRequest,
) -> Result<pb::UserList> {
    ctx.user()?;
    let account_id = ctx.account_id()?;
    let page = Page::from_request(req.page.as_ref())?;
    let mut conn = state.pool.acquire().await?;
    let (users, count) = views::users(&mut conn, account_id, page.limit(), page.offset()).await?;
    Ok(pb::UserList {
        users,
        page: Some(page.info(count)),
    })
}

pub async fn get(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<pb::User> {
    ctx.user()?;
    let user_id = parse_id(&req.id, "user")?;
    let mut conn = state.pool.acquire().await?;
    views::user(&mut conn, ctx.account_id()?, user_id).await
}

/// A role that may be given through the API (developer and system_bot are platform-only).
fn assignable_role(errors: &mut FieldErrors, value: &str) -> Option<Role> {
    match Role::parse(value.trim()) {
        Some(Role::Developer | Role::SystemBot) => {
            errors.add("role", "this role cannot be assigned");
            None
        }
        Some(role) => Some(role),
        None => {
            errors.add("role", "must be one of owner, admin, editor, viewer");
            None
        }
    }
}

pub async fn invite(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::InviteUserRequest,
) -> Result<pb::User> {
    let (_, account_id, _, _) = ctx.user()?;
    ctx.require_role(Role::Admin)?;
    let mut errors = FieldErrors::new();
    let email = validate::email(&mut errors, "email", &req.email);
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
    let role = assignable_role(
        &mut errors,
        if req.role.is_empty() {
            "viewer"
        } else {
            &req.role
        },
    );
    if role == Some(Role::Owner) {
        errors.add(
            "role",
            "an account has one owner; invite as admin and transfer ownership later",
        );
    }
    errors.into_result()?;
    let role = role.unwrap_or(Role::Viewer);

    let mut tx = state.pool.begin().await?;
    lock_account(&mut tx, account_id).await?;
    let limits = plan_limits(&mut tx, account_id).await?;
    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM auth.users WHERE account_id = $1 AND is_active")
            .bind(account_id)
            .fetch_one(&mut *tx)
            .await?;
    within_limit(users, limits.max_users, "users")?;
    let user_id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO auth.users (id, account_id, email, first_name, last_name, role) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(account_id)
    .bind(&email)
    .bind(&first_name)
    .bind(&last_name)
    .bind(role.as_str())
    .execute(&mut *tx)
    .await;
    if let Err(err) = inserted {
        return Err(
            if igny8_platform::error::is_unique_violation(&err, "users_email_key") {
                FieldErrors::single("email", "a user with this email already exists")
            } else {
                err.into()
            },
        );
    }
    send_password_link(
        state,
        &mut *tx,
        user_id,
        &email,
        state.config.invite_ttl_secs,
        true,
    )
    .await?;
    let user = views::user(&mut tx, account_id, user_id).await?;
    tx.commit().await?;
    Ok(user)
}

#[derive(sqlx::FromRow)]
struct Target {
    role: String,
    is_active: bool,
}

async fn load_target(conn: &mut PgConnection, account_id: Uuid, user_id: Uuid) -> Result<Target> {
    sqlx::query_as(
        "SELECT role, is_active FROM auth.users WHERE id = $1 AND account_id = $2 FOR UPDATE",
    )
    .bind(user_id)
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("user"))
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateUserRequest,
) -> Result<pb::User> {
    let (caller_id, account_id, caller_role, _) = ctx.user()?;
    let user_id = parse_id(&req.id, "user")?;
    let is_self = caller_id == user_id;
    if !is_self || req.role.is_some() || req.is_active.is_some() {
        ctx.require_role(Role::Admin)?;
    }
    let mut errors = FieldErrors::new();
    let first_name = req
        .first_name
        .as_deref()
        .map(|v| validate::text(&mut errors, "first_name", v, false, validate::MAX_NAME));
    let last_name = req
        .last_name
        .as_deref()
        .map(|v| validate::text(&mut errors, "last_name", v, false, validate::MAX_NAME));
    let role = req
        .role
        .as_deref()
        .and_then(|v| assignable_role(&mut errors, v));
    errors.into_result()?;

    let mut tx = state.pool.begin().await?;
    let target = load_target(&mut tx, account_id, user_id).await?;
    let target_is_owner = target.role == Role::Owner.as_str();
    if target_is_owner && caller_role != Role::Owner && !is_self {
        return Err(Error::permission_denied(
            "only the owner can change the owner",
        ));
    }
    if let Some(new_role) = role {
        if new_role == Role::Owner {
            // Ownership transfer: only the owner, and the old owner becomes an admin.
            if caller_role != Role::Owner {
                return Err(Error::permission_denied(
                    "only the owner can transfer ownership",
                ));
            }
            if !is_self {
                sqlx::query(
                    "UPDATE auth.users SET role = 'admin', updated_at = now() WHERE id = $1",
                )
                .bind(caller_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE auth.accounts SET owner_user_id = $2, updated_at = now() WHERE id = $1",
                )
                .bind(account_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                revoke_role_tokens(&mut tx, caller_id).await?;
            }
        } else if target_is_owner {
            return Err(FieldErrors::single(
                "role",
                "transfer ownership before changing the owner's role",
            ));
        }
        if new_role.as_str() != target.role {
            sqlx::query("UPDATE auth.users SET role = $2, updated_at = now() WHERE id = $1")
                .bind(user_id)
                .bind(new_role.as_str())
                .execute(&mut *tx)
                .await?;
            // Tokens carry the role; make the user sign in again to get the new one.
            revoke_role_tokens(&mut tx, user_id).await?;
        }
    }
    if let Some(active) = req.is_active
        && active != target.is_active
    {
        set_active(
            &mut tx,
            account_id,
            user_id,
            caller_id,
            target_is_owner,
            active,
        )
        .await?;
    }
    sqlx::query(
        "UPDATE auth.users SET first_name = COALESCE($2, first_name), last_name = COALESCE($3, last_name), \
         updated_at = now() WHERE id = $1",
    )
    .bind(user_id)
    .bind(first_name)
    .bind(last_name)
    .execute(&mut *tx)
    .await?;
    let user = views::user(&mut tx, account_id, user_id).await?;
    tx.commit().await?;
    Ok(user)
}

async fn revoke_role_tokens(conn: &mut PgConnection, user_id: Uuid) -> Result<()> {
    revoke_sessions(conn, user_id, None).await?;
    record_security_event(
        conn,
        SecurityEvent::UserRevoked {
            user_id,
            not_before: Utc::now().timestamp(),
        },
    )
    .await
}

async fn set_active(
    conn: &mut PgConnection,
    account_id: Uuid,
    user_id: Uuid,
    caller_id: Uuid,
    target_is_owner: bool,
    active: bool,
) -> Result<()> {
    if !active && (target_is_owner || user_id == caller_id) {
        return Err(Error::permission_denied(if target_is_owner {
            "the owner cannot be deactivated"
        } else {
            "you cannot deactivate yourself"
        }));
    }
    if active {
        let limits = plan_limits(conn, account_id).await?;
        let users: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM auth.users WHERE account_id = $1 AND is_active",
        )
        .bind(account_id)
        .fetch_one(&mut *conn)
        .await?;
        within_limit(users, limits.max_users, "users")?;
    }
    sqlx::query("UPDATE auth.users SET is_active = $2, updated_at = now() WHERE id = $1")
        .bind(user_id)
        .bind(active)
        .execute(&mut *conn)
        .await?;
    if !active {
        revoke_role_tokens(conn, user_id).await?;
    }
    Ok(())
}

pub async fn deactivate(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdRequest,
) -> Result<pb::User> {
    let (caller_id, account_id, caller_role, _) = ctx.user()?;
    ctx.require_role(Role::Admin)?;
    let user_id = parse_id(&req.id, "user")?;
    let mut tx = state.pool.begin().await?;
    let target = load_target(&mut tx, account_id, user_id).await?;
    let target_is_owner = target.role == Role::Owner.as_str();
    if target_is_owner && caller_role != Role::Owner {
        return Err(Error::permission_denied(
            "only the owner can change the owner",
        ));
    }
    if target.is_active {
        set_active(
            &mut tx,
            account_id,
            user_id,
            caller_id,
            target_is_owner,
            false,
        )
        .await?;
    }
    let user = views::user(&mut tx, account_id, user_id).await?;
    tx.commit().await?;
    Ok(user)
}

//! Operator commands that bypass the API on purpose (platform staff roles).

use anyhow::Context as _;
use igny8_platform::Role;
use sqlx::PgPool;

/// Gives the user with `email` a role, including the platform-only ones the API refuses.
pub async fn set_role(pool: &PgPool, email: &str, role: Role) -> anyhow::Result<()> {
    let updated = sqlx::query(
        "UPDATE auth.users SET role = $2, updated_at = now() WHERE lower(email) = lower($1)",
    )
    .bind(email.trim())
    .bind(role.as_str())
    .execute(pool)
    .await
    .context("updating the role")?
    .rows_affected();
    anyhow::ensure!(updated == 1, "no user with email {email}");
    Ok(())
}

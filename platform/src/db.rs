//! Postgres: a pool confined to the service's own schema, and migrate-on-start.

use std::time::Duration;

use anyhow::Context as _;
use sqlx::{
    Connection as _, PgPool,
    postgres::{PgConnectOptions, PgConnection, PgPoolOptions},
};

/// Connects to `url` with `search_path` set to `schema`, creating the schema if needed.
///
/// Setting the search path makes each service's `_sqlx_migrations` table live inside its own
/// schema; queries still name tables schema-qualified for clarity.
pub async fn connect(url: &str, max_connections: u32, schema: &str) -> anyhow::Result<PgPool> {
    anyhow::ensure!(
        !schema.is_empty() && schema.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "schema name {schema:?} must be lowercase letters and underscores"
    );
    let options: PgConnectOptions = url
        .parse()
        .context("DATABASE_URL is not a valid Postgres URL")?;
    let mut conn = PgConnection::connect_with(&options)
        .await
        .context("DATABASE_URL: cannot connect to Postgres")?;
    // Concurrent first starts race on CREATE SCHEMA; a unique violation means another won.
    if let Err(err) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}"
    )))
    .execute(&mut conn)
    .await
    {
        let raced =
            matches!(&err, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"));
        if !raced {
            return Err(err).context("creating the service schema");
        }
    }
    conn.close().await.ok();
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // Postgres connections are few (100 by default) and shared by every service: one left
        // idle for a minute goes back, so a quiet service holds none.
        .idle_timeout(Duration::from_secs(60))
        .connect_with(options.options([("search_path", schema)]))
        .await
        .context("DATABASE_URL: cannot open the connection pool")?;
    Ok(pool)
}

/// Applies the service's embedded migrations (sqlx takes an advisory lock, so replicas that
/// start together migrate once).
pub async fn migrate(pool: &PgPool, migrator: &sqlx::migrate::Migrator) -> anyhow::Result<()> {
    migrator
        .run(pool)
        .await
        .context("running database migrations")?;
    Ok(())
}

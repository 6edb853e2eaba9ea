//! A fresh Postgres database per test, dropped by `cleanup`.

use sqlx::{Connection as _, PgConnection};

/// Admin URL tests connect to for creating databases; `TEST_DATABASE_URL` overrides it.
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// One test's own database.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// Creates `t_<random>` on the server of [`admin_url`].
    pub async fn create() -> anyhow::Result<Self> {
        let admin = admin_url();
        let name = format!("t_{}", crate::unique_tag());
        let mut conn = PgConnection::connect(&admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base)
            .to_owned();
        Ok(Self {
            url: format!("{base}/{name}"),
            name,
        })
    }

    /// Drops the database, ending any connection still open to it.
    pub async fn cleanup(self) -> anyhow::Result<()> {
        let mut conn = PgConnection::connect(&admin_url()).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut conn)
        .await?;
        conn.close().await?;
        Ok(())
    }
}

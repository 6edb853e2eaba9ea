//! A fresh Postgres database per test, dropped by `cleanup` (or, when a test panicked before
//! it got there, when the `TestDb` is dropped).

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
    pub async fn cleanup(mut self) -> anyhow::Result<()> {
        let name = std::mem::take(&mut self.name);
        drop_database(&name).await
    }
}

/// A test that panicked never reaches `cleanup`: the database is dropped here instead.
impl Drop for TestDb {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        if !name.is_empty() {
            crate::clean_up_in_drop("dropping the test database", async move {
                drop_database(&name).await
            });
        }
    }
}

async fn drop_database(name: &str) -> anyhow::Result<()> {
    if name.is_empty() {
        return Ok(());
    }
    let mut conn = PgConnection::connect(&admin_url()).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    conn.close().await?;
    Ok(())
}

//! Postgres load: a pool of N connections and N workers repeating one statement (prepared and
//! cached per connection by sqlx, as the services run theirs). The baseline the HTTP figures are
//! compared with.

use std::time::Duration;

use anyhow::Context;
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgPool, PgPoolOptions};
use sqlx::query::Query;
use sqlx::{Connection, PgConnection, Postgres};
use uuid::Uuid;

use crate::load::{self, LoadPlan, LoadStats, Outcome};

/// A bind parameter, typed from the JSON the API returned (UUID string, integer or text).
#[derive(Clone, Debug)]
pub enum Param {
    Uuid(Uuid),
    Int(i64),
    Text(String),
}

impl Param {
    pub fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::Number(number) => number.as_i64().map(Self::Int),
            Value::String(text) => Some(
                Uuid::parse_str(text)
                    .map(Self::Uuid)
                    .unwrap_or_else(|_| Self::Text(text.clone())),
            ),
            _ => None,
        }
    }
}

fn bound(sql: &'static str, params: &[Param]) -> Query<'static, Postgres, PgArguments> {
    params
        .iter()
        .fold(sqlx::query(sql), |query, param| match param {
            Param::Uuid(id) => query.bind(*id),
            Param::Int(id) => query.bind(*id),
            Param::Text(text) => query.bind(text.clone()),
        })
}

/// Runs `sql` once on its own connection and fails unless it returns a row: a setup check that
/// the baseline measures a real lookup.
pub async fn probe(database_url: &str, sql: &'static str, params: &[Param]) -> anyhow::Result<()> {
    let mut connection = PgConnection::connect(database_url)
        .await
        .with_context(|| format!("connecting to {database_url}"))?;
    let row = bound(sql, params)
        .fetch_optional(&mut connection)
        .await
        .with_context(|| format!("running the baseline query\n{sql}"))?;
    connection.close().await.ok();
    anyhow::ensure!(
        row.is_some(),
        "the baseline query found no row for {params:?}\n{sql}"
    );
    Ok(())
}

/// Repeats `sql` with `params` on `plan.connections` workers sharing a pool of as many connections.
pub async fn run(
    plan: &LoadPlan,
    database_url: &str,
    sql: &'static str,
    params: Vec<Param>,
) -> anyhow::Result<LoadStats> {
    let pool = PgPoolOptions::new()
        .max_connections(u32::try_from(plan.connections).unwrap_or(u32::MAX))
        .acquire_timeout(Duration::from_secs(10))
        .connect(database_url)
        .await
        .with_context(|| format!("connecting to {database_url}"))?;
    let operations = (0..plan.connections)
        .map(|_| {
            let pool = pool.clone();
            let params = params.clone();
            move || fetch(pool.clone(), bound(sql, &params))
        })
        .collect();
    let stats = load::run(plan, operations).await;
    pool.close().await;
    stats
}

async fn fetch(pool: PgPool, query: Query<'static, Postgres, PgArguments>) -> Outcome {
    match query.fetch_one(&pool).await {
        Ok(_) => Outcome::Ok,
        Err(error) => Outcome::Error(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::Param;
    use serde_json::json;

    #[test]
    fn params_take_their_type_from_the_json_value() {
        let id = "0190b0c4-8d4e-7cc3-a3f8-1c2d3e4f5a6b";
        assert!(matches!(Param::from_json(&json!(id)), Some(Param::Uuid(_))));
        assert!(matches!(Param::from_json(&json!(42)), Some(Param::Int(42))));
        assert!(matches!(
            Param::from_json(&json!("acct")),
            Some(Param::Text(_))
        ));
        assert!(Param::from_json(&json!(null)).is_none());
    }
}

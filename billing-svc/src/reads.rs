//! What an account sees of its ledger: the balance and the transaction history.

use igny8_platform::{Error, Result, error::FieldErrors};
use igny8_proto::billing::v1 as pb;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    convert::{self, Page},
    domain::Kind,
    ledger::{self, TRANSACTION_SELECT, TransactionRow},
};

pub async fn balance(pool: &PgPool, account_id: Uuid) -> Result<pb::Balance> {
    let mut conn = pool.acquire().await?;
    Ok(ledger::read_balance(&mut conn, account_id)
        .await?
        .to_proto())
}

/// The account's transfers, newest first, filtered by kind and `[from, to)`.
pub async fn transactions(
    pool: &PgPool,
    account_id: Uuid,
    req: &pb::ListTransactionsRequest,
) -> Result<pb::TransactionList> {
    let mut errors = FieldErrors::new();
    let page = match Page::from_request(req.page.as_ref()) {
        Ok(page) => Some(page),
        Err(Error::Validation(fields)) => {
            errors.0.extend(fields.0);
            None
        }
        Err(other) => return Err(other),
    };
    for kind in &req.kinds {
        if Kind::parse(kind).is_none() {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            errors.add("kind", format!("must be one of {}", names.join(", ")));
            break;
        }
    }
    errors.into_result()?;
    let page = page.ok_or_else(|| Error::Internal(anyhow::anyhow!("page was validated")))?;
    // Unlike usage reports, the history has no default range: all of it, newest first.
    let from = convert::opt_time(req.from.as_ref(), "from")?;
    let to = convert::opt_time(req.to.as_ref(), "to")?;
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(FieldErrors::single("from", "must be before to"));
    }
    let filter = "t.account_id = $1 AND ($2::timestamptz IS NULL OR t.created_at >= $2) \
         AND ($3::timestamptz IS NULL OR t.created_at < $3) \
         AND (cardinality($4::text[]) = 0 OR t.kind = ANY($4))";
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM billing.transfers t WHERE {filter}"
    )))
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(&req.kinds)
    .fetch_one(&mut *tx)
    .await?;
    let rows: Vec<TransactionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TRANSACTION_SELECT} WHERE {filter} GROUP BY t.id \
         ORDER BY t.created_at DESC, t.id DESC LIMIT $5 OFFSET $6"
    )))
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(&req.kinds)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(pb::TransactionList {
        transactions: rows.into_iter().map(TransactionRow::into_proto).collect(),
        page: Some(page.info(count)),
    })
}

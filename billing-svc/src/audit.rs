//! The ledger audit: recomputes every account's pools from the entries alone and checks the
//! invariants the rest of the service maintains. Tests run it after each test; operators can
//! run it against a live database (it only reads).
//!
//! For every account, exactly, in milli-credits:
//! - granted - removed = available + held + spent, where granted = what entered from the source
//!   and removed = what left to the sink, all computed from the entries;
//! - each pool computed from the entries equals the balances row, and none is negative;
//! - held_plan and held_bonus equal the plan and bonus parts of the account's open holds;
//! - every transfer's entries sum to zero; every hold has one hold transfer, and one
//!   settlement transfer exactly when it is resolved.

use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
struct AccountTotals {
    account_id: Uuid,
    granted: i64,
    removed: i64,
    plan: i64,
    bonus: i64,
    held_plan: i64,
    held_bonus: i64,
    spent: i64,
    row_plan: Option<i64>,
    row_bonus: Option<i64>,
    row_held_plan: Option<i64>,
    row_held_bonus: Option<i64>,
    row_spent: Option<i64>,
    open_plan: i64,
    open_bonus: i64,
}

/// Every violation found, described; empty when the ledger is consistent.
pub async fn verify(pool: &PgPool) -> anyhow::Result<Vec<String>> {
    let mut violations = Vec::new();
    let unbalanced: Vec<Uuid> = sqlx::query_scalar(
        "SELECT transfer_id FROM billing.entries GROUP BY transfer_id HAVING sum(amount) <> 0",
    )
    .fetch_all(pool)
    .await?;
    for id in unbalanced {
        violations.push(format!("transfer {id}: entries do not sum to zero"));
    }
    let accounts: Vec<AccountTotals> = sqlx::query_as(
        "WITH sums AS ( \
             SELECT t.account_id, \
                 COALESCE(-sum(e.amount) FILTER (WHERE e.pool = 'source'), 0)::bigint AS granted, \
                 COALESCE(sum(e.amount) FILTER (WHERE e.pool = 'sink'), 0)::bigint AS removed, \
                 COALESCE(sum(e.amount) FILTER (WHERE e.pool = 'plan'), 0)::bigint AS plan, \
                 COALESCE(sum(e.amount) FILTER (WHERE e.pool = 'bonus'), 0)::bigint AS bonus, \
                 COALESCE(sum(e.amount) FILTER (WHERE e.pool = 'held_plan'), 0)::bigint AS held_plan, \
                 COALESCE(sum(e.amount) FILTER (WHERE e.pool = 'held_bonus'), 0)::bigint AS held_bonus, \
                 COALESCE(sum(e.amount) FILTER (WHERE e.pool = 'spent'), 0)::bigint AS spent \
             FROM billing.transfers t JOIN billing.entries e ON e.transfer_id = t.id \
             GROUP BY t.account_id), \
         open AS ( \
             SELECT account_id, sum(plan_part)::bigint AS open_plan, \
                 sum(bonus_part)::bigint AS open_bonus \
             FROM billing.holds WHERE status = 'held' GROUP BY account_id), \
         ids AS (SELECT account_id FROM sums UNION SELECT account_id FROM billing.balances) \
         SELECT ids.account_id, \
             COALESCE(s.granted, 0) AS granted, COALESCE(s.removed, 0) AS removed, \
             COALESCE(s.plan, 0) AS plan, COALESCE(s.bonus, 0) AS bonus, \
             COALESCE(s.held_plan, 0) AS held_plan, COALESCE(s.held_bonus, 0) AS held_bonus, \
             COALESCE(s.spent, 0) AS spent, \
             b.plan AS row_plan, b.bonus AS row_bonus, b.held_plan AS row_held_plan, \
             b.held_bonus AS row_held_bonus, b.spent AS row_spent, \
             COALESCE(o.open_plan, 0) AS open_plan, COALESCE(o.open_bonus, 0) AS open_bonus \
         FROM ids LEFT JOIN sums s USING (account_id) \
             LEFT JOIN billing.balances b USING (account_id) \
             LEFT JOIN open o USING (account_id)",
    )
    .fetch_all(pool)
    .await?;
    for a in &accounts {
        check_account(a, &mut violations);
    }
    let holds: Vec<(Uuid, String, i64, i64)> = sqlx::query_as(
        "SELECT h.id, h.status, \
             count(*) FILTER (WHERE t.kind = 'hold'), \
             count(*) FILTER (WHERE t.kind IN ('capture', 'release', 'expire')) \
         FROM billing.holds h LEFT JOIN billing.transfers t \
             ON t.hold_id = h.id AND t.account_id = h.account_id \
         GROUP BY h.id, h.status",
    )
    .fetch_all(pool)
    .await?;
    for (id, status, placed, settled) in holds {
        let expected_settled = i64::from(status != "held");
        if placed != 1 || settled != expected_settled {
            violations.push(format!(
                "hold {id} ({status}): {placed} hold transfers and {settled} settlements"
            ));
        }
    }
    Ok(violations)
}

fn check_account(a: &AccountTotals, violations: &mut Vec<String>) {
    let id = a.account_id;
    let in_account = a.plan + a.bonus + a.held_plan + a.held_bonus + a.spent;
    if a.granted - a.removed != in_account {
        violations.push(format!(
            "account {id}: granted {} - removed {} != available {} + held {} + spent {}",
            a.granted,
            a.removed,
            a.plan + a.bonus,
            a.held_plan + a.held_bonus,
            a.spent
        ));
    }
    let pools = [
        ("plan", a.plan, a.row_plan),
        ("bonus", a.bonus, a.row_bonus),
        ("held_plan", a.held_plan, a.row_held_plan),
        ("held_bonus", a.held_bonus, a.row_held_bonus),
        ("spent", a.spent, a.row_spent),
    ];
    for (pool, from_entries, row) in pools {
        match row {
            None => violations.push(format!("account {id}: entries but no balances row")),
            Some(row) if row != from_entries => violations.push(format!(
                "account {id}: {pool} is {row} in balances but {from_entries} from entries"
            )),
            Some(row) if row < 0 => {
                violations.push(format!("account {id}: {pool} is negative ({row})"));
            }
            Some(_) => {}
        }
        if row.is_none() {
            break;
        }
    }
    if (a.held_plan, a.held_bonus) != (a.open_plan, a.open_bonus) {
        violations.push(format!(
            "account {id}: held ({}, {}) but open holds hold ({}, {})",
            a.held_plan, a.held_bonus, a.open_plan, a.open_bonus
        ));
    }
}

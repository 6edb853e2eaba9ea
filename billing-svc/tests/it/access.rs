//! Who may call what: reads for owners and admins, credit movements for platform services,
//! the cost table and adjustments for developers; another account's holds are not found.

use igny8_platform::Role;
use igny8_proto::{billing::v1 as pb, common::v1::Empty};
use tonic::{Code, Status};

use crate::helpers::{Account, Harness, bearer, capture, grant, hold, void};

/// Calls every read with `token`, returning each outcome's code.
async fn read_codes(h: &Harness, token: &str) -> Vec<(&'static str, Code)> {
    let mut billing = h.billing();
    let code = |r: Result<(), Status>| r.map_or_else(|s| s.code(), |()| Code::Ok);
    vec![
        (
            "GetBalance",
            code(billing.get_balance(bearer(Empty {}, token)).await.map(drop)),
        ),
        (
            "ListTransactions",
            code(
                billing
                    .list_transactions(bearer(pb::ListTransactionsRequest::default(), token))
                    .await
                    .map(drop),
            ),
        ),
        (
            "Usage",
            code(
                billing
                    .usage(bearer(pb::UsageRequest::default(), token))
                    .await
                    .map(drop),
            ),
        ),
        (
            "UsageSummary",
            code(
                billing
                    .usage_summary(bearer(pb::UsageRequest::default(), token))
                    .await
                    .map(drop),
            ),
        ),
        (
            "Estimate",
            code(
                billing
                    .estimate(bearer(
                        pb::EstimateRequest {
                            operation: "clustering".into(),
                            ..Default::default()
                        },
                        token,
                    ))
                    .await
                    .map(drop),
            ),
        ),
        (
            "GetCostConfig",
            code(
                billing
                    .get_cost_config(bearer(Empty {}, token))
                    .await
                    .map(drop),
            ),
        ),
    ]
}

fn all(codes: &[(&'static str, Code)], expected: Code) {
    for (method, code) in codes {
        assert_eq!(*code, expected, "{method}");
    }
}

#[tokio::test]
async fn billing_reads_are_for_owners_admins_and_developers_not_editors_or_viewers() {
    let h = Harness::start().await;
    let account = h.account().await;
    all(&read_codes(&h, &account.owner_token).await, Code::Ok);
    for (role, expected) in [
        (Role::Admin, Code::Ok),
        (Role::Developer, Code::Ok),
        (Role::Editor, Code::PermissionDenied),
        (Role::Viewer, Code::PermissionDenied),
    ] {
        let token = h.token_with_role(&account, role).await;
        let codes = read_codes(&h, &token).await;
        for (method, code) in codes {
            assert_eq!(code, expected, "{role} calling {method}");
        }
    }
    all(&read_codes(&h, "not-a-token").await, Code::Unauthenticated);
    // A service reads for the account it acts for, and must name one.
    let balance = h.billing().get_balance(account.acting(Empty {})).await;
    assert!(balance.is_ok());
    let status = h
        .billing()
        .get_balance(bearer(Empty {}, &account.service_token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    h.cleanup().await;
}

#[tokio::test]
async fn only_platform_services_move_credits() {
    let h = Harness::start().await;
    let account = h.account().await;
    let mut billing = h.billing();
    let held = billing
        .hold(account.acting(hold("h", 1000)))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    let developer = h.token_with_role(&account, Role::Developer).await;
    for token in [&account.owner_token, &developer] {
        let denied = [
            billing.hold(bearer(hold("u1", 1000), token)).await.err(),
            billing
                .capture(bearer(capture("u2", &held.id, 1000), token))
                .await
                .err(),
            billing
                .void(bearer(void("u3", &held.id), token))
                .await
                .err(),
            billing
                .grant(bearer(grant("u4", "purchase", 1000), token))
                .await
                .err(),
            billing
                .record_usage(bearer(pb::RecordUsageRequest::default(), token))
                .await
                .err(),
            billing
                .get_hold(bearer(
                    pb::GetHoldRequest {
                        hold_id: held.id.clone(),
                    },
                    token,
                ))
                .await
                .err(),
        ];
        for (i, status) in denied.into_iter().enumerate() {
            let status = status.unwrap_or_else(|| panic!("call {i} was allowed"));
            assert_eq!(status.code(), Code::PermissionDenied, "call {i}");
        }
    }
    let balance = h.balance(&account).await;
    assert_eq!((balance.held_milli, balance.spent_milli), (1000, 0));
    h.cleanup().await;
}

#[tokio::test]
async fn another_accounts_holds_are_not_found() {
    let h = Harness::start().await;
    let ours = h.account().await;
    let theirs = h.account().await;
    let mut billing = h.billing();
    let their_hold = billing
        .hold(theirs.acting(hold("theirs", 3000)))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    let not_found = |r: Result<(), Status>, what: &str| {
        assert_eq!(r.unwrap_err().code(), Code::NotFound, "{what}");
    };
    let hold_id = their_hold.id.clone();
    not_found(
        billing
            .get_hold(ours.acting(pb::GetHoldRequest {
                hold_id: hold_id.clone(),
            }))
            .await
            .map(drop),
        "get",
    );
    not_found(
        billing
            .capture(ours.acting(capture("c", &hold_id, 1000)))
            .await
            .map(drop),
        "capture",
    );
    not_found(
        billing
            .void(ours.acting(void("v", &hold_id)))
            .await
            .map(drop),
        "void",
    );
    not_found(
        billing
            .record_usage(ours.acting(pb::RecordUsageRequest {
                idempotency_key: "u".into(),
                operation: "clustering".into(),
                hold_id: hold_id.clone(),
                ..Default::default()
            }))
            .await
            .map(drop),
        "usage",
    );
    not_found(
        billing
            .capture(ours.acting(capture("c2", "not-a-uuid", 1000)))
            .await
            .map(drop),
        "malformed id",
    );
    // Their hold is untouched and their ledger is not in our history.
    let still = billing
        .get_hold(theirs.acting(pb::GetHoldRequest { hold_id }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(still.status, "held");
    let ours_listed = billing
        .list_transactions(bearer(
            pb::ListTransactionsRequest::default(),
            &ours.owner_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        ours_listed
            .transactions
            .iter()
            .all(|t| t.hold_id != their_hold.id)
    );
    assert_eq!(ours_listed.page.unwrap().count, 1, "our plan grant only");
    h.cleanup().await;
}

#[tokio::test]
async fn only_developers_edit_the_cost_table_and_adjust_credits() {
    let h = Harness::start().await;
    let customer = h.account().await;
    let staff = h.account().await;
    let developer = h.token_with_role(&staff, Role::Developer).await;
    let mut billing = h.billing();
    let entry = pb::CostEntry {
        operation: "clustering".into(),
        model: String::new(),
        unit: "run".into(),
        unit_size: 1,
        credits_per_unit_milli: 12_000,
        tokens_per_credit: 0,
        min_credits_milli: 0,
        updated_at: None,
    };
    let update = || pb::UpdateCostConfigRequest {
        entries: vec![entry.clone()],
    };
    let adjust = |account: &Account, key: &str| pb::AdminAdjustRequest {
        idempotency_key: key.into(),
        account_id: account.id.clone(),
        amount_milli: 7000,
        pool: "bonus".into(),
        reason: "goodwill".into(),
    };
    for token in [&customer.owner_token, &customer.service_token] {
        let status = billing
            .update_cost_config(bearer(update(), token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
        let status = billing
            .admin_adjust(bearer(adjust(&customer, "a"), token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
    }
    let admin = h.token_with_role(&customer, Role::Admin).await;
    let status = billing
        .update_cost_config(bearer(update(), &admin))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    billing
        .update_cost_config(bearer(update(), &developer))
        .await
        .unwrap();
    let adjusted = billing
        .admin_adjust(bearer(adjust(&customer, "goodwill-1"), &developer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(adjusted.balance.unwrap().bonus_milli, 7000);
    let again = billing
        .admin_adjust(bearer(adjust(&customer, "goodwill-1"), &developer))
        .await
        .unwrap()
        .into_inner();
    assert!(again.replayed);
    // Removing more than the pool holds is refused; removing what it holds works.
    let mut take = adjust(&customer, "take-1");
    take.amount_milli = -7001;
    let status = billing
        .admin_adjust(bearer(take.clone(), &developer))
        .await
        .unwrap_err();
    assert_eq!(
        igny8_platform::error::decode_status(&status).code,
        "INSUFFICIENT_CREDITS"
    );
    take.amount_milli = -7000;
    take.idempotency_key = "take-2".into();
    billing
        .admin_adjust(bearer(take, &developer))
        .await
        .unwrap();
    assert_eq!(h.balance(&customer).await.bonus_milli, 0);
    h.cleanup().await;
}

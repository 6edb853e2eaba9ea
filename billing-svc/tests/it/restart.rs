//! billing-svc killed between committing an event's effect and acknowledging the message:
//! after the restart the broker redelivers the message and the grant still happens once.
//!
//! How the kill is placed: the service runs its gRPC server, event consumer and sweeper in one
//! task. A test hook at the end of the event handler (after the grant is written, before the
//! inbox transaction commits) aborts that very task. Tokio cancels a task at its next yield
//! point; the next one is awaiting Postgres's answer to COMMIT, which has already been written
//! to the socket, so the commit completes on the server while the acknowledgement is never
//! sent: the task's future (and with it the AMQP channel holding the unacked delivery) is
//! dropped. The test then checks that this really is the state it claims before restarting:
//! the grant and inbox row are committed, and the broker has put the message back.

use std::sync::{Arc, OnceLock};

use billing_svc::{Hooks, events::QUEUE};
use igny8_platform::amqp::Amqp;
use lapin::{options::QueueDeclareOptions, types::FieldTable};
use tokio::task::AbortHandle;

use crate::helpers::{FREE_PLAN_MILLI, Harness, bearer, test_settings};

async fn ready_messages(amqp: &Amqp) -> u32 {
    let channel = amqp.channel().await.unwrap();
    let queue = channel
        .queue_declare(
            amqp.name(QUEUE).as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let _ = channel.close(200, "done".into()).await;
    queue.message_count()
}

#[tokio::test]
async fn billing_killed_between_commit_and_ack_grants_once_after_restart() {
    let mut h = Harness::start().await;
    // Swap the running billing-svc for one that dies after handling its first event.
    h.stop_billing().await;
    let kill: Arc<OnceLock<AbortHandle>> = Arc::new(OnceLock::new());
    let hooks = Hooks {
        after_event: Some({
            let kill = kill.clone();
            Arc::new(move |_| {
                if let Some(task) = kill.get() {
                    task.abort();
                }
            })
        }),
    };
    let app = h.build_billing(test_settings(), hooks).await;
    kill.set(h.spawn_billing(app)).unwrap();

    let gateway = h.service_token("gateway").await;
    let registered = h
        .auth()
        .register(bearer(
            igny8_proto::auth::v1::RegisterRequest {
                email: format!("user-{}@example.com", igny8_test_support::unique_tag()),
                password: "correct horse battery".into(),
                first_name: "Test".into(),
                last_name: "User".into(),
                account_name: "Killed".into(),
            },
            &gateway,
        ))
        .await
        .unwrap()
        .into_inner();
    let account_id: uuid::Uuid = registered
        .user
        .unwrap()
        .account
        .unwrap()
        .id
        .parse()
        .unwrap();

    // The effect committed although the process "died" right after handling the event.
    let pool = h.pool.clone();
    let grants = || async {
        let (grants, plan): (i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM billing.transfers WHERE account_id = $1 AND kind = 'plan_period'), \
                    (SELECT plan FROM billing.balances WHERE account_id = $1)",
        )
        .bind(account_id)
        .fetch_one(&pool)
        .await
        .unwrap();
        (grants, plan)
    };
    let committed = h
        .eventually(|| async {
            let (count, plan) = grants().await;
            (count > 0).then_some((count, plan))
        })
        .await;
    assert_eq!(committed, (1, Some(FREE_PLAN_MILLI)));
    h.reap_aborted_billing().await;
    // ...and the acknowledgement never reached the broker: the message is back in the queue.
    let amqp = Amqp::connect(&igny8_test_support::amqp::amqp_url(), &h.prefix)
        .await
        .unwrap();
    h.eventually(|| async { (ready_messages(&amqp).await == 1).then_some(()) })
        .await;
    let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM billing.inbox")
        .fetch_one(&h.pool)
        .await
        .unwrap();
    assert_eq!(inbox, 1);

    // Restarted, billing receives the message again, recognises it, and acknowledges it.
    let app = h.build_billing(test_settings(), Hooks::default()).await;
    h.spawn_billing(app);
    // A later event is handled too (so the consumer is past the redelivery)...
    let later = h.account().await;
    h.eventually(|| async { (ready_messages(&amqp).await == 0).then_some(()) })
        .await;
    // ...and after a clean stop nothing is left in the queue: had the redelivery not been
    // acknowledged, closing the consumer's channel would have put it back.
    h.stop_billing().await;
    assert_eq!(ready_messages(&amqp).await, 0);
    assert_eq!(grants().await, (1, Some(FREE_PLAN_MILLI)));
    let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM billing.inbox")
        .fetch_one(&h.pool)
        .await
        .unwrap();
    assert_eq!(inbox, 2, "the killed delivery and the later account's");
    let app = h.build_billing(test_settings(), Hooks::default()).await;
    h.spawn_billing(app);
    assert_eq!(h.balance(&later).await.plan_milli, FREE_PLAN_MILLI);
    h.cleanup().await;
}

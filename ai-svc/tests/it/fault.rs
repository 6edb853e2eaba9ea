//! The fault test (issue 5): 200 jobs while worker processes are SIGKILLed at random moments
//! several times and the broker goes away once (every connection dropped, new ones refused for
//! a few seconds, as in a broker restart). Every job must end completed exactly once, write its
//! result once, and be charged by exactly one capture; nothing stays held.

use std::{
    collections::HashMap,
    os::unix::process::CommandExt as _,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use igny8_proto::{
    ai::v1::SubmitJobRequest,
    billing::v1::GrantRequest,
    planner::v1::{BulkCreateKeywordsRequest, KeywordInput},
};
use igny8_test_support::{amqp, broker::BrokerProxy};
use rand::Rng as _;
use uuid::Uuid;

use crate::harness::{Options, Platform, bearer};

const JOBS: usize = 200;
const KEYWORDS_PER_JOB: usize = 3;
const WORKERS: usize = 3;
const KILLS: usize = 5;
/// As long as a RabbitMQ node takes to restart on this machine.
const OUTAGE: Duration = Duration::from_secs(5);

/// A worker process of our own build, stopped by its pid.
struct WorkerProcess(Child);

impl WorkerProcess {
    // The one unsafe block: a pre-exec hook, which std can only take as unsafe.
    #[allow(unsafe_code)]
    fn spawn(env: &[(String, String)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ai-svc"));
        command
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to SIGKILL the worker
        // when the test process dies, so a killed test run leaves no worker behind.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Self(command.spawn().expect("worker process starts"))
    }

    /// Asks the worker to stop as an orchestrator would (SIGTERM).
    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
    }

    fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_job_completes_once_through_killed_workers_and_a_broker_outage() {
    let broker = BrokerProxy::start(&amqp::amqp_url())
        .await
        .expect("broker proxy");
    let mut platform = Platform::start_with(Options {
        start_ai: false,
        amqp_url: Some(broker.url().to_owned()),
        ..Options::default()
    })
    .await;
    platform.fake.set_delay(Duration::from_millis(100));
    let tenant = platform.tenant().await;

    // Credits for 200 clustering runs (10 each) with room to spare.
    let service = platform.service_token("fault-test").await;
    let mut grant = bearer(
        GrantRequest {
            idempotency_key: "fault-test-grant".into(),
            kind: "purchase".into(),
            amount_milli: 5_000_000,
            reason: "fault test".into(),
        },
        &service,
    );
    grant
        .metadata_mut()
        .insert("x-igny8-account", tenant.account_id.parse().unwrap());
    platform.billing().grant(grant).await.expect("grant");

    let keywords: Vec<KeywordInput> = (0..JOBS * KEYWORDS_PER_JOB)
        .map(|i| KeywordInput {
            keyword: format!("fault keyword {i:04}"),
            search_volume: 10,
            ..KeywordInput::default()
        })
        .collect();
    platform
        .planner()
        .bulk_create_keywords(bearer(
            BulkCreateKeywordsRequest {
                site_id: tenant.site_a.clone(),
                sector_id: tenant.sector_a1.clone(),
                keywords,
            },
            &tenant.owner,
        ))
        .await
        .expect("keywords");
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id::text FROM planner.keywords WHERE sector_id = $1::uuid ORDER BY keyword",
    )
    .bind(&tenant.sector_a1)
    .fetch_all(&platform.planner_pool)
    .await
    .unwrap();
    assert_eq!(ids.len(), JOBS * KEYWORDS_PER_JOB);

    // The API in-process; the workers as processes we can SIGKILL.
    let mut api_config = platform.ai_config();
    api_config.role = ai_svc::Role::Api;
    platform.spawn_ai(api_config).await;
    let env = platform.worker_env(4, 3);
    let mut workers: Vec<WorkerProcess> =
        (0..WORKERS).map(|_| WorkerProcess::spawn(&env)).collect();

    // Chaos alongside the submissions: kill a random worker (and start a fresh one) at random
    // moments; take the broker away once, early on.
    let chaos = {
        let env = env.clone();
        tokio::spawn(async move {
            let mut killed = 0;
            let mut outage = None;
            while killed < KILLS {
                let wait = rand::rng().random_range(700..2500);
                tokio::time::sleep(Duration::from_millis(wait)).await;
                let victim = rand::rng().random_range(0..workers.len());
                workers.swap_remove(victim).kill();
                workers.push(WorkerProcess::spawn(&env));
                killed += 1;
                if killed == 2 && outage.is_none() {
                    let dropped = broker.outage(OUTAGE).await;
                    outage = Some(dropped);
                }
            }
            (workers, broker, outage.expect("the outage happened"))
        })
    };

    let client = platform.ai();
    let mut job_ids = Vec::with_capacity(JOBS);
    for chunk in ids.chunks(KEYWORDS_PER_JOB) {
        // The broker may be away: the API stays up (the outbox relays later), but give
        // a transient refusal a few tries.
        let mut tries = 0;
        let job = loop {
            match client
                .clone()
                .submit_job(bearer(
                    SubmitJobRequest {
                        kind: "auto_cluster".into(),
                        ids: chunk.to_vec(),
                    },
                    &tenant.owner,
                ))
                .await
            {
                Ok(reply) => break reply.into_inner(),
                Err(status) if tries < 20 && status.code() == tonic::Code::Unavailable => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(status) => panic!("submit failed: {status:?}"),
            }
        };
        job_ids.push(job.id);
    }
    let (workers, broker, dropped) = chaos.await.expect("chaos task");
    // The outage cut live broker connections (the API's relay, the workers').
    assert!(
        dropped >= 2,
        "the outage dropped only {dropped} connections"
    );

    // Every job reaches a final state.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ai.jobs WHERE finished_at IS NULL OR settled_at IS NULL",
        )
        .fetch_one(&platform.ai_pool)
        .await
        .unwrap();
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open} jobs still open or unsettled after 300 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let statuses: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM ai.jobs GROUP BY status")
            .fetch_all(&platform.ai_pool)
            .await
            .unwrap();
    assert_eq!(statuses, vec![("completed".to_owned(), JOBS as i64)]);
    // Completed exactly once: one finishing event and one ai.job.completed message per job.
    let finishing: HashMap<Uuid, i64> = sqlx::query_as(
        "SELECT job_id, count(*) FROM ai.job_events WHERE phase = 'completed' GROUP BY job_id",
    )
    .fetch_all(&platform.ai_pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(finishing.len(), JOBS);
    assert!(finishing.values().all(|&n| n == 1), "a job finished twice");
    let finished_messages: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ai.outbox WHERE routing_key = 'ai.job.completed'")
            .fetch_one(&platform.ai_pool)
            .await
            .unwrap();
    assert_eq!(finished_messages, JOBS as i64);

    // Results written once: one cluster per job, every keyword in exactly one of them.
    let applied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM planner.applied_jobs WHERE job_id = ANY($1::uuid[])",
    )
    .bind(&job_ids)
    .fetch_one(&platform.planner_pool)
    .await
    .unwrap();
    assert_eq!(applied, JOBS as i64);
    let (clusters, sizes_ok): (i64, bool) = sqlx::query_as(
        "SELECT count(*), bool_and(keyword_count = $2) FROM planner.clusters WHERE sector_id = $1::uuid",
    )
    .bind(&tenant.sector_a1)
    .bind(KEYWORDS_PER_JOB as i32)
    .fetch_one(&platform.planner_pool)
    .await
    .unwrap();
    assert_eq!(clusters, JOBS as i64);
    assert!(sizes_ok, "a cluster got a keyword twice or lost one");
    let unmapped: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM planner.keywords WHERE sector_id = $1::uuid AND (cluster_id IS NULL OR status <> 'mapped')",
    )
    .bind(&tenant.sector_a1)
    .fetch_one(&platform.planner_pool)
    .await
    .unwrap();
    assert_eq!(unmapped, 0);

    // Paid once: every hold captured, by exactly one capture transfer; nothing held.
    let holds: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT h.status, h.captured, \
                (SELECT count(*) FROM billing.transfers t WHERE t.hold_id = h.id AND t.kind = 'capture') \
         FROM billing.holds h WHERE h.job_id = ANY($1)",
    )
    .bind(&job_ids)
    .fetch_all(&platform.billing_pool)
    .await
    .unwrap();
    assert_eq!(holds.len(), JOBS);
    for (status, captured, captures) in &holds {
        assert_eq!(status, "captured");
        assert_eq!(*captured, 10_000, "clustering costs 10 credits a run");
        assert_eq!(*captures, 1);
    }
    let balance = platform
        .billing()
        .get_balance(bearer(igny8_proto::common::v1::Empty {}, &tenant.owner))
        .await
        .expect("balance")
        .into_inner();
    assert_eq!(balance.held_milli, 0);
    assert_eq!(balance.spent_milli, 10_000 * JOBS as i64);

    let calls: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ai.provider_calls WHERE step = 'chat'")
            .fetch_one(&platform.ai_pool)
            .await
            .unwrap();
    assert_eq!(calls, JOBS as i64);
    eprintln!(
        "fault test: provider received {} chat requests for {JOBS} jobs",
        platform.fake.received().len()
    );

    for worker in workers {
        worker.kill();
    }
    platform.cleanup().await;
    drop(broker);
}

/// SIGTERM while a job runs: the worker finishes that job (within its grace period), then
/// exits cleanly.
#[tokio::test]
async fn a_terminated_worker_finishes_its_running_job_first() {
    let mut platform = Platform::start_with(Options {
        start_ai: false,
        ..Options::default()
    })
    .await;
    let mut api_config = platform.ai_config();
    api_config.role = ai_svc::Role::Api;
    platform.spawn_ai(api_config).await;
    let tenant = platform.tenant().await;
    platform
        .planner()
        .bulk_create_keywords(bearer(
            BulkCreateKeywordsRequest {
                site_id: tenant.site_a.clone(),
                sector_id: tenant.sector_a1.clone(),
                keywords: (0..3)
                    .map(|i| KeywordInput {
                        keyword: format!("graceful {i}"),
                        ..KeywordInput::default()
                    })
                    .collect(),
            },
            &tenant.owner,
        ))
        .await
        .expect("keywords");
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id::text FROM planner.keywords WHERE sector_id = $1::uuid")
            .bind(&tenant.sector_a1)
            .fetch_all(&platform.planner_pool)
            .await
            .unwrap();
    // The provider takes 3 s: long enough to signal the worker mid-call.
    platform.fake.set_delay(Duration::from_secs(3));
    let mut worker = WorkerProcess::spawn(&platform.worker_env(1, 30));
    let job = platform
        .ai()
        .submit_job(bearer(
            SubmitJobRequest {
                kind: "auto_cluster".into(),
                ids,
            },
            &tenant.editor,
        ))
        .await
        .expect("submit")
        .into_inner();
    let deadline = Instant::now() + Duration::from_secs(30);
    while platform.fake.received().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the worker never called the provider"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.terminate();
    let exit = tokio::task::spawn_blocking(move || worker.0.wait().map(|s| (s, worker)))
        .await
        .unwrap()
        .expect("worker exits");
    assert!(exit.0.success(), "worker exit status {:?}", exit.0);
    let (status, finished): (String, bool) =
        sqlx::query_as("SELECT status, settled_at IS NOT NULL FROM ai.jobs WHERE id = $1::uuid")
            .bind(&job.id)
            .fetch_one(&platform.ai_pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), finished), ("completed", true));
    platform.cleanup().await;
}

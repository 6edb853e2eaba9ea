//! The fault test (issue 5): 200 jobs while worker processes are SIGKILLed at random moments
//! several times and the broker goes away once (every connection dropped, new ones refused for
//! a few seconds, as in a broker restart). One job in ten gets an answer the provider can never
//! make valid. Every job must end exactly once, write its result once (the good ones) or
//! nothing (the failed ones), and be settled by exactly one capture or one void; nothing stays
//! held.

use std::{
    collections::HashMap,
    os::unix::process::CommandExt as _,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use igny8_proto::{ai::v1::SubmitJobRequest, billing::v1::GrantRequest, planner::v1::KeywordInput};
use igny8_test_support::{amqp, broker::BrokerProxy};
use rand::Rng as _;
use uuid::Uuid;

use crate::harness::{Options, Platform, bearer};

const JOBS: usize = 200;
const KEYWORDS_PER_JOB: usize = 3;
const WORKERS: usize = 3;
const KILLS: usize = 5;
/// Every tenth job clusters a keyword the fake provider answers with invalid JSON, also on the
/// repair round, so the job fails and its hold must be voided.
const FAILING_EVERY: usize = 10;
const FAILING: usize = JOBS / FAILING_EVERY;
const COMPLETING: usize = JOBS - FAILING;
const UNANSWERABLE: &str = "unanswerable";
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
async fn every_job_ends_and_is_settled_once_through_killed_workers_and_a_broker_outage() {
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
    platform.fake.set_responder(|system, user| {
        if user.contains(UNANSWERABLE) {
            "this is not JSON".to_owned()
        } else {
            igny8_test_support::fake_answers::respond(system, user)
        }
    });
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
            // The suffix keeps the order: jobs take the keywords three by three in order.
            keyword: if (i / KEYWORDS_PER_JOB).is_multiple_of(FAILING_EVERY)
                && i.is_multiple_of(KEYWORDS_PER_JOB)
            {
                format!("fault keyword {i:04} {UNANSWERABLE}")
            } else {
                format!("fault keyword {i:04}")
            },
            search_volume: 10,
            ..KeywordInput::default()
        })
        .collect();
    let ids = platform.add_keywords(&tenant, keywords).await;
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

    // The jobs that were meant to fail failed (invalid answer, also after the repair); the rest
    // completed.
    let expected: HashMap<Uuid, &str> = job_ids
        .iter()
        .enumerate()
        .map(|(j, id)| {
            let id = id.parse().expect("a job id");
            let status = if j.is_multiple_of(FAILING_EVERY) {
                "failed"
            } else {
                "completed"
            };
            (id, status)
        })
        .collect();
    let statuses: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, status, coalesce(error_code, '') FROM ai.jobs")
            .fetch_all(&platform.ai_pool)
            .await
            .unwrap();
    assert_eq!(statuses.len(), JOBS);
    for (id, status, error_code) in &statuses {
        assert_eq!(status, expected[id], "job {id} ({error_code})");
        if status == "failed" {
            assert_eq!(error_code, "INVALID_AI_RESPONSE", "job {id}");
        }
    }
    // Finished exactly once: one finishing event and one ai.job.<status> message per job.
    let finishing: HashMap<Uuid, i64> = sqlx::query_as(
        "SELECT job_id, count(*) FROM ai.job_events \
         WHERE phase IN ('completed', 'failed', 'cancelled') GROUP BY job_id",
    )
    .fetch_all(&platform.ai_pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(finishing.len(), JOBS);
    assert!(finishing.values().all(|&n| n == 1), "a job finished twice");
    let messages: Vec<(String, i64)> = sqlx::query_as(
        "SELECT routing_key, count(*) FROM ai.outbox WHERE routing_key LIKE 'ai.job.%' \
         AND routing_key <> 'ai.job.queued' GROUP BY routing_key ORDER BY routing_key",
    )
    .fetch_all(&platform.ai_pool)
    .await
    .unwrap();
    assert_eq!(
        messages,
        vec![
            ("ai.job.completed".to_owned(), COMPLETING as i64),
            ("ai.job.failed".to_owned(), FAILING as i64),
        ]
    );

    // Results written once: one cluster per completed job, every keyword of it in exactly one
    // cluster; the failed jobs' keywords untouched.
    let applied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM planner.applied_jobs WHERE job_id = ANY($1::uuid[])",
    )
    .bind(&job_ids)
    .fetch_one(&platform.planner_pool)
    .await
    .unwrap();
    assert_eq!(applied, COMPLETING as i64);
    let (clusters, sizes_ok): (i64, bool) = sqlx::query_as(
        "SELECT count(*), bool_and(keyword_count = $2) FROM planner.clusters WHERE sector_id = $1::uuid",
    )
    .bind(&tenant.sector_a1)
    .bind(KEYWORDS_PER_JOB as i32)
    .fetch_one(&platform.planner_pool)
    .await
    .unwrap();
    assert_eq!(clusters, COMPLETING as i64);
    assert!(sizes_ok, "a cluster got a keyword twice or lost one");
    let unmapped: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM planner.keywords WHERE sector_id = $1::uuid AND (cluster_id IS NULL OR status <> 'mapped')",
    )
    .bind(&tenant.sector_a1)
    .fetch_one(&platform.planner_pool)
    .await
    .unwrap();
    assert_eq!(unmapped, (FAILING * KEYWORDS_PER_JOB) as i64);

    // Paid once: a completed job's hold captured by exactly one capture, a failed job's voided
    // by exactly one release, never both; nothing held.
    let holds: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT h.job_id, h.status, h.captured, \
                (SELECT count(*) FROM billing.transfers t WHERE t.hold_id = h.id AND t.kind = 'capture'), \
                (SELECT count(*) FROM billing.transfers t WHERE t.hold_id = h.id AND t.kind = 'release') \
         FROM billing.holds h WHERE h.job_id = ANY($1)",
    )
    .bind(&job_ids)
    .fetch_all(&platform.billing_pool)
    .await
    .unwrap();
    assert_eq!(holds.len(), JOBS);
    for (job_id, status, captured, captures, releases) in &holds {
        let job_id: Uuid = job_id.parse().expect("a job id");
        if expected[&job_id] == "completed" {
            assert_eq!(status, "captured", "job {job_id}");
            assert_eq!(*captured, 10_000, "clustering costs 10 credits a run");
            assert_eq!((*captures, *releases), (1, 0), "job {job_id}");
        } else {
            assert_eq!(status, "voided", "job {job_id}");
            assert_eq!(*captured, 0, "job {job_id}");
            assert_eq!((*captures, *releases), (0, 1), "job {job_id}");
        }
    }
    let balance = platform
        .billing()
        .get_balance(bearer(igny8_proto::common::v1::Empty {}, &tenant.owner))
        .await
        .expect("balance")
        .into_inner();
    assert_eq!(balance.held_milli, 0);
    assert_eq!(balance.spent_milli, 10_000 * COMPLETING as i64);

    // The provider was paid once per answer: one chat call per job, one repair per failed job.
    let calls: Vec<(String, i64)> =
        sqlx::query_as("SELECT step, count(*) FROM ai.provider_calls GROUP BY step ORDER BY step")
            .fetch_all(&platform.ai_pool)
            .await
            .unwrap();
    assert_eq!(
        calls,
        vec![
            ("chat".to_owned(), JOBS as i64),
            ("chat.repair".to_owned(), FAILING as i64),
        ]
    );
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
    let ids = platform
        .add_keywords(
            &tenant,
            (0..3)
                .map(|i| KeywordInput {
                    keyword: format!("graceful {i}"),
                    ..KeywordInput::default()
                })
                .collect(),
        )
        .await;
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

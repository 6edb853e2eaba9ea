//! `jobs`: AI job throughput with 1, 2 and 4 ai-svc worker processes. For each worker count a
//! fresh sector's keywords are clustered by `--jobs` auto_cluster jobs of three keywords each,
//! submitted through the gateway by a few concurrent submitters; the figures come from the
//! jobs' own rows: completed jobs per minute (first created to last finished), submit-to-
//! complete p50/p99, failures, and the speed-up over the first worker count.
//!
//! The provider is whatever ai-svc's environment names; `./dev bench jobs` points it at
//! `igny8-bench fake-provider`, which answers after a fixed delay, so the figures measure the
//! platform's job pipeline around a provider of known speed. The bench needs the platform's
//! ai-svc in the api role (or none): a worker it did not start would take jobs too.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};
use sqlx::postgres::PgPoolOptions;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::cli::{Target, ensure_loopback};
use crate::jobs_figures::{self, Figures};
use crate::jobs_setup::{Gateway, Services, Session, provision, sector_with_keywords};
use crate::jobs_workers::{QueueProbe, WorkerSpec, Workers};
use crate::report;

/// Keywords per auto_cluster job.
const KEYWORDS_PER_JOB: usize = 3;

#[derive(clap::Args, Debug)]
pub struct JobsArgs {
    #[command(flatten)]
    target: Target,
    /// Worker process counts to measure, one configuration each, in this order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,2,4",
        value_parser = clap::value_parser!(u32).range(1..=64)
    )]
    workers: Vec<u32>,
    /// auto_cluster jobs per configuration.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    jobs: u32,
    /// WORKER_CONCURRENCY of each worker process (jobs it runs at once).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=1024))]
    concurrency: u16,
    /// Concurrent submitters (one gateway connection each).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    submitters: u32,
    /// The ai-svc binary the workers run.
    #[arg(long, env = "IGNY8_AI_BIN")]
    ai_bin: PathBuf,
    /// Where each worker's output goes (bench-ai-worker-<n>.log, appended).
    #[arg(long, default_value = ".local/logs")]
    worker_log_dir: PathBuf,
    /// Longest wait for one configuration's jobs to finish once submitted.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    finish_timeout_secs: u64,
    /// auth-svc's gRPC address (service token; moving the account onto the bench plan).
    #[arg(long, env = "IGNY8_AUTH_URL", default_value = "http://127.0.0.1:50051")]
    auth: String,
    /// billing-svc's gRPC address (the account's credits).
    #[arg(
        long,
        env = "IGNY8_BILLING_URL",
        default_value = "http://127.0.0.1:50054"
    )]
    billing: String,
    /// The platform's service secret, exchanged for a service token.
    #[arg(
        long,
        env = "SERVICE_SECRET_FILE",
        default_value = ".local/secrets/service_secret"
    )]
    service_secret_file: PathBuf,
    /// RabbitMQ, to see the workers consume (the platform's AMQP_URL).
    #[arg(
        long,
        env = "AMQP_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    amqp_url: String,
    /// The platform's queue name prefix.
    #[arg(long, env = "AMQP_PREFIX", default_value = "")]
    amqp_prefix: String,
}

/// One worker count and the keywords its jobs cluster.
struct Configuration {
    workers: u32,
    keyword_ids: Vec<String>,
}

/// What one configuration measured.
struct Measured {
    workers: u32,
    submitted: usize,
    /// First submission sent to last one answered.
    submit: Duration,
    figures: Figures,
}

pub async fn run(args: JobsArgs) -> anyhow::Result<()> {
    let gateway_url = args.target.checked_gateway()?.to_owned();
    ensure_loopback("--auth", &args.auth)?;
    ensure_loopback("--billing", &args.billing)?;
    ensure_loopback("--amqp-url", &args.amqp_url)?;
    if !args.ai_bin.is_file() {
        bail!(
            "--ai-bin (IGNY8_AI_BIN): no ai-svc binary at {}",
            args.ai_bin.display()
        );
    }
    ensure!(
        !args.workers.is_empty(),
        "--workers: give at least one worker count"
    );
    let jobs = args.jobs as usize;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&args.target.database_url)
        .await
        .with_context(|| format!("connecting to {}", args.target.database_url))?;
    let probe = QueueProbe::connect(&args.amqp_url, &args.amqp_prefix).await?;
    let strangers = probe.consumers().await?;
    if strangers > 0 {
        bail!(
            "{strangers} consumers already take jobs from {} (ai-svc in the worker or all role?); \
             the bench needs ai-svc with AI_ROLE=api, as ./dev bench jobs runs it",
            probe.queue()
        );
    }

    // Set-up, all before the first measurement.
    let gateway = Gateway::new(&gateway_url)?;
    let mut session = Session::register(&gateway).await?;
    let services = Services {
        auth: &args.auth,
        billing: &args.billing,
        service_secret_file: &args.service_secret_file,
        database_url: &args.target.database_url,
    };
    provision(&services, session.account_id).await?;
    let mut configurations = Vec::with_capacity(args.workers.len());
    for (i, &workers) in args.workers.iter().enumerate() {
        let label = format!("c{i}-w{workers}");
        let keyword_ids =
            sector_with_keywords(&gateway, &session, &label, jobs * KEYWORDS_PER_JOB).await?;
        configurations.push(Configuration {
            workers,
            keyword_ids,
        });
    }

    let spec = WorkerSpec {
        bin: args.ai_bin.clone(),
        concurrency: args.concurrency,
        log_dir: args.worker_log_dir.clone(),
    };
    let provider = std::env::var("OPENAI_BASE_URL").unwrap_or_else(|_| "ai-svc's default".into());
    println!(
        "\njobs: {jobs} auto_cluster jobs of {KEYWORDS_PER_JOB} keywords per configuration, \
         WORKER_CONCURRENCY={} per worker process, {} submitters through the gateway; \
         provider {provider}\n",
        args.concurrency, args.submitters
    );
    println!(
        "{:<34} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "", "jobs/min", "submit/s", "p50 ms", "p99 ms", "max ms", "failed"
    );
    let mut measured = Vec::with_capacity(configurations.len());
    for configuration in configurations {
        session.refresh(&gateway).await?;
        let result =
            run_configuration(&args, &spec, &probe, &pool, &session, configuration).await?;
        print_row(&result);
        measured.push(result);
    }
    pool.close().await;

    println!();
    let first = measured.first().context("no configuration ran")?;
    for other in &measured[1..] {
        report::print_ratio(
            &format!(
                "speed-up, {} / {}",
                processes(other.workers),
                processes(first.workers)
            ),
            other.figures.per_minute(),
            first.figures.per_minute(),
        );
    }
    let failed: u64 = measured.iter().map(|m| m.figures.failed).sum();
    if failed > 0 {
        bail!("{failed} jobs failed (first failure of each configuration printed above)");
    }
    Ok(())
}

fn processes(count: u32) -> String {
    if count == 1 {
        "1 worker process".to_owned()
    } else {
        format!("{count} worker processes")
    }
}

fn print_row(m: &Measured) {
    let f = &m.figures;
    println!(
        "{:<34} {:>10.0} {:>9.1} {:>9.0} {:>9.0} {:>9.0} {:>8}",
        processes(m.workers),
        f.per_minute(),
        m.submitted as f64 / m.submit.as_secs_f64().max(f64::EPSILON),
        f.millis_at(0.50),
        f.millis_at(0.99),
        f.max_millis(),
        f.failed
    );
    if let Some(failure) = &f.first_failure {
        println!("{:<34} first failure: {failure}", "");
    }
}

/// Starts the workers, submits the jobs, waits for them, stops the workers (whatever
/// happened), and reads the figures.
async fn run_configuration(
    args: &JobsArgs,
    spec: &WorkerSpec,
    probe: &QueueProbe,
    pool: &sqlx::PgPool,
    session: &Session,
    configuration: Configuration,
) -> anyhow::Result<Measured> {
    let mut workers = Workers::start(spec, configuration.workers, probe)
        .await
        .with_context(|| format!("starting {}", processes(configuration.workers)))?;
    let outcome = async {
        let started = Instant::now();
        let job_ids = submit_all(args, session, &configuration.keyword_ids).await?;
        let submit = started.elapsed();
        let limit = Duration::from_secs(args.finish_timeout_secs);
        jobs_figures::wait_finished(pool, &job_ids, &mut workers, limit).await?;
        Ok::<_, anyhow::Error>((job_ids, submit))
    }
    .await;
    workers.stop().await;
    let (job_ids, submit) =
        outcome.with_context(|| format!("with {}", processes(configuration.workers)))?;
    Ok(Measured {
        workers: configuration.workers,
        submitted: job_ids.len(),
        submit,
        figures: jobs_figures::read(pool, &job_ids).await?,
    })
}

/// Submits one auto_cluster job per three keywords, `--submitters` at a time, and returns the
/// job ids. A refused submission is a failed run, not a figure.
async fn submit_all(
    args: &JobsArgs,
    session: &Session,
    keyword_ids: &[String],
) -> anyhow::Result<Vec<Uuid>> {
    let batches: Arc<Vec<Value>> = Arc::new(
        keyword_ids
            .chunks(KEYWORDS_PER_JOB)
            .map(|ids| json!({ "ids": ids }))
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let mut submitters = JoinSet::new();
    for _ in 0..args.submitters {
        let gateway = Gateway::new(args.target.checked_gateway()?)?;
        let (batches, next, token) = (batches.clone(), next.clone(), session.access.clone());
        submitters.spawn(async move {
            let mut ids = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = batches.get(i) else {
                    return Ok::<_, anyhow::Error>(ids);
                };
                let answer = gateway
                    .post("/api/v1/planner/keywords/auto_cluster", Some(&token), body)
                    .await
                    .context("submitting an auto_cluster job")?;
                let id = answer
                    .pointer("/data/job_id")
                    .and_then(Value::as_str)
                    .with_context(|| format!("no data.job_id in {answer}"))?;
                ids.push(id.parse::<Uuid>()?);
            }
        });
    }
    let mut job_ids = Vec::with_capacity(batches.len());
    while let Some(joined) = submitters.join_next().await {
        job_ids.extend(joined.context("a submitter panicked")??);
    }
    Ok(job_ids)
}

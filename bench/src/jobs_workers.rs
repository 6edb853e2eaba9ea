//! The worker processes of one `jobs` configuration: N `ai-svc` children in the worker role,
//! started with the bench's own environment (which `./dev bench` makes ai-svc's), ready once
//! the broker counts their consumers on the auto_cluster queue, and stopped by pid the way an
//! orchestrator would (SIGTERM, then wait for the drain).

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use igny8_platform::amqp::Amqp;
use lapin::{Channel, options::QueueDeclareOptions, types::FieldTable};
use tokio::process::{Child, Command};
use tokio::time::{Instant, sleep, timeout};

/// The queue auto_cluster jobs travel on (ai-svc `JobKind::queue`), before the prefix.
const AUTO_CLUSTER_QUEUE: &str = "ai.jobs.auto_cluster";
/// How long workers may take to connect and start consuming.
const READY_WAIT: Duration = Duration::from_secs(60);
/// ai-svc drains running jobs for 20 s after SIGTERM; past this it is killed.
const STOP_WAIT: Duration = Duration::from_secs(40);
const POLL: Duration = Duration::from_millis(100);

/// How to start one worker process.
pub(crate) struct WorkerSpec {
    pub(crate) bin: PathBuf,
    pub(crate) concurrency: u16,
    pub(crate) log_dir: PathBuf,
}

/// Counts the consumers on the auto_cluster queue, which is how the bench knows how many
/// workers are taking jobs (ai-svc in the api role consumes nothing).
pub(crate) struct QueueProbe {
    channel: Channel,
    queue: String,
}

impl QueueProbe {
    pub(crate) async fn connect(amqp_url: &str, prefix: &str) -> anyhow::Result<Self> {
        let amqp = Amqp::connect(amqp_url, prefix).await?;
        Ok(Self {
            channel: amqp.channel().await?,
            queue: amqp.name(AUTO_CLUSTER_QUEUE),
        })
    }

    pub(crate) fn queue(&self) -> &str {
        &self.queue
    }

    pub(crate) async fn consumers(&self) -> anyhow::Result<u32> {
        // Passive: only asks; a missing queue is an error (ai-svc declares it on start).
        let options = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        let queue = self
            .channel
            .queue_declare(self.queue.as_str().into(), options, FieldTable::default())
            .await
            .with_context(|| {
                format!(
                    "looking up queue {} (is ai-svc running with the same AMQP_PREFIX?)",
                    self.queue
                )
            })?;
        Ok(queue.consumer_count())
    }

    /// Waits until exactly `count` consumers are on the queue (the previous configuration's
    /// workers gone, or this one's all consuming).
    async fn wait_for(&self, count: u32, workers: &mut [Worker]) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_WAIT;
        loop {
            let seen = self.consumers().await?;
            if seen == count {
                return Ok(());
            }
            for worker in workers.iter_mut() {
                worker.ensure_running()?;
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} has {seen} consumers after {READY_WAIT:?}, expected {count} \
                     (another ai-svc in the worker or all role? ./dev bench jobs runs ai-svc \
                     with AI_ROLE=api)",
                    self.queue
                );
            }
            sleep(POLL).await;
        }
    }
}

struct Worker {
    child: Child,
    pid: u32,
    log: PathBuf,
}

impl Worker {
    fn ensure_running(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "ai-svc worker (pid {}) exited with {status}; see {}",
                self.pid,
                self.log.display()
            );
        }
        Ok(())
    }
}

/// The running workers of one configuration. Dropped without `stop`, they are killed.
pub(crate) struct Workers {
    workers: Vec<Worker>,
}

impl Workers {
    /// Starts `count` workers and returns once all of them consume the auto_cluster queue.
    pub(crate) async fn start(
        spec: &WorkerSpec,
        count: u32,
        probe: &QueueProbe,
    ) -> anyhow::Result<Self> {
        // Nobody else may take the jobs, or the figures would not be this configuration's.
        probe.wait_for(0, &mut []).await?;
        std::fs::create_dir_all(&spec.log_dir)
            .with_context(|| format!("creating {}", spec.log_dir.display()))?;
        let mut workers = Vec::with_capacity(count as usize);
        for index in 0..count {
            workers.push(spawn(spec, index)?);
        }
        let mut started = Self { workers };
        if let Err(error) = probe.wait_for(count, &mut started.workers).await {
            started.stop().await;
            return Err(error);
        }
        Ok(started)
    }

    /// Fails when a worker has exited (it should run until stopped).
    pub(crate) fn ensure_running(&mut self) -> anyhow::Result<()> {
        self.workers.iter_mut().try_for_each(Worker::ensure_running)
    }

    /// SIGTERM to every worker, then waits for each to drain and exit; one that outlasts
    /// STOP_WAIT is killed. Never fails: stopping is clean-up.
    pub(crate) async fn stop(mut self) {
        for worker in &self.workers {
            let sent = Command::new("kill")
                .args(["-TERM", &worker.pid.to_string()])
                .stdin(Stdio::null())
                .status()
                .await;
            if !sent.is_ok_and(|status| status.success()) {
                eprintln!(
                    "warning: could not send SIGTERM to worker pid {}",
                    worker.pid
                );
            }
        }
        for worker in &mut self.workers {
            match timeout(STOP_WAIT, worker.child.wait()).await {
                Ok(Ok(status)) if status.success() => {}
                Ok(Ok(status)) => eprintln!(
                    "warning: worker pid {} exited with {status}; see {}",
                    worker.pid,
                    worker.log.display()
                ),
                Ok(Err(error)) => {
                    eprintln!("warning: waiting for worker pid {}: {error}", worker.pid);
                }
                Err(_) => {
                    eprintln!(
                        "warning: worker pid {} still running {STOP_WAIT:?} after SIGTERM; killing it",
                        worker.pid
                    );
                    let _ = worker.child.kill().await;
                }
            }
        }
    }
}

fn spawn(spec: &WorkerSpec, index: u32) -> anyhow::Result<Worker> {
    let log = spec.log_dir.join(format!("bench-ai-worker-{index}.log"));
    let mut file = open_log(&log)?;
    let child = Command::new(&spec.bin)
        .env("AI_ROLE", "worker")
        .env("WORKER_CONCURRENCY", spec.concurrency.to_string())
        // Any free ports: several workers run side by side, next to the platform's ai-svc.
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("METRICS_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(Stdio::from(file.try_clone()?))
        .stderr(Stdio::from(file.try_clone()?))
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {} (--ai-bin)", spec.bin.display()))?;
    let pid = child.id().context("a worker exited at once")?;
    writeln!(file, "=== bench worker {index}: pid {pid} ===")?;
    Ok(Worker { child, pid, log })
}

fn open_log(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    writeln!(
        file,
        "\n=== bench worker start, unix time {} ===",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    )?;
    Ok(file)
}

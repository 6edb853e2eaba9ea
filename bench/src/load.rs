//! The load driver both loops share: one task per connection repeats an operation until a fixed
//! deadline; only operations started after the warmup are measured.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use hdrhistogram::Histogram;
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout};

/// Longest a single operation may take before it counts as an error; keeps every loop bounded.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);
/// Histogram range in microseconds: 1 µs to 60 s at three significant figures.
const HISTOGRAM_MAX_MICROS: u64 = 60_000_000;

/// How many workers run, for how long.
#[derive(Clone, Copy, Debug)]
pub struct LoadPlan {
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What one operation came to.
pub enum Outcome {
    Ok,
    Error(String),
}

/// The measured window of one loop: latencies of successful operations, and errors.
pub struct LoadStats {
    pub latency_micros: Histogram<u64>,
    pub errors: u64,
    pub first_error: Option<String>,
    pub window: Duration,
}

impl LoadStats {
    fn empty(window: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            latency_micros: Histogram::new_with_bounds(1, HISTOGRAM_MAX_MICROS, 3)
                .context("creating a latency histogram")?,
            errors: 0,
            first_error: None,
            window,
        })
    }

    /// Successful operations per second of the measured window.
    pub fn per_second(&self) -> f64 {
        self.latency_micros.len() as f64 / self.window.as_secs_f64()
    }

    /// Latency at `quantile` (0.0..=1.0) in milliseconds.
    pub fn millis_at(&self, quantile: f64) -> f64 {
        self.latency_micros.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn max_millis(&self) -> f64 {
        self.latency_micros.max() as f64 / 1000.0
    }

    fn record(&mut self, latency: Duration, outcome: Outcome) {
        match outcome {
            Outcome::Ok => {
                let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
                self.latency_micros.saturating_record(micros.max(1));
            }
            Outcome::Error(message) => {
                self.errors += 1;
                self.first_error.get_or_insert(message);
            }
        }
    }

    fn merge(&mut self, other: Self) -> anyhow::Result<()> {
        self.latency_micros
            .add(&other.latency_micros)
            .context("merging latency histograms")?;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        Ok(())
    }
}

/// Runs one worker per element of `operations` (so `operations.len()` is the concurrency) for
/// `plan.warmup + plan.duration`, and returns what the measured window saw.
pub async fn run<Op, Fut>(plan: &LoadPlan, operations: Vec<Op>) -> anyhow::Result<LoadStats>
where
    Op: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let measure_from = Instant::now() + plan.warmup;
    let stop_at = measure_from + plan.duration;
    let mut workers = JoinSet::new();
    for mut operation in operations {
        let mut stats = LoadStats::empty(plan.duration)?;
        workers.spawn(async move {
            while Instant::now() < stop_at {
                let began = Instant::now();
                let outcome = timeout(OPERATION_TIMEOUT, operation())
                    .await
                    .unwrap_or_else(|_| {
                        Outcome::Error(format!("timed out after {OPERATION_TIMEOUT:?}"))
                    });
                if began >= measure_from {
                    stats.record(began.elapsed(), outcome);
                }
            }
            stats
        });
    }
    let mut total = LoadStats::empty(plan.duration)?;
    while let Some(worker) = workers.join_next().await {
        total.merge(worker.context("a load worker panicked")?)?;
    }
    Ok(total)
}

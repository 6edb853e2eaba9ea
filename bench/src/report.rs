//! Printing: one line per loop, then the ratios the architecture asks for.

use crate::load::{LoadPlan, LoadStats};

pub fn print_header(scenario: &str, plan: &LoadPlan) {
    println!(
        "\n{scenario}: {} connections, {} s warmup, {} s measured per loop\n",
        plan.connections,
        plan.warmup.as_secs(),
        plan.duration.as_secs()
    );
    println!(
        "{:<34} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"
    );
}

pub fn print_stats(label: &str, stats: &LoadStats) {
    println!(
        "{label:<34} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>8}",
        stats.per_second(),
        stats.millis_at(0.50),
        stats.millis_at(0.90),
        stats.millis_at(0.99),
        stats.max_millis(),
        stats.errors
    );
    if let Some(error) = &stats.first_error {
        println!("{:<34} first error: {error}", "");
    }
}

/// Prints `ours / reference` as a ratio; a zero reference prints "n/a" instead of infinity.
pub fn print_ratio(label: &str, ours: f64, reference: f64) {
    if reference > 0.0 {
        println!("{label:<50} {:>6.2}x", ours / reference);
    } else {
        println!("{label:<50}    n/a");
    }
}

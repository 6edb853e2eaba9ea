//! The five AI functions. Each loads its inputs over gRPC, builds the prompt, asks the
//! provider (answers saved before use), writes results through the owner's idempotent gRPC
//! keyed by the job id, and attributes what each applied result costs.

mod auto_cluster;
mod generate_content;
mod generate_ideas;
mod generate_image_prompts;
mod generate_images;

use super::{
    JobKind,
    run::{JobRun, Outcome, StepResult},
};

/// Runs the job's function.
pub async fn run(run: &JobRun<'_>) -> StepResult<Outcome> {
    match run.job.kind() {
        JobKind::AutoCluster => auto_cluster::run(run).await,
        JobKind::GenerateIdeas => generate_ideas::run(run).await,
        JobKind::GenerateContent => generate_content::run(run).await,
        JobKind::GenerateImagePrompts => generate_image_prompts::run(run).await,
        JobKind::GenerateImages => generate_images::run(run).await,
    }
}

/// Case- and space-insensitive key for matching the model's echo of an input.
pub(crate) fn match_key(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Integer percent of `done` out of `total` spread over [from, to].
pub(crate) fn percent_between(from: u8, to: u8, done: usize, total: usize) -> u8 {
    if total == 0 {
        return to;
    }
    let span = usize::from(to.saturating_sub(from));
    from + u8::try_from(span * done.min(total) / total).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_spacing() {
        assert_eq!(match_key("  Best  Running Shoes "), "best running shoes");
    }

    #[test]
    fn percent_spreads_and_clamps() {
        assert_eq!(percent_between(20, 80, 0, 4), 20);
        assert_eq!(percent_between(20, 80, 2, 4), 50);
        assert_eq!(percent_between(20, 80, 9, 4), 80);
        assert_eq!(percent_between(20, 80, 0, 0), 80);
    }
}

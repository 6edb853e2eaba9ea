//! generate_image_prompts: content -> a featured image prompt plus N in-article prompts
//! (N from the account's settings), stored as pending image rows. Priced per prompt.

use igny8_proto::{billing::v1::EstimateRequest, writer::v1 as writer};
use serde::Deserialize;

use super::percent_between;
use crate::{
    jobs::{
        calls,
        progress::{AI_ANALYSIS, INITIALIZING, PROCESSING, SAVING},
        run::{JobError, JobRun, Outcome, StepResult},
        store::{ItemFailure, JobOutput},
    },
    prompts::{self, Placeholder, PromptType},
};

/// How much of an article's HTML goes into the prompt.
const MAX_ARTICLE_CHARS: usize = 12_000;

#[derive(Deserialize)]
struct Answer {
    featured: Described,
    #[serde(default)]
    in_article: Vec<Described>,
}

#[derive(Deserialize)]
struct Described {
    prompt: String,
    #[serde(default)]
    alt_text: String,
    #[serde(default)]
    caption: String,
}

fn validate(answer: &Answer, wanted: usize) -> Result<(), String> {
    if answer.featured.prompt.trim().is_empty() {
        return Err("`featured.prompt` is empty".into());
    }
    if answer.in_article.len() < wanted {
        return Err(format!(
            "`in_article` has {} prompts; {wanted} are needed",
            answer.in_article.len()
        ));
    }
    if answer.in_article.iter().any(|d| d.prompt.trim().is_empty()) {
        return Err("an `in_article` prompt is empty".into());
    }
    Ok(())
}

fn prompt_of(image_type: &str, position: u32, d: Described, negative: &str) -> writer::ImagePrompt {
    writer::ImagePrompt {
        image_type: image_type.into(),
        position,
        prompt: d.prompt.trim().chars().take(2000).collect(),
        negative_prompt: negative.to_owned(),
        alt_text: d.alt_text.trim().chars().take(500).collect(),
        caption: d.caption.trim().chars().take(500).collect(),
    }
}

pub async fn run(run: &JobRun<'_>) -> StepResult<Outcome> {
    let job = run.job;
    let total = job.input_ids.len();
    let wanted = usize::try_from(job.params.in_article_images).unwrap_or(0);
    run.progress(INITIALIZING, 5, &format!("Reading {total} articles"))
        .await?;
    run.progress(PROCESSING, 10, "Preparing the prompt").await?;
    let template = run.prompt(PromptType::ImagePromptExtraction).await?;
    let negative = run.prompt(PromptType::NegativePrompt).await?;
    let mut output = JobOutput {
        object_type: "image".into(),
        ..JobOutput::default()
    };
    let mut last_error = None;
    for (i, content_id) in job.input_ids.iter().enumerate() {
        run.checkpoint().await?;
        let step = format!("prompts:{content_id}");
        let request = run
            .call(writer::IdRequest {
                id: content_id.to_string(),
            })
            .await?;
        let context = run
            .state
            .writer
            .clone()
            .get_content_context(request)
            .await
            .map_err(|s| JobError::peer(s, "content"))?
            .into_inner();
        let content = context.content.unwrap_or_default();
        let article: String = content.body_html.chars().take(MAX_ARTICLE_CHARS).collect();
        let count = wanted.to_string();
        let prompt = prompts::render(
            &template,
            &[
                (Placeholder::Content, &article),
                (Placeholder::Title, &content.title),
                (Placeholder::InArticleCount, &count),
                (Placeholder::ImageStyle, &run.settings.image_style),
            ],
        );
        run.progress(
            AI_ANALYSIS,
            percent_between(10, 90, i, total),
            &format!("Describing images for article {} of {total}", i + 1),
        )
        .await?;
        let answer = match run
            .ask::<Answer>(&step, prompt, |a| validate(a, wanted))
            .await
        {
            Ok((answer, _)) => answer,
            Err(JobError::Permanent { code, message }) => {
                output.failed += 1;
                output.failures.push(ItemFailure {
                    id: content_id.to_string(),
                    error: message.clone(),
                });
                last_error = Some((code, message));
                continue;
            }
            Err(other) => return Err(other),
        };
        let mut prompts = vec![prompt_of("featured", 0, answer.featured, &negative)];
        prompts.extend(
            answer
                .in_article
                .into_iter()
                .take(wanted)
                .zip(0u32..)
                .map(|(d, position)| prompt_of("in_article", position, d, &negative)),
        );
        let made = u32::try_from(prompts.len()).unwrap_or(u32::MAX);
        run.progress(
            SAVING,
            percent_between(10, 90, i + 1, total),
            &format!("Saving {made} image prompts"),
        )
        .await?;
        let request = run
            .call(writer::ApplyImagePromptsRequest {
                job_id: job.id.to_string(),
                content_id: content_id.to_string(),
                prompts,
            })
            .await?;
        let images = run
            .state
            .writer
            .clone()
            .apply_image_prompts(request)
            .await
            .map_err(|s| JobError::peer(s, "applying image prompts"))?
            .into_inner()
            .images;
        let credits = run
            .price(EstimateRequest {
                operation: job.kind().operation().into(),
                items: made,
                model: run
                    .settings
                    .text
                    .as_ref()
                    .map(|t| t.model.clone())
                    .unwrap_or_default(),
                ..EstimateRequest::default()
            })
            .await?;
        calls::attribute(
            &run.state.pool,
            job.id,
            &step,
            credits,
            "content",
            &content_id.to_string(),
        )
        .await?;
        output.succeeded += 1;
        output.object_ids.extend(
            images
                .into_iter()
                .filter(|img| img.content_id == content_id.to_string())
                .map(|img| img.id),
        );
    }
    if output.succeeded == 0
        && let Some((code, message)) = last_error
    {
        return Err(JobError::Permanent { code, message });
    }
    Ok(Outcome {
        message: format!(
            "{} image prompts for {} of {total} articles",
            output.object_ids.len(),
            output.succeeded
        ),
        output,
    })
}

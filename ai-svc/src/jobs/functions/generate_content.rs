//! generate_content: up to ten writer tasks -> one HTML article each, from the task's idea
//! outline, the account's author profile and content settings. Each article is applied as
//! soon as it is written (the writer completes the task; the planner completes the idea from
//! the writer's event) and priced by its words. Tasks that fail are listed; the job fails
//! only when none succeeded.

use igny8_proto::{billing::v1::EstimateRequest, writer::v1 as writer};
use serde::Deserialize;
use serde_json::json;

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

#[derive(Deserialize)]
struct Article {
    title: String,
    content: String,
    #[serde(default)]
    meta_title: String,
    #[serde(default)]
    meta_description: String,
    #[serde(default)]
    excerpt: String,
    #[serde(default)]
    primary_keyword: String,
    #[serde(default)]
    secondary_keywords: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
}

fn validate(article: &Article) -> Result<(), String> {
    if article.title.trim().is_empty() {
        return Err("`title` is empty".into());
    }
    if !article.content.contains('<') || article.content.trim().len() < 20 {
        return Err("`content` must be the article's HTML".into());
    }
    Ok(())
}

/// Cuts a text to `max` characters (meta fields have limits the writer enforces).
fn clip(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

pub async fn run(run: &JobRun<'_>) -> StepResult<Outcome> {
    let job = run.job;
    let total = job.input_ids.len();
    run.progress(INITIALIZING, 5, &format!("Preparing {total} articles"))
        .await?;
    let site = run.site_label().await?;
    let profile =
        crate::system::author_profiles::default_for(&run.state.pool, job.account_id).await?;
    let profile_text = profile.map_or_else(
        || "none (write in a clear, helpful, expert voice)".to_owned(),
        |p| {
            format!(
                "{} - tone: {}; audience: {}; style: {}; language: {}",
                p.name, p.tone, p.audience, p.style, p.language
            )
        },
    );
    run.progress(PROCESSING, 10, "Preparing the prompt").await?;
    let template = run.prompt(PromptType::ContentGeneration).await?;
    let mut output = JobOutput {
        object_type: "content".into(),
        ..JobOutput::default()
    };
    let mut last_error = None;
    for (i, task_id) in job.input_ids.iter().enumerate() {
        run.checkpoint().await?;
        let step = format!("content:{task_id}");
        let request = run
            .call(writer::IdRequest {
                id: task_id.to_string(),
            })
            .await?;
        let context = run
            .state
            .writer
            .clone()
            .get_task_context(request)
            .await
            .map_err(|s| JobError::peer(s, "task"))?
            .into_inner();
        let task = context.task.unwrap_or_default();
        let words = match task.target_word_count {
            0 => run.settings.default_word_count,
            n => n,
        };
        let task_text = format!(
            "Title: {}\nBrief: {}\nTarget term: {}",
            task.title,
            if task.brief.is_empty() {
                "-"
            } else {
                &task.brief
            },
            context
                .taxonomy_term
                .map(|t| t.name)
                .unwrap_or_else(|| "-".into()),
        );
        let outline = serde_json::to_string_pretty(
            &task
                .outline
                .iter()
                .map(|s| json!({"heading": s.heading, "covers": s.covers, "keywords": s.keywords}))
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default();
        let keywords = std::iter::once(format!("primary: {}", task.primary_keyword))
            .chain(
                (!task.secondary_keywords.is_empty())
                    .then(|| format!("secondary: {}", task.secondary_keywords.join(", "))),
            )
            .collect::<Vec<_>>()
            .join("\n");
        let words_text = words.to_string();
        let mut prompt = prompts::render(
            &template,
            &[
                (Placeholder::Task, &task_text),
                (Placeholder::Outline, &outline),
                (Placeholder::Keywords, &keywords),
                (Placeholder::AuthorProfile, &profile_text),
                (Placeholder::WordCount, &words_text),
                (Placeholder::ContentType, &task.content_type),
                (Placeholder::ContentStructure, &task.content_structure),
                (Placeholder::Site, &site),
            ],
        );
        if !run.settings.content_append.is_empty() {
            prompt = format!("{prompt}\n\n{}", run.settings.content_append);
        }
        run.progress(
            AI_ANALYSIS,
            percent_between(10, 90, i, total),
            &format!("Writing article {} of {total}: {}", i + 1, task.title),
        )
        .await?;
        let article = match run.ask::<Article>(&step, prompt, validate).await {
            Ok((article, _)) => article,
            Err(JobError::Permanent { code, message }) => {
                tracing::warn!(job_id = %job.id, %task_id, code, %message, "article failed");
                output.failed += 1;
                output.failures.push(ItemFailure {
                    id: task_id.to_string(),
                    error: message.clone(),
                });
                last_error = Some((code, message));
                continue;
            }
            Err(other) => return Err(other),
        };
        run.progress(
            SAVING,
            percent_between(10, 90, i + 1, total),
            &format!("Saving article {} of {total}", i + 1),
        )
        .await?;
        let request = run
            .call(writer::ApplyGeneratedContentRequest {
                job_id: job.id.to_string(),
                task_id: task_id.to_string(),
                title: clip(&article.title, 255),
                body_html: article.content,
                meta_title: clip(&article.meta_title, 255),
                meta_description: clip(&article.meta_description, 300),
                excerpt: clip(&article.excerpt, 2000),
                primary_keyword: clip(&article.primary_keyword, 255),
                secondary_keywords: article.secondary_keywords,
                categories: article.categories,
                tags: article.tags,
            })
            .await?;
        let content = match run
            .state
            .writer
            .clone()
            .apply_generated_content(request)
            .await
        {
            Ok(reply) => reply.into_inner(),
            Err(status) => match JobError::peer(status, "applying content") {
                JobError::Permanent { code, message } => {
                    output.failed += 1;
                    output.failures.push(ItemFailure {
                        id: task_id.to_string(),
                        error: message.clone(),
                    });
                    last_error = Some((code, message));
                    continue;
                }
                other => return Err(other),
            },
        };
        let credits = run
            .price(EstimateRequest {
                operation: job.kind().operation().into(),
                words: content.word_count.max(1),
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
            &content.id,
        )
        .await?;
        output.succeeded += 1;
        output.object_ids.push(content.id);
    }
    if output.succeeded == 0
        && let Some((code, message)) = last_error
    {
        return Err(JobError::Permanent { code, message });
    }
    Ok(Outcome {
        message: format!("{} of {total} articles written", output.succeeded),
        output,
    })
}

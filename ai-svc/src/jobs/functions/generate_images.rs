//! generate_images: pending image rows -> image files, one provider call each. The file is
//! stored by the platform (provider URLs expire) before the call is recorded, each result is
//! applied as it arrives, and only generated images are charged. The job fails only when
//! every image failed.

use igny8_proto::{billing::v1::EstimateRequest, writer::v1 as writer};

use super::percent_between;
use crate::{
    jobs::{
        calls::{self, CallRecord, ImageOutcome},
        progress::{AI_ANALYSIS, INITIALIZING, PROCESSING},
        run::{JobError, JobRun, Outcome, StepResult},
        store::{ItemFailure, JobOutput},
    },
    prompts::{self, Placeholder, PromptType},
    providers::ImageRequest,
};

const SIZE: u32 = 1024;

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        _ => "png",
    }
}

pub async fn run(run: &JobRun<'_>) -> StepResult<Outcome> {
    let job = run.job;
    let total = job.input_ids.len();
    run.progress(INITIALIZING, 5, &format!("Preparing {total} images"))
        .await?;
    let provider = run.image_provider()?;
    let target = run.settings.image.clone().ok_or_else(|| {
        JobError::permanent(
            "AI_PROVIDER_NOT_CONFIGURED",
            "no image provider is configured",
        )
    })?;
    run.progress(PROCESSING, 10, "Preparing the prompt").await?;
    let template = run.prompt(PromptType::ImagePromptTemplate).await?;
    let per_image = run
        .price(EstimateRequest {
            operation: job.kind().operation().into(),
            items: 1,
            model: target.model.clone(),
            ..EstimateRequest::default()
        })
        .await?;
    let mut output = JobOutput {
        object_type: "image".into(),
        ..JobOutput::default()
    };
    for (i, image_id) in job.input_ids.iter().enumerate() {
        run.checkpoint().await?;
        let step = format!("image:{image_id}");
        let record = match calls::find(&run.state.pool, job.id, &step).await? {
            Some(saved) => saved,
            None => {
                let request = run
                    .call(writer::IdRequest {
                        id: image_id.to_string(),
                    })
                    .await?;
                let image = run
                    .state
                    .writer
                    .clone()
                    .get_image(request)
                    .await
                    .map_err(|s| JobError::peer(s, "image"))?
                    .into_inner();
                run.progress(
                    AI_ANALYSIS,
                    percent_between(10, 95, i, total),
                    &format!("Generating image {} of {total}", i + 1),
                )
                .await?;
                let prompt = prompts::render(
                    &template,
                    &[
                        (Placeholder::Prompt, image.prompt.trim_end_matches('.')),
                        (Placeholder::ImageStyle, &run.settings.image_style),
                    ],
                );
                let request = ImageRequest {
                    model: target.model.clone(),
                    prompt,
                    negative_prompt: Some(image.negative_prompt).filter(|n| !n.is_empty()),
                    width: SIZE,
                    height: SIZE,
                    quality: Some(run.settings.image_quality.clone()).filter(|q| !q.is_empty()),
                    style: None,
                };
                let mut record = CallRecord {
                    step: step.clone(),
                    provider: provider.name().to_owned(),
                    model: target.model.clone(),
                    ..CallRecord::default()
                };
                match calls::image(provider.as_ref(), &request).await? {
                    ImageOutcome::Made(made) => {
                        let file_ref = format!(
                            "images/{}/{}-{}.{}",
                            job.account_id,
                            image_id,
                            job.id.simple(),
                            extension(&made.content_type)
                        );
                        run.state
                            .files
                            .put(&file_ref, made.bytes)
                            .await
                            .map_err(JobError::Transient)?;
                        record.file_ref = file_ref;
                        record.cost_micros = made.cost_micro_usd.unwrap_or(0);
                    }
                    ImageOutcome::Failed(error) => record.error = error,
                }
                calls::save(&run.state.pool, job.id, record).await?
            }
        };
        let generated = record.error.is_empty();
        let request = run
            .call(writer::ApplyImageResultsRequest {
                job_id: job.id.to_string(),
                results: vec![writer::ImageResult {
                    image_id: image_id.to_string(),
                    status: if generated { "generated" } else { "failed" }.into(),
                    file_ref: record.file_ref.clone(),
                    url: String::new(),
                    error: record.error.chars().take(1000).collect(),
                }],
            })
            .await?;
        run.state
            .writer
            .clone()
            .apply_image_results(request)
            .await
            .map_err(|s| JobError::peer(s, "applying image result"))?;
        if generated {
            calls::attribute(
                &run.state.pool,
                job.id,
                &step,
                per_image,
                "image",
                &image_id.to_string(),
            )
            .await?;
            output.succeeded += 1;
            output.object_ids.push(image_id.to_string());
        } else {
            output.failed += 1;
            output.failures.push(ItemFailure {
                id: image_id.to_string(),
                error: record.error.clone(),
            });
        }
        run.progress(
            AI_ANALYSIS,
            percent_between(10, 95, i + 1, total),
            &format!(
                "Image {} of {total} {}",
                i + 1,
                if generated { "generated" } else { "failed" }
            ),
        )
        .await?;
    }
    if output.succeeded == 0 {
        let error = output
            .failures
            .last()
            .map(|f| f.error.clone())
            .unwrap_or_default();
        return Err(JobError::permanent(
            "PROVIDER_UNAVAILABLE",
            format!("no image could be generated: {error}"),
        ));
    }
    Ok(Outcome {
        message: format!("{} of {total} images generated", output.succeeded),
        output,
    })
}

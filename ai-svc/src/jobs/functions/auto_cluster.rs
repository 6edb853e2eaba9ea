//! auto_cluster: keywords of one sector -> clusters (new, or existing by name) with the
//! keywords assigned. Priced per run.

use std::collections::HashMap;

use igny8_proto::{billing::v1::EstimateRequest, planner::v1 as planner};
use serde::Deserialize;

use super::match_key;
use crate::{
    jobs::{
        calls,
        progress::{AI_ANALYSIS, INITIALIZING, PROCESSING, SAVING},
        run::{JobError, JobRun, Outcome, StepResult},
        store::JobOutput,
    },
    prompts::{self, Placeholder, PromptType},
};

/// The planner's limit on cluster names.
const MAX_NAME: usize = 200;

#[derive(Deserialize)]
struct Answer {
    clusters: Vec<ProposedCluster>,
}

#[derive(Deserialize)]
struct ProposedCluster {
    name: String,
    #[serde(default)]
    description: String,
    keywords: Vec<String>,
}

fn validate(answer: &Answer) -> Result<(), String> {
    if answer.clusters.is_empty() {
        return Err("`clusters` is empty".into());
    }
    for (i, cluster) in answer.clusters.iter().enumerate() {
        if cluster.name.trim().is_empty() {
            return Err(format!("clusters[{i}].name is empty"));
        }
        if cluster.name.chars().count() > MAX_NAME {
            return Err(format!(
                "clusters[{i}].name is longer than {MAX_NAME} characters"
            ));
        }
        if cluster.keywords.is_empty() {
            return Err(format!("clusters[{i}].keywords is empty"));
        }
    }
    Ok(())
}

pub async fn run(run: &JobRun<'_>) -> StepResult<Outcome> {
    let job = run.job;
    let sector_id = job
        .sector_id
        .ok_or_else(|| JobError::permanent("INPUT_GONE", "the job has no sector"))?
        .to_string();
    run.progress(
        INITIALIZING,
        5,
        &format!("Loading {} keywords", job.input_ids.len()),
    )
    .await?;
    let request = run
        .call(planner::IdsRequest {
            ids: job.input_ids.iter().map(ToString::to_string).collect(),
        })
        .await?;
    let keywords = run
        .state
        .planner
        .clone()
        .get_keywords_by_ids(request)
        .await
        .map_err(|s| JobError::peer(s, "keywords"))?
        .into_inner()
        .keywords;
    let site = run.site_label().await?;
    let sector = run.sector_label(&sector_id).await?;
    let listing = keywords
        .iter()
        .map(|k| format!("{} | {} | {}", k.keyword, k.search_volume, k.difficulty))
        .collect::<Vec<_>>()
        .join("\n");
    run.progress(PROCESSING, 10, "Preparing the prompt").await?;
    let template = run.prompt(PromptType::Clustering).await?;
    let prompt = prompts::render(
        &template,
        &[
            (Placeholder::Keywords, &listing),
            (Placeholder::Site, &site),
            (Placeholder::Sector, &sector),
        ],
    );
    run.checkpoint().await?;
    run.progress(
        AI_ANALYSIS,
        20,
        &format!("Grouping {} keywords into clusters", keywords.len()),
    )
    .await?;
    let (answer, used) = run.ask::<Answer>("chat", prompt, validate).await?;
    run.checkpoint().await?;
    run.progress(SAVING, 80, "Saving clusters").await?;

    // The model echoes keywords as text; map them back, each keyword to its first cluster.
    let by_text: HashMap<String, &str> = keywords
        .iter()
        .map(|k| (match_key(&k.keyword), k.id.as_str()))
        .collect();
    let mut taken = std::collections::HashSet::new();
    let mut proposed = Vec::new();
    for cluster in answer.clusters {
        let keyword_ids: Vec<String> = cluster
            .keywords
            .iter()
            .filter_map(|text| by_text.get(&match_key(text)).copied())
            .filter(|id| taken.insert(*id))
            .map(str::to_owned)
            .collect();
        if !keyword_ids.is_empty() {
            proposed.push(planner::ProposedCluster {
                name: cluster.name.trim().to_owned(),
                description: cluster.description.trim().to_owned(),
                keyword_ids,
            });
        }
    }
    if proposed.is_empty() {
        return Err(JobError::permanent(
            "INVALID_AI_RESPONSE",
            "no proposed cluster holds any of the given keywords",
        ));
    }
    let request = run
        .call(planner::ApplyClustersRequest {
            job_id: job.id.to_string(),
            sector_id,
            clusters: proposed,
        })
        .await?;
    let applied = run
        .state
        .planner
        .clone()
        .apply_clusters(request)
        .await
        .map_err(|s| JobError::peer(s, "applying clusters"))?
        .into_inner()
        .clusters;
    let model = used.first().map(|c| c.model.clone()).unwrap_or_default();
    let credits = run
        .price(EstimateRequest {
            operation: job.kind().operation().into(),
            items: 1,
            model,
            ..EstimateRequest::default()
        })
        .await?;
    let first_cluster = applied
        .first()
        .map(|c| c.cluster_id.clone())
        .unwrap_or_default();
    calls::attribute(
        &run.state.pool,
        job.id,
        "chat",
        credits,
        "cluster",
        &first_cluster,
    )
    .await?;
    let assigned: u32 = applied.iter().map(|c| c.keywords_assigned).sum();
    Ok(Outcome {
        message: format!("{} clusters, {} keywords assigned", applied.len(), assigned),
        output: JobOutput {
            object_type: "cluster".into(),
            object_ids: applied.into_iter().map(|c| c.cluster_id).collect(),
            succeeded: assigned,
            failed: 0,
            failures: Vec::new(),
        },
    })
}

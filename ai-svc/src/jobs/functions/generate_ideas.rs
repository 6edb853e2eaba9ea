//! generate_ideas: clusters -> 3 to 7 content ideas each, with an outline. Priced per cluster.

use std::collections::{HashMap, HashSet};

use igny8_proto::{billing::v1::EstimateRequest, planner::v1 as planner};
use serde::Deserialize;
use serde_json::json;

use crate::{
    jobs::{
        calls,
        progress::{AI_ANALYSIS, INITIALIZING, PROCESSING, SAVING},
        run::{JobError, JobRun, Outcome, StepResult},
        store::JobOutput,
    },
    prompts::{self, Placeholder, PromptType},
};

const MIN_PER_CLUSTER: usize = 3;
const MAX_PER_CLUSTER: usize = 7;
const CONTENT_TYPES: [&str; 4] = ["post", "page", "product", "taxonomy"];
const STRUCTURES: [&str; 8] = [
    "article",
    "guide",
    "how_to",
    "listicle",
    "comparison",
    "review",
    "pillar",
    "landing_page",
];

#[derive(Deserialize)]
struct Answer {
    ideas: Vec<Idea>,
}

#[derive(Deserialize)]
struct Idea {
    cluster_id: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    content_type: String,
    #[serde(default)]
    content_structure: String,
    #[serde(default)]
    estimated_word_count: u32,
    #[serde(default)]
    target_keywords: Vec<String>,
    #[serde(default)]
    outline: Vec<Section>,
}

#[derive(Deserialize)]
struct Section {
    heading: String,
    #[serde(default)]
    covers: String,
    #[serde(default)]
    keywords: Vec<String>,
}

fn validate(answer: &Answer, clusters: &HashSet<String>) -> Result<(), String> {
    let mut per_cluster: HashMap<&str, usize> = HashMap::new();
    for (i, idea) in answer.ideas.iter().enumerate() {
        if !clusters.contains(&idea.cluster_id) {
            return Err(format!(
                "ideas[{i}].cluster_id is not one of the given clusters"
            ));
        }
        if idea.title.trim().is_empty() {
            return Err(format!("ideas[{i}].title is empty"));
        }
        if idea.outline.is_empty() || idea.outline.iter().any(|s| s.heading.trim().is_empty()) {
            return Err(format!("ideas[{i}].outline needs sections with headings"));
        }
        *per_cluster.entry(idea.cluster_id.as_str()).or_default() += 1;
    }
    for cluster in clusters {
        let count = per_cluster.get(cluster.as_str()).copied().unwrap_or(0);
        if count < MIN_PER_CLUSTER {
            return Err(format!(
                "cluster {cluster} got {count} ideas; each cluster needs {MIN_PER_CLUSTER} to {MAX_PER_CLUSTER}"
            ));
        }
    }
    Ok(())
}

fn one_of(value: &str, choices: &[&str], default: &str) -> String {
    let value = value.trim().to_lowercase();
    if choices.contains(&value.as_str()) {
        value
    } else {
        default.to_owned()
    }
}

pub async fn run(run: &JobRun<'_>) -> StepResult<Outcome> {
    let job = run.job;
    run.progress(
        INITIALIZING,
        5,
        &format!("Loading {} clusters", job.input_ids.len()),
    )
    .await?;
    let request = run
        .call(planner::IdsRequest {
            ids: job.input_ids.iter().map(ToString::to_string).collect(),
        })
        .await?;
    let contexts = run
        .state
        .planner
        .clone()
        .get_cluster_contexts(request)
        .await
        .map_err(|s| JobError::peer(s, "clusters"))?
        .into_inner()
        .clusters;
    let described: Vec<_> = contexts
        .iter()
        .filter_map(|c| c.cluster.as_ref().map(|cluster| (cluster, &c.keywords)))
        .map(|(cluster, keywords)| {
            json!({
                "cluster_id": cluster.id,
                "name": cluster.name,
                "description": cluster.description,
                "keywords": keywords.iter().map(|k| json!({
                    "keyword": k.keyword, "volume": k.search_volume, "difficulty": k.difficulty,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let cluster_ids: HashSet<String> = contexts
        .iter()
        .filter_map(|c| c.cluster.as_ref().map(|cl| cl.id.clone()))
        .collect();
    let site = run.site_label().await?;
    let sector = match job.sector_id {
        Some(id) => run.sector_label(&id.to_string()).await?,
        None => "several sectors".to_owned(),
    };
    run.progress(PROCESSING, 10, "Preparing the prompt").await?;
    let template = run.prompt(PromptType::Ideas).await?;
    let clusters_json = serde_json::to_string_pretty(&described).unwrap_or_default();
    let per_cluster = format!("{MIN_PER_CLUSTER} to {MAX_PER_CLUSTER}");
    let prompt = prompts::render(
        &template,
        &[
            (Placeholder::Clusters, &clusters_json),
            (Placeholder::Site, &site),
            (Placeholder::Sector, &sector),
            (Placeholder::IdeasPerCluster, &per_cluster),
        ],
    );
    run.checkpoint().await?;
    run.progress(
        AI_ANALYSIS,
        20,
        &format!("Writing ideas for {} clusters", cluster_ids.len()),
    )
    .await?;
    let (answer, used) = run
        .ask::<Answer>("chat", prompt, |a| validate(a, &cluster_ids))
        .await?;
    run.checkpoint().await?;
    run.progress(SAVING, 80, "Saving ideas").await?;
    let mut kept: HashMap<String, usize> = HashMap::new();
    let ideas: Vec<planner::ProposedIdea> = answer
        .ideas
        .into_iter()
        .filter(|idea| {
            let n = kept.entry(idea.cluster_id.clone()).or_default();
            *n += 1;
            *n <= MAX_PER_CLUSTER
        })
        .map(|idea| planner::ProposedIdea {
            cluster_id: idea.cluster_id,
            title: idea.title.trim().to_owned(),
            description: idea.description.trim().to_owned(),
            outline: idea
                .outline
                .into_iter()
                .map(|s| planner::OutlineSection {
                    heading: s.heading.trim().to_owned(),
                    covers: s.covers.trim().to_owned(),
                    keywords: s.keywords,
                })
                .collect(),
            target_keywords: idea.target_keywords,
            content_type: one_of(&idea.content_type, &CONTENT_TYPES, "post"),
            content_structure: one_of(&idea.content_structure, &STRUCTURES, "article"),
            estimated_word_count: match idea.estimated_word_count {
                0 => 1500,
                n => n.clamp(300, 5000),
            },
        })
        .collect();
    let request = run
        .call(planner::ApplyIdeasRequest {
            job_id: job.id.to_string(),
            ideas,
        })
        .await?;
    let created = run
        .state
        .planner
        .clone()
        .apply_ideas(request)
        .await
        .map_err(|s| JobError::peer(s, "applying ideas"))?
        .into_inner()
        .ideas;
    let credits = run
        .price(EstimateRequest {
            operation: job.kind().operation().into(),
            items: u32::try_from(cluster_ids.len()).unwrap_or(u32::MAX),
            model: used.first().map(|c| c.model.clone()).unwrap_or_default(),
            ..EstimateRequest::default()
        })
        .await?;
    let first = created.first().map(|i| i.id.clone()).unwrap_or_default();
    calls::attribute(&run.state.pool, job.id, "chat", credits, "idea", &first).await?;
    Ok(Outcome {
        message: format!("{} ideas for {} clusters", created.len(), cluster_ids.len()),
        output: JobOutput {
            object_type: "idea".into(),
            succeeded: u32::try_from(cluster_ids.len()).unwrap_or(u32::MAX),
            object_ids: created.into_iter().map(|i| i.id).collect(),
            failed: 0,
            failures: Vec::new(),
        },
    })
}

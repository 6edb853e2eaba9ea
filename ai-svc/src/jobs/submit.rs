//! SubmitJob: validate the input ids (the caller's, one site, within the kind's limit),
//! check a provider can serve the kind, hold the estimated credits, and create the queued job
//! with its queue message in one transaction.

use std::collections::HashSet;

use igny8_platform::{Error, RequestContext, Role, error::FieldErrors, grpc::as_service};
use igny8_proto::{
    ai::v1 as pb,
    billing::v1::{EstimateRequest, HoldRequest, VoidRequest},
    planner::v1 as planner,
    writer::v1 as writer,
};
use tonic::Status;
use uuid::Uuid;

use super::{
    JobKind, queries,
    store::{self, JobParams, NewJob},
};
use crate::{
    state::AppState,
    system::settings::{self, EffectiveSettings},
};

/// A hold outlives any sane job; billing's sweeper returns it if a job is lost for good.
const HOLD_TTL_SECONDS: u32 = 6 * 3600;

/// What validating the inputs found.
struct Inputs {
    site_id: Uuid,
    sector_id: Option<Uuid>,
    estimate: EstimateRequestSet,
}

/// One estimate per priced unit (content is priced per task by its words).
type EstimateRequestSet = Vec<EstimateRequest>;

pub async fn submit(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::SubmitJobRequest,
) -> Result<pb::Job, Status> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let (kind, ids) = validate_request(&req)?;
    let settings = settings::effective(state, account_id).await?;
    require_provider(kind, &settings)?;
    let token = state.tokens.token().await?;
    let peer = Peer {
        state,
        token: &token,
        account_id,
        request_id: &ctx.request_id,
    };
    let inputs = load_inputs(&peer, kind, &ids, &settings).await?;
    if let Some(site) = ctx.site_restriction()
        && site != inputs.site_id
    {
        // A site key sees only its site: ids of another behave as unknown.
        return Err(Error::NotFound(kind.input_noun()).into());
    }
    let mut estimated = 0i64;
    for estimate in inputs.estimate {
        estimated += super::settle::price(state, account_id, &ctx.request_id, estimate).await?;
    }
    let job_id = Uuid::now_v7();
    // Billing refuses empty holds; a free operation (cost set to 0) still holds one milli.
    let hold_amount = estimated.max(1);
    let hold = state
        .billing
        .clone()
        .hold(peer.request(HoldRequest {
            idempotency_key: format!("job:{job_id}:hold"),
            amount_milli: hold_amount,
            reason: format!("AI job {}", kind.as_str()),
            operation: kind.operation().to_owned(),
            job_id: job_id.to_string(),
            ttl_seconds: HOLD_TTL_SECONDS,
        }))
        .await?
        .into_inner()
        .hold
        .ok_or_else(|| Status::internal("billing answered a hold without the hold"))?;
    let hold_id: Uuid = hold
        .id
        .parse()
        .map_err(|_| Status::internal("billing answered a malformed hold id"))?;
    let params = JobParams {
        model: match kind {
            JobKind::GenerateImages => settings.image.as_ref().map(|t| t.model.clone()),
            _ => settings.text.as_ref().map(|t| t.model.clone()),
        }
        .unwrap_or_default(),
        in_article_images: settings.in_article_images,
    };
    let requested_by = match &ctx.principal {
        igny8_platform::Principal::User { user_id, .. } => format!("user:{user_id}"),
        igny8_platform::Principal::SiteKey { key_id, .. } => format!("key:{key_id}"),
        igny8_platform::Principal::Service { name, .. } => format!("service:{name}"),
    };
    let created = async {
        let mut tx = state.pool.begin().await?;
        let row = store::insert(
            &mut tx,
            NewJob {
                id: job_id,
                account_id,
                site_id: inputs.site_id,
                sector_id: inputs.sector_id,
                kind,
                input_ids: &ids,
                params,
                hold_id,
                estimated_milli: hold_amount,
                requested_by: &requested_by,
                request_id: &ctx.request_id,
            },
        )
        .await?;
        tx.commit().await?;
        Ok::<_, Error>(row)
    }
    .await;
    match created {
        Ok(row) => {
            metrics::counter!("ai_jobs_submitted_total", "kind" => kind.as_str()).increment(1);
            Ok(queries::to_pb(&row))
        }
        Err(err) => {
            // No job: give the credits back now (billing's expiry would, much later).
            let void = state
                .billing
                .clone()
                .void(peer.request(VoidRequest {
                    idempotency_key: format!("job:{job_id}:void"),
                    hold_id: hold_id.to_string(),
                }))
                .await;
            if let Err(status) = void {
                tracing::error!(%job_id, error.message = %status, "could not void the hold of a job that was not created");
            }
            Err(err.into())
        }
    }
}

fn validate_request(req: &pb::SubmitJobRequest) -> Result<(JobKind, Vec<Uuid>), Error> {
    let mut errors = FieldErrors::new();
    let kind = JobKind::parse(&req.kind);
    if kind.is_none() {
        errors.add("kind", format!("must be one of {}", JobKind::choices()));
    }
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(req.ids.len());
    for (i, id) in req.ids.iter().enumerate() {
        match id.trim().parse::<Uuid>() {
            Ok(id) => {
                if seen.insert(id) {
                    ids.push(id);
                }
            }
            Err(_) => {
                errors.add(format!("ids[{i}]"), "must be a UUID");
            }
        }
    }
    if req.ids.is_empty() {
        errors.add("ids", "this field is required");
    }
    if let Some(kind) = kind
        && ids.len() > kind.max_items()
    {
        errors.add(
            "ids",
            format!(
                "at most {} {} ids per job",
                kind.max_items(),
                kind.input_noun()
            ),
        );
    }
    errors.into_result()?;
    Ok((kind.expect("checked above"), ids))
}

fn require_provider(kind: JobKind, settings: &EffectiveSettings) -> Result<(), Error> {
    let (ready, what) = if kind.needs_images() {
        (settings.image.is_some(), "image")
    } else {
        (settings.text.is_some(), "text")
    };
    if ready {
        Ok(())
    } else {
        Err(Error::precondition(
            "AI_PROVIDER_NOT_CONFIGURED",
            format!(
                "no {what} AI provider is configured: set a platform key or store your own in the AI settings"
            ),
        ))
    }
}

/// Calls to peers as ai-svc acting for the caller's account.
struct Peer<'a> {
    state: &'a AppState,
    token: &'a str,
    account_id: Uuid,
    request_id: &'a str,
}

impl Peer<'_> {
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        as_service(message, self.token, Some(self.account_id), self.request_id)
    }
}

fn one_site(sites: impl IntoIterator<Item = String>, noun: &str) -> Result<Uuid, Error> {
    let sites: HashSet<String> = sites.into_iter().collect();
    if sites.len() != 1 {
        return Err(FieldErrors::single(
            "ids",
            format!("every {noun} of a job must belong to one site"),
        ));
    }
    sites
        .into_iter()
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("peer answered a malformed site id")))
}

fn common_sector(sectors: impl IntoIterator<Item = String>) -> Option<Uuid> {
    let sectors: HashSet<String> = sectors.into_iter().collect();
    (sectors.len() == 1)
        .then(|| sectors.into_iter().next().and_then(|s| s.parse().ok()))
        .flatten()
}

fn estimate(kind: JobKind, model: &str) -> EstimateRequest {
    EstimateRequest {
        operation: kind.operation().to_owned(),
        model: model.to_owned(),
        ..EstimateRequest::default()
    }
}

async fn load_inputs(
    peer: &Peer<'_>,
    kind: JobKind,
    ids: &[Uuid],
    settings: &EffectiveSettings,
) -> Result<Inputs, Status> {
    let text_model = settings
        .text
        .as_ref()
        .map(|t| t.model.as_str())
        .unwrap_or("");
    let id_strings: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let count = u32::try_from(ids.len()).unwrap_or(u32::MAX);
    let state = peer.state;
    match kind {
        JobKind::AutoCluster => {
            let keywords = state
                .planner
                .clone()
                .get_keywords_by_ids(peer.request(planner::IdsRequest { ids: id_strings }))
                .await?
                .into_inner()
                .keywords;
            let site_id = one_site(keywords.iter().map(|k| k.site_id.clone()), "keyword")?;
            let sector_id = common_sector(keywords.iter().map(|k| k.sector_id.clone()))
                .ok_or_else(|| {
                    FieldErrors::single("ids", "every keyword of a job must belong to one sector")
                })?;
            Ok(Inputs {
                site_id,
                sector_id: Some(sector_id),
                estimate: vec![EstimateRequest {
                    items: 1,
                    ..estimate(kind, text_model)
                }],
            })
        }
        JobKind::GenerateIdeas => {
            let clusters = state
                .planner
                .clone()
                .get_cluster_contexts(peer.request(planner::IdsRequest { ids: id_strings }))
                .await?
                .into_inner()
                .clusters;
            let clusters: Vec<_> = clusters.into_iter().filter_map(|c| c.cluster).collect();
            Ok(Inputs {
                site_id: one_site(clusters.iter().map(|c| c.site_id.clone()), "cluster")?,
                sector_id: common_sector(clusters.iter().map(|c| c.sector_id.clone())),
                estimate: vec![EstimateRequest {
                    items: count,
                    ..estimate(kind, text_model)
                }],
            })
        }
        JobKind::GenerateContent => {
            let mut tasks = Vec::with_capacity(ids.len());
            for id in id_strings {
                let context = state
                    .writer
                    .clone()
                    .get_task_context(peer.request(writer::IdRequest { id }))
                    .await?
                    .into_inner();
                tasks.push(context.task.unwrap_or_default());
            }
            let estimates = tasks
                .iter()
                .map(|t| EstimateRequest {
                    words: match t.target_word_count {
                        0 => settings.default_word_count,
                        n => n,
                    },
                    ..estimate(kind, text_model)
                })
                .collect();
            Ok(Inputs {
                site_id: one_site(tasks.iter().map(|t| t.site_id.clone()), "task")?,
                sector_id: common_sector(tasks.iter().map(|t| t.sector_id.clone())),
                estimate: estimates,
            })
        }
        JobKind::GenerateImagePrompts => {
            let mut contents = Vec::with_capacity(ids.len());
            for (i, id) in id_strings.into_iter().enumerate() {
                let context = state
                    .writer
                    .clone()
                    .get_content_context(peer.request(writer::IdRequest { id }))
                    .await?
                    .into_inner();
                let content = context.content.unwrap_or_default();
                if content.body_html.trim().is_empty() {
                    return Err(FieldErrors::single(
                        format!("ids[{i}]"),
                        "the content has no body to draw images from",
                    )
                    .into());
                }
                contents.push(content);
            }
            Ok(Inputs {
                site_id: one_site(contents.iter().map(|c| c.site_id.clone()), "content")?,
                sector_id: common_sector(contents.iter().map(|c| c.sector_id.clone())),
                estimate: vec![EstimateRequest {
                    items: count.saturating_mul(1 + settings.in_article_images),
                    ..estimate(kind, text_model)
                }],
            })
        }
        JobKind::GenerateImages => {
            let image_model = settings
                .image
                .as_ref()
                .map(|t| t.model.as_str())
                .unwrap_or("");
            let mut images = Vec::with_capacity(ids.len());
            for (i, id) in id_strings.into_iter().enumerate() {
                let image = state
                    .writer
                    .clone()
                    .get_image(peer.request(writer::IdRequest { id }))
                    .await?
                    .into_inner();
                if image.prompt.trim().is_empty() {
                    return Err(FieldErrors::single(
                        format!("ids[{i}]"),
                        "the image has no prompt yet (generate image prompts first)",
                    )
                    .into());
                }
                if image.status == "generated" {
                    return Err(FieldErrors::single(
                        format!("ids[{i}]"),
                        "the image is generated already",
                    )
                    .into());
                }
                images.push(image);
            }
            Ok(Inputs {
                site_id: one_site(images.iter().map(|m| m.site_id.clone()), "image")?,
                sector_id: common_sector(images.iter().map(|m| m.sector_id.clone())),
                estimate: vec![EstimateRequest {
                    items: count,
                    ..estimate(kind, image_model)
                }],
            })
        }
    }
}

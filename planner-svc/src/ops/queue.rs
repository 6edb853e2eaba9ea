//! Ideas to writer tasks: writer-svc creates one task per idea (idempotent per idea), then the
//! ideas become queued. Nothing changes here unless the writer confirmed.

use igny8_platform::{
    Error, RequestContext, Result, Role,
    error::{FieldErrors, decode_status},
    grpc::forward,
};
use igny8_proto::{planner::v1 as pb, writer::v1 as writer};
use sqlx::types::Json;
use uuid::Uuid;

use super::{
    common::{SectorScope, parse_ids},
    ideas::sections_to_pb,
};
use crate::{domain::idea::Section, events, state::AppState};

/// Most ideas one call may queue.
const MAX_QUEUE: usize = 100;

#[derive(sqlx::FromRow)]
struct QueuedRow {
    id: Uuid,
    site_id: Uuid,
    sector_id: Uuid,
    title: String,
    description: String,
    outline: Json<Vec<Section>>,
    target_keywords: Vec<String>,
    cluster_id: Option<Uuid>,
    content_type: String,
    content_structure: String,
    estimated_word_count: i32,
    disabled: bool,
}

impl From<QueuedRow> for writer::NewTask {
    fn from(i: QueuedRow) -> Self {
        let mut keywords = i.target_keywords.into_iter();
        let outline = sections_to_pb(i.outline.0)
            .into_iter()
            .map(|s| writer::OutlineSection {
                heading: s.heading,
                covers: s.covers,
                keywords: s.keywords,
            })
            .collect();
        Self {
            site_id: i.site_id.to_string(),
            sector_id: i.sector_id.to_string(),
            idea_id: i.id.to_string(),
            cluster_id: i.cluster_id.map(|id| id.to_string()).unwrap_or_default(),
            title: i.title,
            brief: i.description,
            primary_keyword: keywords.next().unwrap_or_default(),
            secondary_keywords: keywords.collect(),
            content_type: i.content_type,
            content_structure: i.content_structure,
            target_word_count: i.estimated_word_count.max(0) as u32,
            outline,
            taxonomy_term_id: String::new(),
        }
    }
}

/// What the writer's refusal means for our caller.
fn writer_error(status: &tonic::Status) -> Error {
    let decoded = decode_status(status);
    match status.code() {
        tonic::Code::InvalidArgument => {
            let mut errors = FieldErrors::new();
            for (field, messages) in decoded.fields.0 {
                for message in messages {
                    errors.add(format!("writer.{field}"), message);
                }
            }
            if errors.is_empty() {
                errors.add("ids", decoded.message);
            }
            Error::Validation(errors)
        }
        tonic::Code::PermissionDenied => Error::permission_denied(decoded.message),
        tonic::Code::NotFound => Error::NotFound("writer resource"),
        code => {
            tracing::warn!(
                ?code,
                message = status.message(),
                "writer-svc refused CreateTasks"
            );
            Error::Unavailable("the writer is unavailable; try again".into())
        }
    }
}

pub async fn queue_to_writer(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdsRequest,
) -> Result<pb::QueueIdeasResponse> {
    ctx.require_role(Role::Editor)?;
    let ids = parse_ids("ids", &req.ids)?;
    if ids.len() > MAX_QUEUE {
        return Err(FieldErrors::single(
            "ids",
            format!("at most {MAX_QUEUE} ideas per call"),
        ));
    }
    let account_id = ctx.account_id()?;
    let ideas: Vec<QueuedRow> = sqlx::query_as(
        "SELECT id, site_id, sector_id, title, description, outline, target_keywords, cluster_id, \
             content_type, content_structure, estimated_word_count, disabled \
         FROM planner.ideas WHERE id = ANY($1) AND account_id = $2 AND ($3::uuid IS NULL OR site_id = $3) \
         ORDER BY array_position($1, id)",
    )
    .bind(&ids)
    .bind(account_id)
    .bind(ctx.site_restriction())
    .fetch_all(&state.pool)
    .await?;
    let disabled: Vec<String> = ideas
        .iter()
        .filter(|i| i.disabled)
        .map(|i| i.id.to_string())
        .collect();
    if !disabled.is_empty() {
        return Err(FieldErrors::single(
            "ids",
            format!("disabled ideas cannot be queued: {}", disabled.join(", ")),
        ));
    }
    if ideas.is_empty() {
        return Ok(pb::QueueIdeasResponse::default());
    }
    // Every idea goes to the writer, queued ones too: CreateTasks answers their existing tasks,
    // which also repairs an idea whose earlier queueing stopped after the writer's commit.
    let tasks = writer::CreateTasksRequest {
        tasks: ideas.into_iter().map(Into::into).collect(),
    };
    let created = state
        .writer
        .clone()
        .create_tasks(forward(tasks, ctx))
        .await
        .map_err(|status| writer_error(&status))?
        .into_inner()
        .tasks;
    let mut idea_ids = Vec::with_capacity(created.len());
    let mut task_ids = Vec::with_capacity(created.len());
    for task in &created {
        let parsed = (task.idea_id.parse::<Uuid>(), task.task_id.parse::<Uuid>());
        let (Ok(idea), Ok(task)) = parsed else {
            return Err(Error::Internal(anyhow::anyhow!(
                "writer answered malformed ids"
            )));
        };
        idea_ids.push(idea);
        task_ids.push(task);
    }
    let mut tx = state.pool.begin().await?;
    sqlx::query(
        "UPDATE planner.ideas i SET writer_task_id = t.task_id, updated_at = now() \
         FROM UNNEST($1::uuid[], $2::uuid[]) AS t (idea_id, task_id) \
         WHERE i.id = t.idea_id AND i.account_id = $3 AND i.writer_task_id IS DISTINCT FROM t.task_id",
    )
    .bind(&idea_ids)
    .bind(&task_ids)
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    let moved: Vec<(Uuid, Uuid, Uuid, Uuid)> = sqlx::query_as(
        "UPDATE planner.ideas SET status = 'queued', updated_at = now() \
         WHERE id = ANY($1) AND account_id = $2 AND status = 'new' \
         RETURNING id, site_id, sector_id, writer_task_id",
    )
    .bind(&idea_ids)
    .bind(account_id)
    .fetch_all(&mut *tx)
    .await?;
    for (idea_id, site_id, sector_id, task_id) in &moved {
        let scope = SectorScope {
            account_id,
            site_id: *site_id,
            sector_id: *sector_id,
        };
        events::idea_queued(&mut tx, &scope, *idea_id, *task_id, &ctx.request_id).await?;
    }
    tx.commit().await?;
    Ok(pb::QueueIdeasResponse {
        ideas: created
            .into_iter()
            .map(|t| pb::QueuedIdea {
                idea_id: t.idea_id,
                task_id: t.task_id,
                created: t.created,
            })
            .collect(),
        queued: moved.len() as u64,
    })
}

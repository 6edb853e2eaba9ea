//! Reading and cancelling jobs for clients.

use igny8_platform::{
    Error, RequestContext, Result, Role,
    paging::Page,
    wire::{opt_ts, parse_id, ts},
};
use igny8_proto::ai::v1 as pb;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::{
    JobKind, settle,
    store::{self, Finish, JobOutput, JobRow, STATUS_CANCELLED},
};
use crate::state::AppState;

pub fn to_pb(row: &JobRow) -> pb::Job {
    pb::Job {
        id: row.id.to_string(),
        kind: row.kind.clone(),
        status: row.status.clone(),
        phase: row.phase.clone(),
        percent: u32::try_from(row.percent).unwrap_or(0),
        message: row.message.clone(),
        site_id: row.site_id.to_string(),
        sector_id: row.sector_id.map(|s| s.to_string()).unwrap_or_default(),
        input_ids: row.input_ids.iter().map(ToString::to_string).collect(),
        estimated_milli: row.estimated_milli,
        charged_milli: row.charged_milli,
        output: row.output.as_ref().map(|o| output_pb(&o.0)),
        error_code: row.error_code.clone(),
        error_message: row.error_message.clone(),
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        cancel_requested: row.cancel_requested,
        created_at: Some(ts(row.created_at)),
        started_at: opt_ts(row.started_at),
        finished_at: opt_ts(row.finished_at),
    }
}

fn output_pb(output: &JobOutput) -> pb::JobOutput {
    pb::JobOutput {
        object_type: output.object_type.clone(),
        object_ids: output.object_ids.clone(),
        succeeded: output.succeeded,
        failed: output.failed,
        failures: output
            .failures
            .iter()
            .map(|f| pb::ItemFailure {
                id: f.id.clone(),
                error: f.error.clone(),
            })
            .collect(),
    }
}

/// The caller's job (a site key sees only its site's jobs).
pub async fn visible(state: &AppState, ctx: &RequestContext, id: &str) -> Result<JobRow> {
    let id = parse_id(id, "job")?;
    let job = store::get_for(&state.pool, ctx.account_id()?, id)
        .await?
        .ok_or(Error::NotFound("job"))?;
    if ctx
        .site_restriction()
        .is_some_and(|site| site != job.site_id)
    {
        return Err(Error::NotFound("job"));
    }
    Ok(job)
}

pub async fn get(state: &AppState, ctx: &RequestContext, req: pb::JobIdRequest) -> Result<pb::Job> {
    Ok(to_pb(&visible(state, ctx, &req.job_id).await?))
}

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::ListJobsRequest,
) -> Result<pb::JobList> {
    let account_id = ctx.account_id()?;
    let filter = req.filter.unwrap_or_default();
    let mut errors = igny8_platform::error::FieldErrors::new();
    if !filter.kind.is_empty() && JobKind::parse(&filter.kind).is_none() {
        errors.add("kind", format!("must be one of {}", JobKind::choices()));
    }
    const STATUSES: [&str; 5] = ["queued", "running", "completed", "failed", "cancelled"];
    if !filter.status.is_empty() && !STATUSES.contains(&filter.status.as_str()) {
        errors.add("status", format!("must be one of {}", STATUSES.join(", ")));
    }
    let site = match (filter.site_id.as_str(), ctx.site_restriction()) {
        ("", restricted) => restricted,
        (given, restricted) => {
            let site = given.parse::<Uuid>().ok();
            if site.is_none() {
                errors.add("site_id", "must be a UUID");
            }
            // A site key asking for another site sees nothing, as if it did not exist.
            match (site, restricted) {
                (Some(s), Some(r)) if s != r => Some(Uuid::nil()),
                (s, _) => s,
            }
        }
    };
    errors.into_result()?;
    let page = Page::from_request(req.page.as_ref())?;
    let filters = |query: &mut QueryBuilder<Postgres>| {
        query.push(" WHERE account_id = ").push_bind(account_id);
        if let Some(site) = site {
            query.push(" AND site_id = ").push_bind(site);
        }
        if !filter.kind.is_empty() {
            query.push(" AND kind = ").push_bind(filter.kind.clone());
        }
        if !filter.status.is_empty() {
            query
                .push(" AND status = ")
                .push_bind(filter.status.clone());
        }
    };
    let mut query = QueryBuilder::new(format!(
        "SELECT {}, count(*) OVER () AS total FROM ai.jobs",
        store::COLUMNS
    ));
    filters(&mut query);
    query.push(" ORDER BY created_at DESC, id DESC");
    page.push(&mut query);
    let rows: Vec<Counted> = query.build_query_as().fetch_all(&state.pool).await?;
    let total = match rows.first() {
        Some(row) => row.total,
        // Past the last page the window count has no row to ride on: count on its own.
        None if page.page > 1 => {
            let mut query = QueryBuilder::new("SELECT count(*) FROM ai.jobs");
            filters(&mut query);
            query.build_query_scalar().fetch_one(&state.pool).await?
        }
        None => 0,
    };
    Ok(pb::JobList {
        jobs: rows.iter().map(|r| to_pb(&r.job)).collect(),
        page: Some(page.info(total)),
    })
}

#[derive(sqlx::FromRow)]
struct Counted {
    #[sqlx(flatten)]
    job: JobRow,
    total: i64,
}

/// Cancels a queued job at once (its hold is voided); a running one stops at its next step.
pub async fn cancel(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::JobIdRequest,
) -> Result<pb::Job> {
    ctx.require_role(Role::Editor)?;
    let job = visible(state, ctx, &req.job_id).await?;
    if job.is_finished() {
        return Err(Error::precondition(
            "JOB_FINISHED",
            format!("the job is {} already", job.status),
        ));
    }
    sqlx::query("UPDATE ai.jobs SET cancel_requested = true, updated_at = now() WHERE id = $1")
        .bind(job.id)
        .execute(&state.pool)
        .await?;
    let finished = store::finish(
        &state.pool,
        job.id,
        None,
        Finish {
            status: STATUS_CANCELLED,
            charged_milli: 0,
            output: None,
            error_code: "",
            error_message: "",
            message: "Cancelled before it started",
        },
    )
    .await?;
    if let Some(row) = &finished
        && let Err(err) = settle::settle(state, row).await
    {
        tracing::warn!(job_id = %row.id, error.message = %err, "settling a cancelled job deferred");
    }
    let current = store::get(&state.pool, job.id)
        .await?
        .ok_or(Error::NotFound("job"))?;
    Ok(to_pb(&current))
}

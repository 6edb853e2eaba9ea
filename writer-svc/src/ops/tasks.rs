//! Writer tasks: fields and validation, reads, and create.

use chrono::{DateTime, Utc};
use igny8_platform::{Error, RequestContext, Result, Role, error::FieldErrors};
use igny8_proto::writer::v1 as pb;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use super::{
    common::{create_scope, id_str, parse_id, ts},
    taxonomies,
};
use crate::{
    domain::{self, ContentStructure, ContentType, TaskStatus, validate},
    events::{self, Scoped},
    state::AppState,
};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    #[serde(default)]
    pub covers: String,
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(sqlx::FromRow)]
pub struct TaskRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Uuid,
    pub title: String,
    pub brief: String,
    pub cluster_id: Option<Uuid>,
    pub idea_id: Option<Uuid>,
    pub primary_keyword: String,
    pub secondary_keywords: Vec<String>,
    pub content_type: String,
    pub content_structure: String,
    pub target_word_count: i32,
    pub taxonomy_term_id: Option<Uuid>,
    pub outline: Json<Vec<Section>>,
    pub status: String,
    pub content_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TaskRow {
    pub fn scoped(&self) -> Scoped {
        Scoped {
            account_id: self.account_id,
            site_id: self.site_id,
            sector_id: self.sector_id,
        }
    }
}

impl From<TaskRow> for pb::Task {
    fn from(t: TaskRow) -> Self {
        Self {
            id: t.id.to_string(),
            site_id: t.site_id.to_string(),
            sector_id: t.sector_id.to_string(),
            title: t.title,
            brief: t.brief,
            cluster_id: id_str(t.cluster_id),
            idea_id: id_str(t.idea_id),
            primary_keyword: t.primary_keyword,
            secondary_keywords: t.secondary_keywords,
            content_type: t.content_type,
            content_structure: t.content_structure,
            target_word_count: t.target_word_count.max(0) as u32,
            taxonomy_term_id: id_str(t.taxonomy_term_id),
            status: t.status,
            outline: t.outline.0.into_iter().map(Into::into).collect(),
            content_id: id_str(t.content_id),
            created_at: Some(ts(t.created_at)),
            updated_at: Some(ts(t.updated_at)),
        }
    }
}

impl From<Section> for pb::OutlineSection {
    fn from(s: Section) -> Self {
        Self {
            heading: s.heading,
            covers: s.covers,
            keywords: s.keywords,
        }
    }
}

/// Columns of [`TaskRow`] over `writer.tasks` (unaliased, so list filters can name columns).
pub const COLUMNS: &str = "id, account_id, site_id, sector_id, title, brief, cluster_id, idea_id, \
     primary_keyword, secondary_keywords, content_type, content_structure, target_word_count, \
     taxonomy_term_id, outline, status, \
     (SELECT c.id FROM writer.content c WHERE c.task_id = tasks.id ORDER BY c.created_at, c.id LIMIT 1) AS content_id, \
     created_at, updated_at";

/// A task of the caller's account that the caller may see.
pub async fn load(conn: &mut PgConnection, ctx: &RequestContext, id: Uuid) -> Result<TaskRow> {
    let row: TaskRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM writer.tasks WHERE id = $1 AND account_id = $2"
    )))
    .bind(id)
    .bind(ctx.account_id()?)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("task"))?;
    ctx.check_site(row.site_id, "task")?;
    Ok(row)
}

/// Validated fields of a new task (from CreateTask or one CreateTasks item).
pub struct NewTask {
    pub title: String,
    pub brief: String,
    pub cluster_id: Option<Uuid>,
    pub idea_id: Option<Uuid>,
    pub primary_keyword: String,
    pub secondary_keywords: Vec<String>,
    pub content_type: ContentType,
    pub content_structure: ContentStructure,
    pub target_word_count: i32,
    pub taxonomy_term_id: Option<Uuid>,
    pub outline: Vec<Section>,
    pub status: TaskStatus,
}

/// The raw fields both create calls share.
pub struct RawTask<'a> {
    pub title: &'a str,
    pub brief: &'a str,
    pub cluster_id: &'a str,
    pub idea_id: &'a str,
    pub primary_keyword: &'a str,
    pub secondary_keywords: &'a [String],
    pub content_type: &'a str,
    pub content_structure: &'a str,
    pub target_word_count: u32,
    pub taxonomy_term_id: &'a str,
    pub outline: &'a [pb::OutlineSection],
    pub status: &'a str,
}

/// Checks a new task; messages go under `prefix` + field name (e.g. `tasks[2].title`).
pub fn validate_new(errors: &mut FieldErrors, prefix: &str, raw: RawTask<'_>) -> NewTask {
    let f = |name: &str| format!("{prefix}{name}");
    NewTask {
        title: validate::line(errors, &f("title"), raw.title, true, validate::MAX_TITLE),
        brief: validate::text(errors, &f("brief"), raw.brief, validate::MAX_TEXT),
        cluster_id: validate::optional_id(errors, &f("cluster_id"), raw.cluster_id),
        idea_id: validate::optional_id(errors, &f("idea_id"), raw.idea_id),
        primary_keyword: validate::line(
            errors,
            &f("primary_keyword"),
            raw.primary_keyword,
            false,
            validate::MAX_SHORT,
        ),
        secondary_keywords: validate::keywords(
            errors,
            &f("secondary_keywords"),
            raw.secondary_keywords,
        ),
        content_type: validate::choice(
            errors,
            &f("content_type"),
            raw.content_type,
            Some(ContentType::Post),
            ContentType::parse,
            ContentType::choices,
        )
        .unwrap_or(ContentType::Post),
        content_structure: validate::choice(
            errors,
            &f("content_structure"),
            raw.content_structure,
            Some(ContentStructure::Article),
            ContentStructure::parse,
            ContentStructure::choices,
        )
        .unwrap_or(ContentStructure::Article),
        target_word_count: word_count(errors, &f("target_word_count"), raw.target_word_count),
        taxonomy_term_id: validate::optional_id(
            errors,
            &f("taxonomy_term_id"),
            raw.taxonomy_term_id,
        ),
        outline: outline(errors, &f("outline"), raw.outline),
        status: validate::choice(
            errors,
            &f("status"),
            raw.status,
            Some(TaskStatus::Queued),
            TaskStatus::parse,
            TaskStatus::choices,
        )
        .unwrap_or(TaskStatus::Queued),
    }
}

pub fn word_count(errors: &mut FieldErrors, field: &str, value: u32) -> i32 {
    let value = if value == 0 {
        domain::DEFAULT_WORD_COUNT
    } else {
        value
    };
    if !(domain::MIN_WORD_COUNT..=domain::MAX_WORD_COUNT).contains(&value) {
        errors.add(
            field,
            format!(
                "must be between {} and {}",
                domain::MIN_WORD_COUNT,
                domain::MAX_WORD_COUNT
            ),
        );
    }
    value.min(domain::MAX_WORD_COUNT) as i32
}

pub fn outline(
    errors: &mut FieldErrors,
    field: &str,
    sections: &[pb::OutlineSection],
) -> Vec<Section> {
    if sections.len() > validate::MAX_OUTLINE {
        errors.add(field, format!("at most {} sections", validate::MAX_OUTLINE));
    }
    sections
        .iter()
        .enumerate()
        .map(|(i, s)| Section {
            heading: validate::line(
                errors,
                &format!("{field}[{i}].heading"),
                &s.heading,
                true,
                validate::MAX_SHORT,
            ),
            covers: validate::text(
                errors,
                &format!("{field}[{i}].covers"),
                &s.covers,
                validate::MAX_TEXT,
            ),
            keywords: validate::keywords(errors, &format!("{field}[{i}].keywords"), &s.keywords),
        })
        .collect()
}

/// Inserts a task; `Ok(None)` when its idea already has one (the unique index decides, so
/// concurrent queueing of one idea creates one task).
pub async fn insert(
    conn: &mut PgConnection,
    scope: Scoped,
    task: &NewTask,
    request_id: &str,
) -> Result<Option<Uuid>> {
    let id = Uuid::now_v7();
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO writer.tasks (id, account_id, site_id, sector_id, title, brief, cluster_id, idea_id, \
         primary_keyword, secondary_keywords, content_type, content_structure, target_word_count, \
         taxonomy_term_id, outline, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (account_id, idea_id) WHERE idea_id IS NOT NULL DO NOTHING RETURNING id",
    )
    .bind(id)
    .bind(scope.account_id)
    .bind(scope.site_id)
    .bind(scope.sector_id)
    .bind(&task.title)
    .bind(&task.brief)
    .bind(task.cluster_id)
    .bind(task.idea_id)
    .bind(&task.primary_keyword)
    .bind(&task.secondary_keywords)
    .bind(task.content_type.as_str())
    .bind(task.content_structure.as_str())
    .bind(task.target_word_count)
    .bind(task.taxonomy_term_id)
    .bind(Json(&task.outline))
    .bind(task.status.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_some() {
        events::task(
            conn,
            events::TASK_CREATED,
            scope,
            id,
            task.idea_id,
            request_id,
        )
        .await?;
    }
    Ok(inserted)
}

pub async fn get(state: &AppState, ctx: &RequestContext, req: pb::IdRequest) -> Result<pb::Task> {
    let id = parse_id(&req.id, "task")?;
    let mut conn = state.pool.acquire().await?;
    Ok(load(&mut conn, ctx, id).await?.into())
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateTaskRequest,
) -> Result<pb::Task> {
    ctx.require_role(Role::Editor)?;
    let mut errors = FieldErrors::new();
    let task = validate_new(
        &mut errors,
        "",
        RawTask {
            title: &req.title,
            brief: &req.brief,
            cluster_id: &req.cluster_id,
            idea_id: &req.idea_id,
            primary_keyword: &req.primary_keyword,
            secondary_keywords: &req.secondary_keywords,
            content_type: &req.content_type,
            content_structure: &req.content_structure,
            target_word_count: req.target_word_count,
            taxonomy_term_id: &req.taxonomy_term_id,
            outline: &req.outline,
            status: &req.status,
        },
    );
    let scope = create_scope(state, ctx, &mut errors, &req.site_id, &req.sector_id).await?;
    let mut tx = state.pool.begin().await?;
    if let (Some(scope), Some(term)) = (scope, task.taxonomy_term_id) {
        taxonomies::terms_of_site(
            &mut tx,
            &mut errors,
            "taxonomy_term_id",
            scope.account_id,
            scope.site_id,
            &[term],
        )
        .await?;
    }
    errors.into_result()?;
    let scope = scope.ok_or_else(|| FieldErrors::single("site_id", "this field is required"))?;
    let scoped = Scoped {
        account_id: scope.account_id,
        site_id: scope.site_id,
        sector_id: scope.sector_id.unwrap_or_default(),
    };
    let id = insert(&mut tx, scoped, &task, &ctx.request_id)
        .await?
        .ok_or_else(|| Error::already_exists("TASK_EXISTS", "this idea already has a task"))?;
    let row = load(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(row.into())
}

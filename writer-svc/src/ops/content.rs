//! Content items: fields, reads (with their terms), terms, versions and body cleaning.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use igny8_platform::{Error, RequestContext, Result, error::FieldErrors};
use igny8_proto::writer::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    common::{actor, id_str, opt_ts, parse_id, ts},
    taxonomies::{self, TermRow},
};
use crate::{
    domain::{ContentStatus, SiteStatus, html, validate},
    events::Scoped,
    state::AppState,
};

#[derive(sqlx::FromRow)]
pub struct ContentRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub site_id: Uuid,
    pub sector_id: Uuid,
    pub task_id: Option<Uuid>,
    pub cluster_id: Option<Uuid>,
    pub title: String,
    pub body_html: String,
    pub word_count: i32,
    pub meta_title: String,
    pub meta_description: String,
    pub excerpt: String,
    pub primary_keyword: String,
    pub secondary_keywords: Vec<String>,
    pub content_type: String,
    pub content_structure: String,
    pub source: String,
    pub status: String,
    pub site_status: String,
    pub scheduled_publish_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub publish_error: String,
    pub external_id: Option<String>,
    pub external_url: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ContentRow {
    pub fn scoped(&self) -> Scoped {
        Scoped {
            account_id: self.account_id,
            site_id: self.site_id,
            sector_id: self.sector_id,
        }
    }

    pub fn status(&self) -> ContentStatus {
        ContentStatus::parse(&self.status).unwrap_or(ContentStatus::Draft)
    }

    pub fn site_status(&self) -> SiteStatus {
        SiteStatus::parse(&self.site_status).unwrap_or(SiteStatus::NotPublished)
    }

    fn into_pb(self, terms: Vec<TermRow>) -> pb::Content {
        let (categories, tags): (Vec<TermRow>, Vec<TermRow>) = terms
            .into_iter()
            .partition(|t| t.taxonomy_type == "category");
        pb::Content {
            id: self.id.to_string(),
            site_id: self.site_id.to_string(),
            sector_id: self.sector_id.to_string(),
            task_id: id_str(self.task_id),
            cluster_id: id_str(self.cluster_id),
            title: self.title,
            body_html: self.body_html,
            word_count: self.word_count.max(0) as u32,
            meta_title: self.meta_title,
            meta_description: self.meta_description,
            excerpt: self.excerpt,
            primary_keyword: self.primary_keyword,
            secondary_keywords: self.secondary_keywords,
            categories: categories.into_iter().map(Into::into).collect(),
            tags: tags.into_iter().map(Into::into).collect(),
            content_type: self.content_type,
            content_structure: self.content_structure,
            source: self.source,
            status: self.status,
            site_status: self.site_status,
            scheduled_publish_at: opt_ts(self.scheduled_publish_at),
            external_id: self.external_id.unwrap_or_default(),
            external_url: self.external_url,
            version: self.version.max(0) as u32,
            published_at: opt_ts(self.published_at),
            publish_error: self.publish_error,
            created_at: Some(ts(self.created_at)),
            updated_at: Some(ts(self.updated_at)),
        }
    }
}

/// Columns of [`ContentRow`]; `{body}` is `body_html` or `''` (lists skip bodies by default).
pub fn columns(with_body: bool) -> String {
    format!(
        "id, account_id, site_id, sector_id, task_id, cluster_id, title, {}, word_count, meta_title, \
         meta_description, excerpt, primary_keyword, secondary_keywords, content_type, content_structure, \
         source, status, site_status, scheduled_publish_at, published_at, publish_error, external_id, \
         external_url, version, created_at, updated_at",
        if with_body {
            "body_html"
        } else {
            "'' AS body_html"
        }
    )
}

pub const MAX_META_DESCRIPTION: usize = 1000;

/// A content item of the caller's account that the caller may see (with its body).
pub async fn load(conn: &mut PgConnection, ctx: &RequestContext, id: Uuid) -> Result<ContentRow> {
    fetch(conn, ctx, id, "").await
}

/// [`load`] with the row locked until commit, for changes that derive the next version.
pub async fn load_locked(
    conn: &mut PgConnection,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<ContentRow> {
    fetch(conn, ctx, id, " FOR UPDATE").await
}

async fn fetch(
    conn: &mut PgConnection,
    ctx: &RequestContext,
    id: Uuid,
    lock: &str,
) -> Result<ContentRow> {
    let row: ContentRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM writer.content WHERE id = $1 AND account_id = $2{lock}",
        columns(true)
    )))
    .bind(id)
    .bind(ctx.account_id()?)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("content"))?;
    ctx.check_site(row.site_id, "content")?;
    Ok(row)
}

/// The rows as the contract shows them, each with its categories and tags (one query).
pub async fn with_terms(
    conn: &mut PgConnection,
    rows: Vec<ContentRow>,
) -> Result<Vec<pb::Content>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let linked: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT content_id, taxonomy_id FROM writer.content_terms WHERE content_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let term_ids: Vec<Uuid> = linked.iter().map(|(_, t)| *t).collect();
    let terms: Vec<TermRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM writer.taxonomies WHERE id = ANY($1) ORDER BY taxonomy_type, name, id",
        taxonomies::COLUMNS
    )))
    .bind(&term_ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_content: HashMap<Uuid, Vec<TermRow>> = HashMap::new();
    for term in terms {
        for (content, _) in linked.iter().filter(|(_, t)| *t == term.id) {
            by_content.entry(*content).or_default().push(term.clone());
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let terms = by_content.remove(&row.id).unwrap_or_default();
            row.into_pb(terms)
        })
        .collect())
}

/// One content item as the contract shows it.
pub async fn view(conn: &mut PgConnection, ctx: &RequestContext, id: Uuid) -> Result<pb::Content> {
    let row = load(conn, ctx, id).await?;
    Ok(with_terms(conn, vec![row]).await?.remove(0))
}

/// Replaces the terms of a content item.
pub async fn set_terms(
    conn: &mut PgConnection,
    account_id: Uuid,
    content_id: Uuid,
    term_ids: &[Uuid],
) -> Result<()> {
    sqlx::query("DELETE FROM writer.content_terms WHERE content_id = $1")
        .bind(content_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO writer.content_terms (content_id, taxonomy_id, account_id) \
         SELECT $1, t, $3 FROM unnest($2::uuid[]) AS t ON CONFLICT DO NOTHING",
    )
    .bind(content_id)
    .bind(term_ids)
    .bind(account_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends a version of title and body.
pub struct Version<'a> {
    pub number: i32,
    pub title: &'a str,
    pub body_html: &'a str,
    pub word_count: i32,
    pub reason: &'static str,
    pub restored_from: Option<i32>,
}

pub async fn record_version(
    conn: &mut PgConnection,
    ctx: &RequestContext,
    account_id: Uuid,
    content_id: Uuid,
    v: Version<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO writer.content_versions (content_id, version, account_id, title, body_html, word_count, \
         reason, restored_from, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(content_id)
    .bind(v.number)
    .bind(account_id)
    .bind(v.title)
    .bind(v.body_html)
    .bind(v.word_count)
    .bind(v.reason)
    .bind(v.restored_from)
    .bind(actor(ctx))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A sanitised body and its word count; refuses bodies over the size limit.
pub fn body(errors: &mut FieldErrors, field: &str, raw: &str) -> (String, i32) {
    if raw.len() > validate::MAX_BODY {
        errors.add(
            field,
            format!("must be at most {} bytes", validate::MAX_BODY),
        );
        return (String::new(), 0);
    }
    let clean = html::sanitise(raw);
    let words = html::word_count(&clean);
    (clean, i32::try_from(words).unwrap_or(i32::MAX))
}

pub async fn get(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::IdRequest,
) -> Result<pb::Content> {
    let id = parse_id(&req.id, "content")?;
    let mut conn = state.pool.acquire().await?;
    view(&mut conn, ctx, id).await
}

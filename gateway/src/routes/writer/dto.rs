//! The JSON shapes of writer resources, mapped from writer-svc's messages.

use chrono::{DateTime, Utc};
use igny8_proto::writer::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dto::{non_empty, time};

/// One section of an outline: a heading, what it covers, and its keywords.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutlineSection {
    pub heading: String,
    #[serde(default)]
    pub covers: String,
    #[serde(default)]
    pub keywords: Vec<String>,
}

impl From<pb::OutlineSection> for OutlineSection {
    fn from(s: pb::OutlineSection) -> Self {
        Self {
            heading: s.heading,
            covers: s.covers,
            keywords: s.keywords,
        }
    }
}

impl From<OutlineSection> for pb::OutlineSection {
    fn from(s: OutlineSection) -> Self {
        Self {
            heading: s.heading,
            covers: s.covers,
            keywords: s.keywords,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Task {
    pub id: String,
    pub site_id: String,
    pub sector_id: String,
    pub title: String,
    pub brief: String,
    pub cluster_id: Option<String>,
    /// The planner idea it was queued from.
    pub idea_id: Option<String>,
    pub primary_keyword: String,
    pub secondary_keywords: Vec<String>,
    /// post, page, product or taxonomy.
    pub content_type: String,
    /// article, guide, how_to, listicle, comparison, review, pillar or landing_page.
    pub content_structure: String,
    pub target_word_count: u32,
    pub taxonomy_term_id: Option<String>,
    /// queued, in_progress, completed or failed.
    pub status: String,
    pub outline: Vec<OutlineSection>,
    /// The content written for this task, if any.
    pub content_id: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<pb::Task> for Task {
    fn from(t: pb::Task) -> Self {
        Self {
            id: t.id,
            site_id: t.site_id,
            sector_id: t.sector_id,
            title: t.title,
            brief: t.brief,
            cluster_id: non_empty(t.cluster_id),
            idea_id: non_empty(t.idea_id),
            primary_keyword: t.primary_keyword,
            secondary_keywords: t.secondary_keywords,
            content_type: t.content_type,
            content_structure: t.content_structure,
            target_word_count: t.target_word_count,
            taxonomy_term_id: non_empty(t.taxonomy_term_id),
            status: t.status,
            outline: t.outline.into_iter().map(Into::into).collect(),
            content_id: non_empty(t.content_id),
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaxonomyTerm {
    pub id: String,
    pub site_id: String,
    /// Absent for a site-wide term.
    pub sector_id: Option<String>,
    pub name: String,
    pub slug: String,
    /// category or tag.
    pub taxonomy_type: String,
    pub description: String,
    /// The term's id on the external site (WordPress).
    pub external_id: Option<String>,
    pub external_taxonomy: String,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<pb::TaxonomyTerm> for TaxonomyTerm {
    fn from(t: pb::TaxonomyTerm) -> Self {
        Self {
            id: t.id,
            site_id: t.site_id,
            sector_id: non_empty(t.sector_id),
            name: t.name,
            slug: t.slug,
            taxonomy_type: t.taxonomy_type,
            description: t.description,
            external_id: non_empty(t.external_id),
            external_taxonomy: t.external_taxonomy,
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Content {
    pub id: String,
    pub site_id: String,
    pub sector_id: String,
    pub task_id: Option<String>,
    pub cluster_id: Option<String>,
    pub title: String,
    /// Sanitised HTML; lists leave it out unless `include_body=true`.
    pub content_html: Option<String>,
    pub word_count: u32,
    pub meta_title: String,
    pub meta_description: String,
    pub excerpt: String,
    pub primary_keyword: String,
    pub secondary_keywords: Vec<String>,
    pub categories: Vec<TaxonomyTerm>,
    pub tags: Vec<TaxonomyTerm>,
    pub content_type: String,
    pub content_structure: String,
    /// igny8, wordpress or import.
    pub source: String,
    /// Editorial status: draft, review, approved or published.
    pub status: String,
    /// Publishing status: not_published, scheduled, publishing, published or failed.
    pub site_status: String,
    pub scheduled_publish_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub publish_error: Option<String>,
    pub external_id: Option<String>,
    pub external_url: Option<String>,
    /// Current version of title and body.
    pub version: u32,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Content {
    /// The item with or without its body (lists send none unless asked).
    pub fn new(c: pb::Content, with_body: bool) -> Self {
        Self {
            id: c.id,
            site_id: c.site_id,
            sector_id: c.sector_id,
            task_id: non_empty(c.task_id),
            cluster_id: non_empty(c.cluster_id),
            title: c.title,
            content_html: with_body.then_some(c.body_html),
            word_count: c.word_count,
            meta_title: c.meta_title,
            meta_description: c.meta_description,
            excerpt: c.excerpt,
            primary_keyword: c.primary_keyword,
            secondary_keywords: c.secondary_keywords,
            categories: c.categories.into_iter().map(Into::into).collect(),
            tags: c.tags.into_iter().map(Into::into).collect(),
            content_type: c.content_type,
            content_structure: c.content_structure,
            source: c.source,
            status: c.status,
            site_status: c.site_status,
            scheduled_publish_at: time(c.scheduled_publish_at),
            published_at: time(c.published_at),
            publish_error: non_empty(c.publish_error),
            external_id: non_empty(c.external_id),
            external_url: non_empty(c.external_url),
            version: c.version,
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContentVersion {
    pub version: u32,
    pub title: String,
    pub content_html: String,
    pub word_count: u32,
    /// create, edit, generated or restore.
    pub reason: String,
    /// For a restore: the version it copied.
    pub restored_from: Option<u32>,
    /// user:<id>, key:<id> or service:<name>.
    pub created_by: String,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<pb::ContentVersion> for ContentVersion {
    fn from(v: pb::ContentVersion) -> Self {
        Self {
            version: v.version,
            title: v.title,
            content_html: v.body_html,
            word_count: v.word_count,
            reason: v.reason,
            restored_from: (v.restored_from > 0).then_some(v.restored_from),
            created_by: v.created_by,
            created_at: time(v.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Image {
    pub id: String,
    pub site_id: String,
    pub sector_id: String,
    pub content_id: Option<String>,
    /// Set for images attached to a task rather than content.
    pub task_id: Option<String>,
    /// featured or in_article.
    pub image_type: String,
    pub position: u32,
    pub prompt: String,
    pub negative_prompt: String,
    pub alt_text: String,
    pub caption: String,
    /// pending, generated or failed.
    pub status: String,
    /// Where the stored file lives.
    pub file_ref: Option<String>,
    /// Public URL of the file.
    pub image_url: Option<String>,
    pub error: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<pb::Image> for Image {
    fn from(i: pb::Image) -> Self {
        Self {
            id: i.id,
            site_id: i.site_id,
            sector_id: i.sector_id,
            content_id: non_empty(i.content_id),
            task_id: non_empty(i.task_id),
            image_type: i.image_type,
            position: i.position,
            prompt: i.prompt,
            negative_prompt: i.negative_prompt,
            alt_text: i.alt_text,
            caption: i.caption,
            status: i.status,
            file_ref: non_empty(i.file_ref),
            image_url: non_empty(i.url),
            error: non_empty(i.error),
            created_at: time(i.created_at),
            updated_at: time(i.updated_at),
        }
    }
}

/// A content item with its images.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentImages {
    pub content_id: String,
    pub content_title: String,
    pub featured_image: Option<Image>,
    /// In-article images by position.
    pub in_article_images: Vec<Image>,
    pub pending: u32,
    pub generated: u32,
    pub failed: u32,
}

impl From<pb::ContentImages> for ContentImages {
    fn from(g: pb::ContentImages) -> Self {
        Self {
            content_id: g.content_id,
            content_title: g.content_title,
            featured_image: g.featured.map(Into::into),
            in_article_images: g.in_article.into_iter().map(Into::into).collect(),
            pending: g.pending,
            generated: g.generated,
            failed: g.failed,
        }
    }
}

/// What a bulk action changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    /// Rows changed (ids the caller may not see are skipped).
    pub affected: u64,
}

impl From<pb::BulkResult> for BulkResult {
    fn from(r: pb::BulkResult) -> Self {
        Self {
            affected: r.affected,
        }
    }
}

/// `{ids}` of a bulk action.
#[derive(Debug, Deserialize, validator::Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdsIn {
    #[serde(default)]
    pub ids: Vec<String>,
}

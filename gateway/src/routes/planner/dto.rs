//! The JSON shapes of planner resources, mapped from planner-svc's messages.

use chrono::{DateTime, Utc};
use igny8_proto::planner::v1 as pb;
use serde::{Deserialize, Deserializer, Serialize, de};
use serde_json::Value;
use utoipa::ToSchema;

use crate::dto::{non_empty, time};

/// A money amount given as a JSON number (`1.25`) or string (`"1.25"`), kept as its decimal
/// text: planner-svc parses it into exact micro-units, never through a float.
pub fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Number(n) => Ok(n.to_string()),
        Value::String(s) => Ok(s.trim().to_owned()),
        Value::Null => Ok(String::new()),
        _ => Err(de::Error::custom("must be an amount like 1.25")),
    }
}

/// [`decimal`] for optional fields (absent stays absent).
pub fn decimal_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    decimal(deserializer).map(Some)
}

/// A field where `null` means "clear" and absence means "unchanged": `null` and `""` both
/// become `Some("")`.
pub fn nullable_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Some(
        Option::<String>::deserialize(deserializer)?
            .map(|s| s.trim().to_owned())
            .unwrap_or_default(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Keyword {
    pub id: String,
    pub site_id: String,
    pub sector_id: String,
    pub keyword: String,
    pub search_volume: u32,
    /// 0-100.
    pub difficulty: u32,
    /// Cost per click, a decimal string (e.g. "1.25").
    pub cpc: String,
    /// informational, commercial, transactional or navigational.
    pub intent: String,
    /// new, mapped (in a cluster) or used.
    pub status: String,
    /// manual, csv_import, library or api.
    pub source: String,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    pub disabled: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<pb::Keyword> for Keyword {
    fn from(k: pb::Keyword) -> Self {
        Self {
            id: k.id,
            site_id: k.site_id,
            sector_id: k.sector_id,
            keyword: k.keyword,
            search_volume: k.search_volume,
            difficulty: k.difficulty,
            cpc: k.cpc,
            intent: k.intent,
            status: k.status,
            source: k.source,
            cluster_id: non_empty(k.cluster_id),
            cluster_name: non_empty(k.cluster_name),
            disabled: k.disabled,
            created_at: time(k.created_at),
            updated_at: time(k.updated_at),
        }
    }
}

/// The values of a new keyword.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeywordIn {
    #[serde(default)]
    pub keyword: String,
    #[serde(default)]
    pub search_volume: u32,
    /// 0-100.
    #[serde(default)]
    pub difficulty: u32,
    /// A decimal amount, number or string (e.g. 1.25).
    #[serde(default, deserialize_with = "decimal")]
    #[schema(value_type = String)]
    pub cpc: String,
    /// informational (default), commercial, transactional or navigational.
    #[serde(default)]
    pub intent: String,
}

impl From<KeywordIn> for pb::KeywordInput {
    fn from(k: KeywordIn) -> Self {
        Self {
            keyword: k.keyword,
            search_volume: k.search_volume,
            difficulty: k.difficulty,
            cpc: k.cpc,
            intent: k.intent,
        }
    }
}

/// What an add of many keywords did.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordsAdded {
    pub created: u64,
    /// Already in the sector, or repeated in the input.
    pub skipped: u64,
    /// Always 0 in a success: any rejected row rejects the whole upload.
    pub rejected: u64,
}

impl From<pb::KeywordsAdded> for KeywordsAdded {
    fn from(a: pb::KeywordsAdded) -> Self {
        Self {
            created: a.created,
            skipped: a.skipped,
            rejected: a.rejected,
        }
    }
}

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

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterOption {
    pub id: String,
    pub name: String,
}

impl From<pb::ClusterOption> for ClusterOption {
    fn from(c: pb::ClusterOption) -> Self {
        Self {
            id: c.id,
            name: c.name,
        }
    }
}

/// Values present for each keyword filter, given the other filters.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordFilterOptions {
    pub statuses: Vec<String>,
    pub intents: Vec<String>,
    pub sources: Vec<String>,
    pub clusters: Vec<ClusterOption>,
    pub volume_min: u32,
    pub volume_max: u32,
    pub difficulty_min: u32,
    pub difficulty_max: u32,
}

impl From<pb::KeywordFilterOptionsResponse> for KeywordFilterOptions {
    fn from(o: pb::KeywordFilterOptionsResponse) -> Self {
        Self {
            statuses: o.statuses,
            intents: o.intents,
            sources: o.sources,
            clusters: o.clusters.into_iter().map(Into::into).collect(),
            volume_min: o.volume_min,
            volume_max: o.volume_max,
            difficulty_min: o.difficulty_min,
            difficulty_max: o.difficulty_max,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryKeyword {
    pub id: String,
    /// Industry slug (auth's industries).
    pub industry: String,
    /// Industry sector slug.
    pub sector: String,
    pub keyword: String,
    pub search_volume: u32,
    pub difficulty: u32,
    pub cpc: String,
    pub intent: String,
    /// Market the figures are for (ISO country code).
    pub country: String,
}

impl From<pb::LibraryKeyword> for LibraryKeyword {
    fn from(k: pb::LibraryKeyword) -> Self {
        Self {
            id: k.id,
            industry: k.industry,
            sector: k.sector,
            keyword: k.keyword,
            search_volume: k.search_volume,
            difficulty: k.difficulty,
            cpc: k.cpc,
            intent: k.intent,
            country: k.country,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryImport {
    pub created: u64,
    /// Already in the library.
    pub skipped: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cluster {
    pub id: String,
    pub site_id: String,
    pub sector_id: String,
    pub name: String,
    pub description: String,
    /// new or mapped (it has ideas).
    pub status: String,
    pub disabled: bool,
    pub keyword_count: u32,
    pub total_volume: u64,
    /// Mean difficulty of its keywords, rounded.
    pub avg_difficulty: u32,
    pub idea_count: u32,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<pb::Cluster> for Cluster {
    fn from(c: pb::Cluster) -> Self {
        Self {
            id: c.id,
            site_id: c.site_id,
            sector_id: c.sector_id,
            name: c.name,
            description: c.description,
            status: c.status,
            disabled: c.disabled,
            keyword_count: c.keyword_count,
            total_volume: c.total_volume,
            avg_difficulty: c.avg_difficulty,
            idea_count: c.idea_count,
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
        }
    }
}

/// One section of an idea's outline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutlineSection {
    #[serde(default)]
    pub heading: String,
    /// What the section covers.
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
pub struct Idea {
    pub id: String,
    pub site_id: String,
    pub sector_id: String,
    pub title: String,
    pub description: String,
    pub outline: Vec<OutlineSection>,
    /// The first is the primary keyword.
    pub target_keywords: Vec<String>,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    /// post, page, product or taxonomy.
    pub content_type: String,
    /// article, guide, how_to, listicle, comparison, review, pillar or landing_page.
    pub content_structure: String,
    pub estimated_word_count: u32,
    /// new, queued or completed.
    pub status: String,
    pub disabled: bool,
    /// The writer task it became, once queued.
    pub writer_task_id: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<pb::Idea> for Idea {
    fn from(i: pb::Idea) -> Self {
        Self {
            id: i.id,
            site_id: i.site_id,
            sector_id: i.sector_id,
            title: i.title,
            description: i.description,
            outline: i.outline.into_iter().map(Into::into).collect(),
            target_keywords: i.target_keywords,
            cluster_id: non_empty(i.cluster_id),
            cluster_name: non_empty(i.cluster_name),
            content_type: i.content_type,
            content_structure: i.content_structure,
            estimated_word_count: i.estimated_word_count,
            status: i.status,
            disabled: i.disabled,
            writer_task_id: non_empty(i.writer_task_id),
            created_at: time(i.created_at),
            updated_at: time(i.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedIdea {
    pub idea_id: String,
    pub task_id: String,
    /// False when the writer already had a task for this idea.
    pub created: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedIdeas {
    pub ideas: Vec<QueuedIdea>,
    /// Ideas that became queued in this call.
    pub queued: u64,
}

impl From<pb::QueueIdeasResponse> for QueuedIdeas {
    fn from(r: pb::QueueIdeasResponse) -> Self {
        Self {
            ideas: r
                .ideas
                .into_iter()
                .map(|q| QueuedIdea {
                    idea_id: q.idea_id,
                    task_id: q.task_id,
                    created: q.created,
                })
                .collect(),
            queued: r.queued,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterFilterOptions {
    pub statuses: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdeaFilterOptions {
    pub statuses: Vec<String>,
    pub content_types: Vec<String>,
    pub content_structures: Vec<String>,
    pub clusters: Vec<ClusterOption>,
}

impl From<pb::IdeaFilterOptionsResponse> for IdeaFilterOptions {
    fn from(o: pb::IdeaFilterOptionsResponse) -> Self {
        Self {
            statuses: o.statuses,
            content_types: o.content_types,
            content_structures: o.content_structures,
            clusters: o.clusters.into_iter().map(Into::into).collect(),
        }
    }
}

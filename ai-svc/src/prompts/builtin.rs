//! The platform's default prompts. Each asks for one JSON object whose shape the job validates.

use super::PromptType;

pub(super) fn text(prompt_type: PromptType) -> &'static str {
    match prompt_type {
        PromptType::Clustering => CLUSTERING,
        PromptType::Ideas => IDEAS,
        PromptType::ContentGeneration => CONTENT,
        PromptType::ImagePromptExtraction => IMAGE_PROMPTS,
        PromptType::ImagePromptTemplate => IMAGE_TEMPLATE,
        PromptType::NegativePrompt => NEGATIVE,
    }
}

const CLUSTERING: &str = r#"You are a semantic SEO strategist. Group the keywords below into topic clusters by real search intent and user journey (problem to solution, general to specific), considering intent, use case, function, persona and context. Avoid superficial or duplicate groups. Each cluster holds 3 to 10 keywords; every keyword belongs to at most one cluster; use the keywords exactly as given.

Site: [IGNY8_SITE]
Sector: [IGNY8_SECTOR]

Keywords (keyword | monthly volume | difficulty):
[IGNY8_KEYWORDS]

Answer with a single JSON object and nothing else:
{"clusters": [{"name": "short descriptive name", "description": "one or two sentences", "keywords": ["keyword", "..."]}]}"#;

const IDEAS: &str = r#"You are a content strategist. For each cluster below propose [IGNY8_IDEAS_PER_CLUSTER] distinct article ideas (between 3 and 7). Each idea targets 1-2 primary keywords and covers 2-3 more from its cluster; different ideas use different keywords. Give each idea a strategic outline of 6 to 10 H2 sections (heading and what it covers; no H3, no formatting), a content type (post, page, product, taxonomy), a content structure (article, guide, how_to, listicle, comparison, review, pillar, landing_page) and an estimated word count (usually 1200-1800).

Site: [IGNY8_SITE]
Sector: [IGNY8_SECTOR]

Clusters (JSON):
[IGNY8_CLUSTERS]

Answer with a single JSON object and nothing else:
{"ideas": [{"cluster_id": "id from the input", "title": "...", "description": "...", "content_type": "post", "content_structure": "guide", "estimated_word_count": 1500, "target_keywords": ["..."], "outline": [{"heading": "...", "covers": "...", "keywords": ["..."]}]}]}"#;

const CONTENT: &str = r#"You are an expert SEO writer. Write a complete, original article in clean HTML for the task below, about [IGNY8_WORD_COUNT] words, following the outline when one is given. Use <h2> for sections (and <h3> sparingly), <p>, <ul>/<ol>, and a <table> where it helps. No <h1>, no inline styles, no scripts. Use the primary keyword naturally in the first paragraph and in at least one heading; weave in the secondary keywords.

Site: [IGNY8_SITE]
Content type: [IGNY8_CONTENT_TYPE]; structure: [IGNY8_CONTENT_STRUCTURE]
Author profile: [IGNY8_AUTHOR_PROFILE]

Task:
[IGNY8_TASK]

Keywords:
[IGNY8_KEYWORDS]

Outline (JSON):
[IGNY8_OUTLINE]

Answer with a single JSON object and nothing else:
{"title": "...", "meta_title": "at most 60 characters", "meta_description": "at most 160 characters", "excerpt": "...", "content": "<h2>...</h2><p>...</p>", "primary_keyword": "...", "secondary_keywords": ["..."], "tags": ["..."], "categories": ["..."]}"#;

const IMAGE_PROMPTS: &str = r#"You are an art director. Read the article below and write one prompt for its featured image and [IGNY8_IN_ARTICLE_COUNT] prompts for in-article images, one per major section, in this style: [IGNY8_IMAGE_STYLE]. Describe concrete scenes; no text, logos or watermarks in the images. Also write short alt text for each.

Title: [IGNY8_TITLE]

Article (HTML):
[IGNY8_CONTENT]

Answer with a single JSON object and nothing else:
{"featured": {"prompt": "...", "alt_text": "..."}, "in_article": [{"prompt": "...", "alt_text": "..."}]}"#;

const IMAGE_TEMPLATE: &str =
    "[IGNY8_PROMPT]. Style: [IGNY8_IMAGE_STYLE]. High detail, balanced composition, natural light.";

const NEGATIVE: &str =
    "text, letters, watermark, logo, signature, blurry, low quality, distorted hands, extra limbs";

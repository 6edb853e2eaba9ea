//! The prompt registry: a built-in prompt per AI function, per-account overrides, and the
//! `[IGNY8_*]` placeholders each prompt may use (checked when an override is saved, filled when
//! a job renders it). Resolution: the account's override, else the built-in.

mod builtin;

use std::fmt;

use igny8_platform::error::FieldErrors;

/// The prompts an account can override (the product's prompt_type keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromptType {
    Clustering,
    Ideas,
    ContentGeneration,
    ImagePromptExtraction,
    ImagePromptTemplate,
    NegativePrompt,
}

impl PromptType {
    pub const ALL: [PromptType; 6] = [
        PromptType::Clustering,
        PromptType::Ideas,
        PromptType::ContentGeneration,
        PromptType::ImagePromptExtraction,
        PromptType::ImagePromptTemplate,
        PromptType::NegativePrompt,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PromptType::Clustering => "clustering",
            PromptType::Ideas => "ideas",
            PromptType::ContentGeneration => "content_generation",
            PromptType::ImagePromptExtraction => "image_prompt_extraction",
            PromptType::ImagePromptTemplate => "image_prompt_template",
            PromptType::NegativePrompt => "negative_prompt",
        }
    }

    pub fn parse(key: &str) -> Option<PromptType> {
        Self::ALL.into_iter().find(|t| t.key() == key)
    }

    /// The built-in text.
    pub fn builtin(self) -> &'static str {
        builtin::text(self)
    }

    /// Placeholders the prompt must contain (the job has nothing to say without them).
    pub fn required(self) -> &'static [Placeholder] {
        use Placeholder::*;
        match self {
            PromptType::Clustering => &[Keywords],
            PromptType::Ideas => &[Clusters],
            PromptType::ContentGeneration => &[Task],
            PromptType::ImagePromptExtraction => &[Content],
            PromptType::ImagePromptTemplate => &[Prompt],
            PromptType::NegativePrompt => &[],
        }
    }

    /// Every placeholder the prompt may contain.
    pub fn allowed(self) -> &'static [Placeholder] {
        use Placeholder::*;
        match self {
            PromptType::Clustering => &[Keywords, Sector, Site],
            PromptType::Ideas => &[Clusters, Sector, Site, IdeasPerCluster],
            PromptType::ContentGeneration => &[
                Task,
                Outline,
                Keywords,
                AuthorProfile,
                WordCount,
                ContentType,
                ContentStructure,
                Site,
            ],
            PromptType::ImagePromptExtraction => &[Content, Title, InArticleCount, ImageStyle],
            PromptType::ImagePromptTemplate => &[Prompt, ImageStyle],
            PromptType::NegativePrompt => &[],
        }
    }
}

impl fmt::Display for PromptType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A value a job fills into a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placeholder {
    Keywords,
    Clusters,
    Sector,
    Site,
    IdeasPerCluster,
    Task,
    Outline,
    AuthorProfile,
    WordCount,
    ContentType,
    ContentStructure,
    Content,
    Title,
    InArticleCount,
    ImageStyle,
    Prompt,
}

impl Placeholder {
    pub const ALL: [Placeholder; 16] = [
        Placeholder::Keywords,
        Placeholder::Clusters,
        Placeholder::Sector,
        Placeholder::Site,
        Placeholder::IdeasPerCluster,
        Placeholder::Task,
        Placeholder::Outline,
        Placeholder::AuthorProfile,
        Placeholder::WordCount,
        Placeholder::ContentType,
        Placeholder::ContentStructure,
        Placeholder::Content,
        Placeholder::Title,
        Placeholder::InArticleCount,
        Placeholder::ImageStyle,
        Placeholder::Prompt,
    ];

    /// The token as written in prompts, e.g. `[IGNY8_KEYWORDS]`.
    pub fn token(self) -> &'static str {
        match self {
            Placeholder::Keywords => "[IGNY8_KEYWORDS]",
            Placeholder::Clusters => "[IGNY8_CLUSTERS]",
            Placeholder::Sector => "[IGNY8_SECTOR]",
            Placeholder::Site => "[IGNY8_SITE]",
            Placeholder::IdeasPerCluster => "[IGNY8_IDEAS_PER_CLUSTER]",
            Placeholder::Task => "[IGNY8_TASK]",
            Placeholder::Outline => "[IGNY8_OUTLINE]",
            Placeholder::AuthorProfile => "[IGNY8_AUTHOR_PROFILE]",
            Placeholder::WordCount => "[IGNY8_WORD_COUNT]",
            Placeholder::ContentType => "[IGNY8_CONTENT_TYPE]",
            Placeholder::ContentStructure => "[IGNY8_CONTENT_STRUCTURE]",
            Placeholder::Content => "[IGNY8_CONTENT]",
            Placeholder::Title => "[IGNY8_TITLE]",
            Placeholder::InArticleCount => "[IGNY8_IN_ARTICLE_COUNT]",
            Placeholder::ImageStyle => "[IGNY8_IMAGE_STYLE]",
            Placeholder::Prompt => "[IGNY8_PROMPT]",
        }
    }

    /// What the placeholder stands for, for the prompt editor's documentation.
    pub fn description(self) -> &'static str {
        match self {
            Placeholder::Keywords => "the keywords, one per line with volume and difficulty",
            Placeholder::Clusters => "the clusters with their keywords, as JSON",
            Placeholder::Sector => "the sector's name",
            Placeholder::Site => "the site's name and domain",
            Placeholder::IdeasPerCluster => "how many ideas to propose per cluster",
            Placeholder::Task => "the task: title, brief, content type and structure",
            Placeholder::Outline => "the idea's outline sections, as JSON",
            Placeholder::AuthorProfile => "the author profile: tone, audience, style",
            Placeholder::WordCount => "the target word count",
            Placeholder::ContentType => "post, page, product or taxonomy",
            Placeholder::ContentStructure => {
                "article, guide, how_to, listicle, comparison, review, pillar or landing_page"
            }
            Placeholder::Content => "the article's HTML",
            Placeholder::Title => "the article's title",
            Placeholder::InArticleCount => "how many in-article image prompts to write",
            Placeholder::ImageStyle => {
                "the account's image style (photorealistic, illustration, ...)"
            }
            Placeholder::Prompt => "the image prompt the AI extracted",
        }
    }
}

/// The longest prompt an account may save.
pub const MAX_PROMPT_CHARS: usize = 20_000;

/// Checks an override before it is saved: length, required placeholders present, and no
/// `[IGNY8_*]` token that this prompt type does not fill (a typo would reach the model raw).
pub fn validate(prompt_type: PromptType, text: &str) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    if text.trim().is_empty() {
        errors.add("prompt_value", "this field is required");
        return Err(errors);
    }
    if text.chars().count() > MAX_PROMPT_CHARS {
        errors.add(
            "prompt_value",
            format!("must be at most {MAX_PROMPT_CHARS} characters"),
        );
    }
    for required in prompt_type.required() {
        if !text.contains(required.token()) {
            errors.add("prompt_value", format!("must contain {}", required.token()));
        }
    }
    for token in tokens_in(text) {
        let known = prompt_type.allowed().iter().any(|p| p.token() == token);
        if !known {
            errors.add(
                "prompt_value",
                format!("{token} is not a placeholder of the {prompt_type} prompt"),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Every `[IGNY8_...]` token in `text`.
fn tokens_in(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("[IGNY8_") {
        let after = &rest[start..];
        match after.find(']') {
            Some(end) => {
                found.push(&after[..=end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}

/// Fills the placeholders; ones without a value become empty.
pub fn render(text: &str, values: &[(Placeholder, &str)]) -> String {
    let mut out = text.to_owned();
    for placeholder in Placeholder::ALL {
        if out.contains(placeholder.token()) {
            let value = values
                .iter()
                .find(|(p, _)| *p == placeholder)
                .map_or("", |(_, v)| *v);
            out = out.replace(placeholder.token(), value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_prompt_passes_its_own_validation() {
        for prompt_type in PromptType::ALL {
            assert!(
                validate(prompt_type, prompt_type.builtin()).is_ok(),
                "{prompt_type}"
            );
            assert_eq!(PromptType::parse(prompt_type.key()), Some(prompt_type));
        }
    }

    #[test]
    fn overrides_need_their_placeholders_and_no_foreign_ones() {
        let missing = validate(PromptType::Clustering, "Group these keywords please.").unwrap_err();
        assert!(missing.0["prompt_value"][0].contains("[IGNY8_KEYWORDS]"));
        let foreign =
            validate(PromptType::Clustering, "[IGNY8_KEYWORDS] for [IGNY8_TASK]").unwrap_err();
        assert!(foreign.0["prompt_value"][0].contains("[IGNY8_TASK] is not a placeholder"));
        assert!(
            validate(
                PromptType::Clustering,
                "Cluster [IGNY8_KEYWORDS] for [IGNY8_SECTOR]"
            )
            .is_ok()
        );
    }

    #[test]
    fn rendering_fills_known_placeholders_and_blanks_missing_ones() {
        let text = "Keywords:\n[IGNY8_KEYWORDS]\nSector: [IGNY8_SECTOR].";
        let rendered = render(text, &[(Placeholder::Keywords, "a\nb")]);
        assert_eq!(rendered, "Keywords:\na\nb\nSector: .");
    }
}

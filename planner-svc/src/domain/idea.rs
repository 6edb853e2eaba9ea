//! Content idea values: types, structures, the outline and target keywords.

use igny8_platform::error::FieldErrors;
use serde::{Deserialize, Serialize};

use super::keyword::KeywordText;

pub const CONTENT_TYPES: &[&str] = &["post", "page", "product", "taxonomy"];
pub const CONTENT_STRUCTURES: &[&str] = &[
    "article",
    "guide",
    "how_to",
    "listicle",
    "comparison",
    "review",
    "pillar",
    "landing_page",
];
pub const STATUSES: &[&str] = &["new", "queued", "completed"];
pub const DEFAULT_WORD_COUNT: i32 = 1000;
pub const MAX_WORD_COUNT: u32 = 20_000;
pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
const MAX_SECTIONS: usize = 30;
const MAX_HEADING_CHARS: usize = 300;
const MAX_COVERS_CHARS: usize = 2_000;
const MAX_KEYWORDS_PER_SECTION: usize = 20;
const MAX_TARGET_KEYWORDS: usize = 50;

/// One outline section as stored (JSONB array element).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub heading: String,
    pub covers: String,
    pub keywords: Vec<String>,
}

/// Trimmed `raw` when it is within `max` characters (and present when `required`).
pub fn text(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
    required: bool,
    max: usize,
) -> String {
    let value = raw.trim();
    if required && value.is_empty() {
        errors.add(field, "this field is required");
    } else if value.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    }
    value.to_owned()
}

/// Keywords normalised and deduplicated ignoring case, order kept.
pub fn keywords(errors: &mut FieldErrors, field: &str, raw: &[String], max: usize) -> Vec<String> {
    if raw.len() > max {
        errors.add(field, format!("at most {max} keywords"));
        return Vec::new();
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, item) in raw.iter().enumerate() {
        match KeywordText::parse(item) {
            Ok(k) => {
                if seen.insert(k.key) {
                    out.push(k.display);
                }
            }
            Err(message) => {
                errors.add(format!("{field}[{i}]"), message);
            }
        }
    }
    out
}

pub fn target_keywords(errors: &mut FieldErrors, raw: &[String]) -> Vec<String> {
    keywords(errors, "target_keywords", raw, MAX_TARGET_KEYWORDS)
}

/// Validates an outline: ordered sections, each with a heading.
pub fn outline(
    errors: &mut FieldErrors,
    raw: &[igny8_proto::planner::v1::OutlineSection],
) -> Vec<Section> {
    if raw.len() > MAX_SECTIONS {
        errors.add("outline", format!("at most {MAX_SECTIONS} sections"));
        return Vec::new();
    }
    raw.iter()
        .enumerate()
        .map(|(i, section)| Section {
            heading: text(
                errors,
                &format!("outline[{i}].heading"),
                &section.heading,
                true,
                MAX_HEADING_CHARS,
            ),
            covers: text(
                errors,
                &format!("outline[{i}].covers"),
                &section.covers,
                false,
                MAX_COVERS_CHARS,
            ),
            keywords: keywords(
                errors,
                &format!("outline[{i}].keywords"),
                &section.keywords,
                MAX_KEYWORDS_PER_SECTION,
            ),
        })
        .collect()
}

/// A word count: 0 means the default.
pub fn word_count(errors: &mut FieldErrors, value: u32) -> i32 {
    match value {
        0 => DEFAULT_WORD_COUNT,
        v if v > MAX_WORD_COUNT => {
            errors.add(
                "estimated_word_count",
                format!("must be at most {MAX_WORD_COUNT}"),
            );
            DEFAULT_WORD_COUNT
        }
        v => v as i32,
    }
}

/// A member of `choices`, `default` when empty.
pub fn choice_or(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
    choices: &[&'static str],
    default: &'static str,
) -> &'static str {
    if raw.trim().is_empty() {
        return default;
    }
    super::keyword::choice(raw, choices).unwrap_or_else(|| {
        errors.add(field, format!("must be one of {}", choices.join(", ")));
        default
    })
}

#[cfg(test)]
mod tests {
    use igny8_proto::planner::v1::OutlineSection;

    use super::*;

    #[test]
    fn outline_sections_need_headings_and_keep_their_order() {
        let mut errors = FieldErrors::new();
        let sections = outline(
            &mut errors,
            &[
                OutlineSection {
                    heading: " Intro ".into(),
                    covers: "why".into(),
                    keywords: vec!["CRM".into(), "crm".into()],
                },
                OutlineSection {
                    heading: "  ".into(),
                    covers: String::new(),
                    keywords: vec![],
                },
            ],
        );
        assert_eq!(sections[0].heading, "Intro");
        assert_eq!(sections[0].keywords, vec!["CRM"]);
        assert_eq!(
            errors.0.keys().collect::<Vec<_>>(),
            vec!["outline[1].heading"]
        );
    }
}

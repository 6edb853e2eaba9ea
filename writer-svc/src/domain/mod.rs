//! Writer rules with no I/O: the closed value sets, the status workflows and field checks.

pub mod html;
pub mod validate;

/// Declares a closed set of string values with `parse` and `as_str`.
macro_rules! value_set {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value.trim() { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted values, comma-separated, for messages.
            pub fn choices() -> String {
                let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                names.join(", ")
            }
        }
    };
}

value_set!(
    /// Where a task stands.
    TaskStatus { Queued = "queued", InProgress = "in_progress", Completed = "completed", Failed = "failed" }
);
value_set!(
    /// What kind of page the content becomes on the site.
    ContentType { Post = "post", Page = "page", Product = "product", Taxonomy = "taxonomy" }
);
value_set!(
    /// The shape of the article.
    ContentStructure {
        Article = "article", Guide = "guide", HowTo = "how_to", Listicle = "listicle",
        Comparison = "comparison", Review = "review", Pillar = "pillar", LandingPage = "landing_page",
    }
);
value_set!(
    /// Where a content item came from.
    ContentSource { Igny8 = "igny8", Wordpress = "wordpress", Import = "import" }
);
value_set!(
    /// The editorial workflow.
    ContentStatus { Draft = "draft", Review = "review", Approved = "approved", Published = "published" }
);
value_set!(
    /// The publishing workflow on the external site.
    SiteStatus {
        NotPublished = "not_published", Scheduled = "scheduled", Publishing = "publishing",
        Published = "published", Failed = "failed",
    }
);
value_set!(
    /// Where an image goes in the content.
    ImageType { Featured = "featured", InArticle = "in_article" }
);
value_set!(
    /// Where an image's generation stands.
    ImageStatus { Pending = "pending", Generated = "generated", Failed = "failed" }
);
value_set!(
    /// The kind of a taxonomy term.
    TaxonomyType { Category = "category", Tag = "tag" }
);

impl ContentStatus {
    /// Editorial moves people may make: submit for review, send back, approve, publish, and
    /// reopen published content as a draft. Staying put is always allowed.
    pub fn can_move_to(self, to: ContentStatus) -> bool {
        use ContentStatus::*;
        self == to
            || matches!(
                (self, to),
                (Draft, Review)
                    | (Review, Draft | Approved)
                    | (Approved, Review | Draft | Published)
                    | (Published, Draft)
            )
    }
}

impl SiteStatus {
    /// Publishing moves: schedule or publish, publishing ends published or failed; a failed or
    /// published item can be scheduled or published again, or taken back to not_published.
    pub fn can_move_to(self, to: SiteStatus) -> bool {
        use SiteStatus::*;
        self == to
            || matches!(
                (self, to),
                (NotPublished, Scheduled | Publishing)
                    | (Scheduled, NotPublished | Publishing)
                    | (Publishing, Published | Failed)
                    | (Published, NotPublished | Publishing)
                    | (Failed, NotPublished | Scheduled | Publishing)
            )
    }
}

/// Default target length of an article.
pub const DEFAULT_WORD_COUNT: u32 = 1000;
pub const MIN_WORD_COUNT: u32 = 100;
pub const MAX_WORD_COUNT: u32 = 20_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_sets_parse_their_own_names_only() {
        for status in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(
            ContentStructure::parse("how_to"),
            Some(ContentStructure::HowTo)
        );
        assert_eq!(ContentType::parse("Post"), None);
        assert_eq!(ImageType::choices(), "featured, in_article");
    }

    #[test]
    fn editorial_workflow_goes_through_review() {
        use ContentStatus::*;
        assert!(Draft.can_move_to(Review));
        assert!(Review.can_move_to(Approved));
        assert!(Approved.can_move_to(Published));
        assert!(Published.can_move_to(Draft));
        assert!(!Draft.can_move_to(Approved));
        assert!(!Draft.can_move_to(Published));
        assert!(!Review.can_move_to(Published));
        assert!(!Published.can_move_to(Approved));
    }

    #[test]
    fn publishing_workflow_passes_through_publishing() {
        use SiteStatus::*;
        assert!(NotPublished.can_move_to(Scheduled));
        assert!(Publishing.can_move_to(Published));
        assert!(Failed.can_move_to(Publishing));
        assert!(!NotPublished.can_move_to(Published));
        assert!(!Scheduled.can_move_to(Failed));
        assert!(!Published.can_move_to(Failed));
    }
}

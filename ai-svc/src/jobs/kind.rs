//! The five AI functions a job runs, with what each takes and how it is priced.

/// One AI function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    AutoCluster,
    GenerateIdeas,
    GenerateContent,
    GenerateImagePrompts,
    GenerateImages,
}

impl JobKind {
    pub const ALL: [JobKind; 5] = [
        JobKind::AutoCluster,
        JobKind::GenerateIdeas,
        JobKind::GenerateContent,
        JobKind::GenerateImagePrompts,
        JobKind::GenerateImages,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::AutoCluster => "auto_cluster",
            JobKind::GenerateIdeas => "generate_ideas",
            JobKind::GenerateContent => "generate_content",
            JobKind::GenerateImagePrompts => "generate_image_prompts",
            JobKind::GenerateImages => "generate_images",
        }
    }

    pub fn parse(value: &str) -> Option<JobKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    pub fn choices() -> String {
        Self::ALL.map(JobKind::as_str).join(", ")
    }

    /// The most input ids one job takes (one prompt must hold them, or one job's run time).
    pub fn max_items(self) -> usize {
        match self {
            JobKind::AutoCluster => 200,
            JobKind::GenerateIdeas => 10,
            JobKind::GenerateContent => 10,
            JobKind::GenerateImagePrompts => 10,
            JobKind::GenerateImages => 50,
        }
    }

    /// The billing operation (cost table row) the job is priced by.
    pub fn operation(self) -> &'static str {
        match self {
            JobKind::AutoCluster => "clustering",
            JobKind::GenerateIdeas => "idea_generation",
            JobKind::GenerateContent => "content_generation",
            JobKind::GenerateImagePrompts => "image_prompt_extraction",
            JobKind::GenerateImages => "image_generation",
        }
    }

    /// What the inputs are, for messages ("keyword 3f2… not found").
    pub fn input_noun(self) -> &'static str {
        match self {
            JobKind::AutoCluster => "keyword",
            JobKind::GenerateIdeas => "cluster",
            JobKind::GenerateContent => "task",
            JobKind::GenerateImagePrompts => "content",
            JobKind::GenerateImages => "image",
        }
    }

    /// Images need an image provider; everything else a text (chat) provider.
    pub fn needs_images(self) -> bool {
        self == JobKind::GenerateImages
    }

    /// The queue (and routing key) workers take this kind's jobs from.
    pub fn queue(self) -> String {
        format!("ai.jobs.{}", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(JobKind::parse("auto_clusters"), None);
    }
}

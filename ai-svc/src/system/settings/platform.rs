//! The platform's own provider keys, read once at start from their key files.

use std::path::Path;

use anyhow::{Context as _, ensure};

use crate::config::ProviderArgs;

/// Provider kinds the platform default may name, per job family.
pub const TEXT_PROVIDERS: [&str; 2] = ["openai", "anthropic"];
pub const IMAGE_PROVIDERS: [&str; 2] = ["openai", "runware"];

/// A provider whose key file is not set has no platform key (accounts may bring their own).
#[derive(Default)]
pub struct PlatformProviders {
    pub openai_key: Option<String>,
    pub anthropic_key: Option<String>,
    pub runware_key: Option<String>,
}

impl PlatformProviders {
    /// Reads every key file that is set, and checks the default provider names; a set but
    /// unreadable or empty file stops the start with the setting's name.
    pub fn load(args: &ProviderArgs) -> anyhow::Result<Self> {
        ensure!(
            TEXT_PROVIDERS.contains(&args.text_provider.as_str()),
            "AI_TEXT_PROVIDER: {:?} is not one of {}",
            args.text_provider,
            TEXT_PROVIDERS.join(", ")
        );
        ensure!(
            IMAGE_PROVIDERS.contains(&args.image_provider.as_str()),
            "AI_IMAGE_PROVIDER: {:?} is not one of {}",
            args.image_provider,
            IMAGE_PROVIDERS.join(", ")
        );
        let read = |path: &Option<std::path::PathBuf>, setting| {
            path.as_deref()
                .map(|path| read_key_file(path, setting))
                .transpose()
        };
        Ok(Self {
            openai_key: read(&args.openai_api_key_file, "OPENAI_API_KEY_FILE")?,
            anthropic_key: read(&args.anthropic_api_key_file, "ANTHROPIC_API_KEY_FILE")?,
            runware_key: read(&args.runware_api_key_file, "RUNWARE_API_KEY_FILE")?,
        })
    }

    /// The platform key of a provider by name (openai, anthropic, runware).
    pub fn key_of(&self, provider: &str) -> Option<&str> {
        match provider {
            "openai" => self.openai_key.as_deref(),
            "anthropic" => self.anthropic_key.as_deref(),
            "runware" => self.runware_key.as_deref(),
            _ => None,
        }
    }
}

fn read_key_file(path: &Path, setting: &str) -> anyhow::Result<String> {
    let raw = std::fs::read_to_string(path)
        .with_context(|| format!("{setting}: cannot read {}", path.display()))?;
    let key = raw.trim();
    ensure!(!key.is_empty(), "{setting}: {} is empty", path.display());
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(key_file: Option<std::path::PathBuf>) -> ProviderArgs {
        let service = igny8_platform::config::ServiceArgs::for_tests(
            "postgres://unused",
            "amqp://unused",
            "",
            ([127, 0, 0, 1], 1).into(),
            Path::new("unused"),
        );
        let addr = ([127, 0, 0, 1], 1).into();
        crate::config::Config::for_tests(
            service,
            addr,
            addr,
            addr,
            "http://127.0.0.1:1",
            key_file,
            "unused".into(),
            "unused".into(),
        )
        .providers
    }

    #[test]
    fn set_key_files_are_read_trimmed_and_unset_ones_stay_empty() {
        let dir = std::env::temp_dir().join(format!("igny8-keys-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, "sk-abc\n").unwrap();
        let mut args = args(Some(file));
        args.runware_api_key_file = None;
        let loaded = PlatformProviders::load(&args).unwrap();
        assert_eq!(loaded.key_of("openai"), Some("sk-abc"));
        assert_eq!(loaded.key_of("anthropic"), Some("sk-abc"));
        assert_eq!(loaded.key_of("runware"), None);
        assert!(
            PlatformProviders::load(&self::args(None))
                .unwrap()
                .openai_key
                .is_none()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unreadable_or_empty_key_files_and_unknown_providers_name_their_setting() {
        let dir = std::env::temp_dir().join(format!("igny8-keys-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty");
        std::fs::write(&empty, " \n").unwrap();
        let mut bad = args(None);
        bad.anthropic_api_key_file = Some(empty);
        let err = PlatformProviders::load(&bad).err().unwrap().to_string();
        assert!(err.contains("ANTHROPIC_API_KEY_FILE"), "{err}");
        let mut missing = args(None);
        missing.openai_api_key_file = Some(dir.join("missing"));
        let err = PlatformProviders::load(&missing).err().unwrap().to_string();
        assert!(err.contains("OPENAI_API_KEY_FILE"), "{err}");
        let mut unknown = args(None);
        unknown.image_provider = "anthropic".into();
        let err = PlatformProviders::load(&unknown).err().unwrap().to_string();
        assert!(err.contains("AI_IMAGE_PROVIDER"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

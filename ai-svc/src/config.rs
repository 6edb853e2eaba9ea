//! ai-svc settings: the shared service settings, its role, peers, platform provider keys,
//! the key that encrypts accounts' own provider keys, and image storage.

use std::path::PathBuf;

use igny8_platform::{config::ServiceArgs, discovery::ServiceAddr, storage::StorageArgs};

pub const DEFAULT_PLANNER_SVC: &str = "http://127.0.0.1:50052";
pub const DEFAULT_WRITER_SVC: &str = "http://127.0.0.1:50053";
pub const DEFAULT_BILLING_SVC: &str = "http://127.0.0.1:50054";

/// What one process does: serve the API, run jobs, or both (local development).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    Api,
    Worker,
    All,
}

impl Role {
    pub fn serves_api(self) -> bool {
        matches!(self, Role::Api | Role::All)
    }

    pub fn runs_jobs(self) -> bool {
        matches!(self, Role::Worker | Role::All)
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    #[command(flatten)]
    pub service: ServiceArgs,
    /// api: gRPC API only; worker: job consumers only (gRPC serves health); all: both.
    #[arg(long, env = "AI_ROLE", value_enum, default_value = "all")]
    pub role: Role,
    /// Jobs one worker process runs at once.
    #[arg(long, env = "WORKER_CONCURRENCY", default_value_t = 4)]
    pub worker_concurrency: u16,
    /// A claimed job's lease; the worker renews it every third of this.
    #[arg(long, env = "JOB_LEASE_SECONDS", default_value_t = 30)]
    pub job_lease_seconds: u32,
    #[arg(long, env = "PLANNER_SVC", default_value = DEFAULT_PLANNER_SVC)]
    pub planner_svc: ServiceAddr,
    #[arg(long, env = "WRITER_SVC", default_value = DEFAULT_WRITER_SVC)]
    pub writer_svc: ServiceAddr,
    #[arg(long, env = "BILLING_SVC", default_value = DEFAULT_BILLING_SVC)]
    pub billing_svc: ServiceAddr,
    #[command(flatten)]
    pub providers: ProviderArgs,
    /// 32 random bytes, base64: encrypts the provider keys accounts store (AES-256-GCM).
    #[arg(
        long,
        env = "AI_SETTINGS_KEY_FILE",
        default_value = ".local/secrets/ai_settings_key"
    )]
    pub settings_key_file: PathBuf,
    /// Where generated image files are kept (the gateway serves them from the same place).
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// The platform's provider endpoints and keys. A provider whose key file is not set is not
/// configured (an account may still bring its own key for it).
#[derive(Debug, Clone, clap::Args)]
pub struct ProviderArgs {
    /// Text provider used when the account chose none: openai or anthropic.
    #[arg(long, env = "AI_TEXT_PROVIDER", default_value = "openai")]
    pub text_provider: String,
    /// Image provider used when the account chose none: openai or runware.
    #[arg(long, env = "AI_IMAGE_PROVIDER", default_value = "openai")]
    pub image_provider: String,
    /// Any OpenAI-compatible server: OpenAI, vLLM, Ollama, llama.cpp, LM Studio.
    #[arg(
        long,
        env = "OPENAI_BASE_URL",
        default_value = "https://api.openai.com/v1"
    )]
    pub openai_base_url: String,
    #[arg(long, env = "OPENAI_API_KEY_FILE")]
    pub openai_api_key_file: Option<PathBuf>,
    #[arg(long, env = "OPENAI_TEXT_MODEL", default_value = "gpt-4o-mini")]
    pub openai_text_model: String,
    #[arg(long, env = "OPENAI_IMAGE_MODEL", default_value = "dall-e-3")]
    pub openai_image_model: String,
    #[arg(
        long,
        env = "ANTHROPIC_BASE_URL",
        default_value = "https://api.anthropic.com"
    )]
    pub anthropic_base_url: String,
    #[arg(long, env = "ANTHROPIC_API_KEY_FILE")]
    pub anthropic_api_key_file: Option<PathBuf>,
    #[arg(long, env = "ANTHROPIC_MODEL", default_value = "claude-sonnet-4-5")]
    pub anthropic_model: String,
    #[arg(
        long,
        env = "RUNWARE_BASE_URL",
        default_value = "https://api.runware.ai"
    )]
    pub runware_base_url: String,
    #[arg(long, env = "RUNWARE_API_KEY_FILE")]
    pub runware_api_key_file: Option<PathBuf>,
    #[arg(long, env = "RUNWARE_MODEL", default_value = "runware:97@1")]
    pub runware_model: String,
    /// Deadline of one provider request.
    #[arg(long, env = "PROVIDER_TIMEOUT_SECONDS", default_value_t = 120)]
    pub provider_timeout_seconds: u64,
    /// Attempts per provider request (retries on 429, 5xx, timeouts).
    #[arg(long, env = "PROVIDER_MAX_ATTEMPTS", default_value_t = 4)]
    pub provider_max_attempts: u32,
    /// Concurrent requests per provider and process.
    #[arg(long, env = "PROVIDER_CONCURRENCY", default_value_t = 8)]
    pub provider_concurrency: usize,
}

impl Config {
    /// Settings for an in-process test: the shared test settings, peers at the given
    /// addresses, every provider pointed at `provider_base` (a fake provider server, with the
    /// OpenAI API under `/v1`, Anthropic at the root and Runware under `/runware`) with the
    /// platform keys in `key_file`, accounts' keys sealed with `settings_key_file`, and images
    /// kept in `image_dir`.
    #[allow(clippy::too_many_arguments)]
    pub fn for_tests(
        service: ServiceArgs,
        planner: std::net::SocketAddr,
        writer: std::net::SocketAddr,
        billing: std::net::SocketAddr,
        provider_base: &str,
        key_file: Option<PathBuf>,
        settings_key_file: PathBuf,
        image_dir: PathBuf,
    ) -> Self {
        let base = provider_base.trim_end_matches('/');
        Self {
            service,
            role: Role::All,
            worker_concurrency: 4,
            job_lease_seconds: 30,
            planner_svc: ServiceAddr::Static(format!("http://{planner}")),
            writer_svc: ServiceAddr::Static(format!("http://{writer}")),
            billing_svc: ServiceAddr::Static(format!("http://{billing}")),
            providers: ProviderArgs {
                text_provider: "openai".into(),
                image_provider: "openai".into(),
                openai_base_url: format!("{base}/v1"),
                openai_api_key_file: key_file.clone(),
                openai_text_model: "gpt-4o-mini".into(),
                openai_image_model: "dall-e-3".into(),
                anthropic_base_url: base.to_owned(),
                anthropic_api_key_file: key_file.clone(),
                anthropic_model: "claude-sonnet-4-5".into(),
                runware_base_url: format!("{base}/runware"),
                runware_api_key_file: key_file,
                runware_model: "runware:97@1".into(),
                provider_timeout_seconds: 5,
                provider_max_attempts: 3,
                provider_concurrency: 8,
            },
            settings_key_file,
            storage: StorageArgs::directory(image_dir),
        }
    }
}

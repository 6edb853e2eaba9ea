//! Turns an account's effective provider choice into a client. Each provider has one shared
//! `Caller` per process, so its concurrency limit holds across all jobs and accounts.

use std::{sync::Arc, time::Duration};

use crate::{
    config::ProviderArgs,
    providers::{
        ChatProvider, ImageProvider,
        anthropic::Anthropic,
        http::{CallPolicy, Caller},
        openai_chat::OpenAiChat,
        openai_images::OpenAiImages,
        runware::Runware,
    },
    system::settings::{ImageProviderKind, ImageTarget, TextProviderKind, TextTarget},
};

#[derive(Clone)]
pub struct ProviderFactory {
    openai_chat: Caller,
    anthropic: Caller,
    openai_images: Caller,
    runware: Caller,
}

impl ProviderFactory {
    pub fn new(args: &ProviderArgs) -> anyhow::Result<Self> {
        let policy = CallPolicy {
            timeout: Duration::from_secs(args.provider_timeout_seconds.max(1)),
            max_attempts: args.provider_max_attempts.max(1),
            ..CallPolicy::default()
        };
        let caller = || Caller::new(policy.clone(), args.provider_concurrency);
        Ok(Self {
            openai_chat: caller()?,
            anthropic: caller()?,
            openai_images: caller()?,
            runware: caller()?,
        })
    }

    pub fn chat(&self, target: &TextTarget) -> Arc<dyn ChatProvider> {
        match target.kind {
            TextProviderKind::OpenAi => Arc::new(OpenAiChat::new(
                self.openai_chat.clone(),
                &target.base_url,
                &target.api_key,
            )),
            TextProviderKind::Anthropic => Arc::new(Anthropic::new(
                self.anthropic.clone(),
                &target.base_url,
                &target.api_key,
            )),
        }
    }

    pub fn image(&self, target: &ImageTarget) -> Arc<dyn ImageProvider> {
        match target.kind {
            ImageProviderKind::OpenAi => Arc::new(OpenAiImages::new(
                self.openai_images.clone(),
                &target.base_url,
                &target.api_key,
            )),
            ImageProviderKind::Runware => Arc::new(Runware::new(
                self.runware.clone(),
                &target.base_url,
                &target.api_key,
            )),
        }
    }
}

//! What one run of a job carries through its steps, and how a step fails.

use std::sync::Arc;

use igny8_platform::grpc::as_service;
use serde::de::DeserializeOwned;
use tonic::{Code, Status};

use super::{
    answer,
    calls::{self, CallRecord},
    progress,
    store::{self, JobOutput, JobRow},
};
use crate::{
    providers::{ChatProvider, ChatRequest, ImageProvider, ProviderError},
    state::AppState,
    system::settings::EffectiveSettings,
};

/// Why a step stopped.
#[derive(Debug)]
pub enum JobError {
    /// The job fails for good with a stable code (its hold is voided).
    Permanent { code: &'static str, message: String },
    /// Infrastructure trouble (a peer down, the database gone): give the job back and retry.
    Transient(anyhow::Error),
    /// A cancel was requested; stop between steps.
    Cancelled,
    /// Another worker holds the job now (our lease ran out): stop without touching it.
    LeaseLost,
}

impl JobError {
    pub fn permanent(code: &'static str, message: impl Into<String>) -> Self {
        JobError::Permanent {
            code,
            message: message.into(),
        }
    }

    /// A provider failure after its own retries: the job fails.
    pub fn provider(err: ProviderError) -> Self {
        let code = match err {
            ProviderError::Exhausted { .. } => "PROVIDER_UNAVAILABLE",
            ProviderError::Refused { .. } => "PROVIDER_REFUSED",
            ProviderError::InvalidResponse(_) => "INVALID_AI_RESPONSE",
        };
        JobError::permanent(code, err.to_string())
    }

    /// A peer's gRPC error: its refusals fail the job, its outages are retried.
    pub fn peer(status: Status, what: &str) -> Self {
        match status.code() {
            Code::NotFound => {
                JobError::permanent("INPUT_GONE", format!("{what}: {}", status.message()))
            }
            Code::InvalidArgument
            | Code::FailedPrecondition
            | Code::PermissionDenied
            | Code::AlreadyExists
            | Code::OutOfRange => {
                JobError::permanent("APPLY_REJECTED", format!("{what}: {}", status.message()))
            }
            _ => JobError::Transient(anyhow::anyhow!("{what}: {status}")),
        }
    }
}

impl From<igny8_platform::Error> for JobError {
    fn from(err: igny8_platform::Error) -> Self {
        JobError::Transient(anyhow::anyhow!(err.to_string()))
    }
}

pub type StepResult<T> = Result<T, JobError>;

/// What a function hands back when it is done. What it costs was attributed to its provider
/// calls as each result was applied (`calls::attribute`), so a cancel mid-way charges exactly
/// what was applied.
pub struct Outcome {
    pub output: JobOutput,
    pub message: String,
}

/// One run of a claimed job.
pub struct JobRun<'a> {
    pub state: &'a AppState,
    pub job: &'a JobRow,
    pub owner: &'a str,
    pub settings: EffectiveSettings,
}

impl JobRun<'_> {
    /// A request to a peer as ai-svc acting for the job's account.
    pub async fn call<T>(&self, message: T) -> StepResult<tonic::Request<T>> {
        let token = self
            .state
            .tokens
            .token()
            .await
            .map_err(|s| JobError::Transient(anyhow::anyhow!("service token: {s}")))?;
        Ok(as_service(
            message,
            &token,
            Some(self.job.account_id),
            &self.job.request_id,
        ))
    }

    /// "Name (domain)" of the job's site, for prompts.
    pub async fn site_label(&self) -> StepResult<String> {
        let request = self
            .call(igny8_proto::auth::v1::IdRequest {
                id: self.job.site_id.to_string(),
            })
            .await?;
        let site = self
            .state
            .auth
            .clone()
            .get_site(request)
            .await
            .map_err(|s| JobError::peer(s, "site"))?
            .into_inner();
        Ok(if site.domain.is_empty() {
            site.name
        } else {
            format!("{} ({})", site.name, site.domain)
        })
    }

    /// The name of a sector, for prompts.
    pub async fn sector_label(&self, sector_id: &str) -> StepResult<String> {
        let request = self
            .call(igny8_proto::auth::v1::IdRequest {
                id: sector_id.to_owned(),
            })
            .await?;
        let sector = self
            .state
            .auth
            .clone()
            .get_sector(request)
            .await
            .map_err(|s| JobError::peer(s, "sector"))?
            .into_inner();
        Ok(sector.name)
    }

    /// The prompt text in force for the account (its override, else the built-in one).
    pub async fn prompt(&self, prompt_type: crate::prompts::PromptType) -> StepResult<String> {
        Ok(crate::system::prompts_store::resolve(
            &self.state.pool,
            self.job.account_id,
            prompt_type,
        )
        .await?)
    }

    /// Credits of `estimate` by the current cost table.
    pub async fn price(
        &self,
        estimate: igny8_proto::billing::v1::EstimateRequest,
    ) -> StepResult<i64> {
        super::settle::price(
            self.state,
            self.job.account_id,
            &self.job.request_id,
            estimate,
        )
        .await
        .map_err(|s| JobError::peer(s, "pricing"))
    }

    /// Records progress; stops the run when the job is no longer ours.
    pub async fn progress(&self, phase: &str, percent: u8, message: &str) -> StepResult<()> {
        if progress::report(
            &self.state.pool,
            self.job.id,
            self.owner,
            phase,
            percent,
            message,
        )
        .await?
        {
            Ok(())
        } else {
            Err(JobError::LeaseLost)
        }
    }

    /// Between steps: stop if a cancel was requested.
    pub async fn checkpoint(&self) -> StepResult<()> {
        if store::cancel_requested(&self.state.pool, self.job.id).await? {
            Err(JobError::Cancelled)
        } else {
            Ok(())
        }
    }

    pub fn chat_provider(&self) -> StepResult<Arc<dyn ChatProvider>> {
        let target = self.settings.text.as_ref().ok_or_else(|| {
            JobError::permanent(
                "AI_PROVIDER_NOT_CONFIGURED",
                "no text provider is configured",
            )
        })?;
        Ok(self.state.providers.chat(target))
    }

    pub fn image_provider(&self) -> StepResult<Arc<dyn ImageProvider>> {
        let target = self.settings.image.as_ref().ok_or_else(|| {
            JobError::permanent(
                "AI_PROVIDER_NOT_CONFIGURED",
                "no image provider is configured",
            )
        })?;
        Ok(self.state.providers.image(target))
    }

    fn chat_request(&self, user: String) -> StepResult<ChatRequest> {
        let target = self.settings.text.as_ref().ok_or_else(|| {
            JobError::permanent(
                "AI_PROVIDER_NOT_CONFIGURED",
                "no text provider is configured",
            )
        })?;
        Ok(ChatRequest {
            model: target.model.clone(),
            system: "You answer with one JSON object exactly as the user asks, and nothing else."
                .to_owned(),
            user,
            temperature: self.settings.temperature,
            max_tokens: self.settings.max_tokens,
        })
    }

    /// Asks the model (or reuses the saved answer of `step`) and reads a `T` from the answer;
    /// an unusable answer gets one repair round (`<step>.repair`). Returns the value and the
    /// calls it took.
    pub async fn ask<T: DeserializeOwned>(
        &self,
        step: &str,
        prompt: String,
        validate: impl Fn(&T) -> Result<(), String>,
    ) -> StepResult<(T, Vec<CallRecord>)> {
        let provider = self.chat_provider()?;
        let request = self.chat_request(prompt.clone())?;
        let first = calls::chat(
            &self.state.pool,
            self.job.id,
            step,
            provider.as_ref(),
            &request,
        )
        .await?;
        let problem = match answer::read(&first.answer, &validate) {
            Ok(value) => return Ok((value, vec![first])),
            Err(problem) => problem,
        };
        tracing::warn!(job_id = %self.job.id, step, problem = %problem, "unusable AI answer; asking for a repair");
        self.checkpoint().await?;
        let repair = self.chat_request(answer::repair_prompt(&prompt, &first.answer, &problem))?;
        let repair_step = format!("{step}.repair");
        let second = calls::chat(
            &self.state.pool,
            self.job.id,
            &repair_step,
            provider.as_ref(),
            &repair,
        )
        .await?;
        match answer::read(&second.answer, &validate) {
            Ok(value) => Ok((value, vec![first, second])),
            Err(problem) => Err(JobError::permanent(
                "INVALID_AI_RESPONSE",
                format!("the AI answer was unusable twice: {problem}"),
            )),
        }
    }
}

//! The AiService gRPC adapter: takes the verified caller and delegates to `jobs` and
//! `system` (each operation decides which roles may act).

use igny8_platform::{RequestContext, Result as OpResult};
use igny8_proto::{
    ai::v1::{self as pb, ai_service_server::AiService},
    common::v1::Empty,
};
use tonic::{Request, Response, Status};

use crate::{
    jobs::{queries, submit, watch},
    state::AppState,
    system::{author_profiles, prompts_store, settings},
};

pub struct AiRpc {
    state: AppState,
}

impl AiRpc {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn reply<T>(result: OpResult<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Into::into)
}

/// Implements the service: the hand-written methods given first, then every unary RPC the
/// same way (the verified caller, then `op(state, ctx, message)`). One macro for the whole impl,
/// since `async_trait` must see every method.
macro_rules! ai_service {
    ({ $($custom:tt)* } $($name:ident($req:ty) -> $resp:ty => $op:path;)*) => {
        #[tonic::async_trait]
        impl AiService for AiRpc {
            $($custom)*
            $(
                #[tracing::instrument(skip_all)]
                async fn $name(&self, request: Request<$req>) -> Result<Response<$resp>, Status> {
                    let ctx = RequestContext::from_request(&request)?.clone();
                    reply($op(&self.state, &ctx, request.into_inner()).await)
                }
            )*
        }
    };
}

ai_service! {
    {
        type WatchJobStream = watch::EventStream;

        #[tracing::instrument(skip_all)]
        async fn submit_job(
            &self,
            request: Request<pb::SubmitJobRequest>,
        ) -> Result<Response<pb::Job>, Status> {
            let ctx = RequestContext::from_request(&request)?.clone();
            // Peers' refusals (NOT_FOUND, INSUFFICIENT_CREDITS) pass through as they are.
            submit::submit(&self.state, &ctx, request.into_inner())
                .await
                .map(Response::new)
        }

        #[tracing::instrument(skip_all)]
        async fn watch_job(
            &self,
            request: Request<pb::WatchJobRequest>,
        ) -> Result<Response<Self::WatchJobStream>, Status> {
            let ctx = RequestContext::from_request(&request)?.clone();
            reply(watch::watch(&self.state, &ctx, request.into_inner()).await)
        }

        #[tracing::instrument(skip_all)]
        async fn list_prompts(
            &self,
            request: Request<Empty>,
        ) -> Result<Response<pb::PromptList>, Status> {
            let ctx = RequestContext::from_request(&request)?.clone();
            reply(prompts_store::list(&self.state, &ctx).await)
        }

        #[tracing::instrument(skip_all)]
        async fn list_author_profiles(
            &self,
            request: Request<Empty>,
        ) -> Result<Response<pb::AuthorProfileList>, Status> {
            let ctx = RequestContext::from_request(&request)?.clone();
            reply(author_profiles::list(&self.state, &ctx).await)
        }

        #[tracing::instrument(skip_all)]
        async fn get_ai_settings(
            &self,
            request: Request<Empty>,
        ) -> Result<Response<pb::AiSettings>, Status> {
            let ctx = RequestContext::from_request(&request)?.clone();
            reply(settings::get(&self.state, &ctx).await)
        }
    }
    get_job(pb::JobIdRequest) -> pb::Job => queries::get;
    list_jobs(pb::ListJobsRequest) -> pb::JobList => queries::list;
    cancel_job(pb::JobIdRequest) -> pb::Job => queries::cancel;
    get_prompt(pb::PromptTypeRequest) -> pb::Prompt => prompts_store::get;
    save_prompt(pb::SavePromptRequest) -> pb::Prompt => prompts_store::save;
    reset_prompt(pb::PromptTypeRequest) -> pb::Prompt => prompts_store::reset;
    get_author_profile(pb::AuthorProfileIdRequest) -> pb::AuthorProfile => author_profiles::get;
    create_author_profile(pb::CreateAuthorProfileRequest) -> pb::AuthorProfile => author_profiles::create;
    update_author_profile(pb::UpdateAuthorProfileRequest) -> pb::AuthorProfile => author_profiles::update;
    delete_author_profile(pb::AuthorProfileIdRequest) -> Empty => author_profiles::delete;
    update_ai_settings(pb::UpdateAiSettingsRequest) -> pb::AiSettings => settings::update;
}

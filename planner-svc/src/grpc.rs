//! The PlannerService gRPC adapter: each method reads the verified caller and delegates to
//! `ops`, where validation, authorisation and SQL live.

use igny8_platform::{RequestContext, Result as OpResult};
use igny8_proto::{
    common::v1::Empty,
    planner::v1::{self as pb, planner_service_server::PlannerService},
};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::{ops, state::AppState};

pub struct PlannerRpc {
    state: AppState,
}

impl PlannerRpc {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// The verified caller (the server layer refused the call already when there is none).
fn caller<T>(request: &Request<T>) -> Result<RequestContext, Status> {
    Ok(RequestContext::from_request(request)?.clone())
}

fn reply<T>(result: OpResult<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Into::into)
}

fn empty(result: OpResult<()>) -> Result<Response<Empty>, Status> {
    reply(result.map(|()| Empty {}))
}

#[tonic::async_trait]
impl PlannerService for PlannerRpc {
    type ExportKeywordsStream = ReceiverStream<Result<pb::CsvChunk, Status>>;

    async fn list_keywords(
        &self,
        request: Request<pb::ListKeywordsRequest>,
    ) -> Result<Response<pb::KeywordList>, Status> {
        let ctx = caller(&request)?;
        reply(ops::keyword_lists::list(&self.state, &ctx, request.into_inner()).await)
    }

    async fn get_keyword(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Keyword>, Status> {
        let ctx = caller(&request)?;
        reply(ops::keywords::get(&self.state, &ctx, request.into_inner()).await)
    }

    async fn create_keyword(
        &self,
        request: Request<pb::CreateKeywordRequest>,
    ) -> Result<Response<pb::Keyword>, Status> {
        let ctx = caller(&request)?;
        reply(ops::keywords::create(&self.state, &ctx, request.into_inner()).await)
    }

    async fn update_keyword(
        &self,
        request: Request<pb::UpdateKeywordRequest>,
    ) -> Result<Response<pb::Keyword>, Status> {
        let ctx = caller(&request)?;
        reply(ops::keywords::update(&self.state, &ctx, request.into_inner()).await)
    }

    async fn delete_keyword(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<Empty>, Status> {
        let ctx = caller(&request)?;
        empty(ops::keywords::delete(&self.state, &ctx, request.into_inner()).await)
    }

    async fn bulk_create_keywords(
        &self,
        request: Request<pb::BulkCreateKeywordsRequest>,
    ) -> Result<Response<pb::KeywordsAdded>, Status> {
        let ctx = caller(&request)?;
        reply(ops::keyword_bulk::bulk_create(&self.state, &ctx, request.into_inner()).await)
    }

    async fn bulk_delete_keywords(
        &self,
        request: Request<pb::IdsRequest>,
    ) -> Result<Response<pb::BulkResult>, Status> {
        let ctx = caller(&request)?;
        reply(ops::keyword_bulk::bulk_delete(&self.state, &ctx, request.into_inner()).await)
    }

    async fn bulk_update_keywords(
        &self,
        request: Request<pb::BulkUpdateKeywordsRequest>,
    ) -> Result<Response<pb::BulkResult>, Status> {
        let ctx = caller(&request)?;
        reply(ops::keyword_bulk::bulk_update(&self.state, &ctx, request.into_inner()).await)
    }

    async fn import_keywords(
        &self,
        request: Request<pb::ImportKeywordsRequest>,
    ) -> Result<Response<pb::KeywordsAdded>, Status> {
        let ctx = caller(&request)?;
        reply(ops::keyword_bulk::import(&self.state, &ctx, request.into_inner()).await)
    }

    async fn export_keywords(
        &self,
        request: Request<pb::KeywordFilter>,
    ) -> Result<Response<Self::ExportKeywordsStream>, Status> {
        let ctx = caller(&request)?;
        let chunks = ops::keyword_lists::export(&self.state, &ctx, request.into_inner()).await?;
        Ok(Response::new(ReceiverStream::new(chunks)))
    }

    async fn keyword_filter_options(
        &self,
        request: Request<pb::KeywordFilter>,
    ) -> Result<Response<pb::KeywordFilterOptionsResponse>, Status> {
        let ctx = caller(&request)?;
        reply(ops::keyword_lists::filter_options(&self.state, &ctx, request.into_inner()).await)
    }

    async fn list_library_keywords(
        &self,
        request: Request<pb::ListLibraryKeywordsRequest>,
    ) -> Result<Response<pb::LibraryKeywordList>, Status> {
        let ctx = caller(&request)?;
        reply(ops::library::list(&self.state, &ctx, request.into_inner()).await)
    }

    async fn import_library_keywords(
        &self,
        request: Request<pb::ImportLibraryKeywordsRequest>,
    ) -> Result<Response<pb::LibraryImportResult>, Status> {
        let ctx = caller(&request)?;
        reply(ops::library::import(&self.state, &ctx, request.into_inner()).await)
    }

    async fn add_keywords_from_library(
        &self,
        request: Request<pb::AddKeywordsFromLibraryRequest>,
    ) -> Result<Response<pb::KeywordsAdded>, Status> {
        let ctx = caller(&request)?;
        reply(ops::library::add_to_sector(&self.state, &ctx, request.into_inner()).await)
    }

    async fn list_clusters(
        &self,
        request: Request<pb::ListClustersRequest>,
    ) -> Result<Response<pb::ClusterList>, Status> {
        let ctx = caller(&request)?;
        reply(ops::cluster_lists::list(&self.state, &ctx, request.into_inner()).await)
    }

    async fn get_cluster(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Cluster>, Status> {
        let ctx = caller(&request)?;
        reply(ops::clusters::get(&self.state, &ctx, request.into_inner()).await)
    }

    async fn create_cluster(
        &self,
        request: Request<pb::CreateClusterRequest>,
    ) -> Result<Response<pb::Cluster>, Status> {
        let ctx = caller(&request)?;
        reply(ops::clusters::create(&self.state, &ctx, request.into_inner()).await)
    }

    async fn update_cluster(
        &self,
        request: Request<pb::UpdateClusterRequest>,
    ) -> Result<Response<pb::Cluster>, Status> {
        let ctx = caller(&request)?;
        reply(ops::clusters::update(&self.state, &ctx, request.into_inner()).await)
    }

    async fn delete_cluster(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<Empty>, Status> {
        let ctx = caller(&request)?;
        empty(ops::clusters::delete(&self.state, &ctx, request.into_inner()).await)
    }

    async fn assign_keywords(
        &self,
        request: Request<pb::AssignKeywordsRequest>,
    ) -> Result<Response<pb::BulkResult>, Status> {
        let ctx = caller(&request)?;
        reply(ops::clusters::assign_keywords(&self.state, &ctx, request.into_inner()).await)
    }

    async fn unassign_keywords(
        &self,
        request: Request<pb::IdsRequest>,
    ) -> Result<Response<pb::BulkResult>, Status> {
        let ctx = caller(&request)?;
        reply(ops::clusters::unassign_keywords(&self.state, &ctx, request.into_inner()).await)
    }

    async fn cluster_filter_options(
        &self,
        request: Request<pb::ClusterFilter>,
    ) -> Result<Response<pb::ClusterFilterOptionsResponse>, Status> {
        let ctx = caller(&request)?;
        reply(ops::cluster_lists::filter_options(&self.state, &ctx, request.into_inner()).await)
    }

    async fn list_ideas(
        &self,
        request: Request<pb::ListIdeasRequest>,
    ) -> Result<Response<pb::IdeaList>, Status> {
        let ctx = caller(&request)?;
        reply(ops::idea_lists::list(&self.state, &ctx, request.into_inner()).await)
    }

    async fn get_idea(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Idea>, Status> {
        let ctx = caller(&request)?;
        reply(ops::ideas::get(&self.state, &ctx, request.into_inner()).await)
    }

    async fn create_idea(
        &self,
        request: Request<pb::CreateIdeaRequest>,
    ) -> Result<Response<pb::Idea>, Status> {
        let ctx = caller(&request)?;
        reply(ops::ideas::create(&self.state, &ctx, request.into_inner()).await)
    }

    async fn update_idea(
        &self,
        request: Request<pb::UpdateIdeaRequest>,
    ) -> Result<Response<pb::Idea>, Status> {
        let ctx = caller(&request)?;
        reply(ops::ideas::update(&self.state, &ctx, request.into_inner()).await)
    }

    async fn delete_idea(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<Empty>, Status> {
        let ctx = caller(&request)?;
        empty(ops::ideas::delete(&self.state, &ctx, request.into_inner()).await)
    }

    async fn bulk_delete_ideas(
        &self,
        request: Request<pb::IdsRequest>,
    ) -> Result<Response<pb::BulkResult>, Status> {
        let ctx = caller(&request)?;
        reply(ops::ideas::bulk_delete(&self.state, &ctx, request.into_inner()).await)
    }

    async fn queue_ideas_to_writer(
        &self,
        request: Request<pb::IdsRequest>,
    ) -> Result<Response<pb::QueueIdeasResponse>, Status> {
        let ctx = caller(&request)?;
        reply(ops::queue::queue_to_writer(&self.state, &ctx, request.into_inner()).await)
    }

    async fn idea_filter_options(
        &self,
        request: Request<pb::IdeaFilter>,
    ) -> Result<Response<pb::IdeaFilterOptionsResponse>, Status> {
        let ctx = caller(&request)?;
        reply(ops::idea_lists::filter_options(&self.state, &ctx, request.into_inner()).await)
    }

    async fn get_keywords_by_ids(
        &self,
        request: Request<pb::IdsRequest>,
    ) -> Result<Response<pb::KeywordsById>, Status> {
        let ctx = caller(&request)?;
        reply(ops::ai_jobs::get_keywords_by_ids(&self.state, &ctx, request.into_inner()).await)
    }

    async fn get_cluster_contexts(
        &self,
        request: Request<pb::IdsRequest>,
    ) -> Result<Response<pb::ClusterContexts>, Status> {
        let ctx = caller(&request)?;
        reply(ops::ai_jobs::get_cluster_contexts(&self.state, &ctx, request.into_inner()).await)
    }

    async fn apply_clusters(
        &self,
        request: Request<pb::ApplyClustersRequest>,
    ) -> Result<Response<pb::ApplyClustersResponse>, Status> {
        let ctx = caller(&request)?;
        reply(ops::ai_jobs::apply_clusters(&self.state, &ctx, request.into_inner()).await)
    }

    async fn apply_ideas(
        &self,
        request: Request<pb::ApplyIdeasRequest>,
    ) -> Result<Response<pb::ApplyIdeasResponse>, Status> {
        let ctx = caller(&request)?;
        reply(ops::ai_jobs::apply_ideas(&self.state, &ctx, request.into_inner()).await)
    }
}

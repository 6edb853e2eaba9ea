//! The WriterService gRPC adapter: takes the verified caller and delegates to `ops`
//! (each operation decides which roles may act).

use igny8_platform::{RequestContext, Result as OpResult};
use igny8_proto::{
    common::v1::Empty,
    writer::v1::{self as pb, writer_service_server::WriterService},
};
use tonic::{Request, Response, Status};

use crate::{ops, state::AppState};

pub struct WriterRpc {
    state: AppState,
}

impl WriterRpc {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// Implements every RPC the same way: the verified caller, then
/// `ops::<module>::<op>(state, ctx, message)`.
macro_rules! writer_service {
    ($($name:ident($req:ty) -> $resp:ty => $($op:ident)::+;)*) => {
        #[tonic::async_trait]
        impl WriterService for WriterRpc {
            $(
                #[tracing::instrument(skip_all)]
                async fn $name(&self, request: Request<$req>) -> Result<Response<$resp>, Status> {
                    let ctx = RequestContext::from_request(&request)?.clone();
                    reply(ops::$($op)::+(&self.state, &ctx, request.into_inner()).await)
                }
            )*
        }
    };
}

fn reply<T>(result: OpResult<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Into::into)
}

writer_service! {
    create_tasks(pb::CreateTasksRequest) -> pb::CreateTasksResponse => tasks_bulk::create_tasks;
    list_tasks(pb::ListTasksRequest) -> pb::TaskList => tasks_edit::list;
    get_task(pb::IdRequest) -> pb::Task => tasks::get;
    create_task(pb::CreateTaskRequest) -> pb::Task => tasks::create;
    update_task(pb::UpdateTaskRequest) -> pb::Task => tasks_edit::update;
    delete_task(pb::IdRequest) -> Empty => tasks_edit::delete;
    bulk_delete_tasks(pb::BulkIdsRequest) -> pb::BulkResult => tasks_bulk::bulk_delete;
    bulk_update_tasks(pb::BulkUpdateTasksRequest) -> pb::BulkResult => tasks_bulk::bulk_update;
    list_content(pb::ListContentRequest) -> pb::ContentList => content_list::list;
    get_content(pb::IdRequest) -> pb::Content => content::get;
    create_content(pb::CreateContentRequest) -> pb::Content => content_create::create;
    update_content(pb::UpdateContentRequest) -> pb::Content => content_edit::update;
    delete_content(pb::IdRequest) -> Empty => content_list::delete;
    bulk_delete_content(pb::BulkIdsRequest) -> pb::BulkResult => content_list::bulk_delete;
    list_content_versions(pb::ListContentVersionsRequest) -> pb::ContentVersionList => content_edit::versions;
    restore_content_version(pb::RestoreContentVersionRequest) -> pb::Content => content_edit::restore;
    list_images(pb::ListImagesRequest) -> pb::ImageList => image_lists::list;
    get_image(pb::IdRequest) -> pb::Image => images::get;
    create_image(pb::CreateImageRequest) -> pb::Image => images::create;
    update_image(pb::UpdateImageRequest) -> pb::Image => images::update;
    delete_image(pb::IdRequest) -> Empty => images::delete;
    bulk_update_image_status(pb::BulkUpdateImageStatusRequest) -> pb::BulkResult => image_lists::bulk_status;
    list_content_images(pb::ListContentImagesRequest) -> pb::ContentImagesList => image_lists::content_images;
    list_taxonomies(pb::ListTaxonomiesRequest) -> pb::TaxonomyList => taxonomies::list;
    get_taxonomy(pb::IdRequest) -> pb::TaxonomyTerm => taxonomies::get;
    create_taxonomy(pb::CreateTaxonomyRequest) -> pb::TaxonomyTerm => taxonomies::create;
    update_taxonomy(pb::UpdateTaxonomyRequest) -> pb::TaxonomyTerm => taxonomies::update;
    delete_taxonomy(pb::IdRequest) -> Empty => taxonomies::delete;
    get_task_context(pb::IdRequest) -> pb::TaskContext => tasks_edit::context;
    get_content_context(pb::IdRequest) -> pb::ContentContext => jobs::content_context;
    apply_generated_content(pb::ApplyGeneratedContentRequest) -> pb::Content => jobs::apply_generated_content;
    apply_image_prompts(pb::ApplyImagePromptsRequest) -> pb::ImageList => image_jobs::apply_prompts;
    apply_image_results(pb::ApplyImageResultsRequest) -> pb::ImageList => image_jobs::apply_results;
    update_publishing_status(pb::UpdatePublishingStatusRequest) -> pb::Content => jobs::update_publishing_status;
}

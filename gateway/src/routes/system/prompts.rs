//! `/api/v1/system/prompts`: every prompt type with the text in force, one by type, saving the
//! account's own text and going back to the built-in one.

use axum::extract::State;
use igny8_proto::{ai::v1 as pb, common::v1::Empty};

use super::dto::{Prompt, PromptTypeIn, SavePromptIn};
use crate::{
    auth::Caller,
    envelope::{Envelope, ListBody, Paginated, SuccessBody},
    error::{ApiResult, ErrorBody},
    extract::{ListQuery, ValidJson},
    state::AppState,
};

/// Every prompt type, with the account's text or the built-in one.
#[utoipa::path(get, path = "/api/v1/system/prompts", tag = "prompts",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "Every prompt type", body = ListBody<Prompt>)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Paginated<Prompt>> {
    let prompts = state
        .clients
        .ai()
        .list_prompts(caller.forward(Empty {}))
        .await?
        .into_inner()
        .prompts;
    Ok(Paginated::all(
        prompts.into_iter().map(Into::into).collect(),
    ))
}

/// One prompt type.
#[utoipa::path(get, path = "/api/v1/system/prompts/by_type", tag = "prompts",
    security(("bearer" = []), ("api_key" = [])),
    params(("prompt_type" = String, Query, description = "clustering, ideas, content_generation, image_prompt_extraction, image_prompt_template or negative_prompt")),
    responses(
        (status = 200, description = "The prompt", body = SuccessBody<Prompt>),
        (status = 400, description = "Missing or unknown `prompt_type`", body = ErrorBody),
    ))]
pub async fn by_type(
    State(state): State<AppState>,
    caller: Caller,
    query: ListQuery,
) -> ApiResult<Envelope<Prompt>> {
    let prompt_type = query.param("prompt_type").unwrap_or_default().trim();
    let prompt = state
        .clients
        .ai()
        .get_prompt(caller.forward(pb::PromptTypeRequest {
            prompt_type: prompt_type.to_owned(),
        }))
        .await?
        .into_inner();
    Ok(Envelope::ok(prompt.into()))
}

/// Saves the account's own text for a prompt type (editors and above).
#[utoipa::path(post, path = "/api/v1/system/prompts/save_prompt", tag = "prompts",
    request_body = SavePromptIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The prompt with the saved text", body = SuccessBody<Prompt>),
        (status = 400, description = "Unknown `prompt_type`, or a `text` missing a required placeholder or using an unknown one", body = ErrorBody),
        (status = 403, description = "Viewers cannot change prompts", body = ErrorBody),
    ))]
pub async fn save(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<SavePromptIn>,
) -> ApiResult<Envelope<Prompt>> {
    let prompt = state
        .clients
        .ai()
        .save_prompt(caller.forward(pb::SavePromptRequest {
            prompt_type: input.prompt_type,
            text: input.text,
        }))
        .await?
        .into_inner();
    Ok(Envelope::ok(prompt.into()).with_message("prompt saved"))
}

/// Drops the account's own text: the built-in one applies again (editors and above).
#[utoipa::path(post, path = "/api/v1/system/prompts/reset_prompt", tag = "prompts",
    request_body = PromptTypeIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The prompt with the built-in text", body = SuccessBody<Prompt>),
        (status = 400, description = "Unknown `prompt_type`", body = ErrorBody),
        (status = 403, description = "Viewers cannot change prompts", body = ErrorBody),
    ))]
pub async fn reset(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<PromptTypeIn>,
) -> ApiResult<Envelope<Prompt>> {
    let prompt = state
        .clients
        .ai()
        .reset_prompt(caller.forward(pb::PromptTypeRequest {
            prompt_type: input.prompt_type,
        }))
        .await?
        .into_inner();
    Ok(Envelope::ok(prompt.into()).with_message("prompt reset to the default"))
}

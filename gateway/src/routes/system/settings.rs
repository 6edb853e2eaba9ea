//! `/api/v1/system/settings/ai`: the account's AI providers, models and defaults. A `PUT`
//! changes only the fields it names; provider keys may be set or removed but are never shown.

use axum::extract::State;
use igny8_proto::common::v1::Empty;

use super::dto::{AiSettings, UpdateAiSettingsIn};
use crate::{
    auth::Caller,
    envelope::{Envelope, SuccessBody},
    error::{ApiResult, ErrorBody},
    extract::ValidJson,
    state::AppState,
};

/// The account's AI settings, and whether text and image jobs can run.
#[utoipa::path(get, path = "/api/v1/system/settings/ai", tag = "ai-settings",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "The settings", body = SuccessBody<AiSettings>)))]
pub async fn get(State(state): State<AppState>, caller: Caller) -> ApiResult<Envelope<AiSettings>> {
    let settings = state
        .clients
        .ai()
        .get_ai_settings(caller.forward(Empty {}))
        .await?
        .into_inner();
    Ok(Envelope::ok(settings.into()))
}

/// Changes the named settings (owners and admins); absent or null fields stay as they are.
#[utoipa::path(put, path = "/api/v1/system/settings/ai", tag = "ai-settings",
    request_body = UpdateAiSettingsIn,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The settings after the change", body = SuccessBody<AiSettings>),
        (status = 400, description = "Invalid input, named by field", body = ErrorBody),
        (status = 403, description = "Only owners and admins change AI settings", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<UpdateAiSettingsIn>,
) -> ApiResult<Envelope<AiSettings>> {
    let settings = state
        .clients
        .ai()
        .update_ai_settings(caller.forward(input.into()))
        .await?
        .into_inner();
    Ok(Envelope::ok(settings.into()).with_message("AI settings saved"))
}

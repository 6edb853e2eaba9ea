//! `/api/v1/system/`: the account's AI prompts, author profiles and AI settings, each a thin
//! translation to ai-svc's gRPC, which validates (naming the field at fault) and enforces
//! roles: everyone reads; editors and above change prompts and profiles; owners and admins
//! change AI settings.

mod author_profiles;
mod dto;
mod prompts;
mod settings;

use axum::{
    Router,
    routing::{get, post},
};
use utoipa::{Modify, OpenApi};

use crate::{error::ErrorBody, state::AppState};

/// The system routes, merged into the authenticated router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/system/prompts", get(prompts::list))
        .route("/api/v1/system/prompts/by_type", get(prompts::by_type))
        .route("/api/v1/system/prompts/save_prompt", post(prompts::save))
        .route("/api/v1/system/prompts/reset_prompt", post(prompts::reset))
        .route(
            "/api/v1/system/author-profiles",
            get(author_profiles::list).post(author_profiles::create),
        )
        .route(
            "/api/v1/system/author-profiles/{id}",
            get(author_profiles::get)
                .patch(author_profiles::update)
                .delete(author_profiles::delete),
        )
        .route(
            "/api/v1/system/settings/ai",
            get(settings::get).put(settings::update),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(
        prompts::list, prompts::by_type, prompts::save, prompts::reset,
        author_profiles::list, author_profiles::create, author_profiles::get,
        author_profiles::update, author_profiles::delete,
        settings::get, settings::update,
    ),
    components(schemas(
        ErrorBody, dto::Prompt, dto::Placeholder, dto::SavePromptIn, dto::PromptTypeIn,
        dto::AuthorProfile, dto::CreateAuthorProfileIn, dto::UpdateAuthorProfileIn,
        dto::AiSettings, dto::UpdateAiSettingsIn,
    )),
    tags(
        (name = "prompts", description = "The account's AI prompts: built-in texts and its own versions"),
        (name = "author-profiles", description = "Voices content is written in"),
        (name = "ai-settings", description = "Providers, models and defaults of the account's AI jobs"),
    )
)]
struct SystemApi;

/// Adds the system routes to the API document (see `openapi::ApiDoc`'s modifiers).
pub struct SystemDoc;

impl Modify for SystemDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(SystemApi::openapi());
    }
}

#[cfg(test)]
mod tests {
    use crate::openapi::ApiDoc;

    use super::*;

    #[test]
    fn the_api_document_describes_the_system_routes_without_echoing_keys() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for (path, method) in [
            ("/api/v1/system/prompts/save_prompt", "post"),
            ("/api/v1/system/author-profiles/{id}", "patch"),
            ("/api/v1/system/settings/ai", "put"),
        ] {
            assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        }
        let schemas = &doc["components"]["schemas"];
        assert!(schemas["UpdateAiSettingsIn"]["properties"]["text_api_key"].is_object());
        assert!(schemas["AiSettings"]["properties"]["text_api_key"].is_null());
        assert!(schemas["AiSettings"]["properties"]["has_text_api_key"].is_object());
    }
}

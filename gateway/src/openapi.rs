//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations, and the
//! Swagger UI that shows it. The UI's assets are compiled into the binary (`vendored`), so
//! nothing is downloaded at build time or fetched from a CDN by the browser.

use axum::Router;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    dto,
    error::ErrorBody,
    routes,
    routes::{
        ai::AiDoc, billing::BillingDoc, planner::PlannerDoc, system::SystemDoc, writer::WriterDoc,
    },
};

pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";
pub const DOCS_PATH: &str = "/api/docs";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "IGNY8 API",
        version = "1",
        description = "REST API of the IGNY8 platform. Every answer is an envelope: \
            `{success, data, message, request_id}`, lists `{success, count, next, previous, results, request_id}`, \
            errors `{success: false, error, code, errors, request_id}`. Authenticate with \
            `Authorization: Bearer <access token>` or, for the WordPress plugin, `X-IGNY8-API-Key`."
    ),
    paths(
        routes::auth::register,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::auth::me,
        routes::auth::change_password,
        routes::auth::request_password_reset,
        routes::auth::confirm_password_reset,
        routes::auth::jwks,
        routes::users::list,
        routes::users::invite,
        routes::users::get,
        routes::users::update,
        routes::users::deactivate,
        routes::account::plans,
        routes::account::get,
        routes::account::update,
        routes::account::update_subscription,
        routes::sites::list,
        routes::sites::create,
        routes::sites::get,
        routes::sites::update,
        routes::sites::delete,
        routes::sites::set_active,
        routes::sites::select_sectors,
        routes::sites::sectors,
        routes::sites::api_keys,
        routes::sites::create_api_key,
        routes::sites::revoke_api_key,
        routes::sectors::list,
        routes::sectors::create,
        routes::sectors::get,
        routes::sectors::update,
        routes::sectors::delete,
        routes::sectors::industries,
    ),
    components(schemas(
        ErrorBody,
        dto::User,
        dto::Account,
        dto::Plan,
        dto::Subscription,
        dto::Site,
        dto::Sector,
        dto::Industry,
        dto::IndustrySector,
        dto::ApiKey,
        dto::CreatedApiKey,
        dto::AuthTokens,
        dto::Jwks,
        dto::Jwk,
    )),
    modifiers(
        &SecuritySchemes, &PlannerDoc, &WriterDoc, &BillingDoc, &AiDoc, &SystemDoc
    ),
    tags(
        (name = "auth", description = "Sign-up, sign-in, tokens and passwords"),
        (name = "users", description = "Users of the caller's account"),
        (name = "account", description = "The account, plans and subscription"),
        (name = "sites", description = "Sites, their sectors and API keys"),
        (name = "sectors", description = "Sectors and industry templates"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-IGNY8-API-Key"))),
        );
    }
}

/// Serves the document and the docs page.
pub fn docs<S: Clone + Send + Sync + 'static>() -> Router<S> {
    SwaggerUi::new(DOCS_PATH)
        .url(DOCUMENT_PATH, ApiDoc::openapi())
        .into()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// The schema behind a response, following one `$ref` into the components.
    fn response_schema<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
        let schema = &doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]
            ["schema"];
        match schema["$ref"].as_str() {
            Some(reference) => {
                &doc["components"]["schemas"][reference.trim_start_matches("#/components/schemas/")]
            }
            None => schema,
        }
    }

    #[test]
    fn responses_describe_the_envelope_around_each_dto() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let login = response_schema(&doc, "/api/v1/auth/login", "post");
        for field in ["success", "data", "message", "request_id"] {
            assert!(login["properties"][field].is_object(), "{field} in {login}");
        }
        // The DTO is inlined as `data`.
        assert!(
            login["properties"]["data"]["properties"]["access"].is_object(),
            "{login}"
        );
        let list = response_schema(&doc, "/api/v1/auth/users", "get");
        for field in ["count", "next", "previous", "results", "request_id"] {
            assert!(list["properties"][field].is_object(), "{field} in {list}");
        }
        let item = list["properties"]["results"]["items"].to_string();
        assert!(
            item.contains("email") || item.contains("#/components/schemas/User"),
            "{list}"
        );
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    }
}

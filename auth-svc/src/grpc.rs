//! The AuthService gRPC adapter: who may call each method, then delegation to `ops`.

use igny8_platform::{RequestContext, Result as OpResult};
use igny8_proto::{
    auth::v1 as pb, auth::v1::auth_service_server::AuthService, common::v1 as common,
};
use tonic::{Request, Response, Status};

use crate::{ops, state::AppState};

/// Full method paths reachable without any token.
pub const ANONYMOUS_METHODS: &[&str] = &[
    "/igny8.auth.v1.AuthService/GetJwks",
    "/igny8.auth.v1.AuthService/IssueServiceToken",
];

pub struct AuthRpc {
    state: AppState,
}

impl AuthRpc {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// The verified caller (the server layer refused the call already when there is none).
fn caller<T>(request: &Request<T>) -> Result<RequestContext, Status> {
    Ok(RequestContext::from_request(request)?.clone())
}

/// The caller, who must be a platform service (the gateway, for sign-in and the like).
fn service_caller<T>(request: &Request<T>) -> Result<RequestContext, Status> {
    let ctx = caller(request)?;
    ctx.service()?;
    Ok(ctx)
}

fn reply<T>(result: OpResult<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Into::into)
}

fn empty(result: OpResult<()>) -> Result<Response<common::Empty>, Status> {
    reply(result.map(|()| common::Empty {}))
}

#[tonic::async_trait]
impl AuthService for AuthRpc {
    async fn register(
        &self,
        request: Request<pb::RegisterRequest>,
    ) -> Result<Response<pb::AuthResult>, Status> {
        let ctx = service_caller(&request)?;
        reply(ops::sessions::register(&self.state, request.into_inner(), &ctx.request_id).await)
    }

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::AuthResult>, Status> {
        service_caller(&request)?;
        reply(ops::sessions::login(&self.state, request.into_inner()).await)
    }

    async fn refresh(
        &self,
        request: Request<pb::RefreshRequest>,
    ) -> Result<Response<pb::AuthResult>, Status> {
        service_caller(&request)?;
        reply(ops::sessions::refresh(&self.state, request.into_inner()).await)
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<common::Empty>, Status> {
        service_caller(&request)?;
        empty(ops::sessions::logout(&self.state, request.into_inner()).await)
    }

    async fn request_password_reset(
        &self,
        request: Request<pb::PasswordResetRequest>,
    ) -> Result<Response<common::Empty>, Status> {
        service_caller(&request)?;
        empty(ops::sessions::request_password_reset(&self.state, request.into_inner()).await)
    }

    async fn confirm_password_reset(
        &self,
        request: Request<pb::PasswordResetConfirm>,
    ) -> Result<Response<common::Empty>, Status> {
        service_caller(&request)?;
        empty(ops::sessions::confirm_password_reset(&self.state, request.into_inner()).await)
    }

    async fn exchange_api_key(
        &self,
        request: Request<pb::ExchangeApiKeyRequest>,
    ) -> Result<Response<pb::ExchangeApiKeyResponse>, Status> {
        service_caller(&request)?;
        reply(ops::api_keys::exchange(&self.state, request.into_inner()).await)
    }

    async fn me(&self, request: Request<common::Empty>) -> Result<Response<pb::User>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sessions::me(&self.state, &ctx).await)
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<common::Empty>, Status> {
        let ctx = caller(&request)?;
        empty(ops::sessions::change_password(&self.state, &ctx, request.into_inner()).await)
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::UserList>, Status> {
        let ctx = caller(&request)?;
        reply(ops::users::list(&self.state, &ctx, request.into_inner()).await)
    }

    async fn get_user(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let ctx = caller(&request)?;
        reply(ops::users::get(&self.state, &ctx, request.into_inner()).await)
    }

    async fn invite_user(
        &self,
        request: Request<pb::InviteUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let ctx = caller(&request)?;
        reply(ops::users::invite(&self.state, &ctx, request.into_inner()).await)
    }

    async fn update_user(
        &self,
        request: Request<pb::UpdateUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let ctx = caller(&request)?;
        reply(ops::users::update(&self.state, &ctx, request.into_inner()).await)
    }

    async fn deactivate_user(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let ctx = caller(&request)?;
        reply(ops::users::deactivate(&self.state, &ctx, request.into_inner()).await)
    }

    async fn list_plans(
        &self,
        request: Request<common::Empty>,
    ) -> Result<Response<pb::PlanList>, Status> {
        caller(&request)?;
        reply(ops::account::list_plans(&self.state).await)
    }

    async fn get_account(
        &self,
        request: Request<common::Empty>,
    ) -> Result<Response<pb::Account>, Status> {
        let ctx = caller(&request)?;
        reply(ops::account::get(&self.state, &ctx).await)
    }

    async fn update_account(
        &self,
        request: Request<pb::UpdateAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let ctx = caller(&request)?;
        reply(ops::account::update(&self.state, &ctx, request.into_inner()).await)
    }

    async fn update_subscription(
        &self,
        request: Request<pb::UpdateSubscriptionRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let ctx = caller(&request)?;
        reply(ops::account::update_subscription(&self.state, &ctx, request.into_inner()).await)
    }

    async fn list_sites(
        &self,
        request: Request<pb::ListSitesRequest>,
    ) -> Result<Response<pb::SiteList>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sites::list(&self.state, &ctx, request.into_inner()).await)
    }

    async fn get_site(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Site>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sites::get(&self.state, &ctx, request.into_inner()).await)
    }

    async fn create_site(
        &self,
        request: Request<pb::CreateSiteRequest>,
    ) -> Result<Response<pb::Site>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sites::create(&self.state, &ctx, request.into_inner()).await)
    }

    async fn update_site(
        &self,
        request: Request<pb::UpdateSiteRequest>,
    ) -> Result<Response<pb::Site>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sites::update(&self.state, &ctx, request.into_inner()).await)
    }

    async fn delete_site(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<common::Empty>, Status> {
        let ctx = caller(&request)?;
        empty(ops::sites::delete(&self.state, &ctx, request.into_inner()).await)
    }

    async fn set_active_site(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Site>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sites::set_active(&self.state, &ctx, request.into_inner()).await)
    }

    async fn select_sectors(
        &self,
        request: Request<pb::SelectSectorsRequest>,
    ) -> Result<Response<pb::SectorList>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sites::select_sectors(&self.state, &ctx, request.into_inner()).await)
    }

    async fn list_sectors(
        &self,
        request: Request<pb::ListSectorsRequest>,
    ) -> Result<Response<pb::SectorList>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sectors::list(&self.state, &ctx, request.into_inner()).await)
    }

    async fn get_sector(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Sector>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sectors::get(&self.state, &ctx, request.into_inner()).await)
    }

    async fn create_sector(
        &self,
        request: Request<pb::CreateSectorRequest>,
    ) -> Result<Response<pb::Sector>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sectors::create(&self.state, &ctx, request.into_inner()).await)
    }

    async fn update_sector(
        &self,
        request: Request<pb::UpdateSectorRequest>,
    ) -> Result<Response<pb::Sector>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sectors::update(&self.state, &ctx, request.into_inner()).await)
    }

    async fn delete_sector(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<common::Empty>, Status> {
        let ctx = caller(&request)?;
        empty(ops::sectors::delete(&self.state, &ctx, request.into_inner()).await)
    }

    async fn list_industries(
        &self,
        request: Request<common::Empty>,
    ) -> Result<Response<pb::IndustryList>, Status> {
        caller(&request)?;
        reply(ops::sites::list_industries(&self.state).await)
    }

    async fn resolve_scope(
        &self,
        request: Request<common::Scope>,
    ) -> Result<Response<pb::ResolvedScope>, Status> {
        let ctx = caller(&request)?;
        reply(ops::sites::resolve_scope(&self.state, &ctx, request.into_inner()).await)
    }

    async fn create_api_key(
        &self,
        request: Request<pb::CreateApiKeyRequest>,
    ) -> Result<Response<pb::CreatedApiKey>, Status> {
        let ctx = caller(&request)?;
        reply(ops::api_keys::create(&self.state, &ctx, request.into_inner()).await)
    }

    async fn list_api_keys(
        &self,
        request: Request<pb::IdRequest>,
    ) -> Result<Response<pb::ApiKeyList>, Status> {
        let ctx = caller(&request)?;
        reply(ops::api_keys::list(&self.state, &ctx, request.into_inner()).await)
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Result<Response<common::Empty>, Status> {
        let ctx = caller(&request)?;
        empty(ops::api_keys::revoke(&self.state, &ctx, request.into_inner()).await)
    }

    async fn get_jwks(
        &self,
        _request: Request<common::Empty>,
    ) -> Result<Response<pb::Jwks>, Status> {
        Ok(Response::new(ops::platform::jwks(&self.state)))
    }

    async fn issue_service_token(
        &self,
        request: Request<pb::ServiceTokenRequest>,
    ) -> Result<Response<pb::ServiceTokenResponse>, Status> {
        reply(ops::platform::service_token(
            &self.state,
            request.into_inner(),
        ))
    }

    async fn security_feed(
        &self,
        request: Request<pb::SecurityFeedRequest>,
    ) -> Result<Response<pb::SecurityFeedResponse>, Status> {
        service_caller(&request)?;
        reply(ops::platform::security_feed(&self.state, request.into_inner()).await)
    }
}

//! The BillingService gRPC adapter: who may call each method, then delegation.
//!
//! Mutations of an account's credits come from platform services acting for that account
//! (service token + `x-igny8-account`); reads are for the account's owners and admins (and
//! services); the cost table's edits and manual adjustments are for the developer role.

use igny8_platform::{Error, Principal, RequestContext, Result as OpResult, Role};
use igny8_proto::{
    billing::v1 as pb, billing::v1::billing_service_server::BillingService, common::v1 as common,
};
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::{
    costs,
    ledger::{
        grants,
        holds::{self, HoldTtl, Resolution},
    },
    reads, usage,
};

pub struct BillingRpc {
    pool: PgPool,
    ttl: HoldTtl,
}

impl BillingRpc {
    pub fn new(pool: PgPool, ttl: HoldTtl) -> Self {
        Self { pool, ttl }
    }
}

fn caller<T>(request: &Request<T>) -> Result<RequestContext, Status> {
    Ok(RequestContext::from_request(request)?.clone())
}

/// A platform service acting for an account: (account, service name).
fn acting_service(ctx: &RequestContext) -> OpResult<(Uuid, String)> {
    let name = ctx.service()?.to_owned();
    Ok((ctx.account_id()?, name))
}

/// The account whose billing the caller may read: owners, admins and developers of it, or a
/// service acting for it. Editors, viewers and site keys are refused.
fn reader(ctx: &RequestContext) -> OpResult<Uuid> {
    match &ctx.principal {
        Principal::Service { .. } => ctx.account_id(),
        Principal::User { role, .. } if role.at_least(Role::Admin) => ctx.account_id(),
        _ => Err(Error::permission_denied(
            "billing is visible to account owners and admins only",
        )),
    }
}

/// A signed-in developer (platform staff): their user id, for the audit trail.
fn developer(ctx: &RequestContext) -> OpResult<String> {
    match &ctx.principal {
        Principal::User {
            user_id,
            role: Role::Developer,
            ..
        } => Ok(format!("user:{user_id}")),
        _ => Err(Error::permission_denied("this needs the developer role")),
    }
}

fn reply<T>(result: OpResult<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Into::into)
}

#[tonic::async_trait]
impl BillingService for BillingRpc {
    async fn hold(
        &self,
        request: Request<pb::HoldRequest>,
    ) -> Result<Response<pb::HoldResult>, Status> {
        let (account, service) = acting_service(&caller(&request)?)?;
        reply(holds::hold(&self.pool, account, request.get_ref(), self.ttl, &service).await)
    }

    async fn capture(
        &self,
        request: Request<pb::CaptureRequest>,
    ) -> Result<Response<pb::HoldResult>, Status> {
        let (account, service) = acting_service(&caller(&request)?)?;
        let req = request.into_inner();
        let resolution = Resolution::Capture(req.actual_milli);
        reply(
            holds::resolve(
                &self.pool,
                account,
                &req.idempotency_key,
                &req.hold_id,
                resolution,
                &service,
            )
            .await,
        )
    }

    async fn void(
        &self,
        request: Request<pb::VoidRequest>,
    ) -> Result<Response<pb::HoldResult>, Status> {
        let (account, service) = acting_service(&caller(&request)?)?;
        let req = request.into_inner();
        reply(
            holds::resolve(
                &self.pool,
                account,
                &req.idempotency_key,
                &req.hold_id,
                Resolution::Void,
                &service,
            )
            .await,
        )
    }

    async fn get_hold(
        &self,
        request: Request<pb::GetHoldRequest>,
    ) -> Result<Response<pb::Hold>, Status> {
        let (account, _) = acting_service(&caller(&request)?)?;
        reply(holds::get(&self.pool, account, &request.get_ref().hold_id).await)
    }

    async fn grant(
        &self,
        request: Request<pb::GrantRequest>,
    ) -> Result<Response<pb::TransferResult>, Status> {
        let (account, service) = acting_service(&caller(&request)?)?;
        reply(grants::grant(&self.pool, account, request.get_ref(), &service).await)
    }

    async fn record_usage(
        &self,
        request: Request<pb::RecordUsageRequest>,
    ) -> Result<Response<pb::UsageRecord>, Status> {
        let (account, _) = acting_service(&caller(&request)?)?;
        reply(usage::record(&self.pool, account, request.get_ref()).await)
    }

    async fn get_balance(
        &self,
        request: Request<common::Empty>,
    ) -> Result<Response<pb::Balance>, Status> {
        let account = reader(&caller(&request)?)?;
        reply(reads::balance(&self.pool, account).await)
    }

    async fn list_transactions(
        &self,
        request: Request<pb::ListTransactionsRequest>,
    ) -> Result<Response<pb::TransactionList>, Status> {
        let account = reader(&caller(&request)?)?;
        reply(reads::transactions(&self.pool, account, request.get_ref()).await)
    }

    async fn usage(
        &self,
        request: Request<pb::UsageRequest>,
    ) -> Result<Response<pb::UsageReport>, Status> {
        let account = reader(&caller(&request)?)?;
        reply(usage::report(&self.pool, account, request.get_ref()).await)
    }

    async fn usage_summary(
        &self,
        request: Request<pb::UsageRequest>,
    ) -> Result<Response<pb::UsageSummaryReport>, Status> {
        let account = reader(&caller(&request)?)?;
        reply(usage::summary(&self.pool, account, request.get_ref()).await)
    }

    async fn estimate(
        &self,
        request: Request<pb::EstimateRequest>,
    ) -> Result<Response<pb::EstimateResponse>, Status> {
        reader(&caller(&request)?)?;
        reply(costs::estimate(&self.pool, request.get_ref()).await)
    }

    async fn get_cost_config(
        &self,
        request: Request<common::Empty>,
    ) -> Result<Response<pb::CostConfig>, Status> {
        reader(&caller(&request)?)?;
        reply(costs::get(&self.pool).await)
    }

    async fn update_cost_config(
        &self,
        request: Request<pb::UpdateCostConfigRequest>,
    ) -> Result<Response<pb::CostConfig>, Status> {
        let who = developer(&caller(&request)?)?;
        reply(costs::update(&self.pool, request.get_ref(), &who).await)
    }

    async fn admin_adjust(
        &self,
        request: Request<pb::AdminAdjustRequest>,
    ) -> Result<Response<pb::TransferResult>, Status> {
        let who = developer(&caller(&request)?)?;
        reply(grants::admin_adjust(&self.pool, request.get_ref(), &who).await)
    }
}

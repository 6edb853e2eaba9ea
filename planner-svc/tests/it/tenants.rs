//! Tenants for tests: accounts with a site and sectors, plans, team members of a role,
//! developers, and site API keys, all made through auth-svc as a client would.

use igny8_proto::auth::v1 as auth;

use crate::helpers::{PASSWORD, Tenant, TestEnv, bearer, unique_email};

impl TestEnv {
    /// Registers an account and gives it a site with two sectors.
    pub async fn tenant(&self) -> Tenant {
        let gateway = self.service_token("gateway").await;
        let registered = self
            .auth()
            .register(bearer(
                auth::RegisterRequest {
                    email: unique_email(),
                    password: PASSWORD.into(),
                    first_name: "Test".into(),
                    last_name: "Owner".into(),
                    account_name: "Planner test".into(),
                },
                &gateway,
            ))
            .await
            .expect("register")
            .into_inner();
        let user = registered.user.expect("user");
        let token = registered.access;
        let (site_id, sectors) = self.site(&token).await;
        Tenant {
            token,
            user_id: user.id,
            account_id: user.account.expect("account").id,
            site_id,
            sectors,
        }
    }

    /// A new site of the token's account with the saas and cybersecurity sectors.
    pub async fn site(&self, token: &str) -> (String, Vec<String>) {
        let site = self
            .auth()
            .create_site(bearer(
                auth::CreateSiteRequest {
                    name: format!("Site {}", igny8_test_support::unique_tag()),
                    domain: String::new(),
                    description: String::new(),
                    industry_slug: "technology".into(),
                },
                token,
            ))
            .await
            .expect("create site")
            .into_inner();
        let sectors = self
            .auth()
            .select_sectors(bearer(
                auth::SelectSectorsRequest {
                    site_id: site.id.clone(),
                    industry_slug: "technology".into(),
                    sector_slugs: vec!["saas".into(), "cybersecurity".into()],
                },
                token,
            ))
            .await
            .expect("select sectors")
            .into_inner()
            .sectors;
        (site.id, sectors.into_iter().map(|s| s.id).collect())
    }

    /// Moves the account to a plan (by slug) through auth-svc, as billing would.
    pub async fn set_plan(&self, tenant: &Tenant, plan_slug: &str) {
        let service = self.service_token("billing-svc").await;
        self.auth()
            .update_subscription(bearer(
                auth::UpdateSubscriptionRequest {
                    account_id: tenant.account_id.clone(),
                    plan_slug: Some(plan_slug.into()),
                    status: None,
                    start_new_period: false,
                },
                &service,
            ))
            .await
            .expect("plan change");
    }

    /// Creates a plan with room for `max_keywords` (none of the catalogue's holds 50,000).
    pub async fn big_plan(&self, tenant: &Tenant, max_keywords: i32) {
        let slug = format!("test-{}", igny8_test_support::unique_tag());
        sqlx::query(
            "INSERT INTO auth.plans (id, slug, name, price_cents, max_sites, max_users, max_keywords, \
             max_sectors_per_site, included_credits, sort_order) VALUES ($1, $2, 'Test', 0, 10, 10, $3, 10, 0, 99)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(&slug)
        .bind(max_keywords)
        .execute(&self.auth_pool)
        .await
        .expect("test plan");
        self.set_plan(tenant, &slug).await;
    }

    /// Signs in a new member of the tenant's account with `role` (its password copied from the
    /// owner's, since invitations are finished by mail).
    pub async fn member(&self, tenant: &Tenant, role: &str) -> String {
        let email = unique_email();
        let user = self
            .auth()
            .invite_user(bearer(
                auth::InviteUserRequest {
                    email: email.clone(),
                    first_name: "Team".into(),
                    last_name: "Member".into(),
                    role: role.into(),
                },
                &tenant.token,
            ))
            .await
            .expect("invite")
            .into_inner();
        self.copy_password_and_login(&tenant.user_id, &user.id, &email)
            .await
    }

    /// Makes the tenant's owner a developer and signs them in again.
    pub async fn developer(&self, tenant: &Tenant) -> String {
        let email: String = sqlx::query_scalar(
            "UPDATE auth.users SET role = 'developer' WHERE id = $1::uuid RETURNING email",
        )
        .bind(&tenant.user_id)
        .fetch_one(&self.auth_pool)
        .await
        .expect("promote");
        self.login(&email).await
    }

    async fn copy_password_and_login(&self, from: &str, to: &str, email: &str) -> String {
        sqlx::query(
            "UPDATE auth.users SET password_hash = (SELECT password_hash FROM auth.users WHERE id = $1::uuid) \
             WHERE id = $2::uuid",
        )
        .bind(from)
        .bind(to)
        .execute(&self.auth_pool)
        .await
        .expect("set password");
        self.login(email).await
    }

    async fn login(&self, email: &str) -> String {
        let gateway = self.service_token("gateway").await;
        self.auth()
            .login(bearer(
                auth::LoginRequest {
                    email: email.into(),
                    password: PASSWORD.into(),
                },
                &gateway,
            ))
            .await
            .expect("login")
            .into_inner()
            .access
    }

    /// A site API key's token (what the gateway exchanges the key for).
    pub async fn site_key_token(&self, tenant: &Tenant, site_id: &str) -> String {
        let key = self
            .auth()
            .create_api_key(bearer(
                auth::CreateApiKeyRequest {
                    site_id: site_id.into(),
                    name: "WordPress".into(),
                },
                &tenant.token,
            ))
            .await
            .expect("api key")
            .into_inner()
            .plaintext;
        let gateway = self.service_token("gateway").await;
        self.auth()
            .exchange_api_key(bearer(auth::ExchangeApiKeyRequest { key }, &gateway))
            .await
            .expect("exchange")
            .into_inner()
            .access
    }
}

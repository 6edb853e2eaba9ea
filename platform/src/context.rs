//! Who is calling: the verified identity every service reads from the request extensions.

use std::fmt;

use uuid::Uuid;

use crate::error::{Error, Result};

/// A user's role inside an account; ordered by what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Developer,
    Owner,
    Admin,
    SystemBot,
    Editor,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Developer,
        Role::Owner,
        Role::Admin,
        Role::SystemBot,
        Role::Editor,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Developer => "developer",
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::SystemBot => "system_bot",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|role| role.as_str() == value)
    }

    /// Higher ranks may do everything lower ranks may.
    fn rank(self) -> u8 {
        match self {
            Role::Developer => 100,
            Role::Owner => 90,
            Role::Admin => 80,
            Role::SystemBot => 70,
            Role::Editor => 60,
            Role::Viewer => 10,
        }
    }

    pub fn at_least(self, min: Role) -> bool {
        self.rank() >= min.rank()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A signed-in user; `session_id` names the refresh-token family the access token came from.
    User {
        user_id: Uuid,
        account_id: Uuid,
        role: Role,
        session_id: Uuid,
    },
    /// A site API key (the WordPress plugin): editor rights on one site only.
    SiteKey {
        key_id: Uuid,
        account_id: Uuid,
        site_id: Uuid,
    },
    /// A platform service, optionally acting for one account (a worker on a job).
    Service {
        name: String,
        account_id: Option<Uuid>,
    },
}

/// Identity plus correlation data of one request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub principal: Principal,
    /// The bearer token as received, forwarded on calls made for this request.
    pub bearer: String,
    pub request_id: String,
    pub traceparent: Option<String>,
}

impl RequestContext {
    /// The account every query of this request is confined to.
    pub fn account_id(&self) -> Result<Uuid> {
        match &self.principal {
            Principal::User { account_id, .. } | Principal::SiteKey { account_id, .. } => {
                Ok(*account_id)
            }
            Principal::Service {
                account_id: Some(id),
                ..
            } => Ok(*id),
            Principal::Service {
                account_id: None, ..
            } => Err(Error::permission_denied(
                "a service call must name the account it acts for",
            )),
        }
    }

    /// The effective role: site keys act as editors, services as system bots.
    pub fn role(&self) -> Role {
        match &self.principal {
            Principal::User { role, .. } => *role,
            Principal::SiteKey { .. } => Role::Editor,
            Principal::Service { .. } => Role::SystemBot,
        }
    }

    /// Fails with PermissionDenied unless the caller's role is at least `min`.
    pub fn require_role(&self, min: Role) -> Result<()> {
        if self.role().at_least(min) {
            Ok(())
        } else {
            Err(Error::permission_denied(format!(
                "this action needs the {min} role or higher"
            )))
        }
    }

    /// The signed-in user, or PermissionDenied for keys and services.
    pub fn user(&self) -> Result<(Uuid, Uuid, Role, Uuid)> {
        match &self.principal {
            Principal::User {
                user_id,
                account_id,
                role,
                session_id,
            } => Ok((*user_id, *account_id, *role, *session_id)),
            _ => Err(Error::permission_denied(
                "this action needs a signed-in user",
            )),
        }
    }

    /// The one site a site key may touch; `None` for users and services.
    pub fn site_restriction(&self) -> Option<Uuid> {
        match &self.principal {
            Principal::SiteKey { site_id, .. } => Some(*site_id),
            _ => None,
        }
    }

    /// Fails with NotFound when the caller is confined to another site (so it cannot tell
    /// whether the site exists).
    pub fn check_site(&self, site_id: Uuid, entity: &'static str) -> Result<()> {
        match self.site_restriction() {
            Some(allowed) if allowed != site_id => Err(Error::NotFound(entity)),
            _ => Ok(()),
        }
    }

    /// The calling service's name, or PermissionDenied for users and keys.
    pub fn service(&self) -> Result<&str> {
        match &self.principal {
            Principal::Service { name, .. } => Ok(name),
            _ => Err(Error::permission_denied(
                "only platform services may call this",
            )),
        }
    }

    /// Reads the context the server layer put into the request's extensions.
    pub fn from_request<T>(request: &tonic::Request<T>) -> Result<&RequestContext> {
        request
            .extensions()
            .get::<RequestContext>()
            .ok_or_else(|| Error::unauthenticated("missing credentials"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_rank_from_developer_down_to_viewer() {
        assert!(Role::Owner.at_least(Role::Admin));
        assert!(Role::Admin.at_least(Role::Editor));
        assert!(!Role::Viewer.at_least(Role::Editor));
        assert!(!Role::Editor.at_least(Role::Admin));
        assert_eq!(Role::parse("system_bot"), Some(Role::SystemBot));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn site_keys_are_editors_confined_to_one_site() {
        let site = Uuid::new_v4();
        let ctx = RequestContext {
            principal: Principal::SiteKey {
                key_id: Uuid::new_v4(),
                account_id: Uuid::new_v4(),
                site_id: site,
            },
            bearer: String::new(),
            request_id: "r".into(),
            traceparent: None,
        };
        assert_eq!(ctx.role(), Role::Editor);
        assert!(ctx.check_site(site, "site").is_ok());
        assert!(matches!(
            ctx.check_site(Uuid::new_v4(), "site"),
            Err(Error::NotFound("site"))
        ));
        assert!(ctx.user().is_err());
    }
}

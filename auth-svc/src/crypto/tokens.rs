//! Signing access, site and service tokens (EdDSA JWTs with `kid`).

use chrono::Utc;
use igny8_platform::{
    Role,
    token::{AUDIENCE, Claims, ISSUER, PublicKey, TokenKind},
};
use jsonwebtoken::{Algorithm, Header};
use uuid::Uuid;

use super::keys::SigningKeyPair;

/// A signed token and its life in seconds.
pub struct Signed {
    pub token: String,
    pub expires_in: i64,
}

/// Signs with the current key; publishes it and the previous keys still accepted.
pub struct TokenIssuer {
    current: SigningKeyPair,
    previous: Vec<PublicKey>,
    pub access_ttl: i64,
    pub site_ttl: i64,
    pub service_ttl: i64,
}

impl TokenIssuer {
    pub fn new(
        current: SigningKeyPair,
        previous: Vec<PublicKey>,
        access_ttl: i64,
        site_ttl: i64,
        service_ttl: i64,
    ) -> Self {
        Self {
            current,
            previous,
            access_ttl,
            site_ttl,
            service_ttl,
        }
    }

    /// Every key a valid token may name, the signing key first.
    pub fn public_keys(&self) -> Vec<PublicKey> {
        std::iter::once(self.current.public.clone())
            .chain(self.previous.iter().cloned())
            .collect()
    }

    pub fn user_token(
        &self,
        user_id: Uuid,
        account_id: Uuid,
        role: Role,
        session_id: Uuid,
    ) -> anyhow::Result<Signed> {
        self.sign(
            user_id.to_string(),
            Some(account_id),
            role.as_str(),
            TokenKind::User,
            Some(session_id),
            None,
            self.access_ttl,
        )
    }

    pub fn site_token(
        &self,
        key_id: Uuid,
        account_id: Uuid,
        site_id: Uuid,
    ) -> anyhow::Result<Signed> {
        self.sign(
            key_id.to_string(),
            Some(account_id),
            Role::Editor.as_str(),
            TokenKind::Site,
            None,
            Some(site_id),
            self.site_ttl,
        )
    }

    pub fn service_token(&self, service: &str) -> anyhow::Result<Signed> {
        self.sign(
            service.to_owned(),
            None,
            Role::SystemBot.as_str(),
            TokenKind::Service,
            None,
            None,
            self.service_ttl,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn sign(
        &self,
        sub: String,
        account: Option<Uuid>,
        role: &str,
        kind: TokenKind,
        sid: Option<Uuid>,
        site: Option<Uuid>,
        ttl: i64,
    ) -> anyhow::Result<Signed> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub,
            account,
            role: role.to_owned(),
            exp: now + ttl,
            iat: now,
            jti: Uuid::new_v4(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            kind,
            sid,
            site,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.current.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.current.encoding)?;
        Ok(Signed {
            token,
            expires_in: ttl,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use igny8_platform::token::{TokenError, TokenVerifier};

    use super::*;
    use crate::crypto::keys::{SigningKeyPair, generate_pem};

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(
            SigningKeyPair::from_pem(&generate_pem().unwrap()).unwrap(),
            vec![],
            900,
            300,
            3600,
        )
    }

    #[test]
    fn issued_tokens_verify_with_the_published_keys_only() {
        let issuer = issuer();
        let verifier = Arc::new(TokenVerifier::new());
        verifier.set_keys(&issuer.public_keys());
        let (user, account, sid) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let signed = issuer.user_token(user, account, Role::Editor, sid).unwrap();
        let claims = verifier.verify(&signed.token).unwrap();
        assert_eq!(claims.sub, user.to_string());
        assert_eq!(claims.account, Some(account));
        assert_eq!(claims.sid, Some(sid));
        assert_eq!(claims.kind, TokenKind::User);

        let stranger = issuer_token_from_other_key();
        assert_eq!(verifier.verify(&stranger), Err(TokenError::UnknownKey));
    }

    fn issuer_token_from_other_key() -> String {
        issuer().service_token("gateway").unwrap().token
    }
}

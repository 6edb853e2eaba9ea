//! What every operation needs: the pool, the token issuer, the mailer and the settings.

use std::sync::Arc;

use sqlx::PgPool;

use crate::{config::Config, crypto::tokens::TokenIssuer, mail::Mailer};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub issuer: Arc<TokenIssuer>,
    pub mailer: Mailer,
    pub config: Arc<Config>,
    /// The secret platform services present for a service token.
    pub service_secret: Arc<str>,
}

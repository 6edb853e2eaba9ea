//! Author profiles: the voice content jobs write in. Names are unique per account ignoring
//! case; at most one profile per account is the default (the one jobs use), and setting one
//! clears the others in the same transaction.

use chrono::{DateTime, Utc};
use igny8_platform::{
    Error, RequestContext, Result, Role,
    error::FieldErrors,
    wire::{parse_id, ts},
};
use igny8_proto::{ai::v1 as pb, common::v1::Empty};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::state::AppState;

const ENTITY: &str = "author profile";
const NAME_INDEX: &str = "author_profiles_account_name";
const MAX_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 1000;
const MAX_TONE: usize = 100;
const MAX_AUDIENCE: usize = 500;
const MAX_STYLE: usize = 2000;
const DEFAULT_LANGUAGE: &str = "en";

const COLUMNS: &str =
    "id, name, description, tone, audience, style, language, is_default, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ProfileRow {
    id: Uuid,
    name: String,
    description: String,
    tone: String,
    audience: String,
    style: String,
    language: String,
    is_default: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ProfileRow> for pb::AuthorProfile {
    fn from(p: ProfileRow) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name,
            description: p.description,
            tone: p.tone,
            audience: p.audience,
            style: p.style,
            language: p.language,
            is_default: p.is_default,
            created_at: Some(ts(p.created_at)),
            updated_at: Some(ts(p.updated_at)),
        }
    }
}

/// A profile's editable fields, trimmed and checked.
#[derive(Debug)]
struct Fields {
    name: String,
    description: String,
    tone: String,
    audience: String,
    style: String,
    language: String,
    is_default: bool,
}

impl Fields {
    /// Normalises the fields (trims, lowercases the language, "" language = en) and checks
    /// them, naming each bad one.
    fn validated(mut self) -> Result<Self> {
        let mut errors = FieldErrors::new();
        for (field, value, max) in [
            ("name", &mut self.name, MAX_NAME),
            ("description", &mut self.description, MAX_DESCRIPTION),
            ("tone", &mut self.tone, MAX_TONE),
            ("audience", &mut self.audience, MAX_AUDIENCE),
            ("style", &mut self.style, MAX_STYLE),
        ] {
            *value = value.trim().to_owned();
            if value.chars().count() > max {
                errors.add(field, format!("must be at most {max} characters"));
            }
        }
        if self.name.is_empty() {
            errors.add("name", "this field is required");
        }
        self.language = self.language.trim().to_ascii_lowercase();
        if self.language.is_empty() {
            self.language = DEFAULT_LANGUAGE.to_owned();
        }
        if !(self.language.len() == 2 && self.language.bytes().all(|b| b.is_ascii_lowercase())) {
            errors.add("language", "must be a two-letter ISO 639-1 code, e.g. en");
        }
        errors.into_result()?;
        Ok(self)
    }
}

fn duplicate_name(err: Error) -> Error {
    if err.is_unique_violation(NAME_INDEX) {
        Error::already_exists(
            "DUPLICATE_AUTHOR_PROFILE",
            "an author profile with this name already exists",
        )
    } else {
        err
    }
}

/// Serialises the account's profile writes, so two that both set a default cannot both win.
async fn lock_account(conn: &mut PgConnection, account_id: Uuid) -> Result<()> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended('ai.author_profiles:' || $1::text, 0))",
    )
    .bind(account_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn clear_default(conn: &mut PgConnection, account_id: Uuid, except: Uuid) -> Result<()> {
    sqlx::query(
        "UPDATE ai.author_profiles SET is_default = false, updated_at = now() \
         WHERE account_id = $1 AND is_default AND id <> $2",
    )
    .bind(account_id)
    .bind(except)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn load(conn: &mut PgConnection, account_id: Uuid, id: Uuid) -> Result<ProfileRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ai.author_profiles WHERE id = $1 AND account_id = $2"
    )))
    .bind(id)
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound(ENTITY))
}

pub async fn list(state: &AppState, ctx: &RequestContext) -> Result<pb::AuthorProfileList> {
    let rows: Vec<ProfileRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ai.author_profiles WHERE account_id = $1 \
         ORDER BY is_default DESC, lower(name), id"
    )))
    .bind(ctx.account_id()?)
    .fetch_all(&state.pool)
    .await?;
    Ok(pb::AuthorProfileList {
        profiles: rows.into_iter().map(Into::into).collect(),
    })
}

pub async fn get(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::AuthorProfileIdRequest,
) -> Result<pb::AuthorProfile> {
    let id = parse_id(&req.id, ENTITY)?;
    let mut conn = state.pool.acquire().await?;
    Ok(load(&mut conn, ctx.account_id()?, id).await?.into())
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::CreateAuthorProfileRequest,
) -> Result<pb::AuthorProfile> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let fields = Fields {
        name: req.name,
        description: req.description,
        tone: req.tone,
        audience: req.audience,
        style: req.style,
        language: req.language,
        is_default: req.is_default,
    }
    .validated()?;
    let id = Uuid::now_v7();
    let mut tx = state.pool.begin().await?;
    lock_account(&mut tx, account_id).await?;
    if fields.is_default {
        clear_default(&mut tx, account_id, id).await?;
    }
    let row: ProfileRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO ai.author_profiles \
         (id, account_id, name, description, tone, audience, style, language, is_default) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(account_id)
    .bind(&fields.name)
    .bind(&fields.description)
    .bind(&fields.tone)
    .bind(&fields.audience)
    .bind(&fields.style)
    .bind(&fields.language)
    .bind(fields.is_default)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| duplicate_name(e.into()))?;
    tx.commit().await?;
    Ok(row.into())
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::UpdateAuthorProfileRequest,
) -> Result<pb::AuthorProfile> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let id = parse_id(&req.id, ENTITY)?;
    let mut tx = state.pool.begin().await?;
    lock_account(&mut tx, account_id).await?;
    let current = load(&mut tx, account_id, id).await?;
    let fields = Fields {
        name: req.name.unwrap_or(current.name),
        description: req.description.unwrap_or(current.description),
        tone: req.tone.unwrap_or(current.tone),
        audience: req.audience.unwrap_or(current.audience),
        style: req.style.unwrap_or(current.style),
        language: req.language.unwrap_or(current.language),
        is_default: req.is_default.unwrap_or(current.is_default),
    }
    .validated()?;
    if fields.is_default {
        clear_default(&mut tx, account_id, id).await?;
    }
    let row: ProfileRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE ai.author_profiles SET name = $3, description = $4, tone = $5, audience = $6, \
         style = $7, language = $8, is_default = $9, updated_at = now() \
         WHERE id = $1 AND account_id = $2 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(account_id)
    .bind(&fields.name)
    .bind(&fields.description)
    .bind(&fields.tone)
    .bind(&fields.audience)
    .bind(&fields.style)
    .bind(&fields.language)
    .bind(fields.is_default)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| duplicate_name(e.into()))?;
    tx.commit().await?;
    Ok(row.into())
}

pub async fn delete(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::AuthorProfileIdRequest,
) -> Result<Empty> {
    ctx.require_role(Role::Editor)?;
    let id = parse_id(&req.id, ENTITY)?;
    let deleted = sqlx::query("DELETE FROM ai.author_profiles WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(ctx.account_id()?)
        .execute(&state.pool)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(Error::NotFound(ENTITY));
    }
    Ok(Empty {})
}

/// The profile content jobs write with, if the account marked one as default.
pub async fn default_for(pool: &PgPool, account_id: Uuid) -> Result<Option<pb::AuthorProfile>> {
    let row: Option<ProfileRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ai.author_profiles WHERE account_id = $1 AND is_default"
    )))
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, language: &str) -> Fields {
        Fields {
            name: name.into(),
            description: String::new(),
            tone: " friendly ".into(),
            audience: String::new(),
            style: String::new(),
            language: language.into(),
            is_default: false,
        }
    }

    fn field_names(err: Error) -> Vec<String> {
        match err {
            Error::Validation(fields) => fields.0.into_keys().collect(),
            other => panic!("validation error expected, got {other:?}"),
        }
    }

    #[test]
    fn fields_are_trimmed_and_the_language_defaults_to_english() {
        let ok = fields("  Ann  ", "").validated().unwrap();
        assert_eq!((ok.name.as_str(), ok.tone.as_str()), ("Ann", "friendly"));
        assert_eq!(ok.language, "en");
        assert_eq!(fields("Ann", " DE ").validated().unwrap().language, "de");
    }

    #[test]
    fn bad_fields_are_named() {
        assert_eq!(
            field_names(fields("   ", "en").validated().unwrap_err()),
            ["name"]
        );
        assert_eq!(
            field_names(fields("Ann", "eng").validated().unwrap_err()),
            ["language"]
        );
        let mut long = fields(&"n".repeat(MAX_NAME + 1), "e1");
        long.style = "s".repeat(MAX_STYLE + 1);
        assert_eq!(
            field_names(long.validated().unwrap_err()),
            ["language", "name", "style"]
        );
    }
}

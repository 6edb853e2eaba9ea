//! Accounts' prompt overrides: list, read, save (validated against the registry), reset, and
//! the text a job uses (the override, else the built-in).

use chrono::{DateTime, Utc};
use igny8_platform::{RequestContext, Result, Role, error::FieldErrors, wire::ts};
use igny8_proto::ai::v1 as pb;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    prompts::{self, PromptType},
    state::AppState,
};

#[derive(sqlx::FromRow)]
struct OverrideRow {
    prompt_type: String,
    text: String,
    updated_at: DateTime<Utc>,
}

/// The prompt in force for `prompt_type`, with its documentation.
fn to_pb(prompt_type: PromptType, custom: Option<OverrideRow>) -> pb::Prompt {
    let required = prompt_type.required();
    let placeholders = prompt_type
        .allowed()
        .iter()
        .map(|p| pb::PlaceholderDoc {
            token: p.token().to_owned(),
            description: p.description().to_owned(),
            required: required.contains(p),
        })
        .collect();
    let default_text = prompt_type.builtin().to_owned();
    let (text, is_custom, updated_at) = match custom {
        Some(row) => (row.text, true, Some(ts(row.updated_at))),
        None => (default_text.clone(), false, None),
    };
    pb::Prompt {
        prompt_type: prompt_type.key().to_owned(),
        text,
        default_text,
        is_custom,
        placeholders,
        updated_at,
    }
}

fn parse_type(value: &str) -> Result<PromptType> {
    PromptType::parse(value.trim()).ok_or_else(|| {
        let choices: Vec<&str> = PromptType::ALL.iter().map(|t| t.key()).collect();
        FieldErrors::single(
            "prompt_type",
            format!("must be one of {}", choices.join(", ")),
        )
    })
}

async fn load_override(
    pool: &PgPool,
    account_id: Uuid,
    prompt_type: PromptType,
) -> Result<Option<OverrideRow>> {
    Ok(sqlx::query_as(
        "SELECT prompt_type, text, updated_at FROM ai.prompts \
         WHERE account_id = $1 AND prompt_type = $2",
    )
    .bind(account_id)
    .bind(prompt_type.key())
    .fetch_optional(pool)
    .await?)
}

pub async fn list(state: &AppState, ctx: &RequestContext) -> Result<pb::PromptList> {
    let mut overrides: Vec<OverrideRow> = sqlx::query_as(
        "SELECT prompt_type, text, updated_at FROM ai.prompts WHERE account_id = $1",
    )
    .bind(ctx.account_id()?)
    .fetch_all(&state.pool)
    .await?;
    let prompts = PromptType::ALL
        .into_iter()
        .map(|prompt_type| {
            let custom = overrides
                .iter()
                .position(|row| row.prompt_type == prompt_type.key())
                .map(|i| overrides.swap_remove(i));
            to_pb(prompt_type, custom)
        })
        .collect();
    Ok(pb::PromptList { prompts })
}

pub async fn get(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::PromptTypeRequest,
) -> Result<pb::Prompt> {
    let prompt_type = parse_type(&req.prompt_type)?;
    let custom = load_override(&state.pool, ctx.account_id()?, prompt_type).await?;
    Ok(to_pb(prompt_type, custom))
}

pub async fn save(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::SavePromptRequest,
) -> Result<pb::Prompt> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let prompt_type = parse_type(&req.prompt_type)?;
    // The registry reports under its own field name; the API's field is `text`.
    prompts::validate(prompt_type, &req.text).map_err(|errors| {
        let mut renamed = FieldErrors::new();
        for message in errors.0.into_values().flatten() {
            renamed.add("text", message);
        }
        igny8_platform::Error::Validation(renamed)
    })?;
    let row: OverrideRow = sqlx::query_as(
        "INSERT INTO ai.prompts (account_id, prompt_type, text) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, prompt_type) DO UPDATE SET text = EXCLUDED.text, updated_at = now() \
         RETURNING prompt_type, text, updated_at",
    )
    .bind(account_id)
    .bind(prompt_type.key())
    .bind(&req.text)
    .fetch_one(&state.pool)
    .await?;
    tracing::info!(%account_id, prompt_type = prompt_type.key(), "prompt override saved");
    Ok(to_pb(prompt_type, Some(row)))
}

pub async fn reset(
    state: &AppState,
    ctx: &RequestContext,
    req: pb::PromptTypeRequest,
) -> Result<pb::Prompt> {
    ctx.require_role(Role::Editor)?;
    let account_id = ctx.account_id()?;
    let prompt_type = parse_type(&req.prompt_type)?;
    sqlx::query("DELETE FROM ai.prompts WHERE account_id = $1 AND prompt_type = $2")
        .bind(account_id)
        .bind(prompt_type.key())
        .execute(&state.pool)
        .await?;
    Ok(to_pb(prompt_type, None))
}

/// The text a job renders: the account's override, else the built-in one.
pub async fn resolve(pool: &PgPool, account_id: Uuid, prompt_type: PromptType) -> Result<String> {
    Ok(load_override(pool, account_id, prompt_type)
        .await?
        .map_or_else(|| prompt_type.builtin().to_owned(), |row| row.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_prompt_types_name_the_field() {
        let err = parse_type("summaries").unwrap_err();
        let igny8_platform::Error::Validation(fields) = err else {
            panic!("validation error expected");
        };
        assert!(fields.0["prompt_type"][0].contains("content_generation"));
        assert_eq!(parse_type(" ideas ").unwrap(), PromptType::Ideas);
    }

    #[test]
    fn the_builtin_prompt_documents_its_placeholders() {
        let prompt = to_pb(PromptType::Clustering, None);
        assert!(!prompt.is_custom);
        assert_eq!(prompt.text, prompt.default_text);
        let keywords = prompt
            .placeholders
            .iter()
            .find(|p| p.token == "[IGNY8_KEYWORDS]")
            .expect("keywords placeholder");
        assert!(keywords.required);
        assert!(!keywords.description.is_empty());
        assert!(
            prompt
                .placeholders
                .iter()
                .any(|p| p.token == "[IGNY8_SECTOR]" && !p.required)
        );
    }
}

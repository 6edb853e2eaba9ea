-- ai-svc: per-account prompt overrides, author profiles and AI settings. Runs with
-- search_path = ai.

-- An account's own text for a prompt; without a row the built-in text applies.
CREATE TABLE ai.prompts (
    account_id UUID NOT NULL,
    prompt_type TEXT NOT NULL CHECK (prompt_type IN ('clustering', 'ideas', 'content_generation',
        'image_prompt_extraction', 'image_prompt_template', 'negative_prompt')),
    text TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, prompt_type)
);

CREATE TABLE ai.author_profiles (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL,
    name TEXT NOT NULL CHECK (name <> ''),
    description TEXT NOT NULL DEFAULT '',
    tone TEXT NOT NULL DEFAULT '',
    audience TEXT NOT NULL DEFAULT '',
    style TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2}$'),
    is_default BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX author_profiles_account_name ON ai.author_profiles (account_id, lower(name));
-- The profile content jobs use: at most one per account.
CREATE UNIQUE INDEX author_profiles_one_default ON ai.author_profiles (account_id) WHERE is_default;

-- One row per account that changed anything; empty strings and zeros mean "the default".
CREATE TABLE ai.settings (
    account_id UUID PRIMARY KEY,
    text_provider TEXT NOT NULL DEFAULT '' CHECK (text_provider IN ('', 'openai', 'anthropic')),
    text_model TEXT NOT NULL DEFAULT '',
    temperature REAL NOT NULL DEFAULT 0.7 CHECK (temperature BETWEEN 0 AND 2),
    max_tokens INT NOT NULL DEFAULT 0 CHECK (max_tokens BETWEEN 0 AND 32000),
    image_provider TEXT NOT NULL DEFAULT '' CHECK (image_provider IN ('', 'openai', 'runware')),
    image_model TEXT NOT NULL DEFAULT '',
    image_style TEXT NOT NULL DEFAULT '',
    image_quality TEXT NOT NULL DEFAULT '' CHECK (image_quality IN ('', 'standard', 'hd')),
    in_article_images INT NOT NULL DEFAULT 2 CHECK (in_article_images BETWEEN 0 AND 8),
    content_append TEXT NOT NULL DEFAULT '',
    default_word_count INT NOT NULL DEFAULT 0
        CHECK (default_word_count = 0 OR default_word_count BETWEEN 300 AND 5000),
    -- The account's own provider keys, AES-256-GCM sealed (nonce || ciphertext, the account id
    -- as associated data), and their last four characters for display.
    text_api_key_enc BYTEA,
    text_api_key_hint TEXT NOT NULL DEFAULT '',
    image_api_key_enc BYTEA,
    image_api_key_hint TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

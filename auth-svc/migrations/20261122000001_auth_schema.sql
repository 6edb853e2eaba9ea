-- auth-svc schema: tenancy, identity, sessions, keys. Runs with search_path = auth.

CREATE TABLE auth.plans (
    id UUID PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    billing_cycle TEXT NOT NULL DEFAULT 'monthly',
    max_sites INT NOT NULL CHECK (max_sites >= 0),
    max_users INT NOT NULL CHECK (max_users >= 1),
    max_keywords INT NOT NULL CHECK (max_keywords >= 0),
    max_sectors_per_site INT NOT NULL CHECK (max_sectors_per_site >= 0),
    -- whole credits; billing stores milli-credits
    included_credits BIGINT NOT NULL CHECK (included_credits >= 0),
    is_default BOOLEAN NOT NULL DEFAULT false,
    is_active BOOLEAN NOT NULL DEFAULT true,
    sort_order INT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX plans_one_default ON auth.plans ((true)) WHERE is_default;

CREATE TABLE auth.accounts (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    owner_user_id UUID,
    plan_id UUID NOT NULL REFERENCES auth.plans (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE auth.subscriptions (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL UNIQUE REFERENCES auth.accounts (id) ON DELETE CASCADE,
    plan_id UUID NOT NULL REFERENCES auth.plans (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'trial', 'past_due', 'suspended', 'cancelled')),
    current_period_start TIMESTAMPTZ NOT NULL,
    current_period_end TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE auth.users (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    -- NULL until an invited user sets a password
    password_hash TEXT,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('developer', 'owner', 'admin', 'editor', 'viewer', 'system_bot')),
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_email_key ON auth.users (lower(email));
CREATE INDEX users_account ON auth.users (account_id, created_at, id);

ALTER TABLE auth.accounts
    ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_user_id) REFERENCES auth.users (id)
    DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE auth.industries (
    id UUID PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    sort_order INT NOT NULL DEFAULT 0
);

CREATE TABLE auth.industry_sectors (
    id UUID PRIMARY KEY,
    industry_id UUID NOT NULL REFERENCES auth.industries (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    sort_order INT NOT NULL DEFAULT 0,
    UNIQUE (industry_id, slug)
);

CREATE TABLE auth.sites (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    domain TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    industry_id UUID REFERENCES auth.industries (id),
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT sites_account_slug_key UNIQUE (account_id, slug)
);
CREATE INDEX sites_account ON auth.sites (account_id, created_at, id);

CREATE TABLE auth.sectors (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
    site_id UUID NOT NULL REFERENCES auth.sites (id) ON DELETE CASCADE,
    industry_sector_id UUID REFERENCES auth.industry_sectors (id),
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT sectors_site_slug_key UNIQUE (site_id, slug)
);
CREATE INDEX sectors_account_site ON auth.sectors (account_id, site_id, created_at, id);

CREATE TABLE auth.api_keys (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
    site_id UUID NOT NULL REFERENCES auth.sites (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- first characters of the key, shown so people can tell keys apart
    prefix TEXT NOT NULL,
    -- SHA-256 of the whole key; the key itself is never stored
    key_hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_site ON auth.api_keys (site_id, created_at);

-- Rotating refresh tokens; a family is one sign-in session (its id is the access token's sid).
CREATE TABLE auth.refresh_tokens (
    id UUID PRIMARY KEY,
    family_id UUID NOT NULL,
    user_id UUID NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON auth.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON auth.refresh_tokens (user_id) WHERE revoked_at IS NULL;

CREATE TABLE auth.password_reset_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

-- What the gateway must learn about tokens it has already seen (see SecurityFeed).
CREATE TABLE auth.security_events (
    seq BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('user_revoked', 'session_revoked', 'account_status', 'api_key_revoked')),
    subject_id UUID NOT NULL,
    not_before BIGINT,
    status TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Transactional outbox and inbox (igny8-platform outbox/inbox modules).
CREATE TABLE auth.outbox (
    seq BIGSERIAL PRIMARY KEY,
    message_id UUID NOT NULL UNIQUE,
    exchange TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    message_type TEXT NOT NULL,
    payload BYTEA NOT NULL,
    request_id TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_unpublished ON auth.outbox (seq) WHERE published_at IS NULL;

CREATE TABLE auth.inbox (
    consumer TEXT NOT NULL,
    message_id UUID NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);

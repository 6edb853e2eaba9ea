-- billing-svc: the credit ledger. Runs with search_path = billing.
--
-- Integer milli-credits everywhere (1 credit = 1000). Money moves only as transfers whose entries
-- sum to zero across pools:
--   account pools  plan, bonus          available credits (plan is spent first)
--                  held_plan, held_bonus reserved by open holds, by the pool they came from
--                  spent                 charged by captures
--   external pools source                every credit that ever entered (negative)
--                  sink                  credits that left unspent (expired plan, removals)
-- So for every account: granted (-source) - removed (sink) = plan + bonus + held + spent.
-- Transfers and entries are append-only (triggers below refuse UPDATE and DELETE).

-- The per-account projection of the entries, kept in the same transaction as each transfer.
-- Its row lock (SELECT ... FOR UPDATE) serialises every change of one account, which is what
-- keeps concurrent holds exact; the CHECKs are the last line of defence against overdraft.
CREATE TABLE billing.balances (
    account_id UUID PRIMARY KEY,
    plan BIGINT NOT NULL DEFAULT 0 CHECK (plan >= 0),
    bonus BIGINT NOT NULL DEFAULT 0 CHECK (bonus >= 0),
    held_plan BIGINT NOT NULL DEFAULT 0 CHECK (held_plan >= 0),
    held_bonus BIGINT NOT NULL DEFAULT 0 CHECK (held_bonus >= 0),
    spent BIGINT NOT NULL DEFAULT 0 CHECK (spent >= 0),
    -- Bumped when plan credits are reset or revoked: a hold's plan part taken in an older epoch
    -- expires on release instead of returning to the new period's plan pool.
    plan_epoch BIGINT NOT NULL DEFAULT 0,
    -- Start of the subscription period whose plan credits the plan pool holds; NULL when
    -- none were granted yet or they were revoked (see src/events.rs for the rule).
    plan_period_start TIMESTAMPTZ,
    -- Subscription facts from auth-svc events (NULL until the first event arrives).
    plan_slug TEXT,
    plan_included BIGINT NOT NULL DEFAULT 0 CHECK (plan_included >= 0),
    subscription_status TEXT,
    period_start TIMESTAMPTZ,
    period_end TIMESTAMPTZ,
    subscription_event_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX balances_past_due ON billing.balances (period_start)
    WHERE subscription_status = 'past_due' AND plan_period_start IS NOT NULL;

CREATE TABLE billing.transfers (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES billing.balances (account_id),
    kind TEXT NOT NULL CHECK (kind IN ('plan_period', 'plan_revoke', 'purchase', 'refund',
        'adjustment', 'hold', 'capture', 'release', 'expire')),
    idempotency_key TEXT NOT NULL,
    -- SHA-256 of the operation and its arguments: same key + other arguments = conflict.
    fingerprint TEXT NOT NULL,
    hold_id UUID,
    reason TEXT NOT NULL DEFAULT '',
    -- plan + bonus after this transfer (the product's balance_after).
    available_after BIGINT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT transfers_idempotency_key UNIQUE (account_id, idempotency_key)
);
CREATE INDEX transfers_account_time ON billing.transfers (account_id, created_at DESC, id DESC);
CREATE INDEX transfers_account_kind_time ON billing.transfers (account_id, kind, created_at DESC);

CREATE TABLE billing.entries (
    transfer_id UUID NOT NULL REFERENCES billing.transfers (id),
    pool TEXT NOT NULL CHECK (pool IN ('plan', 'bonus', 'held_plan', 'held_bonus', 'spent',
        'source', 'sink')),
    amount BIGINT NOT NULL CHECK (amount <> 0),
    PRIMARY KEY (transfer_id, pool)
);

-- Every transfer balances: checked at commit, once all its entries are in.
CREATE FUNCTION billing.entries_sum_to_zero() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT sum(amount) FROM billing.entries WHERE transfer_id = NEW.transfer_id) <> 0 THEN
        RAISE EXCEPTION 'entries of transfer % do not sum to zero', NEW.transfer_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT ON billing.entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing.entries_sum_to_zero();

CREATE FUNCTION billing.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON billing.transfers
    FOR EACH ROW EXECUTE FUNCTION billing.refuse_change();
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON billing.entries
    FOR EACH ROW EXECUTE FUNCTION billing.refuse_change();

-- Holds. The money of a hold lives in the entries of its hold/capture/release/expire
-- transfers; this row is its state. Its one permitted change is the single transition
-- held -> captured|voided|expired (enforced below), chosen over an append-only resolution row
-- because "resolves at most once" is then one guarded UPDATE ... WHERE status = 'held', and
-- the sweeper finds open holds through a partial index that holds only open holds.
CREATE TABLE billing.holds (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES billing.balances (account_id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    plan_part BIGINT NOT NULL CHECK (plan_part >= 0),
    bonus_part BIGINT NOT NULL CHECK (bonus_part >= 0),
    plan_epoch BIGINT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    operation TEXT NOT NULL DEFAULT '',
    job_id TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'held'
        CHECK (status IN ('held', 'captured', 'voided', 'expired')),
    captured BIGINT NOT NULL DEFAULT 0 CHECK (captured >= 0 AND captured <= amount),
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at TIMESTAMPTZ,
    resolution_transfer_id UUID REFERENCES billing.transfers (id),
    CHECK (plan_part + bonus_part = amount),
    CHECK ((status = 'held') = (resolved_at IS NULL))
);
CREATE INDEX holds_open_expiry ON billing.holds (expires_at) WHERE status = 'held';
CREATE INDEX holds_account ON billing.holds (account_id, created_at DESC);

CREATE FUNCTION billing.holds_resolve_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'holds are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status <> 'held' OR NEW.status = 'held'
        OR (NEW.id, NEW.account_id, NEW.amount, NEW.plan_part, NEW.bonus_part, NEW.plan_epoch,
            NEW.reason, NEW.operation, NEW.job_id, NEW.expires_at, NEW.created_at)
           IS DISTINCT FROM
           (OLD.id, OLD.account_id, OLD.amount, OLD.plan_part, OLD.bonus_part, OLD.plan_epoch,
            OLD.reason, OLD.operation, OLD.job_id, OLD.expires_at, OLD.created_at) THEN
        RAISE EXCEPTION 'a hold resolves once, from held, and nothing else of it changes'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER holds_resolve_once BEFORE UPDATE OR DELETE ON billing.holds
    FOR EACH ROW EXECUTE FUNCTION billing.holds_resolve_once();

-- One row per AI call, for usage analytics (the ledger holds the money).
CREATE TABLE billing.usage (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    operation TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    input_tokens BIGINT NOT NULL CHECK (input_tokens >= 0),
    output_tokens BIGINT NOT NULL CHECK (output_tokens >= 0),
    cost_micros BIGINT NOT NULL CHECK (cost_micros >= 0),
    credits BIGINT NOT NULL CHECK (credits >= 0),
    job_id TEXT NOT NULL DEFAULT '',
    object_type TEXT NOT NULL DEFAULT '',
    object_id TEXT NOT NULL DEFAULT '',
    hold_id UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT usage_idempotency_key UNIQUE (account_id, idempotency_key)
);
CREATE INDEX usage_account_time ON billing.usage (account_id, created_at);
CREATE TRIGGER usage_append_only BEFORE UPDATE OR DELETE ON billing.usage
    FOR EACH ROW EXECUTE FUNCTION billing.refuse_change();

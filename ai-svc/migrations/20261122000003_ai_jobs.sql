-- ai-svc: jobs (the truth about long-running AI work), their progress events and the log of
-- provider calls (each answer saved before it is applied, so a retried job does not pay the
-- provider twice). Runs with search_path = ai.

CREATE TABLE ai.jobs (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL,
    site_id UUID NOT NULL,
    sector_id UUID,
    kind TEXT NOT NULL CHECK (kind IN ('auto_cluster', 'generate_ideas', 'generate_content',
        'generate_image_prompts', 'generate_images')),
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    phase TEXT NOT NULL,
    percent SMALLINT NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
    message TEXT NOT NULL DEFAULT '',
    input_ids UUID[] NOT NULL,
    -- What the job was submitted with (operation, model, words...), for the worker.
    params JSONB NOT NULL DEFAULT '{}',
    hold_id UUID NOT NULL,
    estimated_milli BIGINT NOT NULL CHECK (estimated_milli >= 0),
    charged_milli BIGINT NOT NULL DEFAULT 0 CHECK (charged_milli >= 0),
    output JSONB,
    error_code TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    attempts INT NOT NULL DEFAULT 0,
    cancel_requested BOOLEAN NOT NULL DEFAULT false,
    -- The worker holding the job and until when; renewed by its heartbeat.
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    requested_by TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    -- Set once the hold was captured (completed) or voided (failed, cancelled).
    settled_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status IN ('completed', 'failed', 'cancelled')) = (finished_at IS NOT NULL))
);
CREATE INDEX jobs_account_created ON ai.jobs (account_id, created_at DESC, id);
CREATE INDEX jobs_account_site_created ON ai.jobs (account_id, site_id, created_at DESC, id);
-- The sweeper's questions: whose lease ran out, which queued job nobody claimed, and which
-- finished job is not settled.
CREATE INDEX jobs_active_lease ON ai.jobs (lease_until) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_queued ON ai.jobs (updated_at) WHERE status = 'queued';
CREATE INDEX jobs_unsettled ON ai.jobs (finished_at) WHERE settled_at IS NULL AND finished_at IS NOT NULL;

CREATE TABLE ai.job_events (
    job_id UUID NOT NULL REFERENCES ai.jobs (id) ON DELETE CASCADE,
    seq INT NOT NULL,
    phase TEXT NOT NULL,
    percent SMALLINT NOT NULL,
    message TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, seq)
);

-- Watchers of a job wake on this instead of polling.
CREATE FUNCTION ai.notify_job_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ai_job_events', NEW.job_id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER job_events_notify AFTER INSERT ON ai.job_events
    FOR EACH ROW EXECUTE FUNCTION ai.notify_job_event();

CREATE TABLE ai.provider_calls (
    job_id UUID NOT NULL REFERENCES ai.jobs (id) ON DELETE CASCADE,
    -- Which call of the job: e.g. `chat`, `chat.repair`, `content:<task id>`, `image:<image id>`.
    step TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    -- The answer's text (chat) or the stored file (images).
    answer TEXT NOT NULL DEFAULT '',
    file_ref TEXT NOT NULL DEFAULT '',
    input_tokens INT NOT NULL DEFAULT 0,
    output_tokens INT NOT NULL DEFAULT 0,
    cost_micros BIGINT NOT NULL DEFAULT 0,
    -- Non-empty when the call failed for good (an image that could not be made).
    error TEXT NOT NULL DEFAULT '',
    -- Credits the call's result costs, set when the result was applied (what a completed or
    -- cancelled job captures), and the object it produced.
    credits_milli BIGINT NOT NULL DEFAULT 0 CHECK (credits_milli >= 0),
    object_type TEXT NOT NULL DEFAULT '',
    object_id TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, step)
);

-- Results of AI jobs already applied (ApplyClusters, ApplyIdeas): a repeated call with the same
-- job id answers the stored response and writes nothing. Runs with search_path = planner.
CREATE TABLE planner.applied_jobs (
    account_id UUID NOT NULL,
    kind TEXT NOT NULL,
    job_id UUID NOT NULL,
    -- the encoded response, set in the transaction that applied the job
    response BYTEA,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, kind, job_id)
);

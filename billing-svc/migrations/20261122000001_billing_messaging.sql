-- billing-svc: transactional outbox and inbox (igny8-platform outbox/inbox). Runs with search_path = billing.

CREATE TABLE billing.outbox (
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
CREATE INDEX outbox_unpublished ON billing.outbox (seq) WHERE published_at IS NULL;

CREATE TABLE billing.inbox (
    consumer TEXT NOT NULL,
    message_id UUID NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);

-- billing-svc: the cost table, as data a developer-role user edits. Runs with search_path = billing.
--
-- Pricing model (one, consistent): fixed credits per unit, the seed product's model
-- (PRODUCT.md §5.1 model 1, "Fixed per-unit", whose content rate of 5 credits per 2,500 words is
-- the seed's 1 credit per 500 words):
--   credits = max(min_credits, credits_per_unit * units)
--   units   = runs | items | images, or ceil(words / unit_size) for unit 'words'.
-- A row may also set tokens_per_credit (PRODUCT.md §5.1 model 4, per-model token pricing); it
-- then prices calls whose token counts are known (after the call):
--   credits = max(min_credits, ceil(total_tokens / tokens_per_credit)).
-- Rows are per (operation, model); model '' is the operation's default, used for any model
-- without a row of its own. All amounts in milli-credits.
--
-- Seeded defaults (seed product, then PRODUCT.md §5.1 model 1 where the seed is silent):
--   clustering               10 per run                     (seed)
--   idea_generation           2 per cluster                 (model 1: "2 per cluster")
--   content_generation        1 per 500 words, at least 1   (seed)
--   image_prompt_extraction   0.5 per prompt                (seed)
--   image_generation          1-4 per image by model        (seed; basic 1 ... premium 4)
--   linking                   1 per article                 (model 1 scale; the Dec-26 plan's 3
--                                                           is on a 5-8x larger credit scale)
--   optimization              1 per article                 (model 1: "~1 per content")

CREATE TABLE billing.cost_config (
    operation TEXT NOT NULL CHECK (operation IN ('clustering', 'idea_generation',
        'content_generation', 'image_prompt_extraction', 'image_generation', 'linking',
        'optimization')),
    model TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL CHECK (unit IN ('run', 'item', 'image', 'words')),
    unit_size INT NOT NULL DEFAULT 1 CHECK (unit_size >= 1),
    credits_per_unit BIGINT NOT NULL CHECK (credits_per_unit >= 0),
    tokens_per_credit INT CHECK (tokens_per_credit IS NULL OR tokens_per_credit >= 1),
    min_credits BIGINT NOT NULL DEFAULT 0 CHECK (min_credits >= 0),
    updated_by TEXT NOT NULL DEFAULT 'seed',
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (operation, model)
);

INSERT INTO billing.cost_config (operation, model, unit, unit_size, credits_per_unit, min_credits) VALUES
    ('clustering', '', 'run', 1, 10000, 0),
    ('idea_generation', '', 'item', 1, 2000, 0),
    ('content_generation', '', 'words', 500, 1000, 1000),
    ('image_prompt_extraction', '', 'item', 1, 500, 0),
    ('image_generation', '', 'image', 1, 1000, 0),
    ('image_generation', 'dall-e-2', 'image', 1, 1000, 0),
    ('image_generation', 'runware:97@1', 'image', 1, 1000, 0),
    ('image_generation', 'bria:10@1', 'image', 1, 2000, 0),
    ('image_generation', 'dall-e-3', 'image', 1, 3000, 0),
    ('image_generation', 'gpt-image-1', 'image', 1, 3000, 0),
    ('image_generation', 'google:4@2', 'image', 1, 4000, 0),
    ('image_generation', 'bytedance:seedream@4.5', 'image', 1, 4000, 0),
    ('linking', '', 'item', 1, 1000, 0),
    ('optimization', '', 'item', 1, 1000, 0);

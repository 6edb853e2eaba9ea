-- writer-svc domain schema: taxonomy terms, tasks, content (+ versions, terms), images,
-- applied AI jobs, and per-sector row counters. Runs with search_path = writer.
--
-- Every row carries account_id, site_id and sector_id (site-wide taxonomy terms have no sector);
-- sites and sectors live in auth-svc, so they are plain ids here (checked through auth-svc on
-- create). cluster_id and idea_id name planner rows the same way.

CREATE TABLE writer.taxonomies (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL,
    site_id UUID NOT NULL,
    sector_id UUID,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    taxonomy_type TEXT NOT NULL CHECK (taxonomy_type IN ('category', 'tag')),
    description TEXT NOT NULL DEFAULT '',
    external_id TEXT,
    external_taxonomy TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX taxonomies_site_type_slug ON writer.taxonomies (site_id, taxonomy_type, slug);
CREATE UNIQUE INDEX taxonomies_site_type_external ON writer.taxonomies (site_id, taxonomy_type, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX taxonomies_account_name ON writer.taxonomies (account_id, site_id, name, id);

CREATE TABLE writer.tasks (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL,
    site_id UUID NOT NULL,
    sector_id UUID NOT NULL,
    title TEXT NOT NULL,
    brief TEXT NOT NULL DEFAULT '',
    cluster_id UUID,
    idea_id UUID,
    primary_keyword TEXT NOT NULL DEFAULT '',
    secondary_keywords TEXT[] NOT NULL DEFAULT '{}',
    content_type TEXT NOT NULL
        CHECK (content_type IN ('post', 'page', 'product', 'taxonomy')),
    content_structure TEXT NOT NULL
        CHECK (content_structure IN ('article', 'guide', 'how_to', 'listicle', 'comparison',
                                     'review', 'pillar', 'landing_page')),
    target_word_count INTEGER NOT NULL CHECK (target_word_count BETWEEN 100 AND 20000),
    taxonomy_term_id UUID REFERENCES writer.taxonomies (id) ON DELETE SET NULL,
    -- [{heading, covers, keywords}] carried from the planner idea
    outline JSONB NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'in_progress', 'completed', 'failed')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- One task per planner idea: the idempotency key of CreateTasks.
CREATE UNIQUE INDEX tasks_account_idea ON writer.tasks (account_id, idea_id) WHERE idea_id IS NOT NULL;
-- Lists filter by account, then site and sector; account_id leads so filtered counts can be
-- answered from the index alone.
CREATE INDEX tasks_scope_created ON writer.tasks (account_id, site_id, sector_id, created_at, id);
CREATE INDEX tasks_scope_status ON writer.tasks (account_id, site_id, sector_id, status, created_at, id);
CREATE INDEX tasks_scope_title ON writer.tasks (account_id, site_id, sector_id, title, id);
CREATE INDEX tasks_site_created ON writer.tasks (account_id, site_id, created_at, id);
CREATE INDEX tasks_account_created ON writer.tasks (account_id, created_at, id);
CREATE INDEX tasks_cluster ON writer.tasks (cluster_id) WHERE cluster_id IS NOT NULL;
CREATE INDEX tasks_taxonomy ON writer.tasks (taxonomy_term_id) WHERE taxonomy_term_id IS NOT NULL;

CREATE TABLE writer.content (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL,
    site_id UUID NOT NULL,
    sector_id UUID NOT NULL,
    task_id UUID REFERENCES writer.tasks (id) ON DELETE SET NULL,
    cluster_id UUID,
    title TEXT NOT NULL,
    body_html TEXT NOT NULL DEFAULT '',
    word_count INTEGER NOT NULL DEFAULT 0,
    meta_title TEXT NOT NULL DEFAULT '',
    meta_description TEXT NOT NULL DEFAULT '',
    excerpt TEXT NOT NULL DEFAULT '',
    primary_keyword TEXT NOT NULL DEFAULT '',
    secondary_keywords TEXT[] NOT NULL DEFAULT '{}',
    content_type TEXT NOT NULL
        CHECK (content_type IN ('post', 'page', 'product', 'taxonomy')),
    content_structure TEXT NOT NULL
        CHECK (content_structure IN ('article', 'guide', 'how_to', 'listicle', 'comparison',
                                     'review', 'pillar', 'landing_page')),
    source TEXT NOT NULL CHECK (source IN ('igny8', 'wordpress', 'import')),
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'review', 'approved', 'published')),
    site_status TEXT NOT NULL DEFAULT 'not_published'
        CHECK (site_status IN ('not_published', 'scheduled', 'publishing', 'published', 'failed')),
    scheduled_publish_at TIMESTAMPTZ,
    published_at TIMESTAMPTZ,
    publish_error TEXT NOT NULL DEFAULT '',
    external_id TEXT,
    external_url TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX content_scope_created ON writer.content (account_id, site_id, sector_id, created_at, id);
CREATE INDEX content_scope_status ON writer.content (account_id, site_id, sector_id, status, created_at, id);
CREATE INDEX content_scope_site_status ON writer.content (account_id, site_id, sector_id, site_status, created_at, id);
CREATE INDEX content_site_created ON writer.content (account_id, site_id, created_at, id);
CREATE INDEX content_account_created ON writer.content (account_id, created_at, id);
CREATE INDEX content_task ON writer.content (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX content_cluster ON writer.content (cluster_id) WHERE cluster_id IS NOT NULL;
-- The publish scheduler's queue.
CREATE INDEX content_due ON writer.content (scheduled_publish_at) WHERE site_status = 'scheduled';

CREATE TABLE writer.content_terms (
    content_id UUID NOT NULL REFERENCES writer.content (id) ON DELETE CASCADE,
    taxonomy_id UUID NOT NULL REFERENCES writer.taxonomies (id) ON DELETE CASCADE,
    account_id UUID NOT NULL,
    PRIMARY KEY (content_id, taxonomy_id)
);
CREATE INDEX content_terms_taxonomy ON writer.content_terms (taxonomy_id, content_id);

-- Append-only history of title and body; the trigger below refuses changes to a version.
CREATE TABLE writer.content_versions (
    content_id UUID NOT NULL REFERENCES writer.content (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    account_id UUID NOT NULL,
    title TEXT NOT NULL,
    body_html TEXT NOT NULL,
    word_count INTEGER NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('create', 'edit', 'generated', 'restore')),
    restored_from INTEGER,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (content_id, version)
);

CREATE FUNCTION writer.refuse_version_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'content versions are append-only';
END $$;
CREATE TRIGGER content_versions_append_only BEFORE UPDATE ON writer.content_versions
    FOR EACH ROW EXECUTE FUNCTION writer.refuse_version_update();

CREATE TABLE writer.images (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL,
    site_id UUID NOT NULL,
    sector_id UUID NOT NULL,
    content_id UUID REFERENCES writer.content (id) ON DELETE CASCADE,
    task_id UUID REFERENCES writer.tasks (id) ON DELETE CASCADE,
    image_type TEXT NOT NULL CHECK (image_type IN ('featured', 'in_article')),
    position INTEGER NOT NULL CHECK (position >= 0),
    prompt TEXT NOT NULL DEFAULT '',
    negative_prompt TEXT NOT NULL DEFAULT '',
    alt_text TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'generated', 'failed')),
    file_ref TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (content_id IS NOT NULL OR task_id IS NOT NULL),
    CHECK (image_type <> 'featured' OR position = 0)
);
CREATE UNIQUE INDEX images_content_slot ON writer.images (content_id, image_type, position)
    WHERE content_id IS NOT NULL;
CREATE UNIQUE INDEX images_task_slot ON writer.images (task_id, image_type, position)
    WHERE content_id IS NULL;
CREATE INDEX images_scope_created ON writer.images (account_id, site_id, sector_id, created_at, id);
CREATE INDEX images_scope_status ON writer.images (account_id, site_id, sector_id, status, created_at, id);
CREATE INDEX images_site_created ON writer.images (account_id, site_id, created_at, id);
CREATE INDEX images_account_created ON writer.images (account_id, created_at, id);
CREATE INDEX images_task ON writer.images (task_id) WHERE task_id IS NOT NULL;

-- Results of AI jobs already applied: a repeated call with the same job id answers the stored
-- response and writes nothing.
CREATE TABLE writer.applied_jobs (
    account_id UUID NOT NULL,
    kind TEXT NOT NULL,
    job_id UUID NOT NULL,
    response BYTEA,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, kind, job_id)
);

-- Rows per (site, sector, entity), kept by statement triggers in the transaction that inserts
-- or deletes, so unfiltered list counts never scan a large sector.
CREATE TABLE writer.scope_counts (
    account_id UUID NOT NULL,
    site_id UUID NOT NULL,
    sector_id UUID NOT NULL,
    entity TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (site_id, sector_id, entity)
);
CREATE INDEX scope_counts_account ON writer.scope_counts (account_id, entity);

CREATE FUNCTION writer.count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO writer.scope_counts (account_id, site_id, sector_id, entity, n)
    SELECT account_id, site_id, sector_id, TG_TABLE_NAME, count(*)
    FROM inserted GROUP BY account_id, site_id, sector_id
    ON CONFLICT (site_id, sector_id, entity) DO UPDATE SET n = writer.scope_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE FUNCTION writer.count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE writer.scope_counts c SET n = c.n - d.n
    FROM (SELECT site_id, sector_id, count(*) AS n FROM deleted GROUP BY site_id, sector_id) d
    WHERE c.site_id = d.site_id AND c.sector_id = d.sector_id AND c.entity = TG_TABLE_NAME;
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_count_insert AFTER INSERT ON writer.tasks
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION writer.count_inserted();
CREATE TRIGGER tasks_count_delete AFTER DELETE ON writer.tasks
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION writer.count_deleted();
CREATE TRIGGER content_count_insert AFTER INSERT ON writer.content
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION writer.count_inserted();
CREATE TRIGGER content_count_delete AFTER DELETE ON writer.content
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION writer.count_deleted();
CREATE TRIGGER images_count_insert AFTER INSERT ON writer.images
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION writer.count_inserted();
CREATE TRIGGER images_count_delete AFTER DELETE ON writer.images
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION writer.count_deleted();

-- planner-svc domain schema: keywords, clusters, ideas, the keyword library, and the counters
-- that keep list counts and plan limits cheap. Runs with search_path = planner.
--
-- Every scoped row carries account_id, site_id, sector_id; every list index leads with them.
-- Ordering indexes end in id so ties are stable and one index serves both directions.

CREATE TABLE planner.clusters (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL,
    site_id UUID NOT NULL,
    sector_id UUID NOT NULL,
    name TEXT NOT NULL,
    -- lowercase name: the uniqueness key and the search target
    name_key TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'mapped')),
    disabled BOOLEAN NOT NULL DEFAULT false,
    -- aggregates of its keywords and ideas, kept by the triggers below in the same transaction
    keyword_count INT NOT NULL DEFAULT 0,
    total_volume BIGINT NOT NULL DEFAULT 0,
    difficulty_sum BIGINT NOT NULL DEFAULT 0,
    idea_count INT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT clusters_sector_name_key UNIQUE (account_id, site_id, sector_id, name_key)
);
CREATE INDEX clusters_by_id ON planner.clusters (account_id, site_id, sector_id, id);

CREATE TABLE planner.keywords (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL,
    site_id UUID NOT NULL,
    sector_id UUID NOT NULL,
    -- trimmed, inner whitespace collapsed, case kept
    keyword TEXT NOT NULL,
    -- lowercase keyword: the uniqueness key and the search target
    keyword_key TEXT NOT NULL,
    search_volume INT NOT NULL DEFAULT 0 CHECK (search_volume >= 0),
    difficulty SMALLINT NOT NULL DEFAULT 0 CHECK (difficulty BETWEEN 0 AND 100),
    -- cost per click in millionths of a currency unit (no floats for money)
    cpc_micros BIGINT NOT NULL DEFAULT 0 CHECK (cpc_micros >= 0),
    intent TEXT NOT NULL DEFAULT 'informational'
        CHECK (intent IN ('informational', 'commercial', 'transactional', 'navigational')),
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'mapped', 'used')),
    source TEXT NOT NULL CHECK (source IN ('manual', 'csv_import', 'library', 'api')),
    -- no ON DELETE action: deleting a cluster unassigns its keywords first (status follows)
    cluster_id UUID REFERENCES planner.clusters (id),
    disabled BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT keywords_sector_keyword_key UNIQUE (account_id, site_id, sector_id, keyword_key),
    CONSTRAINT keywords_mapped_in_cluster CHECK (status <> 'mapped' OR cluster_id IS NOT NULL),
    CONSTRAINT keywords_new_without_cluster CHECK (status <> 'new' OR cluster_id IS NULL)
);
-- The default list order (-search_volume) and, through its included columns, index-only
-- filtered counts and filter options over a whole sector.
CREATE INDEX keywords_by_volume ON planner.keywords (account_id, site_id, sector_id, search_volume, id)
    INCLUDE (difficulty, status, intent, source, cluster_id, disabled, keyword_key);
CREATE INDEX keywords_by_difficulty ON planner.keywords (account_id, site_id, sector_id, difficulty, id);
CREATE INDEX keywords_by_cpc ON planner.keywords (account_id, site_id, sector_id, cpc_micros, id);
-- ids are UUIDv7, so id order is creation order: serves ordering=created_at and export keysets
CREATE INDEX keywords_by_id ON planner.keywords (account_id, site_id, sector_id, id);
CREATE INDEX keywords_cluster ON planner.keywords (cluster_id) WHERE cluster_id IS NOT NULL;

CREATE TABLE planner.ideas (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL,
    site_id UUID NOT NULL,
    sector_id UUID NOT NULL,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- ordered sections [{heading, covers, keywords}], validated by the service
    outline JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(outline) = 'array'),
    target_keywords TEXT[] NOT NULL DEFAULT '{}',
    -- no ON DELETE action: deleting a cluster detaches its ideas first
    cluster_id UUID REFERENCES planner.clusters (id),
    content_type TEXT NOT NULL DEFAULT 'post'
        CHECK (content_type IN ('post', 'page', 'product', 'taxonomy')),
    content_structure TEXT NOT NULL DEFAULT 'article'
        CHECK (content_structure IN ('article', 'guide', 'how_to', 'listicle', 'comparison', 'review', 'pillar', 'landing_page')),
    estimated_word_count INT NOT NULL DEFAULT 1000 CHECK (estimated_word_count > 0),
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'queued', 'completed')),
    disabled BOOLEAN NOT NULL DEFAULT false,
    writer_task_id UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ideas_by_id ON planner.ideas (account_id, site_id, sector_id, id);
CREATE INDEX ideas_by_status ON planner.ideas (account_id, site_id, sector_id, status, id);
CREATE INDEX ideas_cluster ON planner.ideas (cluster_id) WHERE cluster_id IS NOT NULL;

-- Unfiltered list counts per sector (ARCHITECTURE §12: never COUNT(*) a large sector per request).
CREATE TABLE planner.sector_counters (
    account_id UUID NOT NULL,
    site_id UUID NOT NULL,
    sector_id UUID NOT NULL,
    keywords BIGINT NOT NULL DEFAULT 0,
    clusters BIGINT NOT NULL DEFAULT 0,
    ideas BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, site_id, sector_id)
);

-- Keywords per account against the plan's max_keywords; writers lock the row first.
CREATE TABLE planner.account_usage (
    account_id UUID PRIMARY KEY,
    keywords BIGINT NOT NULL DEFAULT 0
);

-- The platform keyword library (global: no account), by auth-svc industry and sector slugs.
CREATE TABLE planner.library_keywords (
    id UUID PRIMARY KEY,
    industry TEXT NOT NULL,
    sector TEXT NOT NULL,
    keyword TEXT NOT NULL,
    keyword_key TEXT NOT NULL,
    search_volume INT NOT NULL DEFAULT 0 CHECK (search_volume >= 0),
    difficulty SMALLINT NOT NULL DEFAULT 0 CHECK (difficulty BETWEEN 0 AND 100),
    cpc_micros BIGINT NOT NULL DEFAULT 0 CHECK (cpc_micros >= 0),
    intent TEXT NOT NULL DEFAULT 'informational'
        CHECK (intent IN ('informational', 'commercial', 'transactional', 'navigational')),
    country TEXT NOT NULL DEFAULT 'US',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT library_keywords_sector_keyword_key UNIQUE (industry, sector, keyword_key)
);
CREATE INDEX library_keywords_by_volume ON planner.library_keywords (industry, sector, search_volume, id);
CREATE INDEX library_keywords_volume ON planner.library_keywords (search_volume, id);

-- Counters kept by statement-level triggers (one pass over the changed rows, also for
-- 50,000-row imports), so every write path keeps them right in its own transaction.

CREATE FUNCTION planner.keywords_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO planner.sector_counters AS c (account_id, site_id, sector_id, keywords)
    SELECT account_id, site_id, sector_id, count(*) FROM new_rows GROUP BY 1, 2, 3
    ON CONFLICT (account_id, site_id, sector_id) DO UPDATE SET keywords = c.keywords + EXCLUDED.keywords;
    INSERT INTO planner.account_usage AS u (account_id, keywords)
    SELECT account_id, count(*) FROM new_rows GROUP BY 1
    ON CONFLICT (account_id) DO UPDATE SET keywords = u.keywords + EXCLUDED.keywords;
    UPDATE planner.clusters c
    SET keyword_count = c.keyword_count + d.n, total_volume = c.total_volume + d.volume,
        difficulty_sum = c.difficulty_sum + d.difficulty
    FROM (SELECT cluster_id, count(*) AS n, sum(search_volume) AS volume, sum(difficulty) AS difficulty
          FROM new_rows WHERE cluster_id IS NOT NULL GROUP BY 1) d
    WHERE c.id = d.cluster_id;
    RETURN NULL;
END $$;

CREATE FUNCTION planner.keywords_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE planner.sector_counters c SET keywords = c.keywords - d.n
    FROM (SELECT account_id, site_id, sector_id, count(*) AS n FROM old_rows GROUP BY 1, 2, 3) d
    WHERE (c.account_id, c.site_id, c.sector_id) = (d.account_id, d.site_id, d.sector_id);
    UPDATE planner.account_usage u SET keywords = u.keywords - d.n
    FROM (SELECT account_id, count(*) AS n FROM old_rows GROUP BY 1) d
    WHERE u.account_id = d.account_id;
    UPDATE planner.clusters c
    SET keyword_count = c.keyword_count - d.n, total_volume = c.total_volume - d.volume,
        difficulty_sum = c.difficulty_sum - d.difficulty
    FROM (SELECT cluster_id, count(*) AS n, sum(search_volume) AS volume, sum(difficulty) AS difficulty
          FROM old_rows WHERE cluster_id IS NOT NULL GROUP BY 1) d
    WHERE c.id = d.cluster_id;
    RETURN NULL;
END $$;

-- Keywords never change sector, so only cluster aggregates move on update.
CREATE FUNCTION planner.keywords_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE planner.clusters c
    SET keyword_count = c.keyword_count + d.n, total_volume = c.total_volume + d.volume,
        difficulty_sum = c.difficulty_sum + d.difficulty
    FROM (SELECT cluster_id, sum(n) AS n, sum(volume) AS volume, sum(difficulty) AS difficulty
          FROM (SELECT cluster_id, 1 AS n, search_volume::bigint AS volume, difficulty::bigint AS difficulty
                FROM new_rows WHERE cluster_id IS NOT NULL
                UNION ALL
                SELECT cluster_id, -1, -search_volume::bigint, -difficulty::bigint
                FROM old_rows WHERE cluster_id IS NOT NULL) x
          GROUP BY 1
          HAVING sum(n) <> 0 OR sum(volume) <> 0 OR sum(difficulty) <> 0) d
    WHERE c.id = d.cluster_id;
    RETURN NULL;
END $$;

CREATE TRIGGER keywords_inserted AFTER INSERT ON planner.keywords
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION planner.keywords_inserted();
CREATE TRIGGER keywords_deleted AFTER DELETE ON planner.keywords
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION planner.keywords_deleted();
CREATE TRIGGER keywords_updated AFTER UPDATE ON planner.keywords
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION planner.keywords_updated();

CREATE FUNCTION planner.ideas_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO planner.sector_counters AS c (account_id, site_id, sector_id, ideas)
    SELECT account_id, site_id, sector_id, count(*) FROM new_rows GROUP BY 1, 2, 3
    ON CONFLICT (account_id, site_id, sector_id) DO UPDATE SET ideas = c.ideas + EXCLUDED.ideas;
    UPDATE planner.clusters c SET idea_count = c.idea_count + d.n
    FROM (SELECT cluster_id, count(*) AS n FROM new_rows WHERE cluster_id IS NOT NULL GROUP BY 1) d
    WHERE c.id = d.cluster_id;
    RETURN NULL;
END $$;

CREATE FUNCTION planner.ideas_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE planner.sector_counters c SET ideas = c.ideas - d.n
    FROM (SELECT account_id, site_id, sector_id, count(*) AS n FROM old_rows GROUP BY 1, 2, 3) d
    WHERE (c.account_id, c.site_id, c.sector_id) = (d.account_id, d.site_id, d.sector_id);
    UPDATE planner.clusters c SET idea_count = c.idea_count - d.n
    FROM (SELECT cluster_id, count(*) AS n FROM old_rows WHERE cluster_id IS NOT NULL GROUP BY 1) d
    WHERE c.id = d.cluster_id;
    RETURN NULL;
END $$;

CREATE FUNCTION planner.ideas_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE planner.clusters c SET idea_count = c.idea_count + d.n
    FROM (SELECT cluster_id, sum(n) AS n
          FROM (SELECT cluster_id, 1 AS n FROM new_rows WHERE cluster_id IS NOT NULL
                UNION ALL
                SELECT cluster_id, -1 FROM old_rows WHERE cluster_id IS NOT NULL) x
          GROUP BY 1 HAVING sum(n) <> 0) d
    WHERE c.id = d.cluster_id;
    RETURN NULL;
END $$;

CREATE TRIGGER ideas_inserted AFTER INSERT ON planner.ideas
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION planner.ideas_inserted();
CREATE TRIGGER ideas_deleted AFTER DELETE ON planner.ideas
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION planner.ideas_deleted();
CREATE TRIGGER ideas_updated AFTER UPDATE ON planner.ideas
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION planner.ideas_updated();

CREATE FUNCTION planner.clusters_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO planner.sector_counters AS c (account_id, site_id, sector_id, clusters)
    SELECT account_id, site_id, sector_id, count(*) FROM new_rows GROUP BY 1, 2, 3
    ON CONFLICT (account_id, site_id, sector_id) DO UPDATE SET clusters = c.clusters + EXCLUDED.clusters;
    RETURN NULL;
END $$;

CREATE FUNCTION planner.clusters_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE planner.sector_counters c SET clusters = c.clusters - d.n
    FROM (SELECT account_id, site_id, sector_id, count(*) AS n FROM old_rows GROUP BY 1, 2, 3) d
    WHERE (c.account_id, c.site_id, c.sector_id) = (d.account_id, d.site_id, d.sector_id);
    RETURN NULL;
END $$;

CREATE TRIGGER clusters_inserted AFTER INSERT ON planner.clusters
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION planner.clusters_inserted();
CREATE TRIGGER clusters_deleted AFTER DELETE ON planner.clusters
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION planner.clusters_deleted();

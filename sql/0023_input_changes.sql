-- 0023: a change marker for what the release reads (issue 16, part 2).
--
-- A release prepared before its instant (0019) was proven current at the
-- instant by release_stamp(), which re-reads everything the document was
-- built from: the counts of every finding of the campaign included (about
-- 0.45 s for 100 companies x 1,000 findings on an idle machine, most of
-- what was left between the instant and the document). Here every
-- transaction that writes a table the release reads records its id once
-- (a statement trigger); the scheduler keeps the snapshot
-- (pg_current_snapshot()) taken before it read the inputs, and at the
-- instant asks one question: did any transaction that this snapshot does
-- not see write such a table? No: nothing the document was built from can
-- have changed, and the prepared document is signed as it is. Yes (a
-- write anywhere in those tables, in any campaign): the stamp is compared
-- as before, and the release is built again when it moved.
--
-- Which tables: release_input_tables() walks the definitions of the
-- release's and the review's readers (and every function of this schema
-- they name) for the names of this schema's tables, so a later migration
-- that makes a reader read one more table only has to run
-- SELECT release_input_track() (tests/integration/check_instant fails
-- while a table it finds has no trigger). A name matched by mistake (a
-- JSON key that is also a table) only adds a trigger: never a missed
-- change.
--
-- Exactness: a row is written by the writing transaction itself, so it
-- is visible exactly when the write is (committed together, or rolled back
-- together, savepoints included: the row carries the top-level id). A
-- transaction in progress at the instant is seen neither by this check
-- nor by the release that would be built instead.
--
-- Pruning: the rows below a horizon are deleted; a snapshot whose xmin is
-- below the horizon answers "changed" (it cannot tell). The horizon is the
-- xmin of a snapshot taken at least ten minutes earlier, and every later
-- snapshot has an xmin at least as high, so a preparation younger than
-- ten minutes is never refused by pruning.

CREATE TABLE release_input_changes (
    xid xid8 PRIMARY KEY,
    at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE release_input_changes IS 'One row per transaction that wrote a table the release reads (release_input_tables()); read by release_inputs_changed_since(), pruned by release_input_prune().';
ALTER TABLE release_input_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE release_input_changes FORCE ROW LEVEL SECURITY;
REVOKE ALL ON release_input_changes FROM PUBLIC;

CREATE TABLE release_input_horizon (
    one          boolean PRIMARY KEY DEFAULT true CHECK (one),
    horizon      xid8 NOT NULL,
    next_horizon xid8 NOT NULL,
    next_at      timestamptz NOT NULL
);
COMMENT ON TABLE release_input_horizon IS 'release_input_changes holds every row at or above horizon; next_horizon (the xmin of a snapshot taken at next_at) becomes the horizon ten minutes after next_at.';
ALTER TABLE release_input_horizon ENABLE ROW LEVEL SECURITY;
ALTER TABLE release_input_horizon FORCE ROW LEVEL SECURITY;
REVOKE ALL ON release_input_horizon FROM PUBLIC;
INSERT INTO release_input_horizon (horizon, next_horizon, next_at)
VALUES ('0'::xid8, pg_snapshot_xmin(pg_current_snapshot()), now());

-- Why SECURITY DEFINER: lockstep_app may not write release_input_changes.
-- A statement trigger: records the writing transaction once (a
-- transaction-local setting remembers it; rolled back with a savepoint
-- like the row itself).
CREATE FUNCTION release_input_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF current_setting('lockstep.input_changed', true) IS DISTINCT FROM 'y' THEN
        INSERT INTO release_input_changes (xid) VALUES (pg_current_xact_id())
        ON CONFLICT (xid) DO NOTHING;
        PERFORM set_config('lockstep.input_changed', 'y', true);
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION release_input_changed() FROM PUBLIC;

-- The tables of this schema that the release's and the review's readers
-- read, found by walking their definitions (and those of every function
-- of this schema they name, and every view) for table names.
CREATE FUNCTION release_input_tables() RETURNS TABLE (tbl regclass)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_catalog
AS $$
DECLARE
    todo text[] := ARRAY['release_stamp', 'release_inputs', 'release_inputs_ahead',
                         'review_release_inputs', 'review_release_inputs_ahead',
                         'release_withheld', 'release_withheld_ahead',
                         'commitments_for_release', 'commitments_for_release_ahead',
                         'levels_inputs', 'series_inputs', 'review_inputs', 'release_claim',
                         'release_peek'];
    seen text[] := '{}';
    tables text[] := '{}';
    f text;
    src text;
    w text;
    k "char";
BEGIN
    WHILE cardinality(todo) > 0 LOOP
        f := todo[1];
        todo := todo[2:];
        CONTINUE WHEN f = ANY (seen);
        seen := seen || f;
        SELECT string_agg(pg_get_functiondef(p.oid), E'\n') INTO src
          FROM pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace AND p.proname = f AND p.prokind = 'f';
        IF src IS NULL THEN
            SELECT pg_get_viewdef(c.oid) INTO src FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relname = f
               AND c.relkind IN ('v', 'm');
        END IF;
        CONTINUE WHEN src IS NULL;
        FOR w IN SELECT DISTINCT m[1] FROM regexp_matches(lower(src), '([a-z_][a-z0-9_]*)', 'g') m
        LOOP
            SELECT c.relkind INTO k FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relname = w
               AND c.relkind IN ('r', 'p', 'v', 'm');
            IF k IN ('r', 'p') THEN
                IF NOT w = ANY (tables) THEN
                    tables := tables || w;
                END IF;
            ELSIF k IN ('v', 'm') THEN
                todo := todo || w;
            ELSIF EXISTS (SELECT 1 FROM pg_proc p
                           WHERE p.pronamespace = 'public'::regnamespace AND p.proname = w
                             AND p.prokind = 'f') THEN
                todo := todo || w;
            END IF;
            k := NULL;
        END LOOP;
    END LOOP;
    -- tlog_entries: append-only (its triggers refuse UPDATE, DELETE and
    -- TRUNCATE), and the readers read an entry only by the log_idx of a
    -- tlog_campaign_commits row (a foreign key: the entry existed before
    -- that row, which is tracked). Its other writes (audit checkpoints,
    -- every commitment of every campaign) cannot change what they read.
    RETURN QUERY SELECT format('%I', t)::regclass FROM unnest(tables) t
                  WHERE t NOT IN ('release_input_changes', 'tlog_entries') ORDER BY 1;
END $$;
REVOKE ALL ON FUNCTION release_input_tables() FROM PUBLIC;

-- Gives every table release_input_tables() finds the trigger (once);
-- returns how many it added. Run by this migration and by any later one
-- that changes a reader of the release.
CREATE FUNCTION release_input_track() RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_catalog
AS $$
DECLARE
    t regclass;
    n integer := 0;
BEGIN
    FOR t IN SELECT r.tbl FROM release_input_tables() r LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_trigger g
                               WHERE g.tgrelid = t AND g.tgname = 'release_input_changed');
        EXECUTE format('CREATE TRIGGER release_input_changed AFTER INSERT OR UPDATE OR DELETE '
                       'ON %s FOR EACH STATEMENT EXECUTE FUNCTION release_input_changed()', t);
        EXECUTE format('CREATE TRIGGER release_input_truncated AFTER TRUNCATE '
                       'ON %s FOR EACH STATEMENT EXECUTE FUNCTION release_input_changed()', t);
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
REVOKE ALL ON FUNCTION release_input_track() FROM PUBLIC;
SELECT release_input_track();

-- Why SECURITY DEFINER: the scheduler (no identity) reads
-- release_input_changes. True when a transaction that p_snapshot (the
-- text of a pg_snapshot) does not see wrote a table the release reads, or
-- when the snapshot is older than what is kept (it cannot tell); also true
-- for any other caller. Never false by mistake: false means that nothing
-- the release reads changed since the snapshot.
CREATE FUNCTION release_inputs_changed_since(p_snapshot text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    s pg_snapshot;
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RETURN true;
    END IF;
    s := p_snapshot::pg_snapshot;
    IF pg_snapshot_xmin(s) < (SELECT h.horizon FROM release_input_horizon h) THEN
        RETURN true;
    END IF;
    RETURN EXISTS (SELECT 1 FROM release_input_changes d
                    WHERE d.xid >= pg_snapshot_xmin(s) AND NOT pg_visible_in_snapshot(d.xid, s));
END $$;
REVOKE ALL ON FUNCTION release_inputs_changed_since(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_inputs_changed_since(text) TO lockstep_app;

-- Why SECURITY DEFINER: lockstep_app may not delete release_input_changes.
-- Moves the horizon (see the top) at most every ten minutes, deleting the
-- rows below it; one replica at a time (SKIP LOCKED), scheduler only.
-- Returns the rows deleted.
CREATE FUNCTION release_input_prune() RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    h release_input_horizon%ROWTYPE;
    n bigint;
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RETURN 0;
    END IF;
    SELECT * INTO h FROM release_input_horizon
     WHERE next_at < now() - interval '10 minutes'
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    DELETE FROM release_input_changes WHERE xid < h.next_horizon;
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE release_input_horizon
       SET horizon = h.next_horizon, next_horizon = pg_snapshot_xmin(pg_current_snapshot()),
           next_at = now();
    RETURN n;
END $$;
REVOKE ALL ON FUNCTION release_input_prune() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_input_prune() TO lockstep_app;

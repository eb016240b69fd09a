-- 0019: a release prepared before its instant (issue 16, part 2).
--
-- A few seconds before a campaign's release_at, the replica whose
-- scheduler sees it coming reads what the release will read and builds
-- the document in memory (publish/schedule.c: never signed, never
-- stored, never visible); at the instant it claims the campaign as
-- before and compares release_stamp() now with the stamp taken at the
-- preparation: equal, only the signature and the commit remain;
-- different (a text, a finding, a review, a commitment changed
-- meanwhile), the release is built again from what is current.
--
-- The four readers of the release answer only once the instant has
-- passed (c.release_at <= now()). Their *_ahead variants answer up to
-- p_ahead_ms (at most 60 s) earlier, to the scheduler identity only.
-- They are generated here from the current definitions, so a variant
-- cannot differ from its original in anything but that bound; a later
-- migration that replaces one of the originals must regenerate its
-- variant the same way (tests/integration/check_instant compares them).

DO $gen$
DECLARE
    f text;
    def text;
    bound constant text := 'c.release_at <= now()';
    ahead constant text := 'c.release_at <= now() + make_interval(secs => least(greatest(p_ahead_ms, 0), 60000) / 1000.0)';
BEGIN
    FOREACH f IN ARRAY ARRAY['release_inputs', 'review_release_inputs', 'release_withheld',
                             'commitments_for_release'] LOOP
        def := pg_get_functiondef(format('%I(uuid)', f)::regprocedure);
        IF position(format('FUNCTION public.%s(p_campaign uuid)', f) IN def) = 0
           OR (length(def) - length(replace(def, bound, ''))) / length(bound) <> 1 THEN
            RAISE EXCEPTION '0019: %(uuid) no longer has exactly one "%"', f, bound;
        END IF;
        def := replace(def, format('FUNCTION public.%s(p_campaign uuid)', f),
                       format('FUNCTION public.%s_ahead(p_campaign uuid, p_ahead_ms integer)', f));
        def := replace(def, bound, ahead);
        EXECUTE def;
        EXECUTE format('REVOKE ALL ON FUNCTION %I(uuid, integer) FROM PUBLIC', f || '_ahead');
        EXECUTE format('GRANT EXECUTE ON FUNCTION %I(uuid, integer) TO lockstep_app', f || '_ahead');
        EXECUTE format('COMMENT ON FUNCTION %I(uuid, integer) IS %L', f || '_ahead',
                       format('%s(p_campaign) up to p_ahead_ms (<= 60000) before the release instant, '
                              'for preparing the release (0019); generated from %s', f, f));
    END LOOP;
END
$gen$;

-- The next campaign due within p_ahead_ms (at most 60 s) that is not due
-- yet, not published and not held, with the columns release_claim()
-- returns; not locked (preparing writes nothing; the release claims it).
CREATE FUNCTION release_peek(p_ahead_ms integer)
RETURNS TABLE (campaign_id uuid, title text, slug text, threat_models jsonb, release_at text,
               planned_release_at text, disclosure text, min_cohort integer,
               embargo_break boolean, held boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT c.id, c.title, c.slug,
           (SELECT jsonb_agg(t.code ORDER BY t.position) FROM threat_models t
             WHERE t.code = ANY (c.threat_models)),
           ls_ts(c.release_at), ls_ts(c.planned_release_at), c.disclosure, c.min_cohort,
           ls_embargo_break(c.id), false
      FROM campaigns c
     WHERE ls_kind() = 'scheduler' AND ls_uid() IS NULL
       AND c.state <> 'published' AND c.release_at > now()
       AND c.release_at <= now() + make_interval(secs => least(greatest(p_ahead_ms, 0), 60000) / 1000.0)
       AND NOT EXISTS (SELECT 1 FROM release_holds h WHERE h.campaign_id = c.id)
     ORDER BY c.release_at, c.id
     LIMIT 1
$$;
REVOKE ALL ON FUNCTION release_peek(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_peek(integer) TO lockstep_app;

-- A digest of everything the release reads about p_campaign: NULL when
-- the campaign is not within p_ahead_ms of its instant (or published) or
-- the caller is not the scheduler. A change to any input changes it; an
-- unchanged input may in principle change it too (a re-sealed text), which
-- only costs a rebuild.
CREATE FUNCTION release_stamp(p_campaign uuid, p_ahead_ms integer) RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_catalog
AS $$
    WITH i AS (SELECT release_inputs_ahead(p_campaign, p_ahead_ms) AS inputs)
    SELECT md5(concat_ws(E'\x1f',
               i.inputs::text,
               coalesce(review_release_inputs_ahead(p_campaign, p_ahead_ms)::text, '-'),
               coalesce(release_withheld_ahead(p_campaign, p_ahead_ms)::text, '-'),
               coalesce((SELECT string_agg(r::text, E'\x1e'
                                           ORDER BY r.engagement_id NULLS FIRST, r.log_idx)
                           FROM commitments_for_release_ahead(p_campaign, p_ahead_ms) r), '-')))
      FROM i WHERE i.inputs IS NOT NULL
$$;
REVOKE ALL ON FUNCTION release_stamp(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_stamp(uuid, integer) TO lockstep_app;

-- The head of the audit chain for an audit checkpoint (0010), without
-- counting every sealed event ever written: the release's trigger
-- (tlog_publications_log) takes a checkpoint, and count(*) over the whole
-- audit trail made publishing slower the older the server was (about
-- 100 ms with 400,000 events on an idle machine, seconds under load). The
-- sealer (0012) chains events in id order and never seals an id below the
-- newest sealed one, so the sealed events up to the last checkpoint's
-- last_id are exactly those it counted: the count is that checkpoint's
-- count plus the sealed events after its last_id (an index range). The
-- first checkpoint counts them all. Same result as 0010's definition.
CREATE OR REPLACE FUNCTION tlog_audit_head() RETURNS TABLE (count bigint, last_id bigint, head bytea)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_n bigint;
    v_upto bigint;
    v_count bigint;
BEGIN
    SELECT (t.body::jsonb ->> 'count')::bigint, (t.body::jsonb ->> 'last_id')::bigint
      INTO v_n, v_upto
      FROM tlog_entries t WHERE t.kind = 'audit-checkpoint'
     ORDER BY t.idx DESC LIMIT 1;
    IF v_n IS NOT NULL AND v_upto IS NOT NULL THEN
        -- planned with the value (a generic plan would scan the table)
        EXECUTE 'SELECT count(*) FROM audit_events a WHERE a.id > $1 AND a.hash IS NOT NULL'
           INTO v_count USING v_upto;
        v_count := v_n + v_count;
    ELSE
        SELECT count(*) INTO v_count FROM audit_events a WHERE a.hash IS NOT NULL;
    END IF;
    RETURN QUERY
        SELECT v_count,
               coalesce((SELECT a.id FROM audit_events a WHERE a.hash IS NOT NULL
                          ORDER BY a.id DESC LIMIT 1), 0),
               coalesce((SELECT a.hash FROM audit_events a WHERE a.hash IS NOT NULL
                          ORDER BY a.id DESC LIMIT 1),
                        '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
END $$;

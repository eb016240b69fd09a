-- 0021_merge: what the prepared release (0019) compares at the instant
-- covers what the security levels (0018) publish.
--
-- release_stamp() digests everything the release reads; 0018 added two
-- readers (levels_inputs: emulation, the levels not met, commitments and
-- verdicts; series_inputs: the publication the campaign follows), so a
-- change to any of them after the preparation must change the stamp and
-- make the instant build the release again. Neither reader has a time
-- bound (both answer only the scheduler identity), so no *_ahead variant
-- is needed.
CREATE OR REPLACE FUNCTION release_stamp(p_campaign uuid, p_ahead_ms integer) RETURNS text
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
                           FROM commitments_for_release_ahead(p_campaign, p_ahead_ms) r), '-'),
               coalesce(levels_inputs(p_campaign)::text, '-'),
               coalesce(series_inputs(p_campaign)::text, '-')))
      FROM i WHERE i.inputs IS NOT NULL
$$;
REVOKE ALL ON FUNCTION release_stamp(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_stamp(uuid, integer) TO lockstep_app;

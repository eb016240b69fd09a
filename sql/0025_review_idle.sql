-- 0025: the review scheduler compares only what may have changed
-- (issue 16).
--
-- Every replica's review round (0008) compared each campaign in its review
-- window with its drafts about once a second: review_inputs() re-read the
-- finding counts of every engagement (100,000 findings: about half a
-- second of CPU) for the 72 hours of every review window, whether or not
-- anything had been written. The change marker (0023) answers that
-- question in one index lookup: a campaign is compared again only when a
-- table the release (and so the review: review_inputs and levels_inputs
-- are among the readers release_input_tables() walks) reads was written by
-- a transaction that the snapshot taken before the last comparison did not
-- see. The first comparison (the window opening) is never skipped.

ALTER TABLE review_campaigns ADD COLUMN checked_snapshot text;
COMMENT ON COLUMN review_campaigns.checked_snapshot IS 'pg_current_snapshot() taken before the last comparison read anything (NULL: compare at the next round).';

CREATE OR REPLACE FUNCTION review_claim()
RETURNS TABLE (campaign_id uuid, title text, slug text, threat_models jsonb, release_at text,
               planned_release_at text, disclosure text, min_cohort integer, first boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    c campaigns%ROWTYPE;
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT * INTO c FROM campaigns x
     WHERE x.state <> 'published' AND x.release_at > now()
       AND ls_review_opens(x.release_at, x.review_opens_at) <= now()
       AND NOT EXISTS (SELECT 1 FROM review_campaigns r
                        WHERE r.campaign_id = x.id
                          AND (r.checked_at > now() - interval '1 second'
                               OR (r.checked_snapshot IS NOT NULL
                                   AND NOT release_inputs_changed_since(r.checked_snapshot))))
     ORDER BY x.release_at, x.id
     LIMIT 1
     FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT c.id, c.title, c.slug,
        (SELECT jsonb_agg(t.code ORDER BY t.position) FROM threat_models t
          WHERE t.code = ANY (c.threat_models)),
        ls_ts(c.release_at), ls_ts(c.planned_release_at), c.disclosure, c.min_cohort,
        NOT EXISTS (SELECT 1 FROM review_campaigns r WHERE r.campaign_id = c.id);
END $$;

-- Why SECURITY DEFINER: lockstep_app may not write review_campaigns.
-- Records that the campaign's drafts were compared now, with the snapshot
-- taken before the comparison read anything.
CREATE FUNCTION review_checked(p_campaign uuid, p_snapshot text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RAISE EXCEPTION 'only the review scheduler' USING ERRCODE = '42501';
    END IF;
    PERFORM p_snapshot::pg_snapshot; -- a snapshot, or an error
    INSERT INTO review_campaigns (campaign_id, checked_snapshot) VALUES (p_campaign, p_snapshot)
    ON CONFLICT (campaign_id) DO UPDATE SET checked_at = now(), checked_snapshot = p_snapshot;
END $$;
REVOKE ALL ON FUNCTION review_checked(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION review_checked(uuid, text) TO lockstep_app;

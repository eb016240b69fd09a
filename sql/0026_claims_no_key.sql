-- 0026: the review and commit rounds claim their campaign FOR NO KEY UPDATE.
--
-- review_claim (0008, 0025) and commit_claim (0010) locked the campaign
-- row FOR UPDATE for their whole transaction. That lock also blocks every
-- foreign-key check on the row (FOR KEY SHARE): an inbox row, a webhook
-- delivery, anything that names the campaign waited for the round to end,
-- and when the round in turn waited for that transaction (its review
-- states, its events) the two deadlocked; PostgreSQL broke it after
-- deadlock_timeout (1 s) and the loser ran again. Seen in the logs of the
-- tests: an engagement's stage move (its row locked, now FOR NO KEY UPDATE
-- in db/store engagement_move) writing its event while the review round
-- froze a draft of that engagement.
-- FOR NO KEY UPDATE still excludes every other round's claim (replicas
-- never freeze or commit one campaign twice at once) and every writer's
-- FOR SHARE (ls_refuse_when_frozen, 0003), but no longer the foreign-key
-- checks: nothing they protect is a key the rounds change.

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
     FOR NO KEY UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT c.id, c.title, c.slug,
        (SELECT jsonb_agg(t.code ORDER BY t.position) FROM threat_models t
          WHERE t.code = ANY (c.threat_models)),
        ls_ts(c.release_at), ls_ts(c.planned_release_at), c.disclosure, c.min_cohort,
        NOT EXISTS (SELECT 1 FROM review_campaigns r WHERE r.campaign_id = c.id);
END $$;

CREATE OR REPLACE FUNCTION commit_claim() RETURNS TABLE (campaign_id uuid, threat_models jsonb)
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
       AND coalesce(x.commit_at, x.release_at - interval '24 hours') <= now()
       AND NOT EXISTS (SELECT 1 FROM tlog_campaign_commits k WHERE k.campaign_id = x.id)
     ORDER BY x.release_at, x.id
     LIMIT 1
     FOR NO KEY UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT c.id,
        (SELECT jsonb_agg(t.code ORDER BY t.position) FROM threat_models t
          WHERE t.code = ANY (c.threat_models));
END $$;

-- 0024: the participants hear of a release right after it, not inside it
-- (issue 16, part 2).
--
-- The release transaction wrote, before its COMMIT, one event about the
-- campaign and one per engagement (an audit record, an inbox row for
-- every user of both organisations and of the coordinator, the mail
-- queue's rows, the webhooks' deliveries): about 100-180 ms for 100
-- engagements, during which nobody could read the publication. Now it
-- writes one row here instead, in the same transaction (both or neither),
-- and the scheduler emits the events in a transaction of its own in its
-- next round, once the row is half a second old (at most about a second
-- after the release: the first reads of the publication by the public do
-- not share the machine with them), and deletes the row with them. A
-- replica that dies in
-- between leaves the row: the next round of any replica emits the events
-- then (nothing is lost, nothing is told twice: the row and the events go
-- in one transaction).

CREATE TABLE release_events_pending (
    campaign_id uuid PRIMARY KEY REFERENCES campaigns (id),
    seq         bigint NOT NULL,
    slug        text NOT NULL,
    hash        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE release_events_pending IS 'Releases whose participants'' events are still to be written (0024); written and read only by the release scheduler''s functions.';
ALTER TABLE release_events_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE release_events_pending FORCE ROW LEVEL SECURITY;
REVOKE ALL ON release_events_pending FROM PUBLIC;

-- Why SECURITY DEFINER: lockstep_app may not write release_events_pending.
-- Called by the release transaction for the campaign it has just published.
CREATE FUNCTION release_events_defer(p_campaign uuid, p_seq bigint, p_slug text, p_hash text)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RAISE EXCEPTION 'only the release scheduler' USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM publications p WHERE p.campaign_id = p_campaign AND p.seq = p_seq) THEN
        RAISE EXCEPTION 'no such publication' USING ERRCODE = '42501';
    END IF;
    INSERT INTO release_events_pending (campaign_id, seq, slug, hash)
    VALUES (p_campaign, p_seq, p_slug, p_hash);
END $$;

-- Why SECURITY DEFINER: as above. Locks and returns the oldest pending
-- release at least p_min_age_ms old (SKIP LOCKED: replicas never emit the
-- same events twice), with its engagements and their two organisations;
-- nothing when none is pending or the caller is not the scheduler.
CREATE FUNCTION release_events_claim(p_min_age_ms integer)
RETURNS TABLE (campaign_id uuid, seq bigint, slug text, hash text, engagements jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    r release_events_pending%ROWTYPE;
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT * INTO r FROM release_events_pending x
     WHERE x.created_at <= clock_timestamp() - make_interval(secs => greatest(p_min_age_ms, 0) / 1000.0)
     ORDER BY x.created_at, x.campaign_id LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT r.campaign_id, r.seq, r.slug, r.hash,
        (SELECT coalesce(jsonb_object_agg(e.id, jsonb_build_array(e.company_org_id, e.assessor_org_id)),
                         '{}')
           FROM engagements e WHERE e.campaign_id = r.campaign_id);
END $$;

-- Why SECURITY DEFINER: as above. The events of the claimed release are
-- written: forget it.
CREATE FUNCTION release_events_done(p_campaign uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RAISE EXCEPTION 'only the release scheduler' USING ERRCODE = '42501';
    END IF;
    DELETE FROM release_events_pending WHERE campaign_id = p_campaign;
END $$;

REVOKE ALL ON FUNCTION release_events_defer(uuid, bigint, text, text),
    release_events_claim(integer), release_events_done(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_events_defer(uuid, bigint, text, text),
    release_events_claim(integer), release_events_done(uuid) TO lockstep_app;

-- 0004: anonymity and confidentiality that hold against an adversary
-- (issue 8).
--
--  * Claim summaries and company statements are encrypted at rest, like
--    findings: AES-256-GCM under the engagement's data key, associated
--    data bound to the row and column (lockstep/v1/claim/<engagement>/
--    <threat model>/summary, lockstep/v1/statement/<engagement>/text).
--    The old plaintext columns are kept as *_plain for rows written
--    before this migration (NULL for every new write) and are read only
--    when no sealed value exists.
--  * Every instant ever set as a campaign's release_at is recorded, with
--    the time it was set (campaign_release_history, written by trigger).
--    The release is an embargo break when it happens before any instant
--    that was announced at some point, not only before the first one.
--  * The evidence quota is the engagement's: the usage counts every
--    complete file and every upload in progress of the engagement,
--    whoever started it (row-level security shows a user only their own
--    uploads in progress), through one narrow SECURITY DEFINER function.
--  * The name pre-check reads the names and aliases of every company on
--    the platform (never only the campaign's, so its answer says nothing
--    about who takes part) through one narrow SECURITY DEFINER function.

SET LOCAL search_path = public, pg_catalog;

-- ---------------------------------------------------------------------
-- claims and statements, sealed
-- ---------------------------------------------------------------------

ALTER TABLE claims RENAME COLUMN summary TO summary_plain;
ALTER TABLE claims ALTER COLUMN summary_plain DROP NOT NULL;
ALTER TABLE claims ADD COLUMN summary bytea CHECK (length(summary) <= 8300);
ALTER TABLE claims ADD CONSTRAINT claims_summary_present
    CHECK (summary IS NOT NULL OR summary_plain IS NOT NULL);
COMMENT ON COLUMN claims.summary IS 'AES-256-GCM under the engagement data key, AAD lockstep/v1/claim/<engagement_id>/<threat_model>/summary.';
COMMENT ON COLUMN claims.summary_plain IS 'Plaintext of rows written before 0004; NULL for every later write.';

ALTER TABLE statements RENAME COLUMN text TO text_plain;
ALTER TABLE statements ALTER COLUMN text_plain DROP NOT NULL;
ALTER TABLE statements ADD COLUMN text bytea CHECK (length(text) <= 20300);
ALTER TABLE statements ADD CONSTRAINT statements_text_present
    CHECK (text IS NOT NULL OR text_plain IS NOT NULL);
COMMENT ON COLUMN statements.text IS 'AES-256-GCM under the engagement data key, AAD lockstep/v1/statement/<engagement_id>/text.';
COMMENT ON COLUMN statements.text_plain IS 'Plaintext of rows written before 0004; NULL for every later write.';

GRANT UPDATE (summary, summary_plain) ON claims TO lockstep_app;
GRANT UPDATE (text, text_plain) ON statements TO lockstep_app;

-- ---------------------------------------------------------------------
-- release-date history
-- ---------------------------------------------------------------------

CREATE TABLE campaign_release_history (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  uuid NOT NULL REFERENCES campaigns (id),
    release_at   timestamptz NOT NULL,
    announced_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE campaign_release_history IS 'Every release instant ever set for a campaign and when it was set; append-only, written by trigger.';
CREATE INDEX campaign_release_history_idx ON campaign_release_history (campaign_id, id);
COMMENT ON INDEX campaign_release_history_idx IS 'release_inputs, ls_embargo_break and campaign_release_history_list: one campaign''s history in order.';

-- what was known before this migration: the first instant and the current one
INSERT INTO campaign_release_history (campaign_id, release_at, announced_at)
    SELECT id, planned_release_at, created_at FROM campaigns;
INSERT INTO campaign_release_history (campaign_id, release_at, announced_at)
    SELECT id, release_at, updated_at FROM campaigns WHERE release_at <> planned_release_at;

CREATE TRIGGER campaign_release_history_append_only BEFORE UPDATE OR DELETE
    ON campaign_release_history FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER campaign_release_history_no_truncate BEFORE TRUNCATE
    ON campaign_release_history FOR EACH STATEMENT EXECUTE FUNCTION ls_refuse_change();

-- Why SECURITY DEFINER: lockstep_app has no privilege to write the
-- history, so that nobody can write one that did not happen. Records the
-- new instant of every inserted campaign and of every change of
-- release_at; returns nothing.
CREATE FUNCTION campaigns_release_history() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.release_at IS DISTINCT FROM OLD.release_at THEN
        INSERT INTO campaign_release_history (campaign_id, release_at) VALUES (NEW.id, NEW.release_at);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER campaigns_release_history AFTER INSERT OR UPDATE OF release_at ON campaigns
    FOR EACH ROW EXECUTE FUNCTION campaigns_release_history();

-- True when the campaign's release instant lies before any instant ever
-- announced for it (moving a release earlier than it once was breaks the
-- embargo, whatever was set first). Runs with the caller's rights: the
-- callers below are SECURITY DEFINER.
CREATE FUNCTION ls_embargo_break(p_campaign uuid) RETURNS boolean LANGUAGE sql STABLE
SET search_path = public, pg_catalog
AS $$
    SELECT coalesce((SELECT EXISTS (SELECT 1 FROM campaign_release_history h
                                     WHERE h.campaign_id = c.id AND h.release_at > c.release_at)
                       FROM campaigns c WHERE c.id = p_campaign), false)
$$;

ALTER TABLE campaign_release_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaign_release_history FORCE ROW LEVEL SECURITY;
CREATE POLICY campaign_release_history_read ON campaign_release_history FOR SELECT
    USING (ls_is_coordinator());
REVOKE ALL ON campaign_release_history FROM PUBLIC;
GRANT SELECT ON campaign_release_history TO lockstep_app;

-- The scheduler's functions of 0003, with the honest embargo break.

CREATE OR REPLACE FUNCTION release_claim()
RETURNS TABLE (campaign_id uuid, title text, slug text, threat_models jsonb, release_at text,
               planned_release_at text, disclosure text, min_cohort integer,
               embargo_break boolean, held boolean)
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
     WHERE x.state <> 'published' AND x.release_at <= now()
       AND NOT EXISTS (SELECT 1 FROM release_holds h
                        WHERE h.campaign_id = x.id AND h.checked_at > now() - interval '1 second')
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
        ls_embargo_break(c.id),
        EXISTS (SELECT 1 FROM release_holds h WHERE h.campaign_id = c.id);
END $$;

-- As in 0003, plus: claim summaries and statements come sealed (hex of
-- the ciphertext) with each engagement's wrapped data key (hex), which
-- the scheduler unwraps with the master key it holds and no database
-- does; rows from before 0004 come as plaintext; and the campaign's
-- release-date history.
CREATE OR REPLACE FUNCTION release_inputs(p_campaign uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT jsonb_build_object(
        'release_history', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                'release_at', ls_ts(h.release_at),
                                'announced_at', ls_ts(h.announced_at)) ORDER BY h.id), '[]')
                              FROM campaign_release_history h WHERE h.campaign_id = p_campaign),
        'companies', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'id', o.id, 'name', o.name, 'aliases', to_jsonb(o.aliases)) ORDER BY o.id), '[]')
                        FROM orgs o
                       WHERE o.id IN (SELECT e.company_org_id FROM engagements e
                                       WHERE e.campaign_id = p_campaign)),
        'engagements', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'id', e.id,
                          'company', e.company_org_id,
                          'assessor_firm', ao.name,
                          'lead_assessors', to_jsonb(e.lead_assessors),
                          'data_key', (SELECT encode(es.data_key, 'hex') FROM engagement_secrets es
                                        WHERE es.engagement_id = e.id),
                          'statement', (SELECT s.text_plain FROM statements s WHERE s.engagement_id = e.id),
                          'statement_sealed', (SELECT encode(s.text, 'hex') FROM statements s
                                                WHERE s.engagement_id = e.id),
                          'claims', (SELECT coalesce(jsonb_object_agg(cl.threat_model,
                                        jsonb_build_object('level', cl.level,
                                                           'summary', cl.summary_plain,
                                                           'summary_sealed', encode(cl.summary, 'hex'))), '{}')
                                       FROM claims cl WHERE cl.engagement_id = e.id),
                          'findings', (SELECT coalesce(jsonb_agg(jsonb_build_array(
                                          f.threat_model, f.severity, f.status, f.n)), '[]')
                                         FROM (SELECT fi.threat_model, fi.severity, fi.status, count(*) AS n
                                                 FROM findings fi WHERE fi.engagement_id = e.id
                                                GROUP BY 1, 2, 3) f)
                          ) ORDER BY e.id), '[]')
                          FROM engagements e JOIN orgs ao ON ao.id = e.assessor_org_id
                         WHERE e.campaign_id = p_campaign))
     WHERE ls_kind() = 'scheduler' AND ls_uid() IS NULL
       AND EXISTS (SELECT 1 FROM campaigns c
                    WHERE c.id = p_campaign AND c.release_at <= now() AND c.state <> 'published')
$$;

CREATE OR REPLACE FUNCTION release_publish(p_campaign uuid, p_seq bigint, p_document text,
                                           p_signature bytea, p_hash bytea, p_prev_hash bytea,
                                           p_signing_key bytea)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    c campaigns%ROWTYPE;
    v_head_seq bigint;
    v_head_hash bytea;
    v_at timestamptz;
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RAISE EXCEPTION 'only the release scheduler publishes' USING ERRCODE = '42501';
    END IF;
    SELECT * INTO c FROM campaigns WHERE id = p_campaign FOR UPDATE;
    IF NOT FOUND OR c.state = 'published' OR c.release_at > now() THEN
        RAISE EXCEPTION 'campaign is not due for release' USING ERRCODE = '42501';
    END IF;
    SELECT h.seq, h.hash INTO v_head_seq, v_head_hash FROM release_chain_head() h;
    IF p_seq <> v_head_seq + 1 OR p_prev_hash <> v_head_hash THEN
        RAISE EXCEPTION 'publication does not continue the chain' USING ERRCODE = '42501';
    END IF;
    IF sha256(convert_to(p_document, 'UTF8')) <> p_hash THEN
        RAISE EXCEPTION 'hash does not match the document' USING ERRCODE = '42501';
    END IF;
    v_at := clock_timestamp();
    INSERT INTO publications (seq, campaign_id, slug, title, disclosure, release_at, published_at,
                              embargo_break, document, signature, hash, prev_hash, signing_key)
    VALUES (p_seq, c.id, c.slug, c.title, c.disclosure, c.release_at, v_at,
            ls_embargo_break(c.id), p_document, p_signature, p_hash, p_prev_hash,
            p_signing_key);
    UPDATE campaigns SET state = 'published', updated_at = now() WHERE id = c.id;
    DELETE FROM release_holds WHERE campaign_id = c.id;
    RETURN ls_ts(v_at);
END $$;

-- ---------------------------------------------------------------------
-- the engagement's evidence quota
-- ---------------------------------------------------------------------

-- Why SECURITY DEFINER: the quota is the engagement's, but row-level
-- security shows a user only their own uploads in progress, so a usage
-- summed under the caller's identity misses everybody else's. Returns one
-- number, never a row: the bytes every complete file and every upload in
-- progress of the engagement use (an upload counts its declared length),
-- other than p_except; 0 unless the caller is a user of the engagement's
-- company or assessor. The caller holds the engagement's advisory lock
-- (evidence_lock_engagement), so concurrent creations see each other.
CREATE FUNCTION evidence_engagement_usage(p_engagement uuid, p_except uuid) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT coalesce(sum(CASE WHEN ev.state = 'complete' THEN ev.size
                             ELSE greatest(ev.size, coalesce(ev.upload_length, 0)) END), 0)::bigint
      FROM evidence ev
     WHERE ev.engagement_id = p_engagement AND ev.id IS DISTINCT FROM p_except
       AND ls_uid() IS NOT NULL
       AND EXISTS (SELECT 1 FROM engagements e
                    WHERE e.id = p_engagement
                      AND (e.company_org_id = ls_org() OR e.assessor_org_id = ls_org()))
$$;

-- ---------------------------------------------------------------------
-- the name pre-check
-- ---------------------------------------------------------------------

-- Why SECURITY DEFINER: a participant may not read other companies'
-- names. Returns the names and aliases of every company org on the
-- platform (not only the campaign's, so the answer, which only ever
-- carries spans of the caller's own text, says nothing about who takes
-- part) to a user of the engagement's company or assessor, and only when
-- the campaign's disclosure hides names (pseudonymous, aggregate).
-- Nothing otherwise.
CREATE FUNCTION name_check_names(p_engagement uuid) RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT n.name
      FROM orgs o, LATERAL unnest(array_prepend(o.name, o.aliases)) AS n(name)
     WHERE o.kind = 'company'
       AND ls_uid() IS NOT NULL
       AND EXISTS (SELECT 1 FROM engagements e JOIN campaigns c ON c.id = e.campaign_id
                    WHERE e.id = p_engagement AND c.disclosure <> 'named'
                      AND (e.company_org_id = ls_org() OR e.assessor_org_id = ls_org()))
$$;

REVOKE ALL ON FUNCTION campaigns_release_history(), ls_embargo_break(uuid),
    evidence_engagement_usage(uuid, uuid), name_check_names(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION campaigns_release_history(), ls_embargo_break(uuid),
    evidence_engagement_usage(uuid, uuid), name_check_names(uuid) TO lockstep_app;

-- 0003: the coordinated release.
--
-- At a campaign's release instant one lockstepd replica claims it (the
-- scheduler, server/publish/schedule.c), reads the about-to-be-public
-- inputs through the narrow SECURITY DEFINER functions below, builds the
-- canonical JSON document, signs it and stores it in `publications`, all
-- in one transaction: the campaign row is locked FOR UPDATE SKIP LOCKED,
-- so two replicas never publish the same campaign, and a replica that
-- dies mid-way commits nothing.
--
-- The scheduler runs as lockstep_app (no BYPASSRLS) under the pseudo
-- identity org_kind = 'scheduler' with no user and no org: every tenant
-- policy hides every tenant row from it. What it may read is exactly what
-- these functions return, and they return data only for campaigns whose
-- release instant has passed, and only counts of findings, never their
-- (encrypted) text.
--
-- The embargo lives here too: `publications` rows are readable (by anyone,
-- anonymous included) only once their release instant has passed, by
-- policy; lockstep_app may not update or delete them (no privilege) and a
-- trigger refuses it for every role.

SET LOCAL search_path = public, pg_catalog;

-- ---------------------------------------------------------------------
-- tables
-- ---------------------------------------------------------------------

CREATE TABLE publications (
    seq           bigint PRIMARY KEY CHECK (seq >= 1),
    campaign_id   uuid NOT NULL UNIQUE REFERENCES campaigns (id),
    slug          text NOT NULL UNIQUE,
    title         text NOT NULL,
    disclosure    text NOT NULL,
    release_at    timestamptz NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    embargo_break boolean NOT NULL,
    document      text NOT NULL,
    signature     bytea NOT NULL CHECK (length(signature) = 64),
    hash          bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
    prev_hash     bytea NOT NULL UNIQUE CHECK (length(prev_hash) = 32),
    signing_key   bytea NOT NULL CHECK (length(signing_key) = 32)
);
COMMENT ON TABLE publications IS 'One signed, immutable snapshot per released campaign. document holds the exact canonical JSON bytes that were signed (Ed25519) and hashed (SHA-256); prev_hash is the hash of the publication with seq - 1 (zeros for the first), so the rows form one chain across all campaigns.';
COMMENT ON CONSTRAINT publications_prev_hash_key ON publications IS 'The chain never forks: every publication has at most one successor.';
COMMENT ON CONSTRAINT publications_campaign_id_key ON publications IS 'A campaign is published exactly once.';
CREATE INDEX publications_release_idx ON publications (release_at);
COMMENT ON INDEX publications_release_idx IS 'publications_read policy: rows whose release instant has passed.';

-- A release the scheduler refused to make (a participating company's name
-- or alias appears in a text that would be published under pseudonymous
-- or aggregate disclosure). Only the coordinator may read it; the
-- scheduler writes it through release_hold().
CREATE TABLE release_holds (
    campaign_id uuid PRIMARY KEY REFERENCES campaigns (id),
    reasons     jsonb NOT NULL,
    held_at     timestamptz NOT NULL DEFAULT now(),
    checked_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE release_holds IS 'Held releases and why; deleted when the campaign is published.';

CREATE INDEX campaigns_due_idx ON campaigns (release_at, id) WHERE state <> 'published';
COMMENT ON INDEX campaigns_due_idx IS 'release_claim: unpublished campaigns in release order.';

-- ---------------------------------------------------------------------
-- immutability
-- ---------------------------------------------------------------------

CREATE TRIGGER publications_append_only BEFORE UPDATE OR DELETE ON publications
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER publications_no_truncate BEFORE TRUNCATE ON publications
    FOR EACH STATEMENT EXECUTE FUNCTION ls_refuse_change();

-- Why SECURITY DEFINER: whether a campaign is frozen depends on
-- release_holds, which only the coordinator may read, yet every
-- participant's write must be checked against it. Returns one boolean,
-- never the hold's reasons: true once the campaign is published, or once
-- its release instant has passed and no hold keeps it open for fixes.
-- Unknown ids answer false.
CREATE FUNCTION ls_campaign_frozen(p_campaign uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT coalesce((
        SELECT c.state = 'published'
               OR (c.release_at <= now()
                   AND NOT EXISTS (SELECT 1 FROM release_holds h WHERE h.campaign_id = c.id))
          FROM campaigns c WHERE c.id = p_campaign), false)
$$;

-- A published campaign never changes again, whoever asks.
CREATE FUNCTION campaigns_published_immutable() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF OLD.state = 'published' THEN
        RAISE EXCEPTION 'campaign % is published and immutable', OLD.id USING ERRCODE = '42501';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER campaigns_published_immutable BEFORE UPDATE OR DELETE ON campaigns
    FOR EACH ROW EXECUTE FUNCTION campaigns_published_immutable();

-- Claims, statements and findings of a frozen campaign no longer change
-- (the API refuses first with 409; this is the backstop), and a write in
-- flight at the instant is either wholly in the publication or refused:
-- the write takes the campaign row FOR SHARE, which the scheduler's FOR
-- UPDATE SKIP LOCKED skips until the write commits (so the publication
-- includes it), and a write that waited for a release in progress then
-- finds the campaign published. SECURITY DEFINER only to resolve and lock
-- the engagement's campaign whatever the caller may see; it returns
-- nothing.
CREATE FUNCTION ls_refuse_when_frozen() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_campaign uuid;
BEGIN
    SELECT e.campaign_id INTO v_campaign FROM engagements e WHERE e.id = NEW.engagement_id;
    PERFORM 1 FROM campaigns c WHERE c.id = v_campaign FOR SHARE;
    IF ls_campaign_frozen(v_campaign) THEN
        RAISE EXCEPTION 'the campaign has been released' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER claims_frozen BEFORE INSERT OR UPDATE ON claims
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_when_frozen();
CREATE TRIGGER statements_frozen BEFORE INSERT OR UPDATE ON statements
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_when_frozen();
CREATE TRIGGER findings_frozen BEFORE INSERT OR UPDATE ON findings
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_when_frozen();

-- ---------------------------------------------------------------------
-- the scheduler's functions. Each checks the 'scheduler' identity, so a
-- request handler (which runs under a user's identity or none) gets
-- nothing from them even through a bug.
-- ---------------------------------------------------------------------

-- Why SECURITY DEFINER: the scheduler has no identity that could see
-- campaigns. Locks and returns one due, unpublished campaign that no other
-- transaction holds (FOR UPDATE SKIP LOCKED: replicas never wait for, and
-- never both take, the same campaign; the lock lasts until the caller's
-- transaction ends). A held campaign is looked at again once a second, so
-- a fixed text goes out promptly.
CREATE FUNCTION release_claim()
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
        c.release_at < c.planned_release_at,
        EXISTS (SELECT 1 FROM release_holds h WHERE h.campaign_id = c.id);
END $$;

-- Why SECURITY DEFINER: at the release instant the scheduler must read
-- what becomes public (claims, statements, assessor names) and, for the
-- name check and named disclosure, the participating companies' names and
-- aliases, none of which its identity may see. Returns them only for a
-- campaign whose release instant has passed and that is not yet
-- published; of findings only counts per threat model, severity and
-- status. NULL otherwise.
CREATE FUNCTION release_inputs(p_campaign uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT jsonb_build_object(
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
                          'statement', (SELECT s.text FROM statements s WHERE s.engagement_id = e.id),
                          'claims', (SELECT coalesce(jsonb_object_agg(cl.threat_model,
                                        jsonb_build_object('level', cl.level, 'summary', cl.summary)), '{}')
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

-- Why SECURITY DEFINER: the chain spans every campaign. Serialises
-- publishing (a transaction-level advisory lock, held until the caller
-- commits or rolls back) and returns the head of the chain: the last
-- sequence number and its hash (0 and 32 zero bytes when empty).
CREATE FUNCTION release_chain_head() RETURNS TABLE (seq bigint, hash bytea)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(7418910);
    RETURN QUERY
        SELECT coalesce(max(p.seq), 0),
               coalesce((SELECT p2.hash FROM publications p2 ORDER BY p2.seq DESC LIMIT 1),
                        '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
          FROM publications p;
END $$;

-- Why SECURITY DEFINER: lockstep_app has no privilege to write
-- publications at all. Stores one publication for a due, unpublished
-- campaign, after checking that it continues the chain (seq and prev_hash
-- are the head's successor, under the lock of release_chain_head) and
-- that hash is the SHA-256 of the stored document bytes; marks the
-- campaign published and drops its hold. Raises on any mismatch.
CREATE FUNCTION release_publish(p_campaign uuid, p_seq bigint, p_document text, p_signature bytea,
                                p_hash bytea, p_prev_hash bytea, p_signing_key bytea)
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
            c.release_at < c.planned_release_at, p_document, p_signature, p_hash, p_prev_hash,
            p_signing_key);
    UPDATE campaigns SET state = 'published', updated_at = now() WHERE id = c.id;
    DELETE FROM release_holds WHERE campaign_id = c.id;
    RETURN ls_ts(v_at);
END $$;

-- Why SECURITY DEFINER: lockstep_app may not write release_holds, and the
-- scheduler's identity may not see campaigns. Records (or refreshes) the
-- hold of a due, unpublished campaign with its reasons. Returns true when
-- the reasons are new or changed (the caller then audits), false when only
-- the check time moved.
CREATE FUNCTION release_hold(p_campaign uuid, p_reasons jsonb) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_old jsonb;
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RAISE EXCEPTION 'only the release scheduler holds releases' USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = p_campaign AND c.state <> 'published'
                    AND c.release_at <= now()) THEN
        RAISE EXCEPTION 'campaign is not due for release' USING ERRCODE = '42501';
    END IF;
    SELECT h.reasons INTO v_old FROM release_holds h WHERE h.campaign_id = p_campaign FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO release_holds (campaign_id, reasons) VALUES (p_campaign, p_reasons);
        RETURN true;
    END IF;
    IF v_old = p_reasons THEN
        UPDATE release_holds SET checked_at = now() WHERE campaign_id = p_campaign;
        RETURN false;
    END IF;
    UPDATE release_holds SET reasons = p_reasons, held_at = now(), checked_at = now()
     WHERE campaign_id = p_campaign;
    RETURN true;
END $$;

-- ---------------------------------------------------------------------
-- row-level security
-- ---------------------------------------------------------------------

ALTER TABLE publications ENABLE ROW LEVEL SECURITY;
ALTER TABLE publications FORCE ROW LEVEL SECURITY;
-- Anyone, anonymous callers included, and only once the instant has passed.
CREATE POLICY publications_read ON publications FOR SELECT USING (release_at <= now());

ALTER TABLE release_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE release_holds FORCE ROW LEVEL SECURITY;
CREATE POLICY release_holds_read ON release_holds FOR SELECT USING (ls_is_coordinator());

-- ---------------------------------------------------------------------
-- privileges: lockstep_app reads; it never writes either table directly
-- ---------------------------------------------------------------------

REVOKE ALL ON publications, release_holds FROM PUBLIC;
GRANT SELECT ON publications TO lockstep_app;
GRANT SELECT ON release_holds TO lockstep_app;

REVOKE ALL ON FUNCTION ls_campaign_frozen(uuid), campaigns_published_immutable(),
    ls_refuse_when_frozen(), release_claim(), release_inputs(uuid), release_chain_head(),
    release_publish(uuid, bigint, text, bytea, bytea, bytea, bytea), release_hold(uuid, jsonb)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ls_campaign_frozen(uuid), campaigns_published_immutable(),
    ls_refuse_when_frozen(), release_claim(), release_inputs(uuid), release_chain_head(),
    release_publish(uuid, bigint, text, bytea, bytea, bytea, bytea), release_hold(uuid, jsonb)
    TO lockstep_app;

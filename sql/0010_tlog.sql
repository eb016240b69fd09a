-- 0010: the transparency log (issue 13).
--
-- An append-only Merkle tree log (RFC 9162 hashing) of typed, canonical
-- JSON entries that never carry a company name, id or confidential text:
--
--   publication       {"hash":"<hex>","sequence":N,"type":"publication"}
--   audit-checkpoint  {"count":N,"head":"<hex>","last_id":N,"type":"audit-checkpoint"}
--   key               {"key":"<base64url>","purpose":"publication-signing"|"log","type":"key"}
--   correction        {"corrects":"<publication hash>","hash":"<correction hash>","type":"correction"}
--   evidence-receipt  {"receipt":"<hex SHA-256 of the receipt's canonical JSON>","type":"evidence-receipt"}
--   commitment        {"commitment":"<hex>","type":"commitment"}
--   campaign-commitment {"commitments":[idx,...],"count":N,"type":"campaign-commitment"}
--
-- A commitment is SHA-256(salt || canonical JSON of an engagement's
-- publishable row without company, assessor and commitment), made at the
-- campaign's commit instant (commit_at, by default 24 hours before the
-- release); the salt is kept sealed and revealed in the publication.
--
-- Entry i's leaf hash is SHA-256(0x00 || body); the tree over the leaf
-- hashes is computed by lockstepd (server/tlog/merkle.c), which signs
-- checkpoints (C2SP signed notes) and stores them in tlog_checkpoints.
-- The log is public: its tables hold no tenant data and have no
-- row-level security; lockstep_app may read them and write them only
-- through the SECURITY DEFINER functions below. Nobody may change or
-- delete a row (trigger), the owner included, short of dropping the
-- trigger, which is what witnesses are for.

SET LOCAL search_path = public, pg_catalog;

CREATE TABLE tlog_entries (
    idx        bigint PRIMARY KEY CHECK (idx >= 0),
    kind       text NOT NULL CHECK (kind IN ('publication', 'audit-checkpoint', 'key',
                                            'commitment', 'campaign-commitment',
                                            'evidence-receipt', 'correction')),
    body       text NOT NULL CHECK (octet_length(body) BETWEEN 2 AND 65535),
    leaf_hash  bytea NOT NULL CHECK (length(leaf_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE tlog_entries IS 'The transparency log: entry idx (from 0) with its canonical JSON body and leaf hash SHA-256(0x00 || body). Append-only for every role.';
CREATE INDEX tlog_entries_kind_idx ON tlog_entries (kind, idx);
COMMENT ON INDEX tlog_entries_kind_idx IS 'tlog_audit_checkpoint and tlog_announce_key: the last entry of a kind.';
CREATE UNIQUE INDEX tlog_entries_leaf_idx ON tlog_entries (leaf_hash, idx);
COMMENT ON INDEX tlog_entries_leaf_idx IS 'tlog_find: an entry by its leaf hash (GET /log/proof/inclusion?hash=).';

CREATE TABLE tlog_checkpoints (
    size       bigint PRIMARY KEY CHECK (size >= 1),
    root       bytea NOT NULL CHECK (length(root) = 32),
    note       text NOT NULL CHECK (octet_length(note) <= 8192),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE tlog_checkpoints IS 'Signed checkpoints (C2SP signed note, checkpoint body) of the log, one per tree size. Ed25519 is deterministic, so every replica signs the same note for a size.';

CREATE TABLE tlog_cosignatures (
    size       bigint NOT NULL REFERENCES tlog_checkpoints (size),
    witness    text NOT NULL CHECK (octet_length(witness) BETWEEN 1 AND 128),
    line       text NOT NULL CHECK (octet_length(line) <= 512),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (size, witness)
);
COMMENT ON TABLE tlog_cosignatures IS 'Witness cosignature lines (C2SP tlog-cosignature) collected for a checkpoint.';

CREATE TRIGGER tlog_entries_append_only BEFORE UPDATE OR DELETE ON tlog_entries
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER tlog_entries_no_truncate BEFORE TRUNCATE ON tlog_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER tlog_checkpoints_append_only BEFORE UPDATE OR DELETE ON tlog_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER tlog_checkpoints_no_truncate BEFORE TRUNCATE ON tlog_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER tlog_cosignatures_append_only BEFORE UPDATE OR DELETE ON tlog_cosignatures
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER tlog_cosignatures_no_truncate BEFORE TRUNCATE ON tlog_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION ls_refuse_change();

-- Not callable by lockstep_app (no grant): appends one entry at the end of
-- the log under the log's advisory lock (7418911, db/locks.h
-- DB_LOCK_TLOG), so indices never collide or skip. Returns its index.
CREATE FUNCTION tlog_append(p_kind text, p_body text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_idx bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7418911);
    SELECT coalesce(max(idx) + 1, 0) INTO v_idx FROM tlog_entries;
    INSERT INTO tlog_entries (idx, kind, body, leaf_hash)
    VALUES (v_idx, p_kind, p_body,
            sha256('\x00'::bytea || convert_to(p_body, 'UTF8')));
    RETURN v_idx;
END $$;

-- Why SECURITY DEFINER: the audit chain spans every tenant and only
-- coordinators and admins may read its rows. Returns the head of the
-- chain only: how many events, the last id and its hash (0, 0 and 32 zero
-- bytes when empty). The one place the log reads the audit chain from,
-- so a later change of the chain (issue 16's sealer) touches only this.
-- Only chained events count (hash IS NOT NULL: always so here; with a
-- sealer that chains events after their insert, the sealed head).
CREATE FUNCTION tlog_audit_head() RETURNS TABLE (count bigint, last_id bigint, head bytea)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT (SELECT count(*) FROM audit_events a WHERE a.hash IS NOT NULL),
           coalesce((SELECT a.id FROM audit_events a WHERE a.hash IS NOT NULL
                      ORDER BY a.id DESC LIMIT 1), 0),
           coalesce((SELECT a.hash FROM audit_events a WHERE a.hash IS NOT NULL
                      ORDER BY a.id DESC LIMIT 1),
                    '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
$$;

-- Why SECURITY DEFINER: lockstep_app may not write the log. Appends an
-- audit checkpoint (the audit chain's head) unless the chain is empty,
-- the last audit checkpoint already names this head, or (unless p_force)
-- the last one is younger than p_min_seconds. Serialised by the log's
-- lock, so replicas that tick at the same time append it once. Returns
-- the new entry's index, or NULL when nothing was appended.
CREATE FUNCTION tlog_audit_checkpoint(p_min_seconds integer, p_force boolean) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    h record;
    v_last tlog_entries%ROWTYPE;
    v_body text;
BEGIN
    PERFORM pg_advisory_xact_lock(7418911);
    SELECT * INTO h FROM tlog_audit_head();
    IF h.count = 0 THEN
        RETURN NULL;
    END IF;
    v_body := format('{"count":%s,"head":"%s","last_id":%s,"type":"audit-checkpoint"}',
                     h.count, encode(h.head, 'hex'), h.last_id);
    SELECT * INTO v_last FROM tlog_entries
     WHERE kind = 'audit-checkpoint' ORDER BY idx DESC LIMIT 1;
    IF FOUND AND (v_last.body = v_body
                  OR (NOT p_force
                      AND v_last.created_at > clock_timestamp() - make_interval(secs => p_min_seconds))) THEN
        RETURN NULL;
    END IF;
    RETURN tlog_append('audit-checkpoint', v_body);
END $$;

-- Why SECURITY DEFINER: lockstep_app may not write the log. Announces a
-- public key (Ed25519, 32 bytes) for a purpose, once: returns the new
-- entry's index, or NULL when the same key was announced for it before.
CREATE FUNCTION tlog_announce_key(p_purpose text, p_key bytea) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_body text;
BEGIN
    IF p_purpose NOT IN ('publication-signing', 'log') OR length(p_key) <> 32 THEN
        RAISE EXCEPTION 'invalid key announcement' USING ERRCODE = '22023';
    END IF;
    v_body := format('{"key":"%s","purpose":"%s","type":"key"}',
                     rtrim(translate(encode(p_key, 'base64'), E'+/\n', '-_'), '='), p_purpose);
    PERFORM pg_advisory_xact_lock(7418911);
    IF EXISTS (SELECT 1 FROM tlog_entries WHERE kind = 'key' AND body = v_body) THEN
        RETURN NULL;
    END IF;
    RETURN tlog_append('key', v_body);
END $$;

-- Why SECURITY DEFINER: lockstep_app may not write the log. Logs the
-- SHA-256 of an evidence receipt's canonical JSON (signed by lockstepd),
-- once: a receipt asked for again finds its entry by leaf hash. Returns
-- the entry's index.
CREATE FUNCTION tlog_evidence_receipt(p_hash bytea) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_body text;
    v_idx bigint;
BEGIN
    IF length(p_hash) <> 32 THEN
        RAISE EXCEPTION 'a receipt hash is 32 bytes' USING ERRCODE = '22023';
    END IF;
    v_body := format('{"receipt":"%s","type":"evidence-receipt"}', encode(p_hash, 'hex'));
    PERFORM pg_advisory_xact_lock(7418911);
    SELECT t.idx INTO v_idx FROM tlog_entries t
     WHERE t.leaf_hash = sha256('\x00'::bytea || convert_to(v_body, 'UTF8'))
     ORDER BY t.idx LIMIT 1;
    IF FOUND THEN
        RETURN v_idx;
    END IF;
    RETURN tlog_append('evidence-receipt', v_body);
END $$;

-- Why SECURITY DEFINER: lockstep_app may not write checkpoints directly.
-- Stores a signed checkpoint for a size the log has reached (the note is
-- signed by lockstepd with the log key; its root is the tree's over the
-- first p_size entries). A size stored before is kept as it is.
CREATE FUNCTION tlog_checkpoint_store(p_size bigint, p_root bytea, p_note text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF p_size < 1 OR p_size > (SELECT count(*) FROM tlog_entries) THEN
        RAISE EXCEPTION 'checkpoint beyond the log' USING ERRCODE = '22023';
    END IF;
    INSERT INTO tlog_checkpoints (size, root, note) VALUES (p_size, p_root, p_note)
    ON CONFLICT (size) DO NOTHING;
    RETURN FOUND;
END $$;

-- Why SECURITY DEFINER: lockstep_app may not write cosignatures directly.
-- Stores a witness's cosignature line for a stored checkpoint (verified by
-- lockstepd against the witness's configured key first); a second one of
-- the same witness for the same size is ignored.
CREATE FUNCTION tlog_cosignature_store(p_size bigint, p_witness text, p_line text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    INSERT INTO tlog_cosignatures (size, witness, line) VALUES (p_size, p_witness, p_line)
    ON CONFLICT (size, witness) DO NOTHING;
    RETURN FOUND;
END $$;

-- Every publication goes into the log the moment it is stored, with the
-- audit chain's head as of the release (AFTER INSERT, inside the
-- releasing transaction: both or neither). Not a replacement of
-- release_publish: a trigger, so other changes to the release stay apart.
CREATE FUNCTION tlog_publications_log() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    PERFORM tlog_append('publication',
        format('{"hash":"%s","sequence":%s,"type":"publication"}',
               encode(NEW.hash, 'hex'), NEW.seq));
    PERFORM tlog_audit_checkpoint(0, true);
    RETURN NULL;
END $$;
CREATE TRIGGER publications_tlog AFTER INSERT ON publications
    FOR EACH ROW EXECUTE FUNCTION tlog_publications_log();

-- A publication made before this migration is logged now, in order.
SELECT tlog_append('publication', format('{"hash":"%s","sequence":%s,"type":"publication"}',
                                         encode(p.hash, 'hex'), p.seq))
  FROM (SELECT hash, seq FROM publications ORDER BY seq) p;


-- ---------------------------------------------------------------------
-- commit-then-reveal
-- ---------------------------------------------------------------------

ALTER TABLE campaigns ADD COLUMN commit_at timestamptz;
COMMENT ON COLUMN campaigns.commit_at IS 'When the server commits every engagement''s publishable row to the transparency log; NULL: 24 hours before release_at.';

-- Which engagement rows were committed, with the sealed salt (wrapped by
-- the master key, bound to the engagement and the commitment). Only the
-- scheduler's SECURITY DEFINER functions read it: row-level security is
-- forced and no policy opens it to anyone.
CREATE TABLE tlog_commitments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id   uuid NOT NULL REFERENCES campaigns (id),
    engagement_id uuid NOT NULL REFERENCES engagements (id),
    commitment    bytea NOT NULL CHECK (length(commitment) = 32),
    salt_sealed   bytea NOT NULL,
    log_idx       bigint NOT NULL UNIQUE REFERENCES tlog_entries (idx),
    recommitted   boolean NOT NULL,
    committed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE tlog_commitments IS 'Commitments to engagement rows (commit-then-reveal); a row changed after the commit instant gets a new, recommitted one at release.';
CREATE INDEX tlog_commitments_campaign_idx ON tlog_commitments (campaign_id, engagement_id, id);
COMMENT ON INDEX tlog_commitments_campaign_idx IS 'commitments_for_release: the latest commitment of each engagement of a campaign.';

CREATE TABLE tlog_campaign_commits (
    campaign_id  uuid PRIMARY KEY REFERENCES campaigns (id),
    log_idx      bigint NOT NULL UNIQUE REFERENCES tlog_entries (idx),
    count        integer NOT NULL CHECK (count >= 0),
    committed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE tlog_campaign_commits IS 'One campaign commitment (how many engagements were committed) per campaign.';

ALTER TABLE tlog_commitments ENABLE ROW LEVEL SECURITY;
ALTER TABLE tlog_commitments FORCE ROW LEVEL SECURITY;
ALTER TABLE tlog_campaign_commits ENABLE ROW LEVEL SECURITY;
ALTER TABLE tlog_campaign_commits FORCE ROW LEVEL SECURITY;
CREATE TRIGGER tlog_commitments_append_only BEFORE UPDATE OR DELETE ON tlog_commitments
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER tlog_campaign_commits_append_only BEFORE UPDATE OR DELETE ON tlog_campaign_commits
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();

-- Why SECURITY DEFINER: the scheduler's identity sees no campaign. Locks
-- and returns one campaign whose commit instant has passed, whose release
-- has not, and that has no campaign commitment yet (FOR UPDATE SKIP
-- LOCKED: replicas never commit a campaign twice). Nothing otherwise.
CREATE FUNCTION commit_claim() RETURNS TABLE (campaign_id uuid, threat_models jsonb)
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
     FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT c.id,
        (SELECT jsonb_agg(t.code ORDER BY t.position) FROM threat_models t
          WHERE t.code = ANY (c.threat_models));
END $$;

-- Why SECURITY DEFINER: at the commit instant the scheduler reads what
-- will become public (sealed claims and statements with the engagement's
-- wrapped data key, finding counts), as release_inputs does at the
-- release, to hash it; it never leaves lockstepd. Only for a campaign
-- not yet published. The engagements part of release_inputs (0004).
CREATE FUNCTION commit_inputs(p_campaign uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT jsonb_build_object(
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
       AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = p_campaign AND c.state <> 'published')
$$;

-- Why SECURITY DEFINER: lockstep_app may write neither the log nor the
-- commitments. Appends one engagement's commitment to the log and records
-- it with its sealed salt. Returns the log index.
CREATE FUNCTION commit_store(p_campaign uuid, p_engagement uuid, p_commitment bytea,
                             p_salt_sealed bytea, p_recommitted boolean) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_idx bigint;
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RAISE EXCEPTION 'only the scheduler commits' USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM engagements e WHERE e.id = p_engagement
                                                AND e.campaign_id = p_campaign) THEN
        RAISE EXCEPTION 'engagement is not in the campaign' USING ERRCODE = '22023';
    END IF;
    v_idx := tlog_append('commitment', format('{"commitment":"%s","type":"commitment"}',
                                              encode(p_commitment, 'hex')));
    INSERT INTO tlog_commitments (campaign_id, engagement_id, commitment, salt_sealed, log_idx,
                                  recommitted)
    VALUES (p_campaign, p_engagement, p_commitment, p_salt_sealed, v_idx, p_recommitted);
    RETURN v_idx;
END $$;

-- Why SECURITY DEFINER: as commit_store. Appends the campaign commitment:
-- the log indices of the commitments just made for it (in order) and
-- their count. Returns its log index.
CREATE FUNCTION commit_campaign_store(p_campaign uuid) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_list text;
    v_count integer;
    v_idx bigint;
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RAISE EXCEPTION 'only the scheduler commits' USING ERRCODE = '42501';
    END IF;
    SELECT coalesce(string_agg(k.log_idx::text, ',' ORDER BY k.log_idx), ''), count(*)
      INTO v_list, v_count
      FROM tlog_commitments k WHERE k.campaign_id = p_campaign AND NOT k.recommitted;
    v_idx := tlog_append('campaign-commitment',
                         format('{"commitments":[%s],"count":%s,"type":"campaign-commitment"}',
                                v_list, v_count));
    INSERT INTO tlog_campaign_commits (campaign_id, log_idx, count)
    VALUES (p_campaign, v_idx, v_count);
    RETURN v_idx;
END $$;

-- Why SECURITY DEFINER: at the release the scheduler checks every row
-- against its latest commitment. Returns, for a due and unpublished
-- campaign, each engagement's latest commitment (hash, sealed salt, log
-- index, whether it was a recommitment, when) and, with engagement_id
-- NULL, the campaign commitment (its log entry's body as commitment, its
-- log index and count).
CREATE FUNCTION commitments_for_release(p_campaign uuid)
RETURNS TABLE (engagement_id uuid, commitment text, salt_sealed bytea, log_idx bigint,
               recommitted boolean, committed_at text, count integer)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT r.* FROM (
        SELECT * FROM (
            SELECT DISTINCT ON (k.engagement_id) k.engagement_id,
                   encode(k.commitment, 'hex') AS commitment, k.salt_sealed, k.log_idx,
                   k.recommitted, ls_ts(k.committed_at) AS committed_at, NULL::integer AS count
              FROM tlog_commitments k WHERE k.campaign_id = p_campaign
             ORDER BY k.engagement_id, k.id DESC) latest
        UNION ALL
        SELECT NULL::uuid, (SELECT t.body FROM tlog_entries t WHERE t.idx = cc.log_idx),
               NULL::bytea, cc.log_idx, false, ls_ts(cc.committed_at), cc.count
          FROM tlog_campaign_commits cc WHERE cc.campaign_id = p_campaign) r
     WHERE ls_kind() = 'scheduler' AND ls_uid() IS NULL
       AND EXISTS (SELECT 1 FROM campaigns c
                    WHERE c.id = p_campaign AND c.release_at <= now() AND c.state <> 'published')
$$;


-- ---------------------------------------------------------------------
-- corrections without deletion
-- ---------------------------------------------------------------------

-- A coordinator's correction of a publication: a new signed document that
-- names the publication (and the previous correction) by hash, with a
-- reason. The publication stays as it was; corrections only accumulate.
-- Public once written (only released publications can be corrected).
CREATE TABLE publication_corrections (
    publication_seq bigint NOT NULL,
    number          integer NOT NULL CHECK (number >= 1),
    document        text NOT NULL,
    signature       bytea NOT NULL CHECK (length(signature) = 64),
    hash            bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
    prev_hash       bytea NOT NULL UNIQUE CHECK (length(prev_hash) = 32),
    signing_key     bytea NOT NULL CHECK (length(signing_key) = 32),
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (publication_seq, number)
);
COMMENT ON TABLE publication_corrections IS 'Signed corrections of publications, chained per publication (prev_hash: the previous correction''s hash, or the publication''s for the first). Append-only.';
COMMENT ON COLUMN publication_corrections.publication_seq IS 'The corrected publication (checked by correction_store; no foreign key, so that TRUNCATE publications stays refused by its trigger, 42501, rather than by a reference).';
CREATE TRIGGER publication_corrections_append_only BEFORE UPDATE OR DELETE ON publication_corrections
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER publication_corrections_no_truncate BEFORE TRUNCATE ON publication_corrections
    FOR EACH STATEMENT EXECUTE FUNCTION ls_refuse_change();

-- Why SECURITY DEFINER: lockstep_app may not write corrections. For the
-- coordinator only: the head of a released publication's correction chain
-- (its seq, the next number, the hash the next correction names), under a
-- per-publication lock (7418912, db/locks.h DB_LOCK_CORRECTION) held until
-- the caller's transaction ends. No row for an unknown or unreleased slug.
CREATE FUNCTION correction_head(p_slug text)
RETURNS TABLE (seq bigint, number integer, prev_hash text, pub_hash text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    p publications%ROWTYPE;
BEGIN
    IF NOT ls_is_coordinator() THEN
        RETURN;
    END IF;
    SELECT * INTO p FROM publications x WHERE x.slug = p_slug AND x.release_at <= now();
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(7418912, p.seq::integer);
    RETURN QUERY
        SELECT p.seq, coalesce(max(c.number), 0) + 1,
               encode(coalesce((SELECT c2.hash FROM publication_corrections c2
                                 WHERE c2.publication_seq = p.seq
                                 ORDER BY c2.number DESC LIMIT 1), p.hash), 'hex'),
               encode(p.hash, 'hex')
          FROM publication_corrections c WHERE c.publication_seq = p.seq;
END $$;

-- Why SECURITY DEFINER: as correction_head. Stores a correction that
-- continues the chain (under the lock correction_head took) and whose
-- hash is the document's; logs it. Raises otherwise.
CREATE FUNCTION correction_store(p_seq bigint, p_number integer, p_document text,
                                 p_signature bytea, p_hash bytea, p_prev_hash bytea,
                                 p_signing_key bytea) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_last bytea;
    v_pub bytea;
BEGIN
    IF NOT ls_is_coordinator() THEN
        RAISE EXCEPTION 'only the coordinator corrects' USING ERRCODE = '42501';
    END IF;
    SELECT p.hash INTO v_pub FROM publications p WHERE p.seq = p_seq AND p.release_at <= now();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such publication' USING ERRCODE = '42501';
    END IF;
    SELECT c.hash INTO v_last FROM publication_corrections c WHERE c.publication_seq = p_seq
     ORDER BY c.number DESC LIMIT 1;
    IF p_prev_hash <> coalesce(v_last, v_pub)
       OR p_number <> (SELECT coalesce(max(c.number), 0) + 1 FROM publication_corrections c
                        WHERE c.publication_seq = p_seq) THEN
        RAISE EXCEPTION 'correction does not continue the chain' USING ERRCODE = '42501';
    END IF;
    IF sha256(convert_to(p_document, 'UTF8')) <> p_hash THEN
        RAISE EXCEPTION 'hash does not match the document' USING ERRCODE = '42501';
    END IF;
    INSERT INTO publication_corrections (publication_seq, number, document, signature, hash,
                                         prev_hash, signing_key)
    VALUES (p_seq, p_number, p_document, p_signature, p_hash, p_prev_hash, p_signing_key);
    RETURN tlog_append('correction', format('{"corrects":"%s","hash":"%s","type":"correction"}',
                                            encode(v_pub, 'hex'), encode(p_hash, 'hex')));
END $$;

REVOKE ALL ON FUNCTION tlog_append(text, text), tlog_audit_head(),
    tlog_audit_checkpoint(integer, boolean), tlog_announce_key(text, bytea),
    tlog_checkpoint_store(bigint, bytea, text), tlog_cosignature_store(bigint, text, text),
    tlog_publications_log(), tlog_evidence_receipt(bytea), commit_claim(), commit_inputs(uuid),
    commit_store(uuid, uuid, bytea, bytea, boolean), commit_campaign_store(uuid),
    commitments_for_release(uuid), correction_head(text),
    correction_store(bigint, integer, text, bytea, bytea, bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tlog_evidence_receipt(bytea), commit_claim(), commit_inputs(uuid),
    commit_store(uuid, uuid, bytea, bytea, boolean), commit_campaign_store(uuid),
    commitments_for_release(uuid), correction_head(text),
    correction_store(bigint, integer, text, bytea, bytea, bytea, bytea) TO lockstep_app;
GRANT EXECUTE ON FUNCTION tlog_audit_checkpoint(integer, boolean), tlog_announce_key(text, bytea),
    tlog_checkpoint_store(bigint, bytea, text), tlog_cosignature_store(bigint, text, text),
    tlog_publications_log() TO lockstep_app;
GRANT SELECT ON tlog_entries, tlog_checkpoints, tlog_cosignatures TO lockstep_app;
-- corrections are public: only released publications can have them
GRANT SELECT ON publication_corrections TO lockstep_app;

-- 0002: evidence bytes — streamed, encrypted, resumable uploads.
--
-- An evidence row starts in state 'uploading' and becomes 'complete' once
-- the last byte is in and the SHA-256 is final. Until then only its
-- uploader sees it (so a resumable upload can be continued); every other
-- reader sees complete rows only. The bytes live in evidence_chunks: one
-- row per 1 MiB of plaintext, each sealed with AES-256-GCM under a fresh
-- per-file key whose wrapped form (under the engagement's data key) is
-- evidence.file_key. Deleting the evidence row deletes the wrapped key
-- and, by cascade, every chunk.
--
-- lockstep_app may SELECT and INSERT, UPDATE only an upload in progress of
-- its own identity, and never DELETE: deletion, abandoning an upload and
-- sweeping stale uploads go through the three narrow SECURITY DEFINER
-- functions at the end of this file.

SET LOCAL search_path = public, pg_catalog;

ALTER TABLE evidence
    ADD COLUMN uploader_org  uuid,
    ADD COLUMN state         text NOT NULL DEFAULT 'complete'
                             CHECK (state IN ('uploading', 'complete')),
    ADD COLUMN kind          text NOT NULL DEFAULT 'stream' CHECK (kind IN ('stream', 'tus')),
    ADD COLUMN declared_type text CHECK (length(declared_type) <= 255),
    ADD COLUMN sniffed_type  text CHECK (length(sniffed_type) <= 255),
    ADD COLUMN upload_length bigint CHECK (upload_length >= 0),
    ADD COLUMN chunk_count   integer NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
    ADD COLUMN hash_state    bytea,
    ADD COLUMN tail          bytea,
    ADD COLUMN created_at    timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_activity timestamptz NOT NULL DEFAULT now();
ALTER TABLE evidence ALTER COLUMN sha256 DROP NOT NULL;
ALTER TABLE evidence ALTER COLUMN state SET DEFAULT 'uploading';
UPDATE evidence SET uploader_org = (SELECT u.org_id FROM users u WHERE u.id = uploaded_by);
ALTER TABLE evidence ALTER COLUMN uploader_org SET NOT NULL;
ALTER TABLE evidence
    ADD CONSTRAINT evidence_complete_hash CHECK (state = 'uploading' OR sha256 IS NOT NULL),
    ADD CONSTRAINT evidence_complete_no_tail CHECK (state = 'uploading' OR (tail IS NULL AND hash_state IS NULL)),
    ADD CONSTRAINT evidence_tenant_key UNIQUE (id, company_org_id, assessor_org_id);
COMMENT ON COLUMN evidence.file_key IS 'The per-file AES-256 key sealed under the engagement data key (AAD binds the evidence id).';
COMMENT ON COLUMN evidence.size IS 'Plaintext bytes: received so far while uploading, the total once complete.';
COMMENT ON COLUMN evidence.hash_state IS 'Sealed SHA-256 state at the last chunk boundary of an upload in progress.';
COMMENT ON COLUMN evidence.tail IS 'Sealed plaintext after the last stored chunk of a paused resumable upload.';
COMMENT ON COLUMN evidence.last_activity IS 'Last time bytes arrived; the sweeper removes uploads idle for too long.';

CREATE INDEX evidence_engagement_idx ON evidence (engagement_id, uploaded_at, id);
COMMENT ON INDEX evidence_engagement_idx IS 'evidence_list and evidence_engagement_usage: evidence of one engagement.';
CREATE INDEX evidence_uploading_idx ON evidence (last_activity) WHERE state = 'uploading';
COMMENT ON INDEX evidence_uploading_idx IS 'evidence_sweep: stale uploads, oldest first.';
CREATE INDEX evidence_uploader_idx ON evidence (uploaded_by) WHERE state = 'uploading';
COMMENT ON INDEX evidence_uploader_idx IS 'evidence_uploads_count: concurrent uploads of one user.';

CREATE TABLE evidence_chunks (
    evidence_id     uuid NOT NULL,
    seq             integer NOT NULL CHECK (seq >= 0),
    engagement_id   uuid NOT NULL,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    data            bytea NOT NULL,
    PRIMARY KEY (evidence_id, seq),
    FOREIGN KEY (evidence_id, company_org_id, assessor_org_id)
        REFERENCES evidence (id, company_org_id, assessor_org_id) ON DELETE CASCADE,
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id)
);
COMMENT ON TABLE evidence_chunks IS 'Sealed 1 MiB pieces of evidence plaintext; AAD binds evidence id, index and final flag.';
-- The ciphertext does not compress: store it out of line, uncompressed.
ALTER TABLE evidence_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- ---------------------------------------------------------------------
-- row-level security
-- ---------------------------------------------------------------------

DROP POLICY evidence_read ON evidence;
DROP POLICY evidence_insert ON evidence;
CREATE POLICY evidence_read ON evidence FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org())
    AND (state = 'complete' OR uploaded_by = ls_uid()));
CREATE POLICY evidence_insert ON evidence FOR INSERT WITH CHECK (
    ls_uid() IS NOT NULL AND ls_kind() IN ('company', 'assessor')
    AND (company_org_id = ls_org() OR assessor_org_id = ls_org())
    AND uploaded_by = ls_uid() AND uploader_org = ls_org() AND state = 'uploading');
CREATE POLICY evidence_update ON evidence FOR UPDATE
    USING (ls_uid() IS NOT NULL AND state = 'uploading' AND uploaded_by = ls_uid())
    WITH CHECK (ls_uid() IS NOT NULL AND uploaded_by = ls_uid()
        AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));

ALTER TABLE evidence_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence_chunks FORCE ROW LEVEL SECURITY;
-- A chunk is readable exactly when its evidence row is (the subquery runs
-- under the caller's own evidence policy: complete, or one's own upload).
CREATE POLICY evidence_chunks_read ON evidence_chunks FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org())
    AND EXISTS (SELECT 1 FROM evidence e WHERE e.id = evidence_id));
CREATE POLICY evidence_chunks_insert ON evidence_chunks FOR INSERT WITH CHECK (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org())
    AND EXISTS (SELECT 1 FROM evidence e WHERE e.id = evidence_id
                AND e.state = 'uploading' AND e.uploaded_by = ls_uid()));

-- ---------------------------------------------------------------------
-- SECURITY DEFINER functions (pinned search_path; each says why)
-- ---------------------------------------------------------------------

-- Why: lockstep_app has no DELETE privilege on evidence at all, so that a
-- handler bug cannot delete someone else's evidence. Deleting a complete
-- file is allowed to its uploader and to an admin of the uploader's org,
-- within an engagement the caller takes part in. Deleting the row destroys
-- the wrapped per-file key and (cascade) its chunks. Returns what the
-- caller needs for the audit event; no row when not allowed or not found.
CREATE FUNCTION evidence_delete(p_id uuid)
RETURNS TABLE (id uuid, engagement_id uuid, company_org_id uuid, assessor_org_id uuid,
               name text, size bigint, sha256 bytea)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    DELETE FROM evidence e
     WHERE e.id = p_id AND e.state = 'complete' AND ls_uid() IS NOT NULL
       AND (e.company_org_id = ls_org() OR e.assessor_org_id = ls_org())
       AND (e.uploaded_by = ls_uid() OR (ls_role() = 'admin' AND e.uploader_org = ls_org()))
    RETURNING e.id, e.engagement_id, e.company_org_id, e.assessor_org_id, e.name, e.size, e.sha256
$$;

-- Why: an upload that fails or is abandoned by its own uploader (client
-- disconnect, tus termination) must disappear with its chunks at once,
-- still without a DELETE privilege. Only the caller's own upload in
-- progress. Returns true when a row was removed.
CREATE FUNCTION evidence_discard(p_id uuid)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    DELETE FROM evidence e
     WHERE e.id = p_id AND e.state = 'uploading'
       AND ls_uid() IS NOT NULL AND e.uploaded_by = ls_uid();
    RETURN FOUND;
END $$;

-- Why: uploads left behind by a crashed server, a killed process or an
-- abandoned resumable upload belong to many tenants and have no live
-- identity to act for; the sweeper removes them without any identity.
-- Bounded: at most p_limit uploads per call, oldest first; streamed
-- uploads idle for p_stream_age seconds and resumable ones idle for
-- p_tus_age seconds. Complete evidence is never touched.
CREATE FUNCTION evidence_sweep(p_stream_age integer, p_tus_age integer, p_limit integer)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_n integer;
BEGIN
    DELETE FROM evidence e
     WHERE e.id IN (
        SELECT s.id FROM evidence s
         WHERE s.state = 'uploading'
           AND s.last_activity < now() - make_interval(secs =>
               CASE WHEN s.kind = 'tus' THEN p_tus_age ELSE p_stream_age END)
         ORDER BY s.last_activity
         LIMIT greatest(p_limit, 0)
         FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END $$;

REVOKE ALL ON FUNCTION evidence_delete(uuid), evidence_discard(uuid),
    evidence_sweep(integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION evidence_delete(uuid), evidence_discard(uuid),
    evidence_sweep(integer, integer, integer) TO lockstep_app;

-- ---------------------------------------------------------------------
-- privileges of the server role
-- ---------------------------------------------------------------------

REVOKE ALL ON evidence_chunks FROM PUBLIC;
GRANT SELECT, INSERT ON evidence_chunks TO lockstep_app;
GRANT UPDATE (state, name, media_type, declared_type, sniffed_type, size, sha256, chunk_count,
              hash_state, tail, uploaded_at, last_activity) ON evidence TO lockstep_app;

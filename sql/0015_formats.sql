-- 0015_formats.sql: import of findings from other tools (SARIF, CSV),
-- idempotent by a fingerprint per finding.
--
-- The API computes SHA-256 of the normalised rule or title and location of
-- an imported finding; the store keys it with the engagement's data key
-- (HMAC-SHA-256) before it reaches the database, so a dump alone cannot
-- confirm a guessed title. One row per (engagement, fingerprint): a second
-- import of the same file finds every fingerprint present and creates
-- nothing.

CREATE TABLE finding_fingerprints (
    engagement_id   uuid NOT NULL,
    fingerprint     bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
    finding_id      uuid NOT NULL REFERENCES findings (id),
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (engagement_id, fingerprint),
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id)
);
COMMENT ON INDEX finding_fingerprints_pkey IS
    'finding_fingerprint_get: has this engagement already imported this finding?';
COMMENT ON TABLE finding_fingerprints IS
    'Fingerprints (HMAC-SHA-256 under the engagement key) of imported findings (findings:import).';

ALTER TABLE finding_fingerprints ENABLE ROW LEVEL SECURITY;
ALTER TABLE finding_fingerprints FORCE ROW LEVEL SECURITY;
-- only the engagement's assessor imports, and only it needs to read them
CREATE POLICY finding_fingerprints_read ON finding_fingerprints FOR SELECT USING (
    ls_uid() IS NOT NULL AND ls_kind() = 'assessor' AND assessor_org_id = ls_org());
CREATE POLICY finding_fingerprints_insert ON finding_fingerprints FOR INSERT WITH CHECK (
    ls_uid() IS NOT NULL AND ls_kind() = 'assessor' AND assessor_org_id = ls_org());

GRANT SELECT, INSERT ON finding_fingerprints TO lockstep_app;

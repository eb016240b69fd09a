-- 0022_levels2: issue 14 follow-ups.
--
-- A finding's history records how hard it is to exploit: finding_history
-- gets oc_required, written by findings_record_history (replaced here) for
-- every version, so a change of oc_required alone is a version of its own
-- carrying the new value, and the version before it the old one.
--
-- Existing data: versions written before this migration did not record
-- oc_required. The newest version of each finding is the finding as it
-- stands (every insert and update writes one), so it gets the finding's
-- current oc_required; older versions keep NULL ("not recorded", the same
-- as "not rated": before 0018 nothing was rated). finding_history is
-- append-only for every role; the backfill lifts that trigger for this one
-- statement inside the migration's transaction and puts it back.

ALTER TABLE finding_history ADD COLUMN oc_required text
    CHECK (oc_required IN ('OC1', 'OC2', 'OC3', 'OC4', 'OC5'));
COMMENT ON COLUMN finding_history.oc_required IS 'The finding''s oc_required at this version; NULL when not rated (or, for versions older than migration 0022, not recorded).';

ALTER TABLE finding_history DISABLE TRIGGER finding_history_append_only;
UPDATE finding_history h SET oc_required = f.oc_required
  FROM findings f
 WHERE f.id = h.finding_id AND h.version = f.version AND f.oc_required IS NOT NULL;
ALTER TABLE finding_history ENABLE TRIGGER finding_history_append_only;

CREATE OR REPLACE FUNCTION findings_record_history() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
BEGIN
    INSERT INTO finding_history (finding_id, engagement_id, company_org_id, assessor_org_id,
        version, threat_model, severity, status, title, detail, response, atlas, cwe, cvss,
        oc_required, changed_by, changed_at)
    VALUES (NEW.id, NEW.engagement_id, NEW.company_org_id, NEW.assessor_org_id,
        NEW.version, NEW.threat_model, NEW.severity, NEW.status, NEW.title, NEW.detail,
        NEW.response, NEW.atlas, NEW.cwe, NEW.cvss, NEW.oc_required, NEW.updated_by,
        NEW.updated_at);
    RETURN NULL;
END $$;

-- 0005: one source for every enumeration (0004 is the anonymity migration of
-- the parallel issue-8 branch; the two touch different columns).
--
-- Until now each enumeration was written as a CHECK (... IN (...)) here and
-- again in C (api/common.c, publish/render.c, publish/snapshot.c) and in
-- web/app.js. From this migration on the lookup tables below are the
-- source: the columns reference them, lockstepd compares its compiled-in
-- table (server/util/vocab.c) with them when it starts and refuses to
-- serve when they differ, and the web client reads them from
-- GET /api/v1/vocabulary. Adding a value is a migration that inserts it
-- here plus the same line in server/util/vocab.c (see HACKING.md).
--
-- Reference data, not tenant data: no row-level security, readable by
-- lockstep_app, changed only by migrations.

CREATE TABLE vocabulary (
    name            text NOT NULL CHECK (name ~ '^[a-z_]{1,32}$'),
    code            text NOT NULL CHECK (length(code) BETWEEN 1 AND 32),
    position        integer NOT NULL,
    company_may_set boolean NOT NULL DEFAULT false,
    PRIMARY KEY (name, code),
    UNIQUE (name, position)
);
COMMENT ON TABLE vocabulary IS 'Every enumeration, in display order: the one source the columns, lockstepd (checked at start-up) and the web client (GET /api/v1/vocabulary) follow.';
COMMENT ON COLUMN vocabulary.company_may_set IS 'finding_status only: a company may move a finding to this status (findings_before_update).';

INSERT INTO vocabulary (name, code, position, company_may_set) VALUES
('org_kind', 'coordinator', 1, false), ('org_kind', 'assessor', 2, false),
('org_kind', 'company', 3, false),
('user_role', 'admin', 1, false), ('user_role', 'member', 2, false),
('disclosure', 'named', 1, false), ('disclosure', 'pseudonymous', 2, false),
('disclosure', 'aggregate', 3, false),
('campaign_state', 'draft', 1, false), ('campaign_state', 'active', 2, false),
('campaign_state', 'published', 3, false),
('engagement_state', 'planned', 1, false), ('engagement_state', 'in-progress', 2, false),
('engagement_state', 'reporting', 3, false), ('engagement_state', 'closed', 4, false),
('severity', 'critical', 1, false), ('severity', 'high', 2, false),
('severity', 'medium', 3, false), ('severity', 'low', 4, false), ('severity', 'info', 5, false),
('finding_status', 'open', 1, false), ('finding_status', 'remediating', 2, true),
('finding_status', 'remediated', 3, true), ('finding_status', 'accepted', 4, true),
('finding_status', 'false-positive', 5, false),
('capability_level', 'OC1', 1, false), ('capability_level', 'OC2', 2, false),
('capability_level', 'OC3', 3, false), ('capability_level', 'OC4', 4, false),
('capability_level', 'OC5', 5, false), ('capability_level', 'not-assessed', 6, false);

-- Each enumerated column references its vocabulary through a constant,
-- generated name column, so an unknown value is a foreign-key violation
-- (SQLSTATE 23503, answered 422 like the CHECK it replaces).
ALTER TABLE orgs DROP CONSTRAINT orgs_kind_check,
    ADD COLUMN kind_vocabulary text GENERATED ALWAYS AS ('org_kind') STORED,
    ADD FOREIGN KEY (kind_vocabulary, kind) REFERENCES vocabulary (name, code);
ALTER TABLE users DROP CONSTRAINT users_role_check,
    ADD COLUMN role_vocabulary text GENERATED ALWAYS AS ('user_role') STORED,
    ADD FOREIGN KEY (role_vocabulary, role) REFERENCES vocabulary (name, code);
ALTER TABLE campaigns DROP CONSTRAINT campaigns_disclosure_check,
    DROP CONSTRAINT campaigns_state_check,
    ADD COLUMN disclosure_vocabulary text GENERATED ALWAYS AS ('disclosure') STORED,
    ADD COLUMN state_vocabulary text GENERATED ALWAYS AS ('campaign_state') STORED,
    ADD FOREIGN KEY (disclosure_vocabulary, disclosure) REFERENCES vocabulary (name, code),
    ADD FOREIGN KEY (state_vocabulary, state) REFERENCES vocabulary (name, code);
ALTER TABLE engagements DROP CONSTRAINT engagements_state_check,
    ADD COLUMN state_vocabulary text GENERATED ALWAYS AS ('engagement_state') STORED,
    ADD FOREIGN KEY (state_vocabulary, state) REFERENCES vocabulary (name, code);
ALTER TABLE findings DROP CONSTRAINT findings_severity_check,
    DROP CONSTRAINT findings_status_check,
    ADD COLUMN severity_vocabulary text GENERATED ALWAYS AS ('severity') STORED,
    ADD COLUMN status_vocabulary text GENERATED ALWAYS AS ('finding_status') STORED,
    ADD FOREIGN KEY (severity_vocabulary, severity) REFERENCES vocabulary (name, code),
    ADD FOREIGN KEY (status_vocabulary, status) REFERENCES vocabulary (name, code);
ALTER TABLE claims DROP CONSTRAINT claims_level_check,
    ADD COLUMN level_vocabulary text GENERATED ALWAYS AS ('capability_level') STORED,
    ADD FOREIGN KEY (level_vocabulary, level) REFERENCES vocabulary (name, code);

-- A company may move a finding only to a status the vocabulary allows it.
CREATE OR REPLACE FUNCTION findings_before_update() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.engagement_id <> OLD.engagement_id
       OR NEW.company_org_id <> OLD.company_org_id
       OR NEW.assessor_org_id <> OLD.assessor_org_id
       OR NEW.created_by <> OLD.created_by OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'immutable finding column changed' USING ERRCODE = '42501';
    END IF;
    IF ls_kind() IS DISTINCT FROM 'assessor' THEN
        IF NEW.title <> OLD.title OR NEW.detail <> OLD.detail
           OR NEW.severity <> OLD.severity OR NEW.threat_model <> OLD.threat_model
           OR NEW.atlas <> OLD.atlas OR NEW.cwe <> OLD.cwe
           OR NEW.cvss IS DISTINCT FROM OLD.cvss
           OR (NEW.status <> OLD.status AND NOT EXISTS (
                   SELECT 1 FROM vocabulary v WHERE v.name = 'finding_status'
                   AND v.code = NEW.status AND v.company_may_set)) THEN
            RAISE EXCEPTION 'only the assessor may change this finding field' USING ERRCODE = '42501';
        END IF;
    ELSIF NEW.response IS DISTINCT FROM OLD.response THEN
        RAISE EXCEPTION 'only the company may answer a finding' USING ERRCODE = '42501';
    END IF;
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    NEW.updated_by := ls_uid();
    IF NEW.updated_by IS NULL THEN
        RAISE EXCEPTION 'no identity' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;

REVOKE ALL ON vocabulary FROM PUBLIC;
GRANT SELECT ON vocabulary TO lockstep_app;

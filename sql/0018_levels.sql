-- 0018_levels.sql: security levels as data (issue 14, parts 1-3).
--
--  * What an engagement emulated (engagement_emulations): the attacker
--    capability (OC1-OC5), the access granted (a set of access_kind
--    values), person-days, the fieldwork period and the confidential rules
--    of engagement, sealed under the engagement's data key like the scope
--    (AAD lockstep/v1/engagement/<id>/rules). Set by the engagement's
--    assessor; read by its company and assessor, and by the coordinator
--    without the rules (the coordinator cannot unwrap the data key either:
--    engagement_secrets is invisible to it). Published: capability, access
--    and person-days; never the rules.
--  * How hard a finding is to exploit: findings.oc_required, the lowest
--    attacker capability that can exploit it (NULL: not rated). Only the
--    assessor sets it (findings_before_update).
--  * "Demonstrated not met" (ls_not_met): per engagement and threat model,
--    the lowest oc_required among its *refuting* findings. A finding
--    refutes while its status is open, remediating, remediated (the
--    company's word, not yet retested) or accepted (a risk acceptance
--    leaves the weakness in place); it stops refuting once a retest passed
--    (verified) or the assessor calls it a false positive. A refuting
--    finding with oc_required = OCk refutes robustness at OCk and above,
--    so a claim "robust up to OCn" with n >= k is a contradiction.
--  * Commitments: a company's own promises (framework from the frameworks
--    table, version, level or control, a public text, an optional https
--    link) and the assessor's verdict on each (verdict vocabulary) with a
--    public summary.
--  * frameworks: the vocabulary of security frameworks, as data with the
--    source of each entry; served by GET /api/v1/vocabulary.
--
-- Existing rows stay valid: no engagement has an emulation row, every
-- existing finding gets oc_required NULL, nothing published changes (the
-- signed documents are stored bytes).

-- ---------------------------------------------------------------------
-- vocabulary
-- ---------------------------------------------------------------------

INSERT INTO vocabulary (name, code, position, company_may_set) VALUES
('access_kind', 'external', 1, false), ('access_kind', 'stolen-credentials', 2, false),
('access_kind', 'insider', 3, false), ('access_kind', 'ai-insider', 4, false),
('access_kind', 'physical', 5, false), ('access_kind', 'supply-chain', 6, false),
('verdict', 'supported', 1, false), ('verdict', 'refuted', 2, false),
('verdict', 'inconclusive', 3, false), ('verdict', 'not-assessed', 4, false);

CREATE TABLE frameworks (
    code      text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9-]{1,31}$'),
    position  integer NOT NULL UNIQUE,
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    publisher text NOT NULL CHECK (length(publisher) BETWEEN 1 AND 100),
    versions  text[] NOT NULL CHECK (cardinality(versions) BETWEEN 1 AND 20),
    levels    text[] NOT NULL CHECK (cardinality(levels) BETWEEN 1 AND 20),
    source    text NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
    url       text NOT NULL CHECK (url ~ '^https://[^[:space:]]+$' AND length(url) <= 500)
);
COMMENT ON TABLE frameworks IS 'Security frameworks a company may commit to (reference data, each with its published source); GET /api/v1/vocabulary serves them.';
COMMENT ON COLUMN frameworks.levels IS 'The levels the framework defines, as suggestions: a commitment may also name a control of the framework.';

INSERT INTO frameworks (code, position, name, publisher, versions, levels, source, url) VALUES
('RAND-SL', 1, 'Securing AI Model Weights: security levels', 'RAND Corporation',
 ARRAY['RR-A2849-1 (2024)'], ARRAY['SL1', 'SL2', 'SL3', 'SL4', 'SL5'],
 'S. Nevo et al., Securing AI Model Weights: Preventing Theft and Misuse of Frontier Models, RAND RR-A2849-1, 2024. SLn is the protection that thwarts attacker capability OCn.',
 'https://www.rand.org/pubs/research_reports/RRA2849-1.html'),
('ANTHROPIC-RSP', 2, 'Responsible Scaling Policy: ASL security standards', 'Anthropic',
 ARRAY['2.0', '2.1', '2.2'], ARRAY['ASL-2 Security Standard', 'ASL-3 Security Standard'],
 'Anthropic, Responsible Scaling Policy (version 2.0 of October 2024 and its updates), which defines the ASL-3 Security Standard.',
 'https://www.anthropic.com/responsible-scaling-policy'),
('GDM-FSF', 3, 'Frontier Safety Framework: security levels', 'Google DeepMind',
 ARRAY['1.0', '2.0', '3.0'], ARRAY['SL2', 'SL3', 'SL4'],
 'Google DeepMind, Frontier Safety Framework (version 2.0 of February 2025 recommends security levels, after RAND''s, per critical capability level).',
 'https://deepmind.google/discover/blog/updating-the-frontier-safety-framework/'),
('OPENAI-PF', 4, 'Preparedness Framework: security safeguards', 'OpenAI',
 ARRAY['beta (2023)', '2 (2025)'], ARRAY['High', 'Critical'],
 'OpenAI, Preparedness Framework (version 2 of April 2025), whose safeguards for High and Critical capabilities include security controls.',
 'https://openai.com/index/updating-our-preparedness-framework/');

REVOKE ALL ON frameworks FROM PUBLIC;
GRANT SELECT ON frameworks TO lockstep_app;

-- ---------------------------------------------------------------------
-- what an engagement emulated
-- ---------------------------------------------------------------------

CREATE TABLE engagement_emulations (
    engagement_id   uuid PRIMARY KEY,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    capability      text CHECK (capability IN ('OC1', 'OC2', 'OC3', 'OC4', 'OC5')),
    access          text[] NOT NULL DEFAULT '{}' CHECK (cardinality(access) <= 6
                    AND access <@ ARRAY['external', 'stolen-credentials', 'insider', 'ai-insider',
                                        'physical', 'supply-chain']),
    person_days     integer CHECK (person_days >= 0 AND person_days <= 100000),
    fieldwork_from  date,
    fieldwork_to    date,
    rules           bytea CHECK (length(rules) <= 20300),
    updated_by      uuid NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (fieldwork_from IS NULL OR fieldwork_to IS NULL OR fieldwork_to >= fieldwork_from),
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id)
);
COMMENT ON TABLE engagement_emulations IS 'What an engagement emulated (issue 14 part 1); rules is AES-256-GCM under the engagement data key, AAD lockstep/v1/engagement/<id>/rules.';

ALTER TABLE engagement_emulations ENABLE ROW LEVEL SECURITY;
ALTER TABLE engagement_emulations FORCE ROW LEVEL SECURITY;
CREATE POLICY engagement_emulations_read ON engagement_emulations FOR SELECT USING (
    ls_is_coordinator()
    OR (ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org())));
CREATE POLICY engagement_emulations_insert ON engagement_emulations FOR INSERT WITH CHECK (
    ls_uid() IS NOT NULL AND ls_kind() = 'assessor' AND assessor_org_id = ls_org()
    AND updated_by = ls_uid());
CREATE POLICY engagement_emulations_update ON engagement_emulations FOR UPDATE
    USING (ls_uid() IS NOT NULL AND ls_kind() = 'assessor' AND assessor_org_id = ls_org())
    WITH CHECK (ls_uid() IS NOT NULL AND ls_kind() = 'assessor' AND assessor_org_id = ls_org()
                AND updated_by = ls_uid());
REVOKE ALL ON engagement_emulations FROM PUBLIC;
GRANT SELECT, INSERT ON engagement_emulations TO lockstep_app;
GRANT UPDATE (capability, access, person_days, fieldwork_from, fieldwork_to, rules, updated_by,
              updated_at) ON engagement_emulations TO lockstep_app;
CREATE TRIGGER engagement_emulations_frozen BEFORE INSERT OR UPDATE ON engagement_emulations
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_when_frozen();

-- ---------------------------------------------------------------------
-- how hard a finding is to exploit
-- ---------------------------------------------------------------------

ALTER TABLE findings ADD COLUMN oc_required text
    CHECK (oc_required IN ('OC1', 'OC2', 'OC3', 'OC4', 'OC5'));
COMMENT ON COLUMN findings.oc_required IS 'The lowest attacker capability (OC1-OC5) that can exploit the finding; NULL when not rated. Set by the assessor only.';
GRANT UPDATE (oc_required) ON findings TO lockstep_app;

-- As in 0005, plus: only the assessor rates how hard a finding is to exploit.
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
           OR NEW.oc_required IS DISTINCT FROM OLD.oc_required
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

-- The finding statuses under which a finding still refutes robustness.
CREATE FUNCTION ls_status_refutes(p_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = public, pg_catalog
AS $$ SELECT p_status IN ('open', 'remediating', 'remediated', 'accepted') $$;
COMMENT ON FUNCTION ls_status_refutes(text) IS 'A finding in this status refutes robustness at its oc_required and above: open, remediating, remediated (not yet retested), accepted (risk accepted, weakness kept). verified and false-positive do not.';

-- Per threat model of engagement p_engagement: the lowest oc_required of
-- its refuting findings ("demonstrated not met from"), and how many
-- refuting rated findings there are. Runs under the caller's identity
-- (SECURITY INVOKER): row-level security decides which findings count,
-- so only the engagement's participants get rows.
CREATE FUNCTION ls_not_met(p_engagement uuid)
RETURNS TABLE (threat_model text, not_met_from text, refuting bigint)
LANGUAGE sql STABLE
SET search_path = public, pg_catalog
AS $$
    SELECT f.threat_model, min(f.oc_required), count(*)
      FROM findings f
     WHERE f.engagement_id = p_engagement AND f.oc_required IS NOT NULL
       AND ls_status_refutes(f.status)
     GROUP BY f.threat_model
$$;
GRANT EXECUTE ON FUNCTION ls_status_refutes(text), ls_not_met(uuid) TO lockstep_app;

-- ---------------------------------------------------------------------
-- commitments and verdicts
-- ---------------------------------------------------------------------

CREATE TABLE commitments (
    id              uuid PRIMARY KEY,
    engagement_id   uuid NOT NULL,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    framework       text NOT NULL REFERENCES frameworks (code),
    version         text NOT NULL CHECK (length(version) BETWEEN 1 AND 40),
    level           text NOT NULL CHECK (length(level) BETWEEN 1 AND 200),
    text            bytea NOT NULL CHECK (length(text) <= 8300),
    link            text CHECK (link ~ '^https://[^[:space:]]+$' AND length(link) <= 2000),
    verdict         text NOT NULL DEFAULT 'not-assessed',
    verdict_vocabulary text GENERATED ALWAYS AS ('verdict') STORED,
    verdict_summary bytea CHECK (length(verdict_summary) <= 8300),
    created_by      uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    verdict_by      uuid,
    verdict_at      timestamptz,
    FOREIGN KEY (verdict_vocabulary, verdict) REFERENCES vocabulary (name, code),
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id)
);
CREATE INDEX commitments_engagement_idx ON commitments (engagement_id, created_at, id);
COMMENT ON INDEX commitments_engagement_idx IS 'commitments_list: the commitments of one engagement in the order they were made.';
COMMENT ON TABLE commitments IS 'A company''s own security promises (framework, version, level or control, public text, link) and the assessor''s verdict with a public summary (issue 14 part 3).';
COMMENT ON COLUMN commitments.text IS 'AES-256-GCM under the engagement data key, AAD lockstep/v1/commitment/<id>/text (confidential until the release, like claim summaries).';
COMMENT ON COLUMN commitments.verdict_summary IS 'AES-256-GCM under the engagement data key, AAD lockstep/v1/commitment/<id>/verdict_summary; NULL until a verdict.';

ALTER TABLE commitments ENABLE ROW LEVEL SECURITY;
ALTER TABLE commitments FORCE ROW LEVEL SECURITY;
-- participants only: the coordinator never reads unpublished content
CREATE POLICY commitments_read ON commitments FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));
CREATE POLICY commitments_insert ON commitments FOR INSERT WITH CHECK (
    ls_uid() IS NOT NULL AND ls_kind() = 'company' AND company_org_id = ls_org()
    AND created_by = ls_uid());
CREATE POLICY commitments_update ON commitments FOR UPDATE
    USING (ls_uid() IS NOT NULL AND ls_kind() = 'assessor' AND assessor_org_id = ls_org())
    WITH CHECK (ls_uid() IS NOT NULL AND ls_kind() = 'assessor' AND assessor_org_id = ls_org()
                AND verdict_by = ls_uid());
REVOKE ALL ON commitments FROM PUBLIC;
GRANT SELECT, INSERT ON commitments TO lockstep_app;
-- the assessor writes only the verdict; the company's words never change
GRANT UPDATE (verdict, verdict_summary, verdict_by, verdict_at) ON commitments TO lockstep_app;
CREATE TRIGGER commitments_frozen BEFORE INSERT OR UPDATE ON commitments
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_when_frozen();

-- ---------------------------------------------------------------------
-- what the scheduler publishes of it
-- ---------------------------------------------------------------------

-- Why SECURITY DEFINER: the release and review schedulers run without a
-- user identity (org_kind 'scheduler'), which sees no tenant row. Returns,
-- per engagement of campaign p_campaign, what becomes public of this
-- migration's data: the emulation without its rules, the "not met from"
-- level per threat model, and the commitments with their verdicts (texts
-- sealed, with the engagement's wrapped data key: the store opens them
-- with the master key, as store_release_open does for claims).
-- Anyone else gets NULL.
CREATE FUNCTION levels_inputs(p_campaign uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT coalesce(jsonb_object_agg(e.id::text, jsonb_build_object(
               'emulation', (SELECT jsonb_build_object(
                                 'capability', em.capability,
                                 'access', to_jsonb(em.access),
                                 'person_days', em.person_days)
                               FROM engagement_emulations em WHERE em.engagement_id = e.id),
               'not_met', (SELECT coalesce(jsonb_object_agg(n.threat_model, n.lvl), '{}')
                             FROM (SELECT f.threat_model, min(f.oc_required) AS lvl
                                     FROM findings f
                                    WHERE f.engagement_id = e.id AND f.oc_required IS NOT NULL
                                      AND ls_status_refutes(f.status)
                                    GROUP BY f.threat_model) n),
               'data_key', (SELECT encode(es.data_key, 'hex') FROM engagement_secrets es
                             WHERE es.engagement_id = e.id),
               'commitments', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                   'id', k.id,
                                   'framework', k.framework, 'framework_name', fw.name,
                                   'publisher', fw.publisher, 'version', k.version,
                                   'level', k.level, 'text_sealed', encode(k.text, 'hex'),
                                   'link', k.link, 'verdict', k.verdict,
                                   'summary_sealed', encode(k.verdict_summary, 'hex'))
                                   ORDER BY k.created_at, k.id), '[]')
                                 FROM commitments k JOIN frameworks fw ON fw.code = k.framework
                                WHERE k.engagement_id = e.id))), '{}')
      FROM engagements e
     WHERE e.campaign_id = p_campaign AND ls_kind() = 'scheduler' AND ls_uid() IS NULL
$$;
REVOKE ALL ON FUNCTION levels_inputs(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION levels_inputs(uuid) TO lockstep_app;

-- ---------------------------------------------------------------------
-- series of campaigns (issue 14 part 5)
-- ---------------------------------------------------------------------

-- A campaign may follow an earlier one: the coordinator names a campaign
-- that has been published with a release instant before this one's
-- (PUT /api/v1/campaigns/{id}/follows checks it); the later publication
-- then shows what changed since. Existing campaigns follow nothing.
ALTER TABLE campaigns ADD COLUMN follows uuid REFERENCES campaigns (id)
    CHECK (follows <> id);
COMMENT ON COLUMN campaigns.follows IS 'The earlier, published campaign this one follows (a series), or NULL.';
GRANT UPDATE (follows) ON campaigns TO lockstep_app;

-- Why SECURITY DEFINER: the release scheduler has no identity. Returns the
-- signed document of the publication campaign p_campaign follows, with
-- its slug, sequence and hash, or NULL (no series, or not the scheduler).
-- Only published documents, which are public, come out.
CREATE FUNCTION series_inputs(p_campaign uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT jsonb_build_object('slug', p.slug, 'sequence', p.seq,
                              'hash', encode(p.hash, 'hex'), 'document', p.document::jsonb)
      FROM campaigns c JOIN publications p ON p.campaign_id = c.follows
     WHERE c.id = p_campaign AND ls_kind() = 'scheduler' AND ls_uid() IS NULL
$$;
REVOKE ALL ON FUNCTION series_inputs(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION series_inputs(uuid) TO lockstep_app;

-- 0008: the participants' workflow, part A (issue 11): engagement stages,
-- the freeze and the company's review before the release, and the
-- coordinator's dashboard.
--
--  * Stages: planned -> fieldwork -> reporting -> review -> closed (the
--    value 'in-progress' of 0001 becomes 'fieldwork'). The allowed moves
--    are the rows of engagement_transitions (reference data); a trigger
--    refuses any other and records every move, with its time and author,
--    in engagement_stage_history. Findings and evidence are created only
--    while an engagement is in fieldwork or reporting.
--  * Review: a campaign's review window opens at review_opens_at (NULL:
--    72 hours before release_at). From then until the release instant the
--    review scheduler (server/publish/review.c) freezes each engagement's
--    row of the publication into a review draft (sealed under the
--    engagement's data key, with the SHA-256 of its canonical JSON) and
--    freezes it again, as a new version that reopens the review, whenever
--    the row changes. The company signs the draft off or answers it with
--    a public response bound to the draft's hash; the assessor may add a
--    public addendum to a response. The release carries per engagement
--    the draft hash and the review state.
--  * Holds: participants see which of their engagement's texts hold the
--    release (release_hold_fields); texts are frozen at the release
--    instant, held or not (ls_campaign_frozen of 0003 replaced); the
--    coordinator decides: extend the release or withhold the offending
--    texts (release_withholds, read by the scheduler).
--  * The coordinator's dashboard: per engagement and threat model, whether
--    a claim was made and the finding counts per severity, never a text.

SET LOCAL search_path = public, pg_catalog;

-- ---------------------------------------------------------------------
-- stages
-- ---------------------------------------------------------------------

INSERT INTO vocabulary (name, code, position) VALUES
    ('engagement_state', 'fieldwork', 10), ('engagement_state', 'review', 11);
UPDATE engagements SET state = 'fieldwork' WHERE state = 'in-progress';
DELETE FROM vocabulary WHERE name = 'engagement_state' AND code = 'in-progress';
UPDATE vocabulary SET position = 5 WHERE name = 'engagement_state' AND code = 'closed';
UPDATE vocabulary SET position = 4 WHERE name = 'engagement_state' AND code = 'review';
UPDATE vocabulary SET position = 2 WHERE name = 'engagement_state' AND code = 'fieldwork';

CREATE TABLE engagement_transitions (
    from_state text NOT NULL,
    to_state   text NOT NULL,
    vocab      text GENERATED ALWAYS AS ('engagement_state') STORED,
    PRIMARY KEY (from_state, to_state),
    FOREIGN KEY (vocab, from_state) REFERENCES vocabulary (name, code),
    FOREIGN KEY (vocab, to_state) REFERENCES vocabulary (name, code)
);
COMMENT ON TABLE engagement_transitions IS 'The allowed stage moves of an engagement: one step forward, or one step back from reporting and from review. closed is final.';
INSERT INTO engagement_transitions (from_state, to_state) VALUES
    ('planned', 'fieldwork'), ('fieldwork', 'reporting'), ('reporting', 'fieldwork'),
    ('reporting', 'review'), ('review', 'reporting'), ('review', 'closed');
REVOKE ALL ON engagement_transitions FROM PUBLIC;
GRANT SELECT ON engagement_transitions TO lockstep_app;

ALTER TABLE engagements ADD COLUMN stage_changed_at timestamptz;
UPDATE engagements SET stage_changed_at = created_at;
ALTER TABLE engagements ALTER COLUMN stage_changed_at SET DEFAULT now(),
    ALTER COLUMN stage_changed_at SET NOT NULL;
GRANT UPDATE (stage_changed_at) ON engagements TO lockstep_app;

CREATE TABLE engagement_stage_history (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    engagement_id   uuid NOT NULL,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    from_state      text,
    to_state        text NOT NULL,
    changed_at      timestamptz NOT NULL DEFAULT now(),
    changed_by      uuid,
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id)
);
COMMENT ON TABLE engagement_stage_history IS 'Every stage an engagement entered, when and by whom; append-only, written by trigger.';
CREATE INDEX engagement_stage_history_idx ON engagement_stage_history (engagement_id, id);
COMMENT ON INDEX engagement_stage_history_idx IS 'engagement_stages: one engagement''s stages in order.';
INSERT INTO engagement_stage_history (engagement_id, company_org_id, assessor_org_id, from_state,
                                      to_state, changed_at)
    SELECT id, company_org_id, assessor_org_id, NULL, 'planned', created_at FROM engagements;
INSERT INTO engagement_stage_history (engagement_id, company_org_id, assessor_org_id, from_state,
                                      to_state, changed_at)
    SELECT id, company_org_id, assessor_org_id, 'planned', state, created_at FROM engagements
     WHERE state <> 'planned';

CREATE TRIGGER engagement_stage_history_append_only BEFORE UPDATE OR DELETE
    ON engagement_stage_history FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER engagement_stage_history_no_truncate BEFORE TRUNCATE
    ON engagement_stage_history FOR EACH STATEMENT EXECUTE FUNCTION ls_refuse_change();

-- A stage moves only along engagement_transitions (SQLSTATE 42501
-- otherwise: the API refuses first with 409, this is the backstop), and
-- stage_changed_at follows it.
CREATE FUNCTION engagements_stage_check() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF NEW.state IS DISTINCT FROM OLD.state THEN
        IF NOT EXISTS (SELECT 1 FROM engagement_transitions t
                        WHERE t.from_state = OLD.state AND t.to_state = NEW.state) THEN
            RAISE EXCEPTION 'an engagement cannot move from % to %', OLD.state, NEW.state
                USING ERRCODE = '42501';
        END IF;
        NEW.stage_changed_at := now();
    ELSIF NEW.stage_changed_at IS DISTINCT FROM OLD.stage_changed_at THEN
        NEW.stage_changed_at := OLD.stage_changed_at;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER engagements_stage_check BEFORE UPDATE ON engagements
    FOR EACH ROW EXECUTE FUNCTION engagements_stage_check();

-- Why SECURITY DEFINER: lockstep_app may not write the history, so that
-- nobody can write one that did not happen. Records the first stage of
-- every new engagement and every move; returns nothing.
CREATE FUNCTION engagements_stage_history() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO engagement_stage_history (engagement_id, company_org_id, assessor_org_id,
                                              from_state, to_state, changed_by)
        VALUES (NEW.id, NEW.company_org_id, NEW.assessor_org_id, NULL, NEW.state, ls_uid());
    ELSIF NEW.state IS DISTINCT FROM OLD.state THEN
        INSERT INTO engagement_stage_history (engagement_id, company_org_id, assessor_org_id,
                                              from_state, to_state, changed_by)
        VALUES (NEW.id, NEW.company_org_id, NEW.assessor_org_id, OLD.state, NEW.state, ls_uid());
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER engagements_stage_history AFTER INSERT OR UPDATE OF state ON engagements
    FOR EACH ROW EXECUTE FUNCTION engagements_stage_history();

-- Findings and evidence are created only in fieldwork and reporting (the
-- API refuses first with 409; this is the backstop). SECURITY DEFINER
-- only to read the engagement's stage whatever the caller may see; it
-- returns nothing.
CREATE FUNCTION ls_refuse_outside_fieldwork() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM engagements e WHERE e.id = NEW.engagement_id
                      AND e.state IN ('fieldwork', 'reporting')) THEN
        RAISE EXCEPTION 'the engagement is not in fieldwork or reporting' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER findings_stage BEFORE INSERT ON findings
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_outside_fieldwork();
CREATE TRIGGER evidence_stage BEFORE INSERT ON evidence
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_outside_fieldwork();

ALTER TABLE engagement_stage_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE engagement_stage_history FORCE ROW LEVEL SECURITY;
CREATE POLICY engagement_stage_history_read ON engagement_stage_history FOR SELECT USING (
    ls_is_coordinator()
    OR (ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org())));
REVOKE ALL ON engagement_stage_history FROM PUBLIC;
GRANT SELECT ON engagement_stage_history TO lockstep_app;

-- ---------------------------------------------------------------------
-- the review window
-- ---------------------------------------------------------------------

ALTER TABLE campaigns ADD COLUMN review_opens_at timestamptz,
    ADD CONSTRAINT campaigns_review_before_release
        CHECK (review_opens_at IS NULL OR review_opens_at < release_at);
COMMENT ON COLUMN campaigns.review_opens_at IS 'When the company review opens (drafts are frozen); NULL: 72 hours before release_at.';
GRANT UPDATE (review_opens_at) ON campaigns TO lockstep_app;

-- The instant a campaign's review opens.
CREATE FUNCTION ls_review_opens(p_release timestamptz, p_opens timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE
SET search_path = public, pg_catalog
AS $$
    SELECT coalesce(p_opens, p_release - interval '72 hours')
$$;

-- One row per campaign whose review has opened: when its drafts were
-- first frozen and when the scheduler last compared them with the data.
CREATE TABLE review_campaigns (
    campaign_id uuid PRIMARY KEY REFERENCES campaigns (id),
    frozen_at   timestamptz NOT NULL DEFAULT now(),
    checked_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE review_campaigns IS 'Campaigns whose review drafts are frozen; written only by the review scheduler.';

-- Every version of an engagement's review draft: its row of the
-- publication as canonical JSON, sealed under the engagement's data key
-- (AAD lockstep/v1/review_draft/<engagement>-<version>/row), and the
-- SHA-256 of that canonical JSON.
CREATE TABLE review_drafts (
    engagement_id   uuid NOT NULL,
    version         integer NOT NULL CHECK (version >= 1),
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    campaign_id     uuid NOT NULL REFERENCES campaigns (id),
    row_sealed      bytea NOT NULL CHECK (length(row_sealed) <= 400000),
    hash            bytea NOT NULL CHECK (length(hash) = 32),
    changes         jsonb NOT NULL DEFAULT '[]',
    frozen_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (engagement_id, version),
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id)
);
COMMENT ON COLUMN review_drafts.changes IS 'What changed against the previous version: the changed parts of the row (claims.<TM>, findings.<TM>, statement, assessor), never their text.';
CREATE TRIGGER review_drafts_append_only BEFORE UPDATE OR DELETE
    ON review_drafts FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();

-- The review of an engagement: its current draft and the company's
-- answer to it. state: pending (nobody answered this version),
-- signed-off, responded. response and addendum are public once
-- released, sealed until then (AAD lockstep/v1/review/<engagement>/
-- response and .../addendum).
CREATE TABLE review_states (
    engagement_id   uuid PRIMARY KEY,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    campaign_id     uuid NOT NULL REFERENCES campaigns (id),
    version         integer NOT NULL,
    draft_hash      bytea NOT NULL CHECK (length(draft_hash) = 32),
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'signed-off', 'responded')),
    reopened        boolean NOT NULL DEFAULT false,
    answered_hash   bytea CHECK (length(answered_hash) = 32),
    answered_at     timestamptz,
    answered_by     uuid,
    response        bytea CHECK (length(response) <= 20300),
    addendum        bytea CHECK (length(addendum) <= 20300),
    addendum_at     timestamptz,
    addendum_by     uuid,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id),
    FOREIGN KEY (engagement_id, version) REFERENCES review_drafts (engagement_id, version),
    CHECK (state <> 'responded' OR response IS NOT NULL),
    CHECK (state = 'pending' OR answered_hash = draft_hash)
);
CREATE INDEX review_states_campaign_idx ON review_states (campaign_id);
COMMENT ON INDEX review_states_campaign_idx IS 'review_status_list and review_release_inputs: one campaign''s reviews.';

-- The company answers only its own current draft, the assessor writes
-- only the addendum, only while the review window is open and the
-- campaign not released; the row's identity never changes.
CREATE FUNCTION review_states_before_update() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    c campaigns%ROWTYPE;
BEGIN
    IF NEW.engagement_id <> OLD.engagement_id OR NEW.company_org_id <> OLD.company_org_id
       OR NEW.assessor_org_id <> OLD.assessor_org_id OR NEW.campaign_id <> OLD.campaign_id THEN
        RAISE EXCEPTION 'immutable review column changed' USING ERRCODE = '42501';
    END IF;
    IF ls_kind() = 'scheduler' AND ls_uid() IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT * INTO c FROM campaigns WHERE id = OLD.campaign_id FOR SHARE;
    IF c.state = 'published' OR c.release_at <= now()
       OR ls_review_opens(c.release_at, c.review_opens_at) > now() THEN
        RAISE EXCEPTION 'the review is not open' USING ERRCODE = '42501';
    END IF;
    IF NEW.version <> OLD.version OR NEW.draft_hash <> OLD.draft_hash
       OR NEW.reopened <> OLD.reopened THEN
        RAISE EXCEPTION 'only the review scheduler freezes drafts' USING ERRCODE = '42501';
    END IF;
    IF ls_kind() = 'company' AND OLD.company_org_id = ls_org() THEN
        IF NEW.addendum IS DISTINCT FROM OLD.addendum THEN
            RAISE EXCEPTION 'only the assessor writes the addendum' USING ERRCODE = '42501';
        END IF;
        NEW.answered_at := now();
        NEW.answered_by := ls_uid();
    ELSIF ls_kind() = 'assessor' AND OLD.assessor_org_id = ls_org() THEN
        IF NEW.state <> OLD.state OR NEW.response IS DISTINCT FROM OLD.response
           OR NEW.answered_hash IS DISTINCT FROM OLD.answered_hash THEN
            RAISE EXCEPTION 'only the company answers the draft' USING ERRCODE = '42501';
        END IF;
        NEW.addendum_at := now();
        NEW.addendum_by := ls_uid();
    ELSE
        RAISE EXCEPTION 'not a participant' USING ERRCODE = '42501';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER review_states_before_update BEFORE UPDATE ON review_states
    FOR EACH ROW EXECUTE FUNCTION review_states_before_update();

ALTER TABLE review_campaigns ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_campaigns FORCE ROW LEVEL SECURITY;
CREATE POLICY review_campaigns_read ON review_campaigns FOR SELECT USING (
    ls_is_coordinator()
    OR campaign_id IN (SELECT e.campaign_id FROM engagements e
                        WHERE ls_uid() IS NOT NULL
                          AND (e.company_org_id = ls_org() OR e.assessor_org_id = ls_org())));

-- drafts: the engagement's company and assessor only, never the coordinator
ALTER TABLE review_drafts ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_drafts FORCE ROW LEVEL SECURITY;
CREATE POLICY review_drafts_read ON review_drafts FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));

-- states: participants; the coordinator too (state and times; the
-- response is sealed under a key it cannot read)
ALTER TABLE review_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_states FORCE ROW LEVEL SECURITY;
CREATE POLICY review_states_read ON review_states FOR SELECT USING (
    ls_is_coordinator()
    OR (ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org())));
CREATE POLICY review_states_update ON review_states FOR UPDATE
    USING (ls_uid() IS NOT NULL AND ((ls_kind() = 'company' AND company_org_id = ls_org())
                                     OR (ls_kind() = 'assessor' AND assessor_org_id = ls_org())))
    WITH CHECK (ls_uid() IS NOT NULL AND ((ls_kind() = 'company' AND company_org_id = ls_org())
                                     OR (ls_kind() = 'assessor' AND assessor_org_id = ls_org())));

REVOKE ALL ON review_campaigns, review_drafts, review_states FROM PUBLIC;
GRANT SELECT ON review_campaigns, review_drafts, review_states TO lockstep_app;
GRANT UPDATE (state, answered_hash, answered_at, answered_by, response, addendum, addendum_at,
              addendum_by, updated_at) ON review_states TO lockstep_app;

-- ---------------------------------------------------------------------
-- the review scheduler's functions (identity 'scheduler', like 0003's)
-- ---------------------------------------------------------------------

-- Why SECURITY DEFINER: the scheduler has no identity that could see
-- campaigns. Locks and returns one unpublished campaign whose review
-- window is open (opened, release instant not reached) and that was not
-- compared within the last second, FOR UPDATE SKIP LOCKED: replicas never
-- freeze the same campaign twice at once. first: no draft exists yet.
CREATE FUNCTION review_claim()
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
                        WHERE r.campaign_id = x.id AND r.checked_at > now() - interval '1 second')
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
        NOT EXISTS (SELECT 1 FROM review_campaigns r WHERE r.campaign_id = c.id);
END $$;

-- Why SECURITY DEFINER: the drafts are the rows of the publication, made
-- from what release_inputs() reads (same shape, so the same row builder
-- makes both), for a campaign whose review window is open; plus each
-- engagement's current draft (version, hash and sealed row, hex). NULL
-- otherwise.
CREATE FUNCTION review_inputs(p_campaign uuid) RETURNS jsonb
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
                          'assessor', e.assessor_org_id,
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
                                                GROUP BY 1, 2, 3) f),
                          'draft', (SELECT jsonb_build_object('version', rs.version,
                                                              'hash', encode(rs.draft_hash, 'hex'),
                                                              'row_sealed', encode(d.row_sealed, 'hex'))
                                      FROM review_states rs JOIN review_drafts d
                                        ON d.engagement_id = rs.engagement_id AND d.version = rs.version
                                     WHERE rs.engagement_id = e.id)
                          ) ORDER BY e.id), '[]')
                          FROM engagements e JOIN orgs ao ON ao.id = e.assessor_org_id
                         WHERE e.campaign_id = p_campaign))
     WHERE ls_kind() = 'scheduler' AND ls_uid() IS NULL
       AND EXISTS (SELECT 1 FROM campaigns c
                    WHERE c.id = p_campaign AND c.state <> 'published' AND c.release_at > now()
                      AND ls_review_opens(c.release_at, c.review_opens_at) <= now())
$$;

-- Why SECURITY DEFINER: lockstep_app may not write drafts. Stores version
-- (the next one) of an engagement's draft of a campaign whose review is
-- open and makes it the current one: the review goes back to pending
-- (reopened when an earlier version existed; the answer to the earlier
-- version is kept in the draft history only through the audit). Returns
-- the version stored; raises when the version is not the next.
CREATE FUNCTION review_freeze(p_campaign uuid, p_engagement uuid, p_version integer,
                              p_row bytea, p_hash bytea, p_changes jsonb)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    e engagements%ROWTYPE;
    v_cur integer;
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RAISE EXCEPTION 'only the review scheduler freezes drafts' USING ERRCODE = '42501';
    END IF;
    SELECT * INTO e FROM engagements WHERE id = p_engagement AND campaign_id = p_campaign;
    IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM campaigns c
                    WHERE c.id = p_campaign AND c.state <> 'published' AND c.release_at > now()
                      AND ls_review_opens(c.release_at, c.review_opens_at) <= now()) THEN
        RAISE EXCEPTION 'the review is not open' USING ERRCODE = '42501';
    END IF;
    SELECT coalesce(max(d.version), 0) INTO v_cur FROM review_drafts d
     WHERE d.engagement_id = p_engagement;
    IF p_version <> v_cur + 1 THEN
        RAISE EXCEPTION 'draft version % does not follow %', p_version, v_cur USING ERRCODE = '42501';
    END IF;
    INSERT INTO review_drafts (engagement_id, version, company_org_id, assessor_org_id,
                               campaign_id, row_sealed, hash, changes)
    VALUES (p_engagement, p_version, e.company_org_id, e.assessor_org_id, p_campaign, p_row,
            p_hash, p_changes);
    INSERT INTO review_states (engagement_id, company_org_id, assessor_org_id, campaign_id,
                               version, draft_hash)
    VALUES (p_engagement, e.company_org_id, e.assessor_org_id, p_campaign, p_version, p_hash)
    ON CONFLICT (engagement_id) DO UPDATE
       SET version = p_version, draft_hash = p_hash, state = 'pending', reopened = true,
           answered_hash = NULL, answered_at = NULL, answered_by = NULL, response = NULL,
           addendum = NULL, addendum_at = NULL, addendum_by = NULL, updated_at = now();
    RETURN p_version;
END $$;

-- Why SECURITY DEFINER: lockstep_app may not write review_campaigns.
-- Records that the campaign's drafts were compared now; returns nothing.
CREATE FUNCTION review_checked(p_campaign uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF ls_kind() IS DISTINCT FROM 'scheduler' OR ls_uid() IS NOT NULL THEN
        RAISE EXCEPTION 'only the review scheduler' USING ERRCODE = '42501';
    END IF;
    INSERT INTO review_campaigns (campaign_id) VALUES (p_campaign)
    ON CONFLICT (campaign_id) DO UPDATE SET checked_at = now();
END $$;

-- Why SECURITY DEFINER: at the release the scheduler reads each
-- engagement's review (state, draft hash, sealed response and addendum
-- with the engagement's wrapped data key, hex) to put it in the
-- publication; only for a campaign due for release. NULL otherwise.
CREATE FUNCTION review_release_inputs(p_campaign uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT coalesce(jsonb_object_agg(rs.engagement_id, jsonb_build_object(
               'state', rs.state,
               'version', rs.version,
               'reopened', rs.reopened,
               'draft_hash', encode(rs.draft_hash, 'hex'),
               'data_key', (SELECT encode(es.data_key, 'hex') FROM engagement_secrets es
                             WHERE es.engagement_id = rs.engagement_id),
               'response_sealed', encode(rs.response, 'hex'),
               'addendum_sealed', encode(rs.addendum, 'hex'))), '{}')
      FROM review_states rs
     WHERE rs.campaign_id = p_campaign
       AND ls_kind() = 'scheduler' AND ls_uid() IS NULL
       AND EXISTS (SELECT 1 FROM campaigns c
                    WHERE c.id = p_campaign AND c.release_at <= now() AND c.state <> 'published')
$$;

-- ---------------------------------------------------------------------
-- holds that participants hear about; texts frozen at the instant
-- ---------------------------------------------------------------------

-- Replaces 0003's: a campaign is frozen once published or once its
-- release instant has passed, held or not. A held release no longer
-- stays open for edits after the instant: the coordinator decides
-- (extend the release, which reopens the texts until the new instant, or
-- withhold the offending texts). Unknown ids answer false.
CREATE OR REPLACE FUNCTION ls_campaign_frozen(p_campaign uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT coalesce((SELECT c.state = 'published' OR c.release_at <= now()
                       FROM campaigns c WHERE c.id = p_campaign), false)
$$;

-- Why SECURITY DEFINER: release_holds is the coordinator's. Returns, to a
-- user of the engagement's company or assessor, the fields of that
-- engagement whose text holds its campaign's release (never another
-- engagement's, never the name found) and when the hold began; no rows
-- otherwise.
CREATE FUNCTION release_hold_fields(p_engagement uuid)
RETURNS TABLE (field text, held_at text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT DISTINCT r.value->>'field', ls_ts(h.held_at)
      FROM engagements e
      JOIN campaigns c ON c.id = e.campaign_id
      JOIN release_holds h ON h.campaign_id = c.id,
           LATERAL jsonb_array_elements(h.reasons) r
     WHERE e.id = p_engagement AND ls_uid() IS NOT NULL
       AND (e.company_org_id = ls_org() OR e.assessor_org_id = ls_org())
       AND c.state <> 'published' AND c.release_at <= now()
       AND r.value->>'engagement' = e.id::text
$$;

-- The coordinator's decision to publish a held release with the
-- offending participant texts withheld (replaced, with the reason, in the
-- signed document). One per campaign; the reasons are the hold's at the
-- time of the decision.
CREATE TABLE release_withholds (
    campaign_id uuid PRIMARY KEY REFERENCES campaigns (id),
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    reasons     jsonb NOT NULL,
    decided_by  uuid NOT NULL,
    decided_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE release_withholds IS 'Held releases the coordinator decided to publish with the offending participant texts withheld.';
ALTER TABLE release_withholds ENABLE ROW LEVEL SECURITY;
ALTER TABLE release_withholds FORCE ROW LEVEL SECURITY;
CREATE POLICY release_withholds_read ON release_withholds FOR SELECT USING (ls_is_coordinator());
CREATE POLICY release_withholds_insert ON release_withholds FOR INSERT
    WITH CHECK (ls_is_coordinator() AND decided_by = ls_uid());
REVOKE ALL ON release_withholds FROM PUBLIC;
GRANT SELECT, INSERT ON release_withholds TO lockstep_app;
CREATE TRIGGER release_withholds_append_only BEFORE UPDATE OR DELETE
    ON release_withholds FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();

-- Why SECURITY DEFINER: the scheduler's identity sees no table. The
-- withhold decision of a campaign due for release ({reason, decided_at})
-- or NULL.
CREATE FUNCTION release_withheld(p_campaign uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT jsonb_build_object('reason', w.reason, 'decided_at', ls_ts(w.decided_at))
      FROM release_withholds w JOIN campaigns c ON c.id = w.campaign_id
     WHERE w.campaign_id = p_campaign AND ls_kind() = 'scheduler' AND ls_uid() IS NULL
       AND c.release_at <= now() AND c.state <> 'published'
$$;

-- Why SECURITY DEFINER: the scheduler tells the participants of a held
-- or released campaign (store_event) and its identity sees no
-- engagement. Each engagement of the campaign with its company and
-- assessor org ids; nothing for anyone but the scheduler.
CREATE FUNCTION release_engagement_orgs(p_campaign uuid)
RETURNS TABLE (engagement_id uuid, company_org_id uuid, assessor_org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT e.id, e.company_org_id, e.assessor_org_id FROM engagements e
     WHERE e.campaign_id = p_campaign AND ls_kind() = 'scheduler' AND ls_uid() IS NULL
     ORDER BY e.id
$$;

-- ---------------------------------------------------------------------
-- the coordinator's dashboard
-- ---------------------------------------------------------------------

-- Why SECURITY DEFINER: the coordinator may see progress but no claim or
-- finding row. Returns, for the coordinator only, per engagement of the
-- campaign and threat model of the campaign: whether a claim was made
-- (any level but not-assessed) and the number of findings per severity.
-- Never a title, detail, summary or level.
CREATE FUNCTION campaign_dashboard(p_campaign uuid)
RETURNS TABLE (engagement_id uuid, threat_model text, claim_made boolean, critical bigint,
               high bigint, medium bigint, low bigint, info bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT e.id, tm.code,
           EXISTS (SELECT 1 FROM claims cl WHERE cl.engagement_id = e.id
                      AND cl.threat_model = tm.code AND cl.level <> 'not-assessed'),
           (SELECT count(*) FROM findings f WHERE f.engagement_id = e.id
               AND f.threat_model = tm.code AND f.severity = 'critical'),
           (SELECT count(*) FROM findings f WHERE f.engagement_id = e.id
               AND f.threat_model = tm.code AND f.severity = 'high'),
           (SELECT count(*) FROM findings f WHERE f.engagement_id = e.id
               AND f.threat_model = tm.code AND f.severity = 'medium'),
           (SELECT count(*) FROM findings f WHERE f.engagement_id = e.id
               AND f.threat_model = tm.code AND f.severity = 'low'),
           (SELECT count(*) FROM findings f WHERE f.engagement_id = e.id
               AND f.threat_model = tm.code AND f.severity = 'info')
      FROM engagements e JOIN campaigns c ON c.id = e.campaign_id
      JOIN threat_models tm ON tm.code = ANY (c.threat_models)
     WHERE e.campaign_id = p_campaign AND ls_is_coordinator()
     ORDER BY e.created_at, e.id, tm.position
$$;

REVOKE ALL ON FUNCTION engagements_stage_check(), engagements_stage_history(),
    ls_refuse_outside_fieldwork(), ls_review_opens(timestamptz, timestamptz),
    review_states_before_update(), review_claim(), review_inputs(uuid),
    review_freeze(uuid, uuid, integer, bytea, bytea, jsonb), review_checked(uuid),
    review_release_inputs(uuid), campaign_dashboard(uuid), release_hold_fields(uuid),
    release_withheld(uuid), release_engagement_orgs(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION engagements_stage_check(), engagements_stage_history(),
    ls_refuse_outside_fieldwork(), ls_review_opens(timestamptz, timestamptz),
    review_states_before_update(), review_claim(), review_inputs(uuid),
    review_freeze(uuid, uuid, integer, bytea, bytea, jsonb), review_checked(uuid),
    review_release_inputs(uuid), campaign_dashboard(uuid), release_hold_fields(uuid),
    release_withheld(uuid), release_engagement_orgs(uuid) TO lockstep_app;

-- 0009: findings as a conversation (comments, risk acceptance, remediation
-- deadlines, retests) and notifications (in-app inbox, per-org webhooks).
--
-- Confidential text (comment bodies, risk justifications and decisions,
-- retest notes) is sealed by the server exactly like a finding's title
-- (AES-256-GCM under the engagement's data key, bound to the row id and
-- column); the database holds only ciphertext. Webhook secrets are sealed
-- under the master key. Tenancy is row-level security, as everywhere.
--
-- The finding status machine lives here (finding_transitions and the
-- trigger findings_workflow): every status change is checked against the
-- table, whoever makes it, and 'accepted' / 'verified' can only be reached
-- through a risk-acceptance decision / a passed retest made in the same
-- transaction.

SET LOCAL search_path = public, pg_catalog;

-- ---------------------------------------------------------------------
-- vocabulary: a retested finding is 'verified'; 'accepted' is reached only
-- through a risk acceptance, so a company no longer sets it itself.
-- ---------------------------------------------------------------------

INSERT INTO vocabulary (name, code, position, company_may_set)
VALUES ('finding_status', 'verified', 6, false);
UPDATE vocabulary SET company_may_set = false
 WHERE name = 'finding_status' AND code = 'accepted';

-- the children below name their finding with its whole tenancy tuple
ALTER TABLE findings ADD CONSTRAINT findings_tenancy_key
    UNIQUE (id, engagement_id, company_org_id, assessor_org_id);

-- ---------------------------------------------------------------------
-- the status machine
-- ---------------------------------------------------------------------

CREATE TABLE finding_transitions (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    actor_kind  text NOT NULL CHECK (actor_kind IN ('assessor', 'company')),
    via         text NOT NULL CHECK (via IN ('patch', 'risk-decision', 'retest')),
    PRIMARY KEY (from_status, to_status, actor_kind, via)
);
COMMENT ON TABLE finding_transitions IS 'Every allowed change of findings.status: who (org kind) and how (a PATCH, a risk-acceptance decision, a retest). Anything else is refused by findings_workflow.';

INSERT INTO finding_transitions (from_status, to_status, actor_kind, via) VALUES
('open', 'remediating', 'company', 'patch'), ('open', 'remediated', 'company', 'patch'),
('remediating', 'remediated', 'company', 'patch'), ('remediated', 'remediating', 'company', 'patch'),
('open', 'remediating', 'assessor', 'patch'), ('open', 'remediated', 'assessor', 'patch'),
('open', 'false-positive', 'assessor', 'patch'), ('remediating', 'open', 'assessor', 'patch'),
('remediating', 'remediated', 'assessor', 'patch'),
('remediating', 'false-positive', 'assessor', 'patch'),
('remediated', 'open', 'assessor', 'patch'), ('remediated', 'remediating', 'assessor', 'patch'),
('accepted', 'open', 'assessor', 'patch'), ('false-positive', 'open', 'assessor', 'patch'),
('verified', 'open', 'assessor', 'patch'),
('open', 'accepted', 'assessor', 'risk-decision'),
('remediating', 'accepted', 'assessor', 'risk-decision'),
('remediated', 'verified', 'assessor', 'retest'), ('remediated', 'open', 'assessor', 'retest');

-- ---------------------------------------------------------------------
-- remediation deadlines
-- ---------------------------------------------------------------------

ALTER TABLE findings ADD COLUMN remediation_due timestamptz;
COMMENT ON COLUMN findings.remediation_due IS 'Set by the assessor; defaults on insert to now() + the campaign''s days for the severity (campaign_remediation_days).';

CREATE TABLE campaign_remediation_days (
    campaign_id uuid NOT NULL REFERENCES campaigns (id),
    severity    text NOT NULL,
    severity_vocabulary text GENERATED ALWAYS AS ('severity') STORED,
    days        integer NOT NULL CHECK (days BETWEEN 1 AND 3650),
    PRIMARY KEY (campaign_id, severity),
    FOREIGN KEY (severity_vocabulary, severity) REFERENCES vocabulary (name, code)
);
COMMENT ON TABLE campaign_remediation_days IS 'Per campaign and severity, the default remediation deadline (days after a finding is recorded). Set by the coordinator.';

-- Which findings were already notified as near their deadline.
CREATE TABLE finding_deadline_notices (
    finding_id  uuid PRIMARY KEY REFERENCES findings (id),
    due         timestamptz NOT NULL,
    notified_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------
-- comments, risk acceptances, retests
-- ---------------------------------------------------------------------

CREATE TABLE finding_comments (
    id              uuid PRIMARY KEY,
    finding_id      uuid NOT NULL,
    engagement_id   uuid NOT NULL,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    author_user     uuid NOT NULL REFERENCES users (id),
    author_org      uuid NOT NULL,
    body            bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (author_org IN (company_org_id, assessor_org_id)),
    FOREIGN KEY (finding_id, engagement_id, company_org_id, assessor_org_id)
        REFERENCES findings (id, engagement_id, company_org_id, assessor_org_id)
);
CREATE INDEX finding_comments_finding_idx ON finding_comments (finding_id, created_at, id);
COMMENT ON INDEX finding_comments_finding_idx IS 'finding_comments_list: the thread of one finding, oldest first.';

CREATE TABLE risk_acceptances (
    id              uuid PRIMARY KEY,
    finding_id      uuid NOT NULL,
    engagement_id   uuid NOT NULL,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    justification   bytea NOT NULL,
    expires_at      timestamptz NOT NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'accepted', 'refused')),
    requested_by    uuid NOT NULL REFERENCES users (id),
    requested_org   uuid NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    decided_by      uuid REFERENCES users (id),
    decided_org     uuid,
    decided_at      timestamptz,
    decision_note   bytea,
    -- the company asks, the assessor decides: never the same organisation
    CONSTRAINT risk_requested_by_company CHECK (requested_org = company_org_id),
    CONSTRAINT risk_decided_by_assessor CHECK (decided_org IS NULL OR decided_org = assessor_org_id),
    CONSTRAINT risk_two_organisations CHECK (decided_org IS NULL OR decided_org <> requested_org),
    CONSTRAINT risk_decision_complete CHECK (
        (state = 'pending') = (decided_org IS NULL)
        AND (decided_org IS NULL) = (decided_by IS NULL)
        AND (decided_org IS NULL) = (decided_at IS NULL)),
    FOREIGN KEY (finding_id, engagement_id, company_org_id, assessor_org_id)
        REFERENCES findings (id, engagement_id, company_org_id, assessor_org_id)
);
CREATE UNIQUE INDEX risk_acceptances_one_pending ON risk_acceptances (finding_id) WHERE state = 'pending';
COMMENT ON INDEX risk_acceptances_one_pending IS 'risk_request: at most one open request per finding.';
CREATE INDEX risk_acceptances_finding_idx ON risk_acceptances (finding_id, requested_at, id);
COMMENT ON INDEX risk_acceptances_finding_idx IS 'risk_list: the requests of one finding.';

CREATE TABLE finding_retests (
    id              uuid PRIMARY KEY,
    finding_id      uuid NOT NULL,
    engagement_id   uuid NOT NULL,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    result          text NOT NULL CHECK (result IN ('passed', 'failed')),
    note            bytea NOT NULL,
    evidence        uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(evidence) <= 32),
    performed_by    uuid NOT NULL REFERENCES users (id),
    performed_org   uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT retest_by_assessor CHECK (performed_org = assessor_org_id),
    FOREIGN KEY (finding_id, engagement_id, company_org_id, assessor_org_id)
        REFERENCES findings (id, engagement_id, company_org_id, assessor_org_id)
);
-- Which accepted risks were already notified as expired.
CREATE TABLE risk_expiry_notices (
    risk_id     uuid PRIMARY KEY REFERENCES risk_acceptances (id),
    notified_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX finding_retests_finding_idx ON finding_retests (finding_id, created_at, id);
COMMENT ON INDEX finding_retests_finding_idx IS 'retest_list: the retests of one finding.';

-- ---------------------------------------------------------------------
-- triggers of the workflow
-- ---------------------------------------------------------------------

-- Every status change follows finding_transitions; only the assessor sets
-- a deadline; a finding is never created accepted or verified.
CREATE FUNCTION findings_workflow() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_via text := 'patch';
    v_campaign uuid;
    v_days integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status IN ('accepted', 'verified') THEN
            RAISE EXCEPTION 'a finding is not created %', NEW.status USING ERRCODE = '23514';
        END IF;
        IF NEW.remediation_due IS NULL THEN
            SELECT e.campaign_id INTO v_campaign FROM engagements e WHERE e.id = NEW.engagement_id;
            SELECT d.days INTO v_days FROM campaign_remediation_days d
             WHERE d.campaign_id = v_campaign AND d.severity = NEW.severity;
            IF v_days IS NOT NULL THEN
                NEW.remediation_due := now() + make_interval(days => v_days);
            END IF;
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.remediation_due IS DISTINCT FROM OLD.remediation_due
       AND ls_kind() IS DISTINCT FROM 'assessor' THEN
        RAISE EXCEPTION 'only the assessor sets a remediation deadline' USING ERRCODE = '42501';
    END IF;
    IF NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM finding_retests t WHERE t.finding_id = NEW.id
                AND t.created_at = now() AND t.performed_by = ls_uid()) THEN
        v_via := 'retest';
    ELSIF EXISTS (SELECT 1 FROM risk_acceptances k WHERE k.finding_id = NEW.id
                   AND k.state = 'accepted' AND k.decided_at = now() AND k.decided_by = ls_uid()) THEN
        v_via := 'risk-decision';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM finding_transitions t
                    WHERE t.from_status = OLD.status AND t.to_status = NEW.status
                      AND t.actor_kind = ls_kind() AND t.via = v_via) THEN
        RAISE EXCEPTION 'finding status % -> % is not allowed to % by %',
            OLD.status, NEW.status, coalesce(ls_kind(), 'nobody'), v_via USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER findings_workflow BEFORE INSERT OR UPDATE ON findings
    FOR EACH ROW EXECUTE FUNCTION findings_workflow();

-- Comments, risk requests and retests are written by their author only.
CREATE FUNCTION conversation_before_insert() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_status text;
BEGIN
    SELECT f.status INTO v_status FROM findings f WHERE f.id = NEW.finding_id;
    IF v_status IS NULL THEN
        RAISE EXCEPTION 'no such finding' USING ERRCODE = '42501';
    END IF;
    IF TG_TABLE_NAME = 'finding_comments' THEN
        IF NEW.author_user IS DISTINCT FROM ls_uid() OR NEW.author_org IS DISTINCT FROM ls_org() THEN
            RAISE EXCEPTION 'a comment is written by its author' USING ERRCODE = '42501';
        END IF;
        NEW.created_at := now();
    ELSIF TG_TABLE_NAME = 'risk_acceptances' THEN
        IF ls_kind() IS DISTINCT FROM 'company' OR NEW.requested_by IS DISTINCT FROM ls_uid()
           OR NEW.requested_org IS DISTINCT FROM ls_org() THEN
            RAISE EXCEPTION 'only the company asks for risk acceptance' USING ERRCODE = '42501';
        END IF;
        IF NEW.state <> 'pending' OR NEW.decided_org IS NOT NULL THEN
            RAISE EXCEPTION 'a request starts pending' USING ERRCODE = '42501';
        END IF;
        IF v_status NOT IN ('open', 'remediating') THEN
            RAISE EXCEPTION 'risk acceptance is asked for an open or remediating finding'
                USING ERRCODE = '23514';
        END IF;
        IF NEW.expires_at <= now() THEN
            RAISE EXCEPTION 'the expiry is in the past' USING ERRCODE = '23514';
        END IF;
        NEW.requested_at := now();
    ELSE
        IF ls_kind() IS DISTINCT FROM 'assessor' OR NEW.performed_by IS DISTINCT FROM ls_uid()
           OR NEW.performed_org IS DISTINCT FROM ls_org() THEN
            RAISE EXCEPTION 'only the assessor retests' USING ERRCODE = '42501';
        END IF;
        IF v_status <> 'remediated' THEN
            RAISE EXCEPTION 'only a remediated finding is retested' USING ERRCODE = '23514';
        END IF;
        IF EXISTS (SELECT 1 FROM unnest(NEW.evidence) AS x(id)
                    WHERE NOT EXISTS (SELECT 1 FROM evidence v WHERE v.id = x.id
                                       AND v.engagement_id = NEW.engagement_id
                                       AND v.state = 'complete')) THEN
            RAISE EXCEPTION 'evidence of another engagement' USING ERRCODE = '23503';
        END IF;
        NEW.created_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER finding_comments_before_insert BEFORE INSERT ON finding_comments
    FOR EACH ROW EXECUTE FUNCTION conversation_before_insert();
CREATE TRIGGER risk_acceptances_before_insert BEFORE INSERT ON risk_acceptances
    FOR EACH ROW EXECUTE FUNCTION conversation_before_insert();
CREATE TRIGGER finding_retests_before_insert BEFORE INSERT ON finding_retests
    FOR EACH ROW EXECUTE FUNCTION conversation_before_insert();
CREATE TRIGGER finding_comments_append_only BEFORE UPDATE OR DELETE ON finding_comments
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER finding_retests_append_only BEFORE UPDATE OR DELETE ON finding_retests
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();

-- A request is decided once, by the engagement's assessor, and only the
-- decision columns change. An accepted request moves the finding to
-- 'accepted' (findings_workflow lets that through for this decision only).
CREATE FUNCTION risk_acceptances_decide() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'risk acceptances are kept' USING ERRCODE = '42501';
    END IF;
    IF OLD.state <> 'pending' THEN
        RAISE EXCEPTION 'the request was already decided' USING ERRCODE = '23514';
    END IF;
    IF NEW.state NOT IN ('accepted', 'refused') THEN
        RAISE EXCEPTION 'a decision accepts or refuses' USING ERRCODE = '23514';
    END IF;
    IF ls_kind() IS DISTINCT FROM 'assessor' OR ls_org() IS DISTINCT FROM OLD.assessor_org_id
       OR NEW.decided_by IS DISTINCT FROM ls_uid() OR NEW.decided_org IS DISTINCT FROM ls_org() THEN
        RAISE EXCEPTION 'only the assessor decides' USING ERRCODE = '42501';
    END IF;
    IF (NEW.id, NEW.finding_id, NEW.engagement_id, NEW.company_org_id, NEW.assessor_org_id,
        NEW.justification, NEW.expires_at, NEW.requested_by, NEW.requested_org, NEW.requested_at)
       IS DISTINCT FROM
       (OLD.id, OLD.finding_id, OLD.engagement_id, OLD.company_org_id, OLD.assessor_org_id,
        OLD.justification, OLD.expires_at, OLD.requested_by, OLD.requested_org, OLD.requested_at) THEN
        RAISE EXCEPTION 'a decision changes only the decision' USING ERRCODE = '42501';
    END IF;
    IF NEW.state = 'accepted' AND OLD.expires_at <= now() THEN
        RAISE EXCEPTION 'the request has expired' USING ERRCODE = '23514';
    END IF;
    NEW.decided_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER risk_acceptances_decide BEFORE UPDATE OR DELETE ON risk_acceptances
    FOR EACH ROW EXECUTE FUNCTION risk_acceptances_decide();

CREATE FUNCTION risk_acceptances_apply() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF NEW.state = 'accepted' THEN
        UPDATE findings SET status = 'accepted' WHERE id = NEW.finding_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER risk_acceptances_apply AFTER UPDATE ON risk_acceptances
    FOR EACH ROW EXECUTE FUNCTION risk_acceptances_apply();

-- A retest moves the remediated finding to verified (passed) or open (failed).
CREATE FUNCTION finding_retests_apply() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
BEGIN
    UPDATE findings SET status = CASE NEW.result WHEN 'passed' THEN 'verified' ELSE 'open' END
     WHERE id = NEW.finding_id;
    RETURN NULL;
END $$;

CREATE TRIGGER finding_retests_apply AFTER INSERT ON finding_retests
    FOR EACH ROW EXECUTE FUNCTION finding_retests_apply();

-- Conversation rows of a released campaign's findings no longer change
-- either (like the findings themselves), except comments, which do not
-- touch anything published.
CREATE TRIGGER risk_acceptances_frozen BEFORE INSERT OR UPDATE ON risk_acceptances
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_when_frozen();
CREATE TRIGGER finding_retests_frozen BEFORE INSERT ON finding_retests
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_when_frozen();

-- ---------------------------------------------------------------------
-- notifications: the in-app inbox
-- ---------------------------------------------------------------------

CREATE TABLE notifications (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users (id),
    org_id        uuid NOT NULL REFERENCES orgs (id),
    type          text NOT NULL CHECK (type ~ '^[a-z][a-z_.-]{1,63}$'),
    campaign_id   uuid REFERENCES campaigns (id),
    engagement_id uuid REFERENCES engagements (id),
    object_type   text CHECK (object_type ~ '^[a-z_]{1,32}$'),
    object_id     text CHECK (length(object_id) <= 64),
    actor_org     uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    read_at       timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at, id);
COMMENT ON INDEX notifications_user_idx IS 'inbox_list: one user''s notifications, paginated.';
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
COMMENT ON INDEX notifications_unread_idx IS 'inbox_unread: the unread count in the web header.';

-- ---------------------------------------------------------------------
-- webhooks
-- ---------------------------------------------------------------------

CREATE TABLE webhooks (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES orgs (id),
    url        text NOT NULL CHECK (url ~ '^https?://[^[:space:][:cntrl:]]+$' AND length(url) <= 2000),
    secret     bytea NOT NULL,
    events     text[] NOT NULL DEFAULT '{}' CHECK (cardinality(events) <= 32),
    active     boolean NOT NULL DEFAULT true,
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN webhooks.secret IS 'The HMAC key, sealed by lockstepd under the master key; lockstep_app cannot read this column (only webhook_claim gives it to the delivery worker).';
COMMENT ON COLUMN webhooks.events IS 'Event types delivered; empty: all.';
CREATE INDEX webhooks_org_idx ON webhooks (org_id, created_at, id);
COMMENT ON INDEX webhooks_org_idx IS 'webhooks_list and notify_event: the webhooks of one org.';

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    org_id          uuid NOT NULL REFERENCES orgs (id),
    event_type      text NOT NULL,
    payload         jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status     integer,
    last_error      text CHECK (length(last_error) <= 300),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
COMMENT ON INDEX webhook_deliveries_due_idx IS 'webhook_claim: the deliveries due now.';
CREATE INDEX webhook_deliveries_hook_idx ON webhook_deliveries (webhook_id, created_at, id);
COMMENT ON INDEX webhook_deliveries_hook_idx IS 'webhook_deliveries_list: the delivery log of one webhook.';

-- ---------------------------------------------------------------------
-- SECURITY DEFINER functions
-- ---------------------------------------------------------------------

-- Why: an event must reach users the caller may not see (the other
-- organisation of an engagement, the coordinator). Writes one inbox row
-- per active user of the audience's organisations (never the caller) and
-- queues one webhook delivery per subscribed active webhook of those
-- organisations, with ids and the event type only. The caller must take
-- part in the engagement (or campaign), be the coordinator, or be the
-- release scheduler / notifier (no user). p_audience: any of 'company',
-- 'assessor', 'coordinator'. With p_engagement NULL the event concerns
-- every engagement of p_campaign. Returns the number of inbox rows.
CREATE FUNCTION notify_event(p_type text, p_campaign uuid, p_engagement uuid,
                             p_object_type text, p_object_id text, p_audience text[])
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_campaign uuid := p_campaign;
    v_orgs uuid[];
    v_n integer;
    v_event uuid := gen_random_uuid();
    v_system boolean := ls_uid() IS NULL AND ls_kind() IN ('scheduler', 'notifier');
BEGIN
    IF p_engagement IS NOT NULL THEN
        SELECT e.campaign_id INTO v_campaign FROM engagements e WHERE e.id = p_engagement;
        IF v_campaign IS NULL THEN
            RETURN 0;
        END IF;
    END IF;
    IF v_campaign IS NULL THEN
        RETURN 0;
    END IF;
    IF NOT v_system AND NOT ls_is_coordinator() AND NOT EXISTS (
        SELECT 1 FROM engagements e
         WHERE e.campaign_id = v_campaign
           AND (p_engagement IS NULL OR e.id = p_engagement)
           AND ls_uid() IS NOT NULL
           AND ls_org() IN (e.company_org_id, e.assessor_org_id)) THEN
        RAISE EXCEPTION 'not a participant' USING ERRCODE = '42501';
    END IF;
    SELECT array_agg(DISTINCT o) INTO v_orgs FROM (
        SELECT e.company_org_id AS o FROM engagements e
         WHERE 'company' = ANY (p_audience) AND e.campaign_id = v_campaign
           AND (p_engagement IS NULL OR e.id = p_engagement)
        UNION
        SELECT e.assessor_org_id FROM engagements e
         WHERE 'assessor' = ANY (p_audience) AND e.campaign_id = v_campaign
           AND (p_engagement IS NULL OR e.id = p_engagement)
        UNION
        SELECT g.id FROM orgs g WHERE 'coordinator' = ANY (p_audience) AND g.kind = 'coordinator') s;
    IF v_orgs IS NULL THEN
        RETURN 0;
    END IF;
    INSERT INTO notifications (user_id, org_id, type, campaign_id, engagement_id, object_type,
                               object_id, actor_org)
    SELECT u.id, u.org_id, p_type, v_campaign, p_engagement, p_object_type, p_object_id, ls_org()
      FROM users u
     WHERE u.org_id = ANY (v_orgs) AND NOT u.disabled AND u.id IS DISTINCT FROM ls_uid();
    GET DIAGNOSTICS v_n = ROW_COUNT;
    INSERT INTO webhook_deliveries (webhook_id, org_id, event_type, payload)
    SELECT w.id, w.org_id, p_type,
           jsonb_build_object('id', v_event, 'type', p_type,
               'created_at', ls_ts(now()), 'campaign', v_campaign, 'engagement', p_engagement,
               'object', CASE WHEN p_object_type IS NULL THEN NULL ELSE
                   jsonb_build_object('type', p_object_type, 'id', p_object_id) END)
      FROM webhooks w
     WHERE w.org_id = ANY (v_orgs) AND w.active
       AND (cardinality(w.events) = 0 OR p_type = ANY (w.events));
    RETURN v_n;
END $$;

-- Why: the delivery worker runs with no user and must read every org's due
-- deliveries and their sealed secrets. Leases up to p_limit due deliveries
-- (FOR UPDATE SKIP LOCKED: replicas never send one twice at once) for
-- p_lease seconds and counts the attempt. Only the notifier identity.
CREATE FUNCTION webhook_claim(p_limit integer, p_lease integer)
RETURNS TABLE (id uuid, webhook_id uuid, url text, secret bytea, event_type text,
               payload text, attempts integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
#variable_conflict use_column
BEGIN
    IF ls_uid() IS NOT NULL OR ls_kind() IS DISTINCT FROM 'notifier' THEN
        RAISE EXCEPTION 'only the notifier claims deliveries' USING ERRCODE = '42501';
    END IF;
    RETURN QUERY
    WITH due AS (
        SELECT d.id FROM webhook_deliveries d
         WHERE d.state = 'pending' AND d.next_attempt_at <= now()
         ORDER BY d.next_attempt_at
         LIMIT p_limit FOR UPDATE SKIP LOCKED)
    UPDATE webhook_deliveries d
       SET attempts = d.attempts + 1,
           next_attempt_at = now() + make_interval(secs => p_lease)
      FROM due, webhooks w
     WHERE d.id = due.id AND w.id = d.webhook_id
    RETURNING d.id, d.webhook_id, w.url, w.secret, d.event_type, d.payload::text, d.attempts;
END $$;

-- Why: as above, records the outcome of one attempt: delivered, or retried
-- after p_backoff * 2^(attempts-1) seconds (at most an hour), or failed
-- for good after p_max attempts.
CREATE FUNCTION webhook_report(p_id uuid, p_ok boolean, p_status integer, p_error text,
                               p_max integer, p_backoff double precision)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF ls_uid() IS NOT NULL OR ls_kind() IS DISTINCT FROM 'notifier' THEN
        RAISE EXCEPTION 'only the notifier reports deliveries' USING ERRCODE = '42501';
    END IF;
    UPDATE webhook_deliveries d
       SET last_status = p_status,
           last_error = left(p_error, 300),
           state = CASE WHEN p_ok THEN 'delivered'
                        WHEN d.attempts >= p_max THEN 'failed' ELSE 'pending' END,
           delivered_at = CASE WHEN p_ok THEN now() END,
           next_attempt_at = now() + make_interval(secs =>
               least(3600, p_backoff * power(2, greatest(d.attempts - 1, 0))))
     WHERE d.id = p_id;
END $$;

-- Why: the notifier (no user) finds findings whose remediation deadline is
-- within p_within seconds and tells both participants once per deadline,
-- and accepted risks whose acceptance has expired (the finding is still
-- 'accepted'), once each. Returns how many were notified.
CREATE FUNCTION notify_deadlines(p_within integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    r record;
    v_n integer := 0;
BEGIN
    IF ls_uid() IS NOT NULL OR ls_kind() IS DISTINCT FROM 'notifier' THEN
        RAISE EXCEPTION 'only the notifier' USING ERRCODE = '42501';
    END IF;
    FOR r IN SELECT f.id, f.engagement_id, f.remediation_due FROM findings f
              WHERE f.status IN ('open', 'remediating')
                AND f.remediation_due IS NOT NULL
                AND f.remediation_due <= now() + make_interval(secs => p_within)
                AND NOT EXISTS (SELECT 1 FROM finding_deadline_notices n
                                 WHERE n.finding_id = f.id AND n.due = f.remediation_due)
              LIMIT 100 LOOP
        INSERT INTO finding_deadline_notices (finding_id, due) VALUES (r.id, r.remediation_due)
        ON CONFLICT (finding_id) DO UPDATE SET due = EXCLUDED.due, notified_at = now();
        PERFORM notify_event('finding.deadline_near', NULL, r.engagement_id, 'finding',
                             r.id::text, ARRAY['company', 'assessor']);
        v_n := v_n + 1;
    END LOOP;
    FOR r IN SELECT k.id, k.engagement_id FROM risk_acceptances k
               JOIN findings f ON f.id = k.finding_id
              WHERE k.state = 'accepted' AND k.expires_at <= now() AND f.status = 'accepted'
                AND NOT EXISTS (SELECT 1 FROM risk_expiry_notices n WHERE n.risk_id = k.id)
              LIMIT 100 LOOP
        INSERT INTO risk_expiry_notices (risk_id) VALUES (r.id);
        PERFORM notify_event('risk.expired', NULL, r.engagement_id, 'risk_acceptance',
                             r.id::text, ARRAY['company', 'assessor']);
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END $$;

-- ---------------------------------------------------------------------
-- row-level security
-- ---------------------------------------------------------------------

ALTER TABLE campaign_remediation_days ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaign_remediation_days FORCE ROW LEVEL SECURITY;
CREATE POLICY campaign_remediation_days_read ON campaign_remediation_days FOR SELECT USING (
    ls_is_coordinator()
    OR campaign_id IN (SELECT e.campaign_id FROM engagements e
                        WHERE ls_uid() IS NOT NULL
                          AND (e.company_org_id = ls_org() OR e.assessor_org_id = ls_org())));
CREATE POLICY campaign_remediation_days_write ON campaign_remediation_days FOR INSERT
    WITH CHECK (ls_is_coordinator());
CREATE POLICY campaign_remediation_days_update ON campaign_remediation_days FOR UPDATE
    USING (ls_is_coordinator()) WITH CHECK (ls_is_coordinator());
CREATE POLICY campaign_remediation_days_delete ON campaign_remediation_days FOR DELETE
    USING (ls_is_coordinator());

ALTER TABLE finding_deadline_notices ENABLE ROW LEVEL SECURITY;
ALTER TABLE finding_deadline_notices FORCE ROW LEVEL SECURITY;
ALTER TABLE risk_expiry_notices ENABLE ROW LEVEL SECURITY;
ALTER TABLE risk_expiry_notices FORCE ROW LEVEL SECURITY;
-- no policy: only notify_deadlines (SECURITY DEFINER) touches it

ALTER TABLE finding_comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE finding_comments FORCE ROW LEVEL SECURITY;
CREATE POLICY finding_comments_read ON finding_comments FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));
CREATE POLICY finding_comments_insert ON finding_comments FOR INSERT WITH CHECK (
    ls_uid() IS NOT NULL AND author_user = ls_uid() AND author_org = ls_org()
    AND ((ls_kind() = 'company' AND company_org_id = ls_org())
      OR (ls_kind() = 'assessor' AND assessor_org_id = ls_org())));

ALTER TABLE risk_acceptances ENABLE ROW LEVEL SECURITY;
ALTER TABLE risk_acceptances FORCE ROW LEVEL SECURITY;
CREATE POLICY risk_acceptances_read ON risk_acceptances FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));
CREATE POLICY risk_acceptances_insert ON risk_acceptances FOR INSERT WITH CHECK (
    ls_uid() IS NOT NULL AND ls_kind() = 'company' AND company_org_id = ls_org()
    AND requested_by = ls_uid());
CREATE POLICY risk_acceptances_update ON risk_acceptances FOR UPDATE
    USING (ls_uid() IS NOT NULL AND ls_kind() = 'assessor' AND assessor_org_id = ls_org())
    WITH CHECK (ls_uid() IS NOT NULL AND ls_kind() = 'assessor' AND assessor_org_id = ls_org()
                AND decided_by = ls_uid());

ALTER TABLE finding_retests ENABLE ROW LEVEL SECURITY;
ALTER TABLE finding_retests FORCE ROW LEVEL SECURITY;
CREATE POLICY finding_retests_read ON finding_retests FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));
CREATE POLICY finding_retests_insert ON finding_retests FOR INSERT WITH CHECK (
    ls_uid() IS NOT NULL AND ls_kind() = 'assessor' AND assessor_org_id = ls_org()
    AND performed_by = ls_uid());

ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY notifications_read ON notifications FOR SELECT USING (
    ls_uid() IS NOT NULL AND user_id = ls_uid());
CREATE POLICY notifications_update ON notifications FOR UPDATE
    USING (ls_uid() IS NOT NULL AND user_id = ls_uid())
    WITH CHECK (ls_uid() IS NOT NULL AND user_id = ls_uid());

ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhooks FORCE ROW LEVEL SECURITY;
CREATE POLICY webhooks_admin ON webhooks FOR ALL
    USING (ls_uid() IS NOT NULL AND ls_role() = 'admin' AND org_id = ls_org())
    WITH CHECK (ls_uid() IS NOT NULL AND ls_role() = 'admin' AND org_id = ls_org());

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_read ON webhook_deliveries FOR SELECT USING (
    ls_uid() IS NOT NULL AND ls_role() = 'admin' AND org_id = ls_org());

-- ---------------------------------------------------------------------
-- privileges
-- ---------------------------------------------------------------------

REVOKE ALL ON finding_transitions, campaign_remediation_days, finding_deadline_notices,
    risk_expiry_notices,
    finding_comments, risk_acceptances, finding_retests, notifications, webhooks,
    webhook_deliveries FROM PUBLIC;
REVOKE ALL ON FUNCTION findings_workflow(), conversation_before_insert(),
    risk_acceptances_decide(), risk_acceptances_apply(), finding_retests_apply(),
    notify_event(text, uuid, uuid, text, text, text[]), webhook_claim(integer, integer),
    webhook_report(uuid, boolean, integer, text, integer, double precision),
    notify_deadlines(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION findings_workflow(), conversation_before_insert(),
    risk_acceptances_decide(), risk_acceptances_apply(), finding_retests_apply(),
    notify_event(text, uuid, uuid, text, text, text[]), webhook_claim(integer, integer),
    webhook_report(uuid, boolean, integer, text, integer, double precision),
    notify_deadlines(integer) TO lockstep_app;

GRANT SELECT ON finding_transitions TO lockstep_app;
GRANT UPDATE (remediation_due) ON findings TO lockstep_app;
GRANT SELECT, INSERT, DELETE ON campaign_remediation_days TO lockstep_app;
GRANT UPDATE (days) ON campaign_remediation_days TO lockstep_app;
GRANT SELECT, INSERT ON finding_comments TO lockstep_app;
GRANT SELECT, INSERT ON risk_acceptances TO lockstep_app;
GRANT UPDATE (state, decided_by, decided_org, decided_at, decision_note) ON risk_acceptances TO lockstep_app;
GRANT SELECT, INSERT ON finding_retests TO lockstep_app;
GRANT SELECT ON notifications TO lockstep_app;
GRANT UPDATE (read_at) ON notifications TO lockstep_app;
GRANT SELECT (id, org_id, url, events, active, created_by, created_at) ON webhooks TO lockstep_app;
GRANT INSERT, DELETE ON webhooks TO lockstep_app;
GRANT UPDATE (url, events, active) ON webhooks TO lockstep_app;
GRANT SELECT ON webhook_deliveries TO lockstep_app;

-- 0001: the foundation schema.
--
-- Applied by `lockstepd migrate` as the schema owner (lockstep_owner) inside
-- one transaction that also records the version in schema_migrations.
-- The server connects as lockstep_app, which owns nothing, is NOSUPERUSER
-- NOBYPASSRLS, and gets only the privileges granted at the end of this file.
--
-- Tenancy: every table holding tenant data has ENABLE and FORCE ROW LEVEL
-- SECURITY. Policies read only the transaction-local settings that the
-- server sets at the start of each request transaction with
-- set_config(name, value, true):
--   lockstep.user_id, lockstep.org_id, lockstep.org_kind, lockstep.role
-- A connection that set none of them sees no tenant row at all.
--
-- Keys: every primary key is a random UUID (or includes one), so a unique or
-- foreign-key error can never be used to probe for another tenant's rows;
-- the server also resolves every parent id through an RLS-filtered SELECT
-- before it writes, and answers 404 when it is not visible.

SET LOCAL search_path = public, pg_catalog;

-- ---------------------------------------------------------------------
-- identity helpers (plain STABLE SQL, run with the caller's rights)
-- ---------------------------------------------------------------------

CREATE FUNCTION ls_uid() RETURNS uuid LANGUAGE sql STABLE
AS $$ SELECT nullif(current_setting('lockstep.user_id', true), '')::uuid $$;

CREATE FUNCTION ls_org() RETURNS uuid LANGUAGE sql STABLE
AS $$ SELECT nullif(current_setting('lockstep.org_id', true), '')::uuid $$;

CREATE FUNCTION ls_kind() RETURNS text LANGUAGE sql STABLE
AS $$ SELECT nullif(current_setting('lockstep.org_kind', true), '') $$;

CREATE FUNCTION ls_role() RETURNS text LANGUAGE sql STABLE
AS $$ SELECT nullif(current_setting('lockstep.role', true), '') $$;

CREATE FUNCTION ls_is_coordinator() RETURNS boolean LANGUAGE sql STABLE
AS $$ SELECT coalesce(ls_kind() = 'coordinator' AND ls_uid() IS NOT NULL, false) $$;

-- ---------------------------------------------------------------------
-- reference data (not tenant data)
-- ---------------------------------------------------------------------

CREATE TABLE threat_models (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z-]{1,31}$'),
    name        text NOT NULL,
    description text NOT NULL,
    position    integer NOT NULL UNIQUE
);

INSERT INTO threat_models (code, name, description, position) VALUES
('WEIGHTS-EXFIL', 'Model weight exfiltration',
 'Whether an attacker can copy model weights out of the company: from storage, from training or serving clusters, from backups, or through an insider.', 1),
('IP-THEFT', 'Theft of algorithmic secrets',
 'Whether an attacker can take algorithmic secrets and other intellectual property: training code, data recipes, model architectures, research notes.', 2),
('TAMPERING', 'Model tampering and backdoors',
 'Whether an attacker can change a model without being noticed: planting a backdoor, poisoning training data, or altering serving code or weights.', 3),
('COMPUTE-MISUSE', 'Unauthorized compute use',
 'Whether an attacker can use the company''s training or inference clusters and accelerators without authorization.', 4),
('PERSISTENCE', 'Persistent attacker presence',
 'Whether an attacker could stay inside undetected for a long time, and how quickly an intrusion is found and evicted.', 5);

-- ---------------------------------------------------------------------
-- organisations and people
-- ---------------------------------------------------------------------

CREATE TABLE orgs (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind       text NOT NULL CHECK (kind IN ('coordinator', 'assessor', 'company')),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    aliases    text[] NOT NULL DEFAULT '{}' CHECK (cardinality(aliases) <= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX orgs_one_coordinator ON orgs (kind) WHERE kind = 'coordinator';
COMMENT ON INDEX orgs_one_coordinator IS 'There is exactly one platform-wide coordinator org.';
CREATE UNIQUE INDEX orgs_name_key ON orgs (lower(name));
COMMENT ON INDEX orgs_name_key IS 'orgs_create: names are unique; only the coordinator (who sees every org) creates orgs, so no oracle.';

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES orgs (id),
    email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role          text NOT NULL CHECK (role IN ('admin', 'member')),
    password_hash text NOT NULL,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- E-mail addresses are unique within an org, not across orgs: a unique
-- error must never tell an org admin that an address exists in another
-- tenant. Log-in tries the (few) accounts with the address in turn.
CREATE UNIQUE INDEX users_org_email_key ON users (org_id, email);
COMMENT ON INDEX users_org_email_key IS 'org_users_create: one account per address and org.';
CREATE INDEX users_email_idx ON users (email);
COMMENT ON INDEX users_email_idx IS 'auth_login_lookup: log-in by e-mail address.';
CREATE INDEX users_org_idx ON users (org_id, created_at, id);
COMMENT ON INDEX users_org_idx IS 'org_users_list: users of one org, paginated.';

-- Browser sessions and API tokens: only the SHA-256 of the token is kept.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    id         uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    kind       text NOT NULL DEFAULT 'session' CHECK (kind IN ('session', 'api')),
    name       text CHECK (length(name) BETWEEN 1 AND 100),
    user_id    uuid NOT NULL REFERENCES users (id),
    org_id     uuid NOT NULL REFERENCES orgs (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    addr       text
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;
COMMENT ON INDEX sessions_user_idx IS 'user_sessions_revoke: revoke every live session of one user.';

-- Failed log-ins, per account and per address. Reachable only through the
-- auth_* functions below; lockstep_app has no privilege on the table.
CREATE TABLE login_failures (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    failures     integer NOT NULL
);

-- ---------------------------------------------------------------------
-- campaigns, engagements and their content
-- ---------------------------------------------------------------------

CREATE TABLE campaigns (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    slug               text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    threat_models      text[] NOT NULL CHECK (cardinality(threat_models) BETWEEN 1 AND 5),
    release_at         timestamptz NOT NULL,
    planned_release_at timestamptz NOT NULL,
    disclosure         text NOT NULL CHECK (disclosure IN ('named', 'pseudonymous', 'aggregate')),
    min_cohort         integer NOT NULL DEFAULT 1 CHECK (min_cohort BETWEEN 1 AND 1000),
    state              text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'active', 'published')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN campaigns.planned_release_at IS 'The first release instant ever set; moving release_at earlier than this is an embargo break.';

CREATE TABLE engagements (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    campaign_id     uuid NOT NULL REFERENCES campaigns (id),
    company_org_id  uuid NOT NULL REFERENCES orgs (id),
    assessor_org_id uuid NOT NULL REFERENCES orgs (id),
    lead_assessors  text[] NOT NULL DEFAULT '{}' CHECK (cardinality(lead_assessors) <= 16),
    state           text NOT NULL DEFAULT 'planned'
                    CHECK (state IN ('planned', 'in-progress', 'reporting', 'closed')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, company_org_id, assessor_org_id),
    UNIQUE (id, company_org_id, assessor_org_id)
);
CREATE INDEX engagements_company_idx ON engagements (company_org_id);
COMMENT ON INDEX engagements_company_idx IS 'RLS policies and engagements_list for a company.';
CREATE INDEX engagements_assessor_idx ON engagements (assessor_org_id);
COMMENT ON INDEX engagements_assessor_idx IS 'RLS policies and engagements_list for an assessor.';

-- The confidential half of an engagement: its wrapped data key and its
-- encrypted scope. The coordinator may create it but never read it.
CREATE TABLE engagement_secrets (
    engagement_id   uuid PRIMARY KEY,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    data_key        bytea NOT NULL,
    scope           bytea NOT NULL,
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id)
);

CREATE TABLE findings (
    id              uuid PRIMARY KEY,
    engagement_id   uuid NOT NULL,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    threat_model    text NOT NULL REFERENCES threat_models (code),
    severity        text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'remediating', 'remediated', 'accepted', 'false-positive')),
    title           bytea NOT NULL,
    detail          bytea NOT NULL,
    response        bytea,
    atlas           text[] NOT NULL DEFAULT '{}',
    cwe             text[] NOT NULL DEFAULT '{}',
    cvss            text,
    version         integer NOT NULL DEFAULT 1,
    created_by      uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id)
);
CREATE INDEX findings_engagement_idx ON findings (engagement_id, created_at, id);
COMMENT ON INDEX findings_engagement_idx IS 'findings_list: findings of one engagement, paginated.';

CREATE TABLE finding_history (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    finding_id      uuid NOT NULL REFERENCES findings (id),
    engagement_id   uuid NOT NULL,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    version         integer NOT NULL,
    threat_model    text NOT NULL,
    severity        text NOT NULL,
    status          text NOT NULL,
    title           bytea NOT NULL,
    detail          bytea NOT NULL,
    response        bytea,
    atlas           text[] NOT NULL,
    cwe             text[] NOT NULL,
    cvss            text,
    changed_by      uuid NOT NULL,
    changed_at      timestamptz NOT NULL,
    UNIQUE (finding_id, version)
);
COMMENT ON TABLE finding_history IS 'Every version of every finding, written by trigger; never updated or deleted.';

CREATE TABLE claims (
    engagement_id   uuid NOT NULL,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    threat_model    text NOT NULL REFERENCES threat_models (code),
    level           text NOT NULL CHECK (level IN ('OC1', 'OC2', 'OC3', 'OC4', 'OC5', 'not-assessed')),
    summary         text NOT NULL CHECK (length(summary) <= 2000),
    updated_by      uuid NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (engagement_id, threat_model),
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id)
);

CREATE TABLE statements (
    engagement_id   uuid PRIMARY KEY,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    text            text NOT NULL CHECK (length(text) <= 5000),
    updated_by      uuid NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id)
);

-- Evidence metadata; the bytes themselves arrive with the evidence work.
CREATE TABLE evidence (
    id              uuid PRIMARY KEY,
    engagement_id   uuid NOT NULL,
    company_org_id  uuid NOT NULL,
    assessor_org_id uuid NOT NULL,
    finding_id      uuid REFERENCES findings (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    media_type      text NOT NULL,
    size            bigint NOT NULL CHECK (size >= 0),
    sha256          bytea NOT NULL CHECK (length(sha256) = 32),
    file_key        bytea NOT NULL,
    uploaded_by     uuid NOT NULL,
    uploaded_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (engagement_id, company_org_id, assessor_org_id)
        REFERENCES engagements (id, company_org_id, assessor_org_id)
);

-- ---------------------------------------------------------------------
-- audit: append-only, hash-chained
-- ---------------------------------------------------------------------

CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_user  uuid,
    actor_org   uuid,
    actor_kind  text,
    addr        text,
    action      text NOT NULL,
    object_type text,
    object_id   text,
    orgs        uuid[] NOT NULL DEFAULT '{}',
    detail      jsonb NOT NULL DEFAULT '{}',
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);
COMMENT ON COLUMN audit_events.orgs IS 'Orgs the event concerns; their admins may read it.';

-- ---------------------------------------------------------------------
-- triggers
-- ---------------------------------------------------------------------

-- Findings: bump the version on every update, refuse changes a company may
-- not make, and record every version in finding_history.
CREATE FUNCTION findings_before_update() RETURNS trigger LANGUAGE plpgsql
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
           OR (NEW.status <> OLD.status AND NEW.status NOT IN ('remediating', 'remediated', 'accepted')) THEN
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

CREATE TRIGGER findings_before_update BEFORE UPDATE ON findings
    FOR EACH ROW EXECUTE FUNCTION findings_before_update();

CREATE FUNCTION findings_record_history() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
BEGIN
    INSERT INTO finding_history (finding_id, engagement_id, company_org_id, assessor_org_id,
        version, threat_model, severity, status, title, detail, response, atlas, cwe, cvss,
        changed_by, changed_at)
    VALUES (NEW.id, NEW.engagement_id, NEW.company_org_id, NEW.assessor_org_id,
        NEW.version, NEW.threat_model, NEW.severity, NEW.status, NEW.title, NEW.detail,
        NEW.response, NEW.atlas, NEW.cwe, NEW.cvss, NEW.updated_by, NEW.updated_at);
    RETURN NULL;
END $$;

CREATE TRIGGER findings_record_history AFTER INSERT OR UPDATE ON findings
    FOR EACH ROW EXECUTE FUNCTION findings_record_history();

-- finding_history and audit_events are append-only for every role.
CREATE FUNCTION ls_refuse_change() RETURNS trigger LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = '42501';
END $$;

CREATE TRIGGER finding_history_append_only BEFORE UPDATE OR DELETE ON finding_history
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();

-- ---------------------------------------------------------------------
-- SECURITY DEFINER functions: the only ways around row-level security.
-- Each has a pinned search_path and says why it must exist.
-- ---------------------------------------------------------------------

-- Why: log-in happens before any identity exists, and no policy may open
-- users to an unidentified caller. Returns the active accounts with this
-- e-mail address (at most 4, oldest first; an address may exist in several
-- orgs) and their password hashes, nothing else.
CREATE FUNCTION auth_login_lookup(p_email text)
RETURNS TABLE (user_id uuid, org_id uuid, org_kind text, role text, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT u.id, u.org_id, o.kind, u.role, u.password_hash
      FROM users u JOIN orgs o ON o.id = u.org_id
     WHERE u.email = lower(p_email) AND NOT u.disabled
     ORDER BY u.created_at, u.id
     LIMIT 4
$$;

-- Why: every authenticated request must turn a presented token's hash into
-- an identity before that identity can be set. Only live sessions of
-- enabled users resolve.
CREATE FUNCTION auth_resolve_token(p_hash bytea)
RETURNS TABLE (user_id uuid, org_id uuid, org_kind text, role text, session_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT u.id, u.org_id, o.kind, u.role, s.id
      FROM sessions s
      JOIN users u ON u.id = s.user_id
      JOIN orgs o ON o.id = u.org_id
     WHERE s.token_hash = p_hash
       AND s.revoked_at IS NULL
       AND s.expires_at > now()
       AND NOT u.disabled
$$;

-- Why: throttling must count failures for accounts and addresses that have
-- no identity yet. Returns true when another attempt is allowed: fewer than
-- p_account_max failures for the account key and fewer than p_address_max
-- for the address key, within the last p_window_seconds.
CREATE FUNCTION auth_throttle_allowed(p_account text, p_account_max integer,
                                      p_address text, p_address_max integer,
                                      p_window_seconds integer)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT NOT EXISTS (
        SELECT 1 FROM login_failures
         WHERE window_start > now() - make_interval(secs => p_window_seconds)
           AND ((key = p_account AND failures >= p_account_max)
             OR (key = p_address AND failures >= p_address_max)))
$$;

-- Why: as above, records one failed attempt against every key.
CREATE FUNCTION auth_throttle_fail(p_keys text[], p_window_seconds integer)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    INSERT INTO login_failures AS f (key, window_start, failures)
    SELECT k, now(), 1 FROM unnest(p_keys) AS k
    ON CONFLICT (key) DO UPDATE
       SET failures = CASE WHEN f.window_start > now() - make_interval(secs => p_window_seconds)
                           THEN f.failures + 1 ELSE 1 END,
           window_start = CASE WHEN f.window_start > now() - make_interval(secs => p_window_seconds)
                               THEN f.window_start ELSE now() END
$$;

-- Why: a successful log-in clears its account's failures.
CREATE FUNCTION auth_throttle_clear(p_key text)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$ DELETE FROM login_failures WHERE key = p_key $$;

-- Why: the audit chain spans every tenant, so appending must read the
-- previous event's hash, which the caller may not see. Appends one event
-- for the current identity and returns its id. The advisory lock serialises
-- appends so the chain never forks.
CREATE FUNCTION audit_append(p_action text, p_object_type text, p_object_id text,
                             p_orgs uuid[], p_detail jsonb, p_addr text)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_prev bytea;
    v_at timestamptz := clock_timestamp();
    v_hash bytea;
    v_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7418901);
    SELECT hash INTO v_prev FROM audit_events ORDER BY id DESC LIMIT 1;
    v_prev := coalesce(v_prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    v_hash := sha256(v_prev || convert_to(jsonb_build_array(
        to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        ls_uid(), ls_org(), ls_kind(), p_addr, p_action, p_object_type, p_object_id,
        coalesce(p_orgs, '{}'), coalesce(p_detail, '{}'))::text, 'UTF8'));
    INSERT INTO audit_events (at, actor_user, actor_org, actor_kind, addr, action,
                              object_type, object_id, orgs, detail, prev_hash, hash)
    VALUES (v_at, ls_uid(), ls_org(), ls_kind(), p_addr, p_action, p_object_type,
            p_object_id, coalesce(p_orgs, '{}'), coalesce(p_detail, '{}'), v_prev, v_hash)
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- Why: operators (and tests) must be able to check the whole chain, which
-- spans tenants. Returns the id of the first event whose hash does not
-- match, or NULL when the chain is intact. Callable only by the owner.
CREATE FUNCTION audit_verify() RETURNS bigint LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    r record;
    v_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
BEGIN
    FOR r IN SELECT * FROM audit_events ORDER BY id LOOP
        IF r.prev_hash <> v_prev OR r.hash <> sha256(v_prev || convert_to(jsonb_build_array(
            to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            r.actor_user, r.actor_org, r.actor_kind, r.addr, r.action, r.object_type,
            r.object_id, r.orgs, r.detail)::text, 'UTF8')) THEN
            RETURN r.id;
        END IF;
        v_prev := r.hash;
    END LOOP;
    RETURN NULL;
END $$;

-- Why: the coordinator sees progress (counts and states) but may never read
-- findings, claims or statements. This returns counts only, per engagement
-- of one campaign, and only to a coordinator identity.
CREATE FUNCTION campaign_progress(p_campaign uuid)
RETURNS TABLE (engagement_id uuid, findings_total bigint, findings_open bigint,
               claims_total bigint, has_statement boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT e.id,
           (SELECT count(*) FROM findings f WHERE f.engagement_id = e.id),
           (SELECT count(*) FROM findings f WHERE f.engagement_id = e.id AND f.status = 'open'),
           (SELECT count(*) FROM claims c WHERE c.engagement_id = e.id),
           EXISTS (SELECT 1 FROM statements s WHERE s.engagement_id = e.id)
      FROM engagements e
     WHERE e.campaign_id = p_campaign AND ls_is_coordinator()
$$;

REVOKE ALL ON FUNCTION auth_login_lookup(text), auth_resolve_token(bytea),
    auth_throttle_allowed(text, integer, text, integer, integer), auth_throttle_fail(text[], integer),
    auth_throttle_clear(text), audit_append(text, text, text, uuid[], jsonb, text),
    audit_verify(), campaign_progress(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_login_lookup(text), auth_resolve_token(bytea),
    auth_throttle_allowed(text, integer, text, integer, integer), auth_throttle_fail(text[], integer),
    auth_throttle_clear(text), audit_append(text, text, text, uuid[], jsonb, text),
    campaign_progress(uuid) TO lockstep_app;

-- ---------------------------------------------------------------------
-- row-level security
-- ---------------------------------------------------------------------

ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE orgs FORCE ROW LEVEL SECURITY;
CREATE POLICY orgs_read ON orgs FOR SELECT USING (
    ls_is_coordinator()
    OR id = ls_org()
    OR (kind = 'coordinator' AND ls_uid() IS NOT NULL)
    OR id IN (SELECT e.company_org_id FROM engagements e WHERE e.assessor_org_id = ls_org())
    OR id IN (SELECT e.assessor_org_id FROM engagements e WHERE e.company_org_id = ls_org()));
CREATE POLICY orgs_write ON orgs FOR INSERT WITH CHECK (ls_is_coordinator());
CREATE POLICY orgs_update ON orgs FOR UPDATE USING (ls_is_coordinator()) WITH CHECK (ls_is_coordinator());

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_read ON users FOR SELECT USING (
    ls_is_coordinator() OR (ls_uid() IS NOT NULL AND org_id = ls_org()));
CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (
    ls_is_coordinator() OR (org_id = ls_org() AND ls_role() = 'admin'));
CREATE POLICY users_update ON users FOR UPDATE
    USING (ls_is_coordinator() OR (org_id = ls_org() AND (ls_role() = 'admin' OR id = ls_uid())))
    WITH CHECK (ls_is_coordinator() OR (org_id = ls_org() AND (ls_role() = 'admin' OR id = ls_uid())));

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_read ON sessions FOR SELECT USING (
    user_id = ls_uid() OR ls_is_coordinator() OR (ls_role() = 'admin' AND org_id = ls_org()));
CREATE POLICY sessions_insert ON sessions FOR INSERT WITH CHECK (
    user_id = ls_uid() AND org_id = ls_org());
CREATE POLICY sessions_update ON sessions FOR UPDATE
    USING (user_id = ls_uid() OR ls_is_coordinator() OR (ls_role() = 'admin' AND org_id = ls_org()))
    WITH CHECK (user_id = ls_uid() OR ls_is_coordinator() OR (ls_role() = 'admin' AND org_id = ls_org()));

ALTER TABLE login_failures ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_failures FORCE ROW LEVEL SECURITY;
-- no policy: nothing is visible to lockstep_app (it has no privilege either)

ALTER TABLE campaigns ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaigns FORCE ROW LEVEL SECURITY;
CREATE POLICY campaigns_read ON campaigns FOR SELECT USING (
    ls_is_coordinator()
    OR id IN (SELECT e.campaign_id FROM engagements e
               WHERE e.company_org_id = ls_org() OR e.assessor_org_id = ls_org()));
CREATE POLICY campaigns_insert ON campaigns FOR INSERT WITH CHECK (ls_is_coordinator());
CREATE POLICY campaigns_update ON campaigns FOR UPDATE
    USING (ls_is_coordinator()) WITH CHECK (ls_is_coordinator());

ALTER TABLE engagements ENABLE ROW LEVEL SECURITY;
ALTER TABLE engagements FORCE ROW LEVEL SECURITY;
CREATE POLICY engagements_read ON engagements FOR SELECT USING (
    ls_is_coordinator()
    OR (ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org())));
CREATE POLICY engagements_insert ON engagements FOR INSERT WITH CHECK (ls_is_coordinator());
CREATE POLICY engagements_update ON engagements FOR UPDATE
    USING (ls_is_coordinator() OR (ls_kind() = 'assessor' AND assessor_org_id = ls_org()))
    WITH CHECK (ls_is_coordinator() OR (ls_kind() = 'assessor' AND assessor_org_id = ls_org()));

-- The participants' content: only the company and the assessor of the
-- engagement; the coordinator never.
ALTER TABLE engagement_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE engagement_secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY engagement_secrets_read ON engagement_secrets FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));
CREATE POLICY engagement_secrets_insert ON engagement_secrets FOR INSERT WITH CHECK (ls_is_coordinator());

ALTER TABLE findings ENABLE ROW LEVEL SECURITY;
ALTER TABLE findings FORCE ROW LEVEL SECURITY;
CREATE POLICY findings_read ON findings FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));
CREATE POLICY findings_insert ON findings FOR INSERT WITH CHECK (
    ls_uid() IS NOT NULL AND ls_kind() = 'assessor' AND assessor_org_id = ls_org()
    AND created_by = ls_uid());
CREATE POLICY findings_update ON findings FOR UPDATE
    USING (ls_uid() IS NOT NULL AND (
        (ls_kind() = 'assessor' AND assessor_org_id = ls_org())
        OR (ls_kind() = 'company' AND company_org_id = ls_org())))
    WITH CHECK (ls_uid() IS NOT NULL AND (
        (ls_kind() = 'assessor' AND assessor_org_id = ls_org())
        OR (ls_kind() = 'company' AND company_org_id = ls_org())));

ALTER TABLE finding_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE finding_history FORCE ROW LEVEL SECURITY;
CREATE POLICY finding_history_read ON finding_history FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));
CREATE POLICY finding_history_insert ON finding_history FOR INSERT WITH CHECK (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));

ALTER TABLE claims ENABLE ROW LEVEL SECURITY;
ALTER TABLE claims FORCE ROW LEVEL SECURITY;
CREATE POLICY claims_read ON claims FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));
CREATE POLICY claims_insert ON claims FOR INSERT WITH CHECK (
    ls_kind() = 'assessor' AND assessor_org_id = ls_org() AND updated_by = ls_uid());
CREATE POLICY claims_update ON claims FOR UPDATE
    USING (ls_kind() = 'assessor' AND assessor_org_id = ls_org())
    WITH CHECK (ls_kind() = 'assessor' AND assessor_org_id = ls_org() AND updated_by = ls_uid());

ALTER TABLE statements ENABLE ROW LEVEL SECURITY;
ALTER TABLE statements FORCE ROW LEVEL SECURITY;
CREATE POLICY statements_read ON statements FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));
CREATE POLICY statements_insert ON statements FOR INSERT WITH CHECK (
    ls_kind() = 'company' AND company_org_id = ls_org() AND updated_by = ls_uid());
CREATE POLICY statements_update ON statements FOR UPDATE
    USING (ls_kind() = 'company' AND company_org_id = ls_org())
    WITH CHECK (ls_kind() = 'company' AND company_org_id = ls_org() AND updated_by = ls_uid());

ALTER TABLE evidence ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence FORCE ROW LEVEL SECURITY;
CREATE POLICY evidence_read ON evidence FOR SELECT USING (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org()));
CREATE POLICY evidence_insert ON evidence FOR INSERT WITH CHECK (
    ls_uid() IS NOT NULL AND (company_org_id = ls_org() OR assessor_org_id = ls_org())
    AND uploaded_by = ls_uid());

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_events_read ON audit_events FOR SELECT USING (
    ls_is_coordinator()
    OR (ls_role() = 'admin' AND (actor_org = ls_org() OR ls_org() = ANY (orgs))));

-- ---------------------------------------------------------------------
-- privileges of the server role: only what it needs
-- ---------------------------------------------------------------------

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ls_uid(), ls_org(), ls_kind(), ls_role(), ls_is_coordinator() TO lockstep_app;
-- trigger functions run as the invoker, who must be able to execute them
GRANT EXECUTE ON FUNCTION findings_before_update(), findings_record_history(), ls_refuse_change() TO lockstep_app;
GRANT EXECUTE ON FUNCTION auth_login_lookup(text), auth_resolve_token(bytea),
    auth_throttle_allowed(text, integer, text, integer, integer), auth_throttle_fail(text[], integer),
    auth_throttle_clear(text), audit_append(text, text, text, uuid[], jsonb, text),
    campaign_progress(uuid) TO lockstep_app;

GRANT SELECT ON threat_models TO lockstep_app;
GRANT SELECT, INSERT ON orgs TO lockstep_app;
GRANT UPDATE (name, aliases) ON orgs TO lockstep_app;
-- no SELECT on users.password_hash: only auth_login_lookup reads it
GRANT SELECT (id, org_id, email, name, role, disabled, created_at) ON users TO lockstep_app;
GRANT INSERT (id, org_id, email, name, role, password_hash) ON users TO lockstep_app;
GRANT UPDATE (name, role, disabled, password_hash) ON users TO lockstep_app;
GRANT INSERT ON sessions TO lockstep_app;
GRANT UPDATE (revoked_at) ON sessions TO lockstep_app;
GRANT SELECT (id, kind, name, user_id, org_id, created_at, expires_at, revoked_at) ON sessions TO lockstep_app;
GRANT SELECT, INSERT ON campaigns TO lockstep_app;
GRANT UPDATE (title, threat_models, release_at, disclosure, min_cohort, state, updated_at) ON campaigns TO lockstep_app;
GRANT SELECT, INSERT ON engagements TO lockstep_app;
GRANT UPDATE (lead_assessors, state) ON engagements TO lockstep_app;
GRANT SELECT, INSERT ON engagement_secrets TO lockstep_app;
GRANT SELECT, INSERT ON findings TO lockstep_app;
GRANT UPDATE (threat_model, severity, status, title, detail, response, atlas, cwe, cvss,
              version, updated_by, updated_at) ON findings TO lockstep_app;
GRANT SELECT, INSERT ON finding_history TO lockstep_app;
GRANT SELECT, INSERT ON claims TO lockstep_app;
GRANT UPDATE (level, summary, updated_by, updated_at) ON claims TO lockstep_app;
GRANT SELECT, INSERT ON statements TO lockstep_app;
GRANT UPDATE (text, updated_by, updated_at) ON statements TO lockstep_app;
GRANT SELECT, INSERT ON evidence TO lockstep_app;
GRANT SELECT ON audit_events TO lockstep_app;

-- RFC 3339 text for API answers (seconds precision, UTC).
CREATE FUNCTION ls_ts(timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;
GRANT EXECUTE ON FUNCTION ls_ts(timestamptz) TO lockstep_app;

ALTER TABLE campaigns ADD CONSTRAINT campaigns_threat_models_known CHECK (
    threat_models <@ ARRAY['WEIGHTS-EXFIL', 'IP-THEFT', 'TAMPERING', 'COMPUTE-MISUSE', 'PERSISTENCE']);

-- 0007: second factors, two-step log-in, scoped API tokens, sessions
-- (issue 9, part B; 0006 is the accounts branch's migration).
--
--  * user_totp: one TOTP secret per user (RFC 6238, 30-second steps,
--    6 digits, SHA-1), sealed with AES-256-GCM under a key derived from
--    the master key (associated data lockstep/v1/totp/<user>/secret), so a
--    dump alone does not give it away. last_step is the last time step a
--    code was accepted for: a code is used once. Unconfirmed until the
--    first valid code.
--  * recovery_codes: ten single-use codes per confirmed enrolment, only
--    their SHA-256 (over "<user id>:<code>") stored.
--  * login_challenges: the first step of a log-in with a second factor
--    (the password matched) leaves a short-lived, single-use challenge,
--    only its SHA-256 stored; the second step presents it with a code.
--    Reachable only through the auth_challenge_* functions below.
--  * sessions.scopes: what an API token may do (NULL for browser
--    sessions: all of the user's rights); sessions.last_used_at, written
--    at most once a minute by auth_resolve_scoped; sessions.parent_id, the
--    session or token that minted a token. A browser session has scopes
--    only when it is limited to enrolling a second factor (below).
--  * campaigns.require_second_factor: the coordinator's setting that every
--    user of the campaign's orgs (its companies and assessor firms) must
--    have a second factor. Such a user without one gets, at log-in, a
--    session limited to enrolling (scopes {account:write}), and a full one
--    only by logging in again with the factor.

SET LOCAL search_path = public, pg_catalog;

-- ---------------------------------------------------------------------
-- token scopes: a vocabulary (mirrored in server/util/vocab.h)
-- ---------------------------------------------------------------------

INSERT INTO vocabulary (name, code, position, company_may_set) VALUES
('token_scope', 'read', 1, false),
('token_scope', 'findings:write', 2, false),
('token_scope', 'evidence:write', 3, false),
('token_scope', 'claims:write', 4, false),
('token_scope', 'statements:write', 5, false),
('token_scope', 'campaigns:write', 6, false),
('token_scope', 'users:write', 7, false),
('token_scope', 'account:write', 8, false);

ALTER TABLE sessions ADD COLUMN scopes text[]
    CHECK (scopes IS NULL OR (cardinality(scopes) BETWEEN 1 AND 16));
ALTER TABLE sessions ADD COLUMN last_used_at timestamptz;
ALTER TABLE sessions ADD COLUMN parent_id uuid;
COMMENT ON COLUMN sessions.scopes IS 'API tokens: the token_scope codes it may use; NULL for a browser session (every right of its user).';
COMMENT ON COLUMN sessions.last_used_at IS 'Last authenticated request, to the minute (auth_resolve_scoped).';
COMMENT ON COLUMN sessions.parent_id IS 'The session or token that created this API token.';

-- API tokens made before scopes existed could do everything: they keep
-- exactly that, now written down.
UPDATE sessions SET scopes = ARRAY(SELECT code FROM vocabulary WHERE name = 'token_scope'
                                    ORDER BY position)
 WHERE kind = 'api' AND scopes IS NULL;
ALTER TABLE sessions ADD CONSTRAINT sessions_api_scoped CHECK (kind <> 'api' OR scopes IS NOT NULL);

-- Every scope is a vocabulary value (an array cannot carry a foreign key).
CREATE FUNCTION sessions_check_scopes() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog
AS $$
BEGIN
    IF NEW.scopes IS NOT NULL AND EXISTS (
        SELECT 1 FROM unnest(NEW.scopes) AS s(code)
         WHERE NOT EXISTS (SELECT 1 FROM vocabulary v
                            WHERE v.name = 'token_scope' AND v.code = s.code)) THEN
        RAISE EXCEPTION 'unknown token scope' USING ERRCODE = '23503';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER sessions_scopes_known BEFORE INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_check_scopes();
GRANT EXECUTE ON FUNCTION sessions_check_scopes() TO lockstep_app;
GRANT SELECT (scopes, last_used_at, addr, parent_id) ON sessions TO lockstep_app;

CREATE INDEX sessions_org_idx ON sessions (org_id, user_id) WHERE revoked_at IS NULL;
COMMENT ON INDEX sessions_org_idx IS 'user_tokens_list: an org admin lists a member''s live sessions and tokens.';

-- Why: every authenticated request turns a token's hash into an identity
-- and, for API tokens, the scopes it may use; auth_resolve_token (0001,
-- or whoever replaces it) decides which sessions are live, this adds the
-- scopes and notes the use (at most once a minute, so a busy token costs
-- one write a minute).
CREATE FUNCTION auth_resolve_scoped(p_hash bytea)
RETURNS TABLE (user_id uuid, org_id uuid, org_kind text, role text, session_id uuid,
               kind text, scopes text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT a.user_id, a.org_id, a.org_kind, a.role, a.session_id, s.kind,
           CASE WHEN s.scopes IS NULL THEN NULL ELSE array_to_string(s.scopes, ' ') END
      FROM auth_resolve_token(p_hash) a JOIN sessions s ON s.id = a.session_id;
    IF FOUND THEN
        UPDATE sessions s SET last_used_at = now()
         WHERE s.token_hash = p_hash
           AND (s.last_used_at IS NULL OR s.last_used_at < now() - interval '60 seconds');
    END IF;
END $$;

-- ---------------------------------------------------------------------
-- the campaign requirement
-- ---------------------------------------------------------------------

ALTER TABLE campaigns ADD COLUMN require_second_factor boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN campaigns.require_second_factor IS 'Every user of the orgs taking part (company and assessor) must log in with a second factor; set by the coordinator.';
GRANT UPDATE (require_second_factor) ON campaigns TO lockstep_app;

-- ---------------------------------------------------------------------
-- TOTP and recovery codes
-- ---------------------------------------------------------------------

CREATE TABLE user_totp (
    user_id      uuid PRIMARY KEY REFERENCES users (id),
    org_id       uuid NOT NULL REFERENCES orgs (id),
    secret       bytea NOT NULL CHECK (length(secret) BETWEEN 30 AND 200),
    confirmed_at timestamptz,
    last_step    bigint NOT NULL DEFAULT -1,
    created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE user_totp IS 'One TOTP secret per user, sealed (AAD lockstep/v1/totp/<user_id>/secret); only its user reads or changes it.';
COMMENT ON COLUMN user_totp.last_step IS 'The last 30-second step a code was accepted for; only a later step is accepted (no replay).';

CREATE TABLE recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id),
    org_id     uuid NOT NULL REFERENCES orgs (id),
    code_hash  bytea NOT NULL CHECK (length(code_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);
COMMENT ON TABLE recovery_codes IS 'Single-use recovery codes: SHA-256 of "<user_id>:<code>" only.';

ALTER TABLE user_totp ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_totp FORCE ROW LEVEL SECURITY;
CREATE POLICY user_totp_own ON user_totp FOR ALL
    USING (user_id = ls_uid() AND org_id = ls_org())
    WITH CHECK (user_id = ls_uid() AND org_id = ls_org());

ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY recovery_codes_own ON recovery_codes FOR ALL
    USING (user_id = ls_uid() AND org_id = ls_org())
    WITH CHECK (user_id = ls_uid() AND org_id = ls_org());

GRANT SELECT, INSERT, DELETE ON user_totp TO lockstep_app;
GRANT UPDATE (secret, confirmed_at, last_step, created_at) ON user_totp TO lockstep_app;
GRANT SELECT, INSERT, DELETE ON recovery_codes TO lockstep_app;
GRANT UPDATE (used_at) ON recovery_codes TO lockstep_app;

-- ---------------------------------------------------------------------
-- two-step log-in
-- ---------------------------------------------------------------------

CREATE TABLE login_challenges (
    challenge_hash bytea PRIMARY KEY CHECK (length(challenge_hash) = 32),
    user_id        uuid NOT NULL REFERENCES users (id),
    acct_key       text NOT NULL CHECK (length(acct_key) <= 400),
    addr           text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    attempts       integer NOT NULL DEFAULT 0,
    used_at        timestamptz
);
COMMENT ON TABLE login_challenges IS 'First steps of two-step log-ins; only through auth_challenge_*; lockstep_app has no privilege on it.';
CREATE INDEX login_challenges_expiry_idx ON login_challenges (expires_at);
COMMENT ON INDEX login_challenges_expiry_idx IS 'auth_challenge_create: old challenges are deleted as new ones are made.';
ALTER TABLE login_challenges ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_challenges FORCE ROW LEVEL SECURITY;
-- no policy: nothing is visible to lockstep_app (it has no privilege either)

-- Why: the first step runs under the identity the password proved, but the
-- challenge must be readable in the second step, before any identity.
-- Makes a challenge for the current user (at most 5 live ones each) and
-- returns its expiry; deletes challenges that expired a day ago.
CREATE FUNCTION auth_challenge_create(p_hash bytea, p_acct text, p_addr text, p_ttl integer)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_exp timestamptz := now() + make_interval(secs => p_ttl);
BEGIN
    IF ls_uid() IS NULL THEN
        RAISE EXCEPTION 'no identity' USING ERRCODE = '42501';
    END IF;
    DELETE FROM login_challenges WHERE expires_at < now() - interval '1 day';
    UPDATE login_challenges SET used_at = now()
     WHERE user_id = ls_uid() AND used_at IS NULL
       AND challenge_hash IN (SELECT challenge_hash FROM login_challenges
                               WHERE user_id = ls_uid() AND used_at IS NULL
                               ORDER BY created_at DESC OFFSET 4);
    INSERT INTO login_challenges (challenge_hash, user_id, acct_key, addr, expires_at)
    VALUES (p_hash, ls_uid(), p_acct, p_addr, v_exp);
    RETURN ls_ts(v_exp);
END $$;

-- Why: the second step has no identity until the challenge is resolved.
-- Returns the identity of a live challenge (unused, unexpired, fewer than
-- 5 wrong codes, enabled user) and its throttle key, nothing else.
CREATE FUNCTION auth_challenge_resolve(p_hash bytea)
RETURNS TABLE (user_id uuid, org_id uuid, org_kind text, role text, acct_key text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT u.id, u.org_id, o.kind, u.role, c.acct_key
      FROM login_challenges c
      JOIN users u ON u.id = c.user_id
      JOIN orgs o ON o.id = u.org_id
     WHERE c.challenge_hash = p_hash AND c.used_at IS NULL AND c.expires_at > now()
       AND c.attempts < 5 AND NOT u.disabled
$$;

-- Why: a wrong code is recorded before any identity (anonymous
-- transaction); the fifth burns the challenge.
CREATE FUNCTION auth_challenge_fail(p_hash bytea)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    UPDATE login_challenges
       SET attempts = attempts + 1,
           used_at = CASE WHEN attempts + 1 >= 5 THEN now() ELSE used_at END
     WHERE challenge_hash = p_hash AND used_at IS NULL
$$;

-- Why: the second step, under the identity the challenge named, uses the
-- challenge up; true only once, only for that identity, only while live.
CREATE FUNCTION auth_challenge_consume(p_hash bytea)
RETURNS boolean LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    WITH u AS (
        UPDATE login_challenges SET used_at = now()
         WHERE challenge_hash = p_hash AND user_id = ls_uid() AND used_at IS NULL
           AND expires_at > now() AND attempts < 5
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM u)
$$;

-- Why: turning a second factor off with the password must check the
-- caller's own password, and lockstep_app may not read password hashes.
-- Returns the hash of the current identity's account only (NULL when
-- disabled or without identity), nothing else.
CREATE FUNCTION auth_password_hash_self()
RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT u.password_hash FROM users u WHERE u.id = ls_uid() AND NOT u.disabled
$$;

-- Why: an org admin (and the coordinator) must see which members have a
-- second factor, but user_totp holds the sealed secrets and is visible
-- only to its user. Returns, for the users of one org, whether each has a
-- confirmed second factor, and only to that org's admin or the
-- coordinator (no rows for anybody else).
CREATE FUNCTION org_second_factors(p_org uuid)
RETURNS TABLE (user_id uuid, enabled boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT u.id, EXISTS (SELECT 1 FROM user_totp t
                          WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL)
      FROM users u
     WHERE u.org_id = p_org
       AND (ls_is_coordinator() OR (ls_uid() IS NOT NULL AND ls_role() = 'admin' AND ls_org() = p_org))
     ORDER BY u.created_at, u.id
$$;

REVOKE ALL ON FUNCTION org_second_factors(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION org_second_factors(uuid) TO lockstep_app;

REVOKE ALL ON FUNCTION auth_password_hash_self() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_password_hash_self() TO lockstep_app;

REVOKE ALL ON FUNCTION auth_resolve_scoped(bytea), auth_challenge_create(bytea, text, text, integer),
    auth_challenge_resolve(bytea), auth_challenge_fail(bytea), auth_challenge_consume(bytea)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_resolve_scoped(bytea),
    auth_challenge_create(bytea, text, text, integer), auth_challenge_resolve(bytea),
    auth_challenge_fail(bytea), auth_challenge_consume(bytea) TO lockstep_app;

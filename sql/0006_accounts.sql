-- 0006: accounts — one identity per address, invitations and reset links,
-- disabled orgs, and a log-in that finds at most one account.
--
-- E-mail addresses. From now on an address is stored in the one normal
-- form of server/util/email.c (NFKC case fold, IDNA for the domain) and
-- is unique platform-wide: log-in finds at most one account, so it costs
-- exactly one password hash whatever the address. Until this migration
-- the API accepted only printable ASCII addresses and stored lower(), which
-- is already that normal form, so existing rows keep their value.
--
-- Existing duplicates (the same address in several orgs, which 0001
-- allowed): the oldest account keeps the address — it is the one the old
-- log-in tried first. Every later one is disabled, its sessions and API
-- tokens are revoked, its address is replaced by <user id>@duplicate.invalid
-- (RFC 2606 reserves .invalid) and the old address is kept in
-- users.legacy_email for the operator. Its org admin (or the coordinator)
-- can invite the person again under another address.
--
-- Creating accounts goes through invitations (account_links, kind
-- 'invite'): an invitation is created the same way whether or not the
-- address already has an account somewhere, so the uniqueness above is no
-- oracle to an org admin; only accepting the invitation (auth_link_accept)
-- finds out, and it answers the same in both cases.

SET LOCAL search_path = public, pg_catalog;

-- orgs: the coordinator can disable a whole org
ALTER TABLE orgs ADD COLUMN disabled boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN orgs.disabled IS 'Set by the coordinator: every user of the org behaves as disabled (no log-in, no session resolves).';

-- users: duplicates out of the way, then one account per address
ALTER TABLE users ADD COLUMN legacy_email text,
    ADD COLUMN password_changed_at timestamptz;
COMMENT ON COLUMN users.legacy_email IS '0006: the address this account had before addresses became unique platform-wide (a later duplicate, now disabled).';

WITH ranked AS (
    SELECT id, row_number() OVER (PARTITION BY email ORDER BY created_at, id) AS n FROM users)
UPDATE users u
   SET legacy_email = u.email, email = u.id::text || '@duplicate.invalid', disabled = true
  FROM ranked r
 WHERE r.id = u.id AND r.n > 1;
UPDATE sessions s SET revoked_at = now()
  FROM users u
 WHERE u.id = s.user_id AND u.legacy_email IS NOT NULL AND s.revoked_at IS NULL;

ALTER TABLE users DROP CONSTRAINT users_email_check;
ALTER TABLE users ADD CONSTRAINT users_email_check
    CHECK (length(email) BETWEEN 3 AND 254 AND email !~ '[A-Z]');
DROP INDEX users_org_email_key;
DROP INDEX users_email_idx;
CREATE UNIQUE INDEX users_email_key ON users (email);
COMMENT ON INDEX users_email_key IS 'auth_login_account, auth_link_accept: one account per (normalised) address, platform-wide.';

-- ---------------------------------------------------------------------
-- invitation and password-reset links
-- ---------------------------------------------------------------------

-- An invitation ('invite': creates an account with this address, name and
-- role in org_id when accepted) or a password reset ('reset': sets the
-- password of user_id). Only the SHA-256 of the link's 32 random bytes is
-- kept. Single use (used_at), expiring, revocable.
CREATE TABLE account_links (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind        text NOT NULL CHECK (kind IN ('invite', 'reset')),
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    org_id      uuid NOT NULL REFERENCES orgs (id),
    email       text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name        text CHECK (length(name) BETWEEN 1 AND 200),
    role        text CHECK (role IN ('admin', 'member')),
    user_id     uuid REFERENCES users (id),
    created_by  uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    CHECK ((kind = 'invite' AND name IS NOT NULL AND role IS NOT NULL AND user_id IS NULL)
        OR (kind = 'reset' AND user_id IS NOT NULL))
);
CREATE INDEX account_links_org_idx ON account_links (org_id, created_at, id);
COMMENT ON INDEX account_links_org_idx IS 'invitations_list: the invitations of one org, paginated.';
CREATE INDEX account_links_user_idx ON account_links (user_id) WHERE user_id IS NOT NULL;
COMMENT ON INDEX account_links_user_idx IS 'auth_link_accept, user_reset: the reset links of one user.';

ALTER TABLE account_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_links FORCE ROW LEVEL SECURITY;
CREATE POLICY account_links_read ON account_links FOR SELECT USING (
    ls_is_coordinator() OR (ls_uid() IS NOT NULL AND org_id = ls_org() AND ls_role() = 'admin'));
CREATE POLICY account_links_insert ON account_links FOR INSERT WITH CHECK (
    created_by = ls_uid()
    AND (ls_is_coordinator() OR (org_id = ls_org() AND ls_role() = 'admin')));
CREATE POLICY account_links_update ON account_links FOR UPDATE
    USING (ls_is_coordinator() OR (org_id = ls_org() AND ls_role() = 'admin'))
    WITH CHECK (ls_is_coordinator() OR (org_id = ls_org() AND ls_role() = 'admin'));

GRANT SELECT (id, kind, org_id, email, name, role, user_id, created_by, created_at, expires_at,
              used_at, revoked_at) ON account_links TO lockstep_app;
GRANT INSERT (kind, token_hash, org_id, email, name, role, user_id, created_by, expires_at)
    ON account_links TO lockstep_app;
GRANT UPDATE (revoked_at) ON account_links TO lockstep_app;
GRANT UPDATE (disabled) ON orgs TO lockstep_app;
GRANT SELECT (password_changed_at) ON users TO lockstep_app;
GRANT UPDATE (password_changed_at) ON users TO lockstep_app;

-- ---------------------------------------------------------------------
-- authentication (SECURITY DEFINER, as in 0001)
-- ---------------------------------------------------------------------

-- Replaced by auth_login_account: it returned up to four accounts.
DROP FUNCTION auth_login_lookup(text);

-- Why: log-in happens before any identity exists, and no policy may open
-- users to an unidentified caller. Returns the one account with this
-- (normalised) address, disabled or not, with its password hash and
-- whether it may log in (usable: neither it nor its org is disabled), so
-- the caller checks the password of a disabled account too and a disabled
-- account costs what a wrong password costs.
CREATE FUNCTION auth_login_account(p_email text)
RETURNS TABLE (user_id uuid, org_id uuid, org_kind text, role text, password_hash text,
               usable boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT u.id, u.org_id, o.kind, u.role, u.password_hash, NOT (u.disabled OR o.disabled)
      FROM users u JOIN orgs o ON o.id = u.org_id
     WHERE u.email = p_email
$$;

-- Why: as in 0001, and a disabled org now stops its users' sessions too.
CREATE OR REPLACE FUNCTION auth_resolve_token(p_hash bytea)
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
       AND NOT o.disabled
$$;

-- Why: whoever holds an invitation or reset link has no identity yet.
-- Uses the live link with this hash once (single use: used_at) and
-- answers what happened:
--   'invalid'  no such live link (unknown, used, revoked, expired, or its
--              org or account disabled): nothing changes;
--   'created'  invite: the account was created with p_password_hash;
--   'taken'    invite: the address already has an account (anywhere):
--              nothing is created, the link is used up all the same, and
--              the caller answers exactly as for 'created';
--   'reset'    reset: the account's password is p_password_hash, every
--              session and API token of it is revoked, and its other
--              reset links are used up.
-- user_id and org_id name the account concerned ('taken': none).
CREATE FUNCTION auth_link_accept(p_hash bytea, p_password_hash text)
RETURNS TABLE (outcome text, user_id uuid, org_id uuid)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_link account_links%ROWTYPE;
    v_user uuid;
BEGIN
    SELECT l.* INTO v_link FROM account_links l JOIN orgs o ON o.id = l.org_id
     WHERE l.token_hash = p_hash AND l.used_at IS NULL AND l.revoked_at IS NULL
       AND l.expires_at > now() AND NOT o.disabled
       FOR UPDATE OF l;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'invalid'::text, NULL::uuid, NULL::uuid;
        RETURN;
    END IF;
    IF v_link.kind = 'invite' THEN
        UPDATE account_links SET used_at = now() WHERE id = v_link.id;
        INSERT INTO users (org_id, email, name, role, password_hash, password_changed_at)
        VALUES (v_link.org_id, v_link.email, v_link.name, v_link.role, p_password_hash, now())
        ON CONFLICT (email) DO NOTHING
        RETURNING id INTO v_user;
        IF v_user IS NULL THEN
            RETURN QUERY SELECT 'taken'::text, NULL::uuid, NULL::uuid;
        ELSE
            RETURN QUERY SELECT 'created'::text, v_user, v_link.org_id;
        END IF;
        RETURN;
    END IF;
    UPDATE users u SET password_hash = p_password_hash, password_changed_at = now()
     WHERE u.id = v_link.user_id AND NOT u.disabled
    RETURNING u.id INTO v_user;
    IF v_user IS NULL THEN
        RETURN QUERY SELECT 'invalid'::text, NULL::uuid, NULL::uuid;
        RETURN;
    END IF;
    UPDATE account_links SET used_at = now()
     WHERE account_links.user_id = v_user AND used_at IS NULL;
    UPDATE sessions SET revoked_at = now()
     WHERE sessions.user_id = v_user AND revoked_at IS NULL;
    RETURN QUERY SELECT 'reset'::text, v_user, v_link.org_id;
END
$$;

-- Why: changing one's own password must check the current one, whose hash
-- lockstep_app may not read. Returns the caller's own hash, nothing else.
CREATE FUNCTION auth_own_password_hash()
RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$ SELECT password_hash FROM users WHERE id = ls_uid() AND NOT disabled $$;

REVOKE ALL ON FUNCTION auth_login_account(text), auth_link_accept(bytea, text),
    auth_own_password_hash() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_login_account(text), auth_link_accept(bytea, text),
    auth_own_password_hash() TO lockstep_app;

-- 0016_merge_fixes.sql: where the accounts (0006) and second-factor (0007)
-- migrations, written side by side, meet.

-- A disabled org's users cannot finish a two-step log-in either: the
-- challenge of a password typed before the org was disabled resolves to
-- nothing, as auth_resolve_token (0006) does for sessions and tokens.
CREATE OR REPLACE FUNCTION auth_challenge_resolve(p_hash bytea)
RETURNS TABLE (user_id uuid, org_id uuid, org_kind text, role text, acct_key text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT u.id, u.org_id, o.kind, u.role, c.acct_key
      FROM login_challenges c
      JOIN users u ON u.id = c.user_id
      JOIN orgs o ON o.id = u.org_id
     WHERE c.challenge_hash = p_hash AND c.used_at IS NULL AND c.expires_at > now()
       AND c.attempts < 5 AND NOT u.disabled AND NOT o.disabled
$$;

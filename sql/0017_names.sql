-- 0017_names.sql: display names beside the ids the API returns.
--
-- Every JSON object the API returns with a user id (uploaded_by, changed_by,
-- author, actor_user, ...) carries that user's display name beside it when
-- the caller could already see that the user took part. users_read (0001)
-- opens only the caller's own org, so the names of the other party of an
-- engagement need a narrow way around it. Org names need none: orgs_read
-- already opens exactly the orgs of the caller's engagements.

-- Why: a company must see the names of the assessors who wrote its findings
-- and the assessor the names of the company's people who answered them,
-- without users_read opening those accounts (e-mail, role) to them. Returns
-- (id, name) only, for the ids among p_ids (at most 1000 are looked at)
-- whose account the caller may name: the coordinator any; anybody else the
-- members of its own org, of the coordinator's org, and of an org with which
-- its org shares an engagement. Never a user of another company: two
-- companies never share an engagement. Nothing for an anonymous caller.
CREATE FUNCTION ls_user_names(p_ids uuid[])
RETURNS TABLE (id uuid, name text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT u.id, u.name
      FROM users u JOIN orgs o ON o.id = u.org_id
     WHERE u.id = ANY (p_ids[1:1000])
       AND ls_uid() IS NOT NULL
       AND (ls_is_coordinator()
            OR u.org_id = ls_org()
            OR o.kind = 'coordinator'
            OR EXISTS (SELECT 1 FROM engagements e
                        WHERE (e.company_org_id = ls_org() AND e.assessor_org_id = u.org_id)
                           OR (e.assessor_org_id = ls_org() AND e.company_org_id = u.org_id)))
$$;
COMMENT ON FUNCTION ls_user_names(uuid[]) IS
    'names_resolve: display names of the users the caller may see took part (0017).';

REVOKE ALL ON FUNCTION ls_user_names(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ls_user_names(uuid[]) TO lockstep_app;

-- ---------------------------------------------------------------------
-- log-in throttling: say when to try again
-- ---------------------------------------------------------------------

-- Why: as auth_throttle_allowed (0001), for callers with no identity yet. A
-- throttled log-in answers 429 with Retry-After: this says how many seconds
-- remain until the blocking window ends (at least 1) and whether the
-- account's or the address's count blocks (the longer wait when both do).
-- No row when another attempt is allowed. Reveals nothing about whether the
-- account exists: unknown addresses are counted under their own key too.
CREATE FUNCTION auth_throttle_wait(p_account text, p_account_max integer,
                                   p_address text, p_address_max integer,
                                   p_window_seconds integer)
RETURNS TABLE (seconds integer, scope text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT greatest(1, ceil(extract(epoch FROM
               (f.window_start + make_interval(secs => p_window_seconds) - now()))))::integer,
           CASE WHEN f.key = p_account THEN 'account' ELSE 'address' END
      FROM login_failures f
     WHERE f.window_start > now() - make_interval(secs => p_window_seconds)
       AND ((f.key = p_account AND f.failures >= p_account_max)
         OR (f.key = p_address AND f.failures >= p_address_max))
     ORDER BY 1 DESC
     LIMIT 1
$$;
COMMENT ON FUNCTION auth_throttle_wait(text, integer, text, integer, integer) IS
    'auth_throttle_wait: the Retry-After of a throttled log-in (0017).';

REVOKE ALL ON FUNCTION auth_throttle_wait(text, integer, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_throttle_wait(text, integer, text, integer, integer) TO lockstep_app;

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

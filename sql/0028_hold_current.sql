-- 0028: a hold is the current instant's only.
--
-- When the coordinator extends a held release, its release_holds row stays
-- (release_claim uses it to mark the publication as released after a
-- hold); at the new instant the row told participants, for up to the
-- scheduler's next check, that the release was held by the texts of the
-- old hold, and a coordinator's decision taken then used those stale
-- reasons. A hold counts only once checked at or after the current
-- instant (checked_at >= release_at): until then the release is 'due'
-- (db/store campaign_release_status) and no field holds it.

CREATE OR REPLACE FUNCTION release_hold_fields(p_engagement uuid)
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
       AND h.checked_at >= c.release_at
       AND r.value->>'engagement' = e.id::text
$$;

-- 0027: the coordinator may change a campaign's slug before its release.
--
-- Under pseudonymous and aggregate disclosure the name check holds a
-- release whose published texts name a participating company, and the
-- slug (the publication's address) is one of them. A slug could not be
-- changed, so a campaign whose slug named a company could only have its
-- release extended, for ever. Nothing is public under a slug before the
-- release (every address answers as a missing one), so changing it then
-- breaks no link; once the release instant has passed it never changes.

GRANT UPDATE (slug) ON campaigns TO lockstep_app;

CREATE FUNCTION campaigns_slug_fixed() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_catalog
AS $$
BEGIN
    -- a publication exists only once the instant has passed
    IF NEW.slug IS DISTINCT FROM OLD.slug
       AND (OLD.state = 'published' OR OLD.release_at <= now()) THEN
        RAISE EXCEPTION 'a released campaign keeps its slug' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER campaigns_slug_fixed BEFORE UPDATE OF slug ON campaigns
    FOR EACH ROW EXECUTE FUNCTION campaigns_slug_fixed();

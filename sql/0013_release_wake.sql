-- 0013_release_wake.sql: an instant that is an instant. Each replica's
-- scheduler sleeps until the next due release_at it knows of (instead of
-- polling every 500 ms) and is woken by NOTIFY lockstep_release whenever a
-- campaign is created or its instant or state changes.

-- Why: the scheduler has no identity that may read campaigns; it needs
-- only the next instant. Returns the earliest release_at of the campaigns
-- not yet published, to the scheduler identity only (NULL otherwise).
CREATE FUNCTION release_next_due() RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT min(release_at) FROM campaigns
     WHERE state <> 'published' AND ls_kind() = 'scheduler' AND ls_uid() IS NULL
$$;
REVOKE ALL ON FUNCTION release_next_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_next_due() TO lockstep_app;

-- NOTIFY is delivered at COMMIT, so a listener never wakes for a change
-- that was rolled back. The payload is empty: no campaign id leaks to a
-- listener.
CREATE FUNCTION campaigns_notify_release() RETURNS trigger LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('lockstep_release', '');
    RETURN NULL;
END $$;
CREATE TRIGGER campaigns_release_wake AFTER INSERT OR UPDATE OF release_at, state ON campaigns
    FOR EACH ROW EXECUTE FUNCTION campaigns_notify_release();
GRANT EXECUTE ON FUNCTION campaigns_notify_release() TO lockstep_app;

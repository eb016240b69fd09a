-- 0014_users_guard.sql: who may change a user's role or disabled flag is
-- decided by the database, not only by the C handlers.
--
-- users_update (0001) lets a user update their own row (for their name and
-- password) and lockstep_app holds UPDATE on role and disabled: so far only
-- the handlers stopped a member from making themself admin or an admin from
-- re-enabling themself. Now, for lockstep_app, a change of role or disabled
-- needs the coordinator, or an admin of the user's org acting on another
-- user. Code that runs as the owner (SECURITY DEFINER functions,
-- lockstepd ensure-admin, migrations) is trusted as before.
CREATE FUNCTION users_guard_update() RETURNS trigger LANGUAGE plpgsql
AS $$
BEGIN
    IF current_user = 'lockstep_app'
       AND (NEW.role IS DISTINCT FROM OLD.role OR NEW.disabled IS DISTINCT FROM OLD.disabled
            OR NEW.org_id IS DISTINCT FROM OLD.org_id)
       AND NOT (ls_is_coordinator()
                OR (ls_role() = 'admin' AND OLD.org_id = ls_org() AND NEW.org_id = OLD.org_id
                    AND OLD.id IS DISTINCT FROM ls_uid())) THEN
        RAISE EXCEPTION 'only an admin of the org (not for themself) or the coordinator may change a role or disable a user'
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER users_guard BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_guard_update();
GRANT EXECUTE ON FUNCTION users_guard_update() TO lockstep_app;

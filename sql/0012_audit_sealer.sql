-- 0012_audit_sealer.sql: the audit chain off the request path.
--
-- Until now every audited transaction took one advisory lock (7418901) to
-- read the previous event's hash and chain its own, and held it through
-- COMMIT: every confidential read and every write of every replica was
-- serialised on it. Now:
--
--   * audit_append takes an id from the identity sequence, holds a
--     transaction-level advisory lock on that id alone (no contention:
--     every transaction has its own), and inserts the event unsealed
--     (prev_hash and hash NULL). Reads of audit records never wait.
--   * one sealer (any lockstepd replica holding the session advisory lock
--     7418920; another takes over when its holder dies) calls audit_seal
--     every ~100 ms: it chains committed events in id order. A missing id
--     is a transaction still running (its id lock is held: the sealer
--     waits for it) or one that ended without committing (lock free, no
--     row): such an id is declared void after it has been seen so for a
--     grace period (audit_gaps), so the chain never skips a row that later
--     commits and never stalls for ever.
--   * audit_verify checks every sealed event and refuses an unsealed event
--     older than the newest sealed one (a row that appeared after its id
--     was declared void, or a sealed row removed).
--
-- The hash of an event is unchanged: SHA-256(previous hash || the JSON
-- array of its fields), so events chained before this migration verify as
-- before.

-- sealing: the one UPDATE an audit event ever gets
ALTER TABLE audit_events ALTER COLUMN prev_hash DROP NOT NULL;
ALTER TABLE audit_events ALTER COLUMN hash DROP NOT NULL;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_sealed_whole
    CHECK ((prev_hash IS NULL) = (hash IS NULL));
CREATE INDEX audit_events_unsealed_idx ON audit_events (id) WHERE hash IS NULL;
COMMENT ON INDEX audit_events_unsealed_idx IS 'audit_seal and audit_verify: the events not yet chained.';

DROP TRIGGER audit_events_append_only ON audit_events;

-- Why a trigger function of its own: audit events stay append-only for
-- every role, except that the sealer fills prev_hash and hash once, and
-- nothing else, of an event that has neither.
CREATE FUNCTION audit_events_seal_only() RETURNS trigger LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
       AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
       AND (NEW.id, NEW.at, NEW.actor_user, NEW.actor_org, NEW.actor_kind, NEW.addr, NEW.action,
            NEW.object_type, NEW.object_id, NEW.orgs, NEW.detail)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor_user, OLD.actor_org, OLD.actor_kind, OLD.addr, OLD.action,
            OLD.object_type, OLD.object_id, OLD.orgs, OLD.detail)
       AND current_setting('lockstep.sealing', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_seal_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION ls_refuse_change();

-- Ids seen missing by the sealer: when first seen free (no transaction
-- holds them, no row), and when declared void. Only the sealer (SECURITY
-- DEFINER) writes it.
CREATE TABLE audit_gaps (
    id      bigint PRIMARY KEY,
    seen_at timestamptz NOT NULL,
    void_at timestamptz
);
COMMENT ON TABLE audit_gaps IS 'audit_seal: audit ids that never committed (0012_audit_sealer.sql).';
REVOKE ALL ON audit_gaps FROM PUBLIC;

-- The hash of one event after prev (the formula of 0001's audit_append).
CREATE FUNCTION audit_event_hash(p_prev bytea, r audit_events) RETURNS bytea
LANGUAGE sql IMMUTABLE
SET search_path = public, pg_catalog
AS $$
    SELECT sha256(p_prev || convert_to(jsonb_build_array(
        to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        r.actor_user, r.actor_org, r.actor_kind, r.addr, r.action, r.object_type,
        r.object_id, r.orgs, r.detail)::text, 'UTF8'))
$$;

-- Why: appending must be possible for every identity, and the id lock
-- must be taken before the row exists. Appends one unsealed event for the
-- current identity and returns its id. Holds only this id's lock.
CREATE OR REPLACE FUNCTION audit_append(p_action text, p_object_type text, p_object_id text,
                                        p_orgs uuid[], p_detail jsonb, p_addr text)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_id bigint := nextval(pg_get_serial_sequence('audit_events', 'id'));
BEGIN
    -- the sealer tells "still running" (lock held) from "never committed"
    PERFORM pg_advisory_xact_lock(74189, (v_id % 2147483647)::integer);
    INSERT INTO audit_events (id, at, actor_user, actor_org, actor_kind, addr, action,
                              object_type, object_id, orgs, detail)
    OVERRIDING SYSTEM VALUE
    VALUES (v_id, clock_timestamp(), ls_uid(), ls_org(), ls_kind(), p_addr, p_action,
            p_object_type, p_object_id, coalesce(p_orgs, '{}'), coalesce(p_detail, '{}'));
    RETURN v_id;
END $$;

-- Why: the chain spans every tenant. Chains up to p_max committed events
-- after the newest sealed one, in id order, and returns how many. Waits
-- (returns early) at an id whose transaction still runs; declares void an
-- id whose transaction ended without committing once it has been seen so
-- for p_grace. Called by the one sealer (lockstepd, session lock 7418920);
-- two callers at once would serialise on the row locks of the events.
CREATE FUNCTION audit_seal(p_max integer, p_grace interval DEFAULT '2 seconds')
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    v_last bigint;
    v_prev bytea;
    v_void bigint;
    v_hash bytea;
    v_n integer := 0;
    v_ready boolean;
    r audit_events;
    m bigint;
BEGIN
    PERFORM set_config('lockstep.sealing', 'on', true);
    SELECT id, hash INTO v_last, v_prev FROM audit_events
     WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1;
    v_last := coalesce(v_last, 0);
    v_prev := coalesce(v_prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    SELECT max(id) INTO v_void FROM audit_gaps WHERE void_at IS NOT NULL AND id > v_last;
    v_last := greatest(v_last, coalesce(v_void, 0));
    WHILE v_n < p_max LOOP
        SELECT * INTO r FROM audit_events WHERE id > v_last ORDER BY id LIMIT 1;
        EXIT WHEN NOT FOUND;
        IF r.id > v_last + 1 THEN
            -- ids v_last+1 .. r.id-1 are missing (at most 1000 looked at)
            v_ready := true;
            FOR m IN v_last + 1 .. least(r.id - 1, v_last + 1000) LOOP
                IF NOT pg_try_advisory_xact_lock(74189, (m % 2147483647)::integer) THEN
                    RETURN v_n; -- its transaction still runs: wait for it
                END IF;
                IF EXISTS (SELECT 1 FROM audit_events WHERE id = m) THEN
                    v_ready := false; -- committed just now: the next round chains it
                    EXIT;
                END IF;
                INSERT INTO audit_gaps (id, seen_at) VALUES (m, clock_timestamp())
                    ON CONFLICT (id) DO NOTHING;
                IF (SELECT seen_at FROM audit_gaps WHERE id = m) > clock_timestamp() - p_grace THEN
                    v_ready := false;
                END IF;
            END LOOP;
            IF NOT v_ready THEN
                RETURN v_n;
            END IF;
            m := least(r.id - 1, v_last + 1000);
            UPDATE audit_gaps SET void_at = clock_timestamp()
             WHERE id > v_last AND id <= m AND void_at IS NULL;
            v_last := m;
            CONTINUE;
        END IF;
        IF r.hash IS NOT NULL THEN
            -- sealed already (a concurrent sealer): follow it
            v_prev := r.hash;
            v_last := r.id;
            CONTINUE;
        END IF;
        v_hash := audit_event_hash(v_prev, r);
        UPDATE audit_events SET prev_hash = v_prev, hash = v_hash WHERE id = r.id;
        v_prev := v_hash;
        v_last := r.id;
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END $$;

-- Why: operators (and tests) must be able to check the whole chain, which
-- spans tenants. Returns the id of the first event whose hash does not
-- match, or that is unsealed although a later event is sealed, or NULL
-- when the chain is intact (events not yet sealed at the tail are fine:
-- the sealer chains them within a second). Callable only by the owner.
CREATE OR REPLACE FUNCTION audit_verify() RETURNS bigint LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
    r audit_events;
    v_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    v_sealed_max bigint := (SELECT max(id) FROM audit_events WHERE hash IS NOT NULL);
BEGIN
    FOR r IN SELECT * FROM audit_events WHERE id <= coalesce(v_sealed_max, 0) ORDER BY id LOOP
        IF r.hash IS NULL OR r.prev_hash <> v_prev OR r.hash <> audit_event_hash(v_prev, r) THEN
            RETURN r.id;
        END IF;
        v_prev := r.hash;
    END LOOP;
    RETURN NULL;
END $$;

-- Why: the sealer and the tests must see how far the chain is: the newest
-- sealed event (id, hash), how many events wait to be sealed.
CREATE FUNCTION audit_chain_head(OUT sealed_id bigint, OUT sealed_hash bytea,
                                 OUT unsealed bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
    SELECT (SELECT id FROM audit_events WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1),
           (SELECT hash FROM audit_events WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1),
           (SELECT count(*) FROM audit_events WHERE hash IS NULL)
$$;

REVOKE ALL ON FUNCTION audit_seal(integer, interval), audit_chain_head(),
    audit_event_hash(bytea, audit_events) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_seal(integer, interval), audit_chain_head() TO lockstep_app;

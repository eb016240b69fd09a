-- 0020_mail: e-mail notifications (issue 11 part 5).
--
-- Every inbox row (notifications, 0009) of a user who has not turned
-- e-mail off is queued in mail_outbox by a trigger, inside the
-- transaction that made the event, so nothing is mailed for a change that
-- rolled back and nothing committed is lost. A replica configured with
-- LOCKSTEP_SMTP_URL leases the due rows (mail_claim: SKIP LOCKED, so two
-- replicas never mail one row twice at once), sends one message per user
-- listing that user's events (ids, types and links only: never a title,
-- a text or a name), and records the outcome (mail_report: sent, or
-- retried with exponential back-off, then failed). Replicas without a
-- relay leave the queue alone. Rows older than the claim's p_max_age are
-- marked 'expired' rather than mailed, so a relay configured late does not
-- flood anyone with old news.

CREATE TABLE mail_prefs (
    user_id    uuid PRIMARY KEY REFERENCES users (id),
    email      boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mail_prefs IS 'A user''s choice about e-mail notifications; no row: e-mail on.';

CREATE TABLE mail_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id uuid NOT NULL UNIQUE REFERENCES notifications (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id),
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'failed', 'expired', 'skipped')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text CHECK (length(last_error) <= 300),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
COMMENT ON TABLE mail_outbox IS 'E-mail notifications to send: one row per inbox row of a user with e-mail on. Only the mail_* functions touch it.';
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE state = 'pending';
COMMENT ON INDEX mail_outbox_due_idx IS 'mail_claim: the rows due now.';
CREATE INDEX mail_outbox_user_idx ON mail_outbox (user_id, sent_at);
COMMENT ON INDEX mail_outbox_user_idx IS 'mail_claim: when a user was last mailed (the batching interval).';

-- Why SECURITY DEFINER: the inbox row is written by notify_event for users
-- the caller cannot see; their preference and the queue are not the
-- caller's to read or write.
CREATE FUNCTION notifications_queue_mail() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog
AS $$
BEGIN
    IF coalesce((SELECT p.email FROM mail_prefs p WHERE p.user_id = NEW.user_id), true) THEN
        INSERT INTO mail_outbox (notification_id, user_id) VALUES (NEW.id, NEW.user_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER notifications_queue_mail AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_queue_mail();

-- Why: the notifier (no user) must read the recipients' addresses, which
-- RLS hides from it. Leases the due rows of at most p_users users who
-- were not mailed in the last p_interval seconds (so a burst of events
-- becomes one message), at most 50 rows per user, for p_lease seconds,
-- and counts the attempt. Rows older than p_max_age seconds, and rows of
-- users who are disabled or have turned e-mail off since, are closed
-- ('expired', 'skipped') instead. Only the notifier identity.
CREATE FUNCTION mail_claim(p_users integer, p_lease integer, p_interval integer,
                           p_max_age integer)
RETURNS TABLE (id bigint, user_id uuid, email text, type text, campaign_id uuid,
               engagement_id uuid, object_type text, object_id text, created_at text,
               attempts integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog
AS $$
BEGIN
    IF ls_uid() IS NOT NULL OR ls_kind() IS DISTINCT FROM 'notifier' THEN
        RAISE EXCEPTION 'only the notifier claims mail' USING ERRCODE = '42501';
    END IF;
    IF p_users < 1 OR p_users > 100 OR p_lease < 1 OR p_interval < 0 OR p_max_age < 1 THEN
        RAISE EXCEPTION 'mail_claim: bad limits' USING ERRCODE = '22023';
    END IF;
    UPDATE mail_outbox m SET state = 'expired', last_error = 'older than the mail age limit'
     WHERE m.state = 'pending' AND m.created_at < now() - make_interval(secs => p_max_age);
    UPDATE mail_outbox m SET state = 'skipped', last_error = 'user disabled or e-mail turned off'
      FROM users u
     WHERE m.state = 'pending' AND u.id = m.user_id
       AND (u.disabled OR NOT coalesce((SELECT p.email FROM mail_prefs p
                                         WHERE p.user_id = m.user_id), true));
    RETURN QUERY
    WITH who AS (
        SELECT d.user_id FROM mail_outbox d
         WHERE d.state = 'pending' AND d.next_attempt_at <= now()
           AND NOT EXISTS (SELECT 1 FROM mail_outbox s
                            WHERE s.user_id = d.user_id AND s.state = 'sent'
                              AND s.sent_at > now() - make_interval(secs => p_interval))
         GROUP BY d.user_id
         ORDER BY min(d.id)
         LIMIT p_users),
    due AS (
        SELECT d.id FROM mail_outbox d JOIN who ON who.user_id = d.user_id
         WHERE d.state = 'pending' AND d.next_attempt_at <= now()
           AND d.id IN (SELECT x.id FROM mail_outbox x
                         WHERE x.user_id = d.user_id AND x.state = 'pending'
                         ORDER BY x.id LIMIT 50)
         FOR UPDATE OF d SKIP LOCKED),
    leased AS (
        UPDATE mail_outbox m
           SET attempts = m.attempts + 1,
               next_attempt_at = now() + make_interval(secs => p_lease)
          FROM due WHERE m.id = due.id
        RETURNING m.id, m.user_id, m.notification_id, m.attempts)
    SELECT l.id, l.user_id, u.email, n.type, n.campaign_id, n.engagement_id, n.object_type,
           n.object_id, ls_ts(n.created_at), l.attempts
      FROM leased l
      JOIN users u ON u.id = l.user_id
      JOIN notifications n ON n.id = l.notification_id
     ORDER BY l.user_id, l.id;
END $$;

-- Why: the notifier records the outcome of one message (all its rows):
-- sent, or retried after p_backoff * 2^(attempts-1) seconds (at most an
-- hour), or failed after p_max_attempts. Only the notifier identity.
CREATE FUNCTION mail_report(p_ids bigint[], p_ok boolean, p_error text,
                            p_max_attempts integer, p_backoff double precision)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog
AS $$
DECLARE
    v_n integer;
BEGIN
    IF ls_uid() IS NOT NULL OR ls_kind() IS DISTINCT FROM 'notifier' THEN
        RAISE EXCEPTION 'only the notifier reports mail' USING ERRCODE = '42501';
    END IF;
    UPDATE mail_outbox m
       SET state = CASE WHEN p_ok THEN 'sent'
                        WHEN m.attempts >= p_max_attempts THEN 'failed'
                        ELSE 'pending' END,
           sent_at = CASE WHEN p_ok THEN now() END,
           last_error = CASE WHEN p_ok THEN NULL ELSE left(p_error, 300) END,
           next_attempt_at = CASE WHEN p_ok THEN m.next_attempt_at
               ELSE now() + make_interval(secs => least(3600,
                   p_backoff * power(2, greatest(m.attempts - 1, 0)))) END
     WHERE m.id = ANY (p_ids) AND m.state = 'pending';
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END $$;

ALTER TABLE mail_prefs ENABLE ROW LEVEL SECURITY;
ALTER TABLE mail_prefs FORCE ROW LEVEL SECURITY;
CREATE POLICY mail_prefs_own ON mail_prefs FOR ALL
    USING (ls_uid() IS NOT NULL AND user_id = ls_uid())
    WITH CHECK (ls_uid() IS NOT NULL AND user_id = ls_uid());

ALTER TABLE mail_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE mail_outbox FORCE ROW LEVEL SECURITY;
-- no policy: only the trigger and mail_claim / mail_report (SECURITY DEFINER) touch it

REVOKE ALL ON mail_prefs, mail_outbox FROM PUBLIC;
REVOKE ALL ON FUNCTION notifications_queue_mail(), mail_claim(integer, integer, integer, integer),
    mail_report(bigint[], boolean, text, integer, double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION notifications_queue_mail(),
    mail_claim(integer, integer, integer, integer),
    mail_report(bigint[], boolean, text, integer, double precision) TO lockstep_app;
GRANT SELECT, INSERT ON mail_prefs TO lockstep_app;
GRANT UPDATE (email, updated_at) ON mail_prefs TO lockstep_app;

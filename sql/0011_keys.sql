-- 0011_keys.sql: a check value of the master key, so that lockstepd never
-- serves a database with a key that is not the one it was written with
-- (a restore onto a machine with another key would otherwise answer every
-- confidential read with a decryption failure, or worse, write new data
-- under a key the old data does not share).
--
-- check_value = HMAC-SHA-256(master key, "lockstep master key check v1"):
-- it tells nothing about the key. Written by `lockstepd migrate` (the
-- owner) when absent, and by `lockstepd rotate-master-key`; lockstepd
-- serve reads it and refuses to start on a mismatch.

CREATE TABLE key_checks (
    name        text PRIMARY KEY CHECK (name IN ('master')),
    check_value bytea NOT NULL CHECK (length(check_value) = 32),
    set_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE key_checks IS 'Check values of the keys kept outside the database (see 0011_keys.sql).';

REVOKE ALL ON key_checks FROM PUBLIC;
GRANT SELECT ON key_checks TO lockstep_app;

-- The history of the keys that sign publications and receipts: the first
-- key as registered by `lockstepd migrate`, and every later one endorsed by
-- its predecessor (`lockstepd rotate-signing-key`): endorsement is the
-- previous key's Ed25519 signature over statement, the canonical JSON
-- {"created_at","key","key_id","previous_key_id","type":"lockstep-signing-key"}.
-- Served at /.well-known/lockstep/signing-keys so that `lockstep verify`
-- follows a rotation from a key it pinned. Append-only for every role.
CREATE TABLE signing_keys (
    key_id          text PRIMARY KEY CHECK (key_id ~ '^[A-Za-z0-9_-]{43}$'),
    public_key      bytea NOT NULL UNIQUE CHECK (length(public_key) = 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    previous_key_id text UNIQUE REFERENCES signing_keys (key_id),
    statement       text NOT NULL,
    endorsement     bytea CHECK (length(endorsement) = 64),
    CHECK ((previous_key_id IS NULL) = (endorsement IS NULL))
);
COMMENT ON TABLE signing_keys IS 'Signing key history, each key endorsed by the previous one (0011_keys.sql).';
-- one first key: the history is a single chain
CREATE UNIQUE INDEX signing_keys_one_root ON signing_keys ((true)) WHERE previous_key_id IS NULL;

CREATE TRIGGER signing_keys_append_only BEFORE UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION ls_refuse_change();
CREATE TRIGGER signing_keys_no_truncate BEFORE TRUNCATE ON signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION ls_refuse_change();

REVOKE ALL ON signing_keys FROM PUBLIC;
GRANT SELECT ON signing_keys TO lockstep_app;

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

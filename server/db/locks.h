/*
 * db/locks.h: the one registry of PostgreSQL advisory-lock keys. Every
 * pg_advisory_xact_lock lockstep takes uses a first key from here, so two
 * uses can never collide by accident. SQL text includes them by string
 * concatenation; a migration that takes a lock in PL/pgSQL writes the
 * number and names it here too.
 */
#ifndef LOCKSTEP_DB_LOCKS_H
#define LOCKSTEP_DB_LOCKS_H

/* db/migrate.c: concurrent migrators run one after the other. */
#define DB_LOCK_MIGRATE "7418900"
/* evidence: (key, hashtext(user id)) while counting a user's uploads in progress. */
#define DB_LOCK_EVIDENCE_USER "7418902"
/* evidence: (key, hashtext(engagement id)) while checking an engagement's quota. */
#define DB_LOCK_EVIDENCE_ENGAGEMENT "7418903"
/* webhooks: (key, hashtext(org id)) while counting an org's webhooks before adding one. */
#define DB_LOCK_WEBHOOKS_ORG "7418904"
/* invitations: (key, hashtext(org id)) while counting an org's pending invitations. */
#define DB_LOCK_INVITES_ORG "7418905"
/* store/audit.c: the session lock of the one audit sealer (sql/0012_audit_sealer.sql). */
#define DB_LOCK_AUDIT_SEALER "7418920"
/* audit_append() in sql/0012: (74189, id) held by the transaction that appends event id. */
#define DB_LOCK_AUDIT_ID "74189"
/* release_publish() in sql/0003_publications.sql: one publication at a time (the chain). */
#define DB_LOCK_RELEASE "7418910"
/* tlog_append() and friends in sql/0010_tlog.sql: one log append at a time. */
#define DB_LOCK_TLOG "7418911"
/* correction_head() in sql/0010_tlog.sql: (key, publication seq), one correction at a time. */
#define DB_LOCK_CORRECTION "7418912"

#endif

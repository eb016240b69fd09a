/*
 * db/statements.c: db's own statements (identity, schema version) and
 * those of the aggregates not yet moved into server/store/ (findings,
 * evidence, release, publications), by stable name. Prepared once per
 * connection (conn.c). Parameters are text; casts in the SQL give them
 * their types. The store's aggregates register their own tables
 * (store_init), with result columns bound by name.
 */
#include "config.h"

#include <stddef.h>

#include "db/statements.h"

/* 0 id, 1 name, 2 size, 3 sha256 (hex), 4 media_type, 5 engagement_id,
 * 6 uploaded_by, 7 uploaded_at, 8 declared_type, 9 sniffed_type,
 * 10 finding_id, 11 chunk_count, 12 file_key, 13 company_org_id,
 * 14 assessor_org_id, 15 uploader_org, 16 created_at */
#define EVIDENCE_COLS                                                                              \
	"id, name, size, encode(sha256, 'hex'), media_type, engagement_id, uploaded_by,"           \
	" ls_ts(uploaded_at), declared_type, sniffed_type, finding_id, chunk_count, file_key,"     \
	" company_org_id, assessor_org_id, uploader_org, ls_ts(created_at)"
#define JSON_ARRAY(p) "ARRAY(SELECT jsonb_array_elements_text(" p "::jsonb))"
#define AFTER(table, p)                                                                            \
	"(" p "::uuid IS NULL OR (created_at, id) > "                                              \
	"(SELECT t.created_at, t.id FROM " table " t WHERE t.id = " p "::uuid))"

const struct db_statement db_statements[] = {
    {"identity_set",
     "SELECT set_config('lockstep.user_id', $1, true), set_config('lockstep.org_id', $2, true),"
     " set_config('lockstep.org_kind', $3, true), set_config('lockstep.role', $4, true)",
     NULL},
    {"schema_version", "SELECT coalesce(max(version), 0) FROM schema_migrations", NULL},

    /* engagements */

    /* findings */

    /* claims and statements */

    /* evidence (0002_evidence.sql) */
    {"evidence_lock_user", "SELECT pg_advisory_xact_lock(7418902, hashtext(ls_uid()::text))", NULL},
    {"evidence_lock_engagement", "SELECT pg_advisory_xact_lock(7418903, hashtext($1))", NULL},
    {"evidence_uploads_count",
     "SELECT count(*) FROM evidence WHERE uploaded_by = ls_uid() AND state = 'uploading'"
     " AND last_activity > now() - make_interval(secs => CASE WHEN kind = 'tus'"
     " THEN $1::int ELSE $2::int END)",
     NULL},
    {"evidence_engagement_usage",
     "SELECT coalesce(sum(CASE WHEN state = 'complete' THEN size"
     " ELSE greatest(size, coalesce(upload_length, 0)) END), 0)"
     " FROM evidence WHERE engagement_id = $1::uuid AND id <> $2::uuid",
     NULL},
    {"evidence_finding_check",
     "SELECT 1 FROM findings WHERE id = $1::uuid AND engagement_id = $2::uuid", NULL},
    {"evidence_create",
     "INSERT INTO evidence (id, engagement_id, company_org_id, assessor_org_id, finding_id, name,"
     " media_type, size, file_key, uploaded_by, uploader_org, state, kind, declared_type,"
     " upload_length) VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6,"
     " 'application/octet-stream', 0, $7::bytea, ls_uid(), ls_org(), 'uploading', $8, $9,"
     " $10::bigint) RETURNING ls_ts(created_at)",
     NULL},
    {"evidence_async_commit", "SELECT set_config('synchronous_commit', 'off', true)", NULL},
    {"evidence_chunk_put",
     "INSERT INTO evidence_chunks (evidence_id, seq, engagement_id, company_org_id,"
     " assessor_org_id, data) SELECT id, $2::int, engagement_id, company_org_id, assessor_org_id,"
     " $3::bytea FROM evidence WHERE id = $1::uuid AND state = 'uploading'",
     NULL},
    {"evidence_progress",
     "UPDATE evidence SET size = $3::bigint, chunk_count = $4::int, hash_state = $5::bytea,"
     " tail = $6::bytea, sniffed_type = coalesce($7, sniffed_type), last_activity = now()"
     " WHERE id = $1::uuid AND state = 'uploading' AND size = $2::bigint",
     NULL},
    {"evidence_touch",
     "UPDATE evidence SET last_activity = now() WHERE id = $1::uuid AND state = 'uploading'", NULL},
    {"evidence_complete",
     "UPDATE evidence SET state = 'complete', size = $3::bigint, chunk_count = $4::int,"
     " sha256 = $5::bytea, media_type = $6, sniffed_type = $7, name = $8,"
     " declared_type = coalesce($9, declared_type), hash_state = NULL,"
     " tail = NULL, uploaded_at = now(), last_activity = now()"
     " WHERE id = $1::uuid AND state = 'uploading' AND size = $2::bigint RETURNING " EVIDENCE_COLS,
     NULL},
    {"evidence_get",
     "SELECT " EVIDENCE_COLS " FROM evidence WHERE id = $1::uuid AND state = 'complete'", NULL},
    {"evidence_list",
     "SELECT " EVIDENCE_COLS " FROM evidence WHERE engagement_id = $1::uuid AND state = 'complete'"
     " AND ($2::uuid IS NULL OR (uploaded_at, id) >"
     " (SELECT t.uploaded_at, t.id FROM evidence t WHERE t.id = $2::uuid))"
     " ORDER BY uploaded_at, id LIMIT $3::int",
     NULL},
    {"evidence_upload_get",
     "SELECT " EVIDENCE_COLS ", upload_length, hash_state, tail, kind, extract(epoch FROM"
     " now() - last_activity)::bigint"
     " FROM evidence WHERE id = $1::uuid AND state = 'uploading' AND uploaded_by = ls_uid()",
     NULL},
    {"evidence_chunk_get",
     "SELECT data FROM evidence_chunks WHERE evidence_id = $1::uuid AND seq = $2::int", NULL},
    {"evidence_delete",
     "SELECT id, engagement_id, company_org_id, assessor_org_id, name, size,"
     " encode(sha256, 'hex') FROM evidence_delete($1::uuid)",
     NULL},
    {"evidence_discard", "SELECT evidence_discard($1::uuid)", NULL},
    {"evidence_sweep", "SELECT evidence_sweep($1::int, $2::int, $3::int)", NULL},
/* release (SECURITY DEFINER functions, see 0003_publications.sql) */
/* 0 status (scheduled|due|held|published), 1 reasons (json), 2 held_at,
 * 3 checked_at, 4 publication slug, 5 sequence, 6 hash (hex) */

/* publications: anonymous; the publications_read policy hides every
 * row whose release instant has not passed.
 * 0 seq, 1 slug, 2 title, 3 disclosure, 4 release_at, 5 published_at,
 * 6 embargo_break, 7 hash (hex), 8 prev_hash (hex) */
#define PUBLICATION_COLS                                                                           \
	"seq, slug, title, disclosure, ls_ts(release_at), ls_ts(published_at), embargo_break,"     \
	" encode(hash, 'hex'), encode(prev_hash, 'hex')"
    /* + 9 document, 10 signature (bytea), 11 signing_key (bytea) */

    {"threat_models_list", "SELECT code, name, description FROM threat_models ORDER BY position",
     NULL},

    /* bootstrap (run by `lockstepd ensure-admin` as the schema owner) */

    {NULL, NULL, NULL}};

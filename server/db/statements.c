/*
 * db/statements.c: every SQL statement lockstepd runs, by stable name.
 * Prepared once per connection (conn.c). Parameters are text; casts in the
 * SQL give them their types. Column lists shared by several statements are
 * macros so that the row builders in api/common.c read one layout.
 */
#include "config.h"

#include <stddef.h>

#include "db/statements.h"

/* 0 id, 1 kind, 2 name, 3 aliases (json), 4 created_at */
#define ORG_COLS "id, kind, name, to_jsonb(aliases), ls_ts(created_at)"
/* 0 id, 1 org_id, 2 email, 3 name, 4 role, 5 created_at */
#define USER_COLS "id, org_id, email, name, role, ls_ts(created_at)"
/* 0 id, 1 title, 2 slug, 3 threat_models (json), 4 release_at,
 * 5 planned_release_at, 6 disclosure, 7 min_cohort, 8 state, 9 created_at,
 * 10 updated_at, 11 released (bool: published, or the instant has passed
 * and no hold keeps it open; see ls_campaign_frozen in 0003) */
#define CAMPAIGN_COLS                                                                              \
	"id, title, slug, to_jsonb(threat_models), ls_ts(release_at), "                            \
	"ls_ts(planned_release_at), disclosure, min_cohort, state, ls_ts(created_at), "            \
	"ls_ts(updated_at), ls_campaign_frozen(id)"
/* 0 id, 1 campaign_id, 2 company id, 3 company name, 4 assessor id,
 * 5 assessor name, 6 lead_assessors (json), 7 state, 8 created_at,
 * 9 campaign title, 10 campaign threat_models (json), 11 released (bool) */
#define ENGAGEMENT_COLS                                                                            \
	"e.id, e.campaign_id, e.company_org_id, co.name, e.assessor_org_id, ao.name, "             \
	"to_jsonb(e.lead_assessors), e.state, ls_ts(e.created_at), c.title, "                      \
	"to_jsonb(c.threat_models), ls_campaign_frozen(c.id)"
#define ENGAGEMENT_FROM                                                                            \
	" FROM engagements e JOIN campaigns c ON c.id = e.campaign_id"                             \
	" LEFT JOIN orgs co ON co.id = e.company_org_id"                                           \
	" LEFT JOIN orgs ao ON ao.id = e.assessor_org_id"
/* 0 id, 1 engagement_id, 2 threat_model, 3 severity, 4 status, 5 title,
 * 6 detail, 7 response, 8 atlas (json), 9 cwe (json), 10 cvss, 11 version,
 * 12 created_by, 13 created_at, 14 updated_by, 15 updated_at */
#define FINDING_COLS                                                                               \
	"id, engagement_id, threat_model, severity, status, title, detail, response, "             \
	"to_jsonb(atlas), to_jsonb(cwe), cvss, version, created_by, ls_ts(created_at), "           \
	"updated_by, ls_ts(updated_at)"
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
     " set_config('lockstep.org_kind', $3, true), set_config('lockstep.role', $4, true)"},
    {"schema_version", "SELECT coalesce(max(version), 0) FROM schema_migrations"},
    {"ts_future", "SELECT $1::timestamptz > now(), ls_ts($1::timestamptz)"},

    /* authentication (SECURITY DEFINER functions, see 0001_schema.sql) */
    {"auth_resolve_token",
     "SELECT user_id, org_id, org_kind, role, session_id FROM auth_resolve_token($1::bytea)"},
    {"auth_login_lookup",
     "SELECT user_id, org_id, org_kind, role, password_hash FROM auth_login_lookup($1)"},
    {"auth_throttle_allowed", "SELECT auth_throttle_allowed($1, $2::int, $3, $4::int, $5::int)"},
    {"auth_throttle_fail", "SELECT auth_throttle_fail(ARRAY[$1, $2], $3::int)"},
    {"auth_throttle_clear", "SELECT auth_throttle_clear($1)"},
    {"audit_append",
     "SELECT audit_append($1, $2, $3, ARRAY(SELECT x::uuid FROM unnest(ARRAY[$4, $5]) x"
     " WHERE x IS NOT NULL AND x <> ''), $6::jsonb, $7)"},

    /* sessions */
    {"session_create",
     "INSERT INTO sessions (token_hash, user_id, org_id, expires_at, addr)"
     " VALUES ($1::bytea, $2::uuid, $3::uuid, now() + make_interval(secs => $4::int), $5)"
     " RETURNING ls_ts(expires_at)"},
    {"token_create",
     "INSERT INTO sessions (token_hash, kind, name, user_id, org_id, expires_at, addr)"
     " VALUES ($1::bytea, 'api', $2, ls_uid(), ls_org(), now() + make_interval(days => $3::int), "
     "$4)"
     " RETURNING id, name, ls_ts(created_at), ls_ts(expires_at)"},
    {"tokens_list",
     "SELECT id, kind, name, ls_ts(created_at), ls_ts(expires_at), ls_ts(revoked_at) FROM sessions"
     " WHERE user_id = ls_uid() AND revoked_at IS NULL AND expires_at > now()"
     " ORDER BY created_at DESC, id LIMIT 200"},
    {"token_revoke",
     "UPDATE sessions SET revoked_at = now() WHERE id = $1::uuid AND user_id = ls_uid()"
     " AND revoked_at IS NULL RETURNING id"},
    {"user_sessions_revoke",
     "UPDATE sessions SET revoked_at = now() WHERE user_id = $1::uuid AND revoked_at IS NULL"},

    /* orgs and users */
    {"me_get", "SELECT u.id, u.email, u.name, u.role, o.id, o.kind, o.name"
               " FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ls_uid()"},
    {"org_create", "INSERT INTO orgs (kind, name, aliases) VALUES ($1, $2, " JSON_ARRAY(
                       "$3") ")"
                             " RETURNING " ORG_COLS},
    {"org_get", "SELECT " ORG_COLS " FROM orgs WHERE id = $1::uuid"},
    {"orgs_list", "SELECT " ORG_COLS
                  " FROM orgs WHERE " AFTER("orgs", "$1") " ORDER BY created_at, id LIMIT $2::int"},
    {"user_create", "INSERT INTO users (org_id, email, name, role, password_hash)"
                    " VALUES ($1::uuid, lower($2), $3, $4, $5) RETURNING " USER_COLS},
    {"user_get", "SELECT " USER_COLS " FROM users WHERE id = $1::uuid"},
    {"org_users_list", "SELECT " USER_COLS " FROM users WHERE org_id = $1::uuid AND " AFTER(
                           "users", "$2") " ORDER BY created_at, id LIMIT $3::int"},

    /* campaigns */
    {"campaign_create",
     "INSERT INTO campaigns (title, slug, threat_models, release_at, planned_release_at,"
     " disclosure, min_cohort) VALUES ($1, $2, " JSON_ARRAY(
         "$3") ", $4::timestamptz,"
               " $4::timestamptz, $5, $6::int) RETURNING " CAMPAIGN_COLS},
    {"campaign_get", "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE id = $1::uuid"},
    {"campaign_lock", "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE id = $1::uuid FOR UPDATE"},
    {"campaigns_list", "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE " AFTER(
                           "campaigns", "$1") " ORDER BY created_at, id LIMIT $2::int"},
    {"campaign_update",
     "UPDATE campaigns SET title = coalesce($2, title),"
     " threat_models = CASE WHEN $3::jsonb IS NULL THEN threat_models ELSE " JSON_ARRAY(
         "$3") " END,"
               " release_at = coalesce($4::timestamptz, release_at),"
               " disclosure = coalesce($5, disclosure), min_cohort = coalesce($6::int, min_cohort),"
               " state = coalesce($7, state), updated_at = now()"
               " WHERE id = $1::uuid RETURNING " CAMPAIGN_COLS},
    /* the release-date history (0004), coordinator only */
    {"campaign_release_history",
     "SELECT ls_ts(release_at), ls_ts(announced_at) FROM campaign_release_history"
     " WHERE campaign_id = $1::uuid ORDER BY id"},
    /* is $2 earlier than an instant ever announced for campaign $1? */
    {"campaign_embargo_check",
     "SELECT EXISTS (SELECT 1 FROM campaign_release_history WHERE campaign_id = $1::uuid"
     " AND release_at > $2::timestamptz)"},
    {"campaign_progress",
     "SELECT p.engagement_id, p.findings_total, p.findings_open, p.claims_total, p.has_statement"
     " FROM campaign_progress($1::uuid) p"},
    {"campaign_engagements",
     "SELECT " ENGAGEMENT_COLS ENGAGEMENT_FROM " WHERE e.campaign_id = $1::uuid"
     " ORDER BY e.created_at, e.id"},

    /* engagements */
    {"engagement_create",
     "INSERT INTO engagements (id, campaign_id, company_org_id, assessor_org_id, lead_assessors)"
     " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, " JSON_ARRAY("$5") ")"},
    {"engagement_secret_create", "INSERT INTO engagement_secrets (engagement_id, company_org_id, "
                                 "assessor_org_id, data_key, scope)"
                                 " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::bytea, $5::bytea)"},
    {"engagement_get", "SELECT " ENGAGEMENT_COLS ENGAGEMENT_FROM " WHERE e.id = $1::uuid"},
    {"engagements_list",
     "SELECT " ENGAGEMENT_COLS ENGAGEMENT_FROM " WHERE ($1::uuid IS NULL OR (e.created_at, e.id) >"
     " (SELECT t.created_at, t.id FROM engagements t WHERE t.id = $1::uuid))"
     " ORDER BY e.created_at, e.id LIMIT $2::int"},
    {"engagement_secret_get",
     "SELECT data_key, scope FROM engagement_secrets WHERE engagement_id = $1::uuid"},

    /* findings */
    {"finding_create",
     "INSERT INTO findings (id, engagement_id, company_org_id, assessor_org_id, threat_model,"
     " severity, status, title, detail, atlas, cwe, cvss, created_by, updated_by)"
     " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, $6, coalesce($7, 'open'),"
     " $8::bytea, $9::bytea, " JSON_ARRAY("$10") ", " JSON_ARRAY("$11") ", $12, ls_uid(), ls_uid())"
                                                                        " RETURNING " FINDING_COLS},
    {"finding_get", "SELECT " FINDING_COLS " FROM findings WHERE id = $1::uuid"},
    {"findings_list",
     "SELECT " FINDING_COLS " FROM findings WHERE engagement_id = $1::uuid AND " AFTER(
         "findings", "$2") " ORDER BY created_at, id LIMIT $3::int"},
    {"finding_update", "UPDATE findings SET threat_model = coalesce($2, threat_model),"
                       " severity = coalesce($3, severity), status = coalesce($4, status),"
                       " title = coalesce($5::bytea, title), detail = coalesce($6::bytea, detail),"
                       " response = coalesce($7::bytea, response),"
                       " atlas = CASE WHEN $8::jsonb IS NULL THEN atlas ELSE " JSON_ARRAY(
                           "$8") " END,"
                                 " cwe = CASE WHEN $9::jsonb IS NULL THEN cwe ELSE " JSON_ARRAY(
                                     "$9") " END,"
                                           " cvss = CASE WHEN $10::text IS NULL THEN cvss WHEN "
                                           "$10::text = '' THEN NULL ELSE $10::text END"
                                           " WHERE id = $1::uuid RETURNING " FINDING_COLS},
    {"finding_history_list",
     "SELECT finding_id, engagement_id, threat_model, severity, status, title, detail, response,"
     " to_jsonb(atlas), to_jsonb(cwe), cvss, version, changed_by, ls_ts(changed_at),"
     " changed_by, ls_ts(changed_at)"
     " FROM finding_history WHERE finding_id = $1::uuid ORDER BY version"},

    /* claims and statements: summary and text sealed (0004_anonymity.sql);
     * *_plain only for rows written before 0004 */
    {"claim_upsert",
     "INSERT INTO claims (engagement_id, company_org_id, assessor_org_id, threat_model, level,"
     " summary, updated_by) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6::bytea, ls_uid())"
     " ON CONFLICT (engagement_id, threat_model) DO UPDATE SET level = EXCLUDED.level,"
     " summary = EXCLUDED.summary, summary_plain = NULL, updated_by = EXCLUDED.updated_by,"
     " updated_at = now()"
     " RETURNING engagement_id, threat_model, level, updated_by, ls_ts(updated_at)"},
    /* 0 engagement_id, 1 threat_model, 2 level, 3 summary (sealed), 4 updated_by,
     * 5 updated_at, 6 summary_plain */
    {"claims_list", "SELECT c.engagement_id, c.threat_model, c.level, c.summary, c.updated_by,"
                    " ls_ts(c.updated_at), c.summary_plain"
                    " FROM claims c JOIN threat_models t ON t.code = c.threat_model"
                    " WHERE c.engagement_id = $1::uuid ORDER BY t.position"},
    {"statement_upsert",
     "INSERT INTO statements (engagement_id, company_org_id, assessor_org_id, text, updated_by)"
     " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::bytea, ls_uid())"
     " ON CONFLICT (engagement_id) DO UPDATE SET text = EXCLUDED.text, text_plain = NULL,"
     " updated_by = EXCLUDED.updated_by, updated_at = now()"
     " RETURNING engagement_id, updated_by, ls_ts(updated_at)"},
    /* 0 engagement_id, 1 text (sealed), 2 updated_by, 3 updated_at, 4 text_plain */
    {"statement_get",
     "SELECT engagement_id, text, updated_by, ls_ts(updated_at), text_plain FROM statements"
     " WHERE engagement_id = $1::uuid"},
    /* `lockstepd migrate` as the owner: rows written before 0004, of campaigns not
     * yet released: 0 engagement_id, 1 row id of the associated data, 2 plaintext,
     * 3 the row's other key (claims: threat model; statements: NULL). The seals
     * take (engagement_id, ciphertext[, threat model]). */
    {"legacy_claims",
     "SELECT c.engagement_id, c.engagement_id::text || '/' || c.threat_model, c.summary_plain,"
     " c.threat_model FROM claims c JOIN engagements e ON e.id = c.engagement_id"
     " WHERE c.summary_plain IS NOT NULL AND c.summary IS NULL"
     " AND NOT ls_campaign_frozen(e.campaign_id)"},
    {"legacy_claim_seal",
     "UPDATE claims SET summary = $2::bytea, summary_plain = NULL"
     " WHERE engagement_id = $1::uuid AND threat_model = $3 AND summary IS NULL"},
    {"legacy_statements",
     "SELECT s.engagement_id, s.engagement_id::text, s.text_plain, NULL FROM statements s"
     " JOIN engagements e ON e.id = s.engagement_id"
     " WHERE s.text_plain IS NOT NULL AND s.text IS NULL AND NOT "
     "ls_campaign_frozen(e.campaign_id)"},
    {"legacy_statement_seal", "UPDATE statements SET text = $2::bytea, text_plain = NULL"
                              " WHERE engagement_id = $1::uuid AND text IS NULL"},
    /* the name pre-check (0004): every company's names and aliases, for a participant */
    {"name_check_names", "SELECT n FROM name_check_names($1::uuid) AS n"},

    /* evidence (0002_evidence.sql) */
    {"evidence_lock_user", "SELECT pg_advisory_xact_lock(7418902, hashtext(ls_uid()::text))"},
    {"evidence_lock_engagement", "SELECT pg_advisory_xact_lock(7418903, hashtext($1))"},
    {"evidence_uploads_count",
     "SELECT count(*) FROM evidence WHERE uploaded_by = ls_uid() AND state = 'uploading'"
     " AND last_activity > now() - make_interval(secs => CASE WHEN kind = 'tus'"
     " THEN $1::int ELSE $2::int END)"},
    /* SECURITY DEFINER (0004): every user's uploads count, not only the caller's */
    {"evidence_engagement_usage", "SELECT evidence_engagement_usage($1::uuid, $2::uuid)"},
    {"evidence_finding_check",
     "SELECT 1 FROM findings WHERE id = $1::uuid AND engagement_id = $2::uuid"},
    {"evidence_create",
     "INSERT INTO evidence (id, engagement_id, company_org_id, assessor_org_id, finding_id, name,"
     " media_type, size, file_key, uploaded_by, uploader_org, state, kind, declared_type,"
     " upload_length) VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6,"
     " 'application/octet-stream', 0, $7::bytea, ls_uid(), ls_org(), 'uploading', $8, $9,"
     " $10::bigint) RETURNING ls_ts(created_at)"},
    {"evidence_async_commit", "SELECT set_config('synchronous_commit', 'off', true)"},
    {"evidence_chunk_put",
     "INSERT INTO evidence_chunks (evidence_id, seq, engagement_id, company_org_id,"
     " assessor_org_id, data) SELECT id, $2::int, engagement_id, company_org_id, assessor_org_id,"
     " $3::bytea FROM evidence WHERE id = $1::uuid AND state = 'uploading'"},
    {"evidence_progress",
     "UPDATE evidence SET size = $3::bigint, chunk_count = $4::int, hash_state = $5::bytea,"
     " tail = $6::bytea, sniffed_type = coalesce($7, sniffed_type), last_activity = now()"
     " WHERE id = $1::uuid AND state = 'uploading' AND size = $2::bigint"},
    {"evidence_touch",
     "UPDATE evidence SET last_activity = now() WHERE id = $1::uuid AND state = 'uploading'"},
    {"evidence_complete",
     "UPDATE evidence SET state = 'complete', size = $3::bigint, chunk_count = $4::int,"
     " sha256 = $5::bytea, media_type = $6, sniffed_type = $7, name = $8,"
     " declared_type = coalesce($9, declared_type), hash_state = NULL,"
     " tail = NULL, uploaded_at = now(), last_activity = now()"
     " WHERE id = $1::uuid AND state = 'uploading' AND size = $2::bigint RETURNING " EVIDENCE_COLS},
    {"evidence_get",
     "SELECT " EVIDENCE_COLS " FROM evidence WHERE id = $1::uuid AND state = 'complete'"},
    {"evidence_list",
     "SELECT " EVIDENCE_COLS " FROM evidence WHERE engagement_id = $1::uuid AND state = 'complete'"
     " AND ($2::uuid IS NULL OR (uploaded_at, id) >"
     " (SELECT t.uploaded_at, t.id FROM evidence t WHERE t.id = $2::uuid))"
     " ORDER BY uploaded_at, id LIMIT $3::int"},
    {"evidence_upload_get",
     "SELECT " EVIDENCE_COLS ", upload_length, hash_state, tail, kind, extract(epoch FROM"
     " now() - last_activity)::bigint"
     " FROM evidence WHERE id = $1::uuid AND state = 'uploading' AND uploaded_by = ls_uid()"},
    {"evidence_chunk_get",
     "SELECT data FROM evidence_chunks WHERE evidence_id = $1::uuid AND seq = $2::int"},
    {"evidence_delete", "SELECT id, engagement_id, company_org_id, assessor_org_id, name, size,"
                        " encode(sha256, 'hex') FROM evidence_delete($1::uuid)"},
    {"evidence_discard", "SELECT evidence_discard($1::uuid)"},
    {"evidence_sweep", "SELECT evidence_sweep($1::int, $2::int, $3::int)"},
    /* release (SECURITY DEFINER functions, see 0003_publications.sql) */
    {"release_claim",
     "SELECT campaign_id, title, slug, threat_models, release_at, planned_release_at, disclosure,"
     " min_cohort, embargo_break, held FROM release_claim()"},
    {"release_inputs", "SELECT release_inputs($1::uuid)"},
    {"release_chain_head", "SELECT seq, hash FROM release_chain_head()"},
    {"release_publish", "SELECT release_publish($1::uuid, $2::bigint, $3, $4::bytea, $5::bytea, "
                        "$6::bytea, $7::bytea)"},
    {"release_hold", "SELECT release_hold($1::uuid, $2::jsonb)"},
    /* 0 status (scheduled|due|held|published), 1 reasons (json), 2 held_at,
     * 3 checked_at, 4 publication slug, 5 sequence, 6 hash (hex) */
    {"campaign_release_status",
     "SELECT CASE WHEN c.state = 'published' THEN 'published'"
     " WHEN c.release_at > now() THEN 'scheduled'"
     " WHEN h.campaign_id IS NOT NULL THEN 'held' ELSE 'due' END,"
     " CASE WHEN c.release_at <= now() THEN h.reasons END, ls_ts(h.held_at), ls_ts(h.checked_at),"
     " p.slug, p.seq, encode(p.hash, 'hex')"
     " FROM campaigns c LEFT JOIN release_holds h ON h.campaign_id = c.id"
     " LEFT JOIN publications p ON p.campaign_id = c.id WHERE c.id = $1::uuid"},

/* publications: anonymous; the publications_read policy hides every
 * row whose release instant has not passed.
 * 0 seq, 1 slug, 2 title, 3 disclosure, 4 release_at, 5 published_at,
 * 6 embargo_break, 7 hash (hex), 8 prev_hash (hex) */
#define PUBLICATION_COLS                                                                           \
	"seq, slug, title, disclosure, ls_ts(release_at), ls_ts(published_at), embargo_break,"     \
	" encode(hash, 'hex'), encode(prev_hash, 'hex')"
    /* + 9 document, 10 signature (bytea), 11 signing_key (bytea) */
    {"publication_get",
     "SELECT " PUBLICATION_COLS ", document, signature, signing_key FROM publications"
     " WHERE slug = $1"},
    {"publications_list",
     "SELECT " PUBLICATION_COLS " FROM publications"
     " WHERE ($1::bigint IS NULL OR seq < $1::bigint) ORDER BY seq DESC LIMIT $2::int"},

    {"threat_models_list", "SELECT code, name, description FROM threat_models ORDER BY position"},

    /* bootstrap (run by `lockstepd ensure-admin` as the schema owner) */
    {"admin_coordinator_get", "SELECT id FROM orgs WHERE kind = 'coordinator'"},
    {"admin_coordinator_create",
     "INSERT INTO orgs (kind, name) VALUES ('coordinator', $1) RETURNING id"},
    {"admin_user_get", "SELECT id FROM users WHERE email = lower($1) AND org_id = $2::uuid"},
    {"admin_user_create", "INSERT INTO users (org_id, email, name, role, password_hash)"
                          " VALUES ($1::uuid, lower($2), $3, 'admin', $4) RETURNING id"},

    {NULL, NULL}};

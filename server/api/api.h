/*
 * api: one file per endpoint (server/api/<resource>_<verb>.c), plus the
 * shared helpers in common.c and the route table in routes.c.
 *
 * Pattern of a handler: validate the request (bounded, declared fields),
 * then run the work in one transaction with db_tx() under the caller's
 * identity; its callback calls store_* functions and api_audit and fills
 * a result struct (it may run twice: see db_tx). After the commit the
 * handler builds the JSON answer from that result and finishes with
 * api_finish(), which replies with it or with the problem.
 */
#ifndef LOCKSTEP_API_H
#define LOCKSTEP_API_H

#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "store/store.h"
#include "http/request.h"
#include "util/json.h"

/* A positive db_tx code: roll back and reply with res->problem. */
#define API_FAIL 1

struct api_res {
	unsigned status;           /* success status (200, 201, 204) */
	json_t *body;              /* success body, owned (NULL: none) */
	enum problem_type problem; /* for API_FAIL */
	const char *detail;        /* static or owned by the caller's context */
	const char *field;
	const char *reason;
	/* for PROBLEM_TOO_MANY_REQUESTS from a throttle: the wait (api_throttled) */
	struct store_throttle_wait wait;
};

/*
 * Start-up (main.c), before serving: keep the keys (master copied, signer
 * borrowed until exit), register the store's statements and the token
 * resolver http/ authenticates with. Returns 0 or -1.
 */
int api_init(const unsigned char master[CRYPTO_KEY_LEN],
             struct crypto_signer *signer) DB_MUST_CHECK;

/* ---- device cookies (api/device.c) ---- */
#define API_DEVICE_COOKIE "lockstep_device"

/* Derive the device-cookie key from the master key; call once at start-up. */
void api_device_init(const unsigned char master[CRYPTO_KEY_LEN]);

#define API_DEVICE_VALUE_MAX 128

/* A new device cookie's value for user_id, into out. Returns 0 or -1. */
int api_device_value(const char *user_id, char *out, size_t outlen);

/* The Set-Cookie header value that stores value, into out. Returns 0 or -1. */
int api_device_set_cookie(const char *value, char *out, size_t outlen);

/* Both at once: a Set-Cookie value with a new device cookie for user_id. Returns 0 or -1. */
int api_device_cookie(const char *user_id, char *out, size_t outlen);

/* Check a device cookie's value: 0 with the account's id in user_id, or -1 (forged, expired,
 * malformed). */
int api_device_check(const char *value, char user_id[DB_UUID_LEN + 1]);
const struct crypto_signer *api_signer(void);

/* The transparency log (log_*.c): public, anonymous. */
int api_log_checkpoint_get(struct http_request *r);
int api_log_tile_get(struct http_request *r);
int api_log_inclusion_get(struct http_request *r);
int api_log_consistency_get(struct http_request *r);
int api_log_key_get(struct http_request *r);
int api_publication_attestation_get(struct http_request *r);
int api_audit_get(struct http_request *r);
int api_publication_corrections_post(struct http_request *r);
int api_publication_corrections_get(struct http_request *r);
int api_publications_page_get(struct http_request *r); /* GET /p/: the public index (HTML) */
/* security levels (api/levels.c) */
int api_emulation_get(struct http_request *r);
int api_emulation_put(struct http_request *r);
int api_levels_get(struct http_request *r);
int api_commitments_post(struct http_request *r);
int api_commitments_get(struct http_request *r);
int api_commitment_verdict_put(struct http_request *r);
int api_campaign_follows(struct http_request *r); /* GET and PUT (api/campaign_follows.c) */

/* The static route table, terminated by a null row. */
extern const struct router_route api_routes[];

/* Record a failure in res; returns API_FAIL for "return api_fail(...)". */
int api_fail(struct api_res *res, enum problem_type p, const char *detail);
int api_fail_field(struct api_res *res, const char *field, const char *reason);

/*
 * Reply for a finished db_tx: rc DB_OK sends res->body with res->status;
 * API_FAIL sends res->problem; STORE_NONE 404; DB_UNIQUE 409; DB_DENIED 404; DB_INVALID
 * 422; anything else 503. Always consumes res->body. Returns the reply's
 * http_result.
 */
int api_finish(struct http_request *r, int rc, struct api_res *res);

/*
 * Names beside ids (api/display_names.c): in every object of body, a user-id member
 * F (by, *_by, author, actor_user, user_id, user, *_user) gains F_name and an
 * org-id member G (org_id, org, *_org) gains G_name, the display name when
 * the caller may see it (0017's ls_user_names, orgs_read), else null. Runs
 * one read in its own transaction (none when body has no such member, or
 * for an anonymous caller, whose names all stay null). A failed lookup
 * leaves the names null; never fails the answer. api_finish calls it.
 */
void api_names_add(const struct http_request *r, json_t *body);

/* The kind of a member name for api_names_add: 0 none, 1 user id, 2 org id. */
int api_names_kind(const char *key);

/*
 * Answer a throttled log-in: 429 too-many-requests with Retry-After (the
 * seconds of w, at least 1) and a detail that says for how long, until
 * which UTC instant, and whether the account's or the address's failures
 * block. Returns the reply's http_result.
 */
int api_throttled(struct http_request *r, const struct store_throttle_wait *w);

/*
 * Validate path parameter i as a UUID. A malformed id is answered exactly
 * like an unknown one (404). Returns HTTP_OK or HTTP_REPLIED.
 */
int api_uuid_param(struct http_request *r, int i);

/* Check r->json against fields; replies 422 on failure. HTTP_OK or HTTP_REPLIED. */
int api_check_body(struct http_request *r, const struct json_field *fields);

/*
 * Pagination: parse ?limit (1..200, default 50) and ?after (a UUID).
 * limit_plus_one receives limit+1 as text for the query, *after NULL or
 * the cursor (borrowed). Replies 400 bad-query. HTTP_OK or HTTP_REPLIED.
 */
int api_page(struct http_request *r, int *limit, char limit_plus_one[16], const char **after);

/*
 * Build {"items": items, "next": id-of-last or null} from items (stolen)
 * holding up to limit+1 objects with an "id" member; the extra one is
 * dropped. Returns a new object or NULL.
 */
json_t *api_page_body(json_t *items, int limit, const char *id_key);

/* Role tests on the caller's identity. */
int api_is_coordinator(const struct http_request *r);
int api_is_kind(const struct http_request *r, const char *kind);
int api_is_admin(const struct http_request *r);

/* A new random (version 4) UUID into out. Returns 0 or -1. */
int api_new_uuid(char out[DB_UUID_LEN + 1]);

/*
 * Append one audit event inside the current transaction. orgs: NULL or a
 * JSON array text of org UUIDs the event concerns; detail: object or NULL
 * (STOLEN). Returns DB_OK or a negative db_status.
 */
int api_audit(struct db_conn *c, const struct http_request *r, const char *action,
              const char *object_type, const char *object_id, const char *org1, const char *org2,
              json_t *detail) DB_MUST_CHECK;

/* Field validators for json_field.valid */
int api_valid_uuid(const char *s);
int api_valid_threat_model(const char *s);
int api_valid_severity(const char *s);
int api_valid_status(const char *s);
int api_valid_level(const char *s);
int api_valid_email(const char *s);
int api_valid_slug(const char *s);
int api_valid_atlas(const char *s);
int api_valid_cwe(const char *s);
int api_valid_cvss(const char *s);
/* no control characters except \n \r \t (C1 included); bidi embeddings,
 * overrides and isolates only closed on their own line */
int api_valid_text(const char *s);
/* no control characters at all, no line/paragraph separator, no bidi control */
int api_valid_name(const char *s);
/* An RFC 3339 instant with its offset: "2027-01-31T12:00:00Z", "...+02:00",
 * optional fraction; never a word PostgreSQL would take ("tomorrow",
 * "infinity", "epoch") nor a zone-less or date-only time. */
int api_valid_rfc3339(const char *s);
/* The body {"code": six digits from the authenticator app} of the second
 * factor's confirm and recovery-code routes. */
extern const struct json_field api_totp_code_fields[];
int api_valid_disclosure(const char *s);

/*
 * The fields of a finding, one declaration for POST (req 1: the first four
 * are required; cvss must be a vector) and PATCH (req 0: all optional;
 * cvss "" clears it).
 */
#define API_FINDING_FIELDS(req, cvss_valid, cvss_min)                                              \
	{.name = "threat_model",                                                                   \
	 .type = JSON_FIELD_STRING,                                                                \
	 .required = (req),                                                                        \
	 .min_len = 1,                                                                             \
	 .max_len = 32,                                                                            \
	 .valid = api_valid_threat_model},                                                         \
	    {.name = "title",                                                                      \
	     .type = JSON_FIELD_STRING,                                                            \
	     .required = (req),                                                                    \
	     .min_len = 1,                                                                         \
	     .max_len = 300,                                                                       \
	     .valid = api_valid_name},                                                             \
	    {.name = "detail",                                                                     \
	     .type = JSON_FIELD_STRING,                                                            \
	     .required = (req),                                                                    \
	     .min_len = 1,                                                                         \
	     .max_len = 65536,                                                                     \
	     .valid = api_valid_text},                                                             \
	    {.name = "severity",                                                                   \
	     .type = JSON_FIELD_STRING,                                                            \
	     .required = (req),                                                                    \
	     .min_len = 1,                                                                         \
	     .max_len = 16,                                                                        \
	     .valid = api_valid_severity},                                                         \
	    {.name = "status",                                                                     \
	     .type = JSON_FIELD_STRING,                                                            \
	     .min_len = 1,                                                                         \
	     .max_len = 16,                                                                        \
	     .valid = api_valid_status},                                                           \
	    {.name = "atlas",                                                                      \
	     .type = JSON_FIELD_STRING_ARRAY,                                                      \
	     .min_len = 9,                                                                         \
	     .max_len = 13,                                                                        \
	     .max_items = 32,                                                                      \
	     .valid = api_valid_atlas},                                                            \
	    {.name = "cwe",                                                                        \
	     .type = JSON_FIELD_STRING_ARRAY,                                                      \
	     .min_len = 5,                                                                         \
	     .max_len = 10,                                                                        \
	     .max_items = 32,                                                                      \
	     .valid = api_valid_cwe},                                                              \
	{                                                                                          \
		.name = "cvss", .type = JSON_FIELD_STRING, .min_len = (cvss_min), .max_len = 200,  \
		.valid = (cvss_valid)                                                              \
	}

/* A finding's oc_required (api/levels.c): OC1-OC5; PATCH also "" (clear). */
#define API_OC_REQUIRED_FIELD(valid_fn)                                                            \
	{                                                                                          \
		.name = "oc_required", .type = JSON_FIELD_STRING, .min_len = 0, .max_len = 3,      \
		.valid = (valid_fn)                                                                \
	}
int api_valid_oc(const char *s);
int api_valid_oc_or_empty(const char *s);

/* An engagement as seen by one of its participants. */
struct api_engagement {
	char id[DB_UUID_LEN + 1];
	char company[DB_UUID_LEN + 1];
	char assessor[DB_UUID_LEN + 1];
	json_t *threat_models; /* the campaign's, owned */
	char state[16];        /* its stage */
	int review_open;       /* the campaign's review window has opened */
	int released;          /* the campaign's release instant has passed */
};

#define API_AS_PARTICIPANT 0 /* company or assessor of the engagement */
#define API_AS_ASSESSOR 1    /* only its assessor */
#define API_AS_COMPANY 2     /* only its company */

/*
 * Load engagement id for the caller, who must take part in it as `as`.
 * The coordinator is never a participant. Returns DB_OK (free e with
 * api_engagement_clear), API_FAIL with a 404 in res, or a db_status.
 */
int api_engagement_load(struct db_conn *c, const struct http_request *r, const char *id, int as,
                        struct api_engagement *e, struct api_res *res);
void api_engagement_clear(struct api_engagement *e);

/*
 * Security levels (api/levels.c). api_levels_json: per threat model of
 * threat_models {claim, not_met_from, refuting, contradiction} from the
 * claims and store_not_met's object (new reference).
 * api_levels_contradictions: the contradicted ones as a list of warnings
 * (new reference). api_levels_load: both read for engagement e (DB_OK or a
 * db_status; *levels new reference).
 */
json_t *api_levels_json(const json_t *threat_models, const struct store_claim *claims, int nclaims,
                        const json_t *not_met);
json_t *api_levels_contradictions(const json_t *levels);
int api_levels_load(struct db_conn *c, const struct api_engagement *e,
                    json_t **levels) DB_MUST_CHECK;

/* 1 if code is one of e's campaign's threat models. */
int api_engagement_has_threat_model(const struct api_engagement *e, const char *code);

/* ---- new passwords (api/password_policy.c) ---- */
#define API_PASSWORD_MIN 12   /* characters */
#define API_PASSWORD_MAX 1024 /* bytes */

/* Load LOCKSTEP_SQL_DIR/common-passwords.txt once at start-up. 0 or -1 (logged). */
int api_password_policy_load(const char *sql_dir);

/* NULL when pw may be a new password, else the reason (static text). */
const char *api_password_weak(const char *pw);

/* ---- account links (api/invitations_post.c) ---- */

/* The link a person opens to set a password: <LOCKSTEP_PUBLIC_URL>/#link=<token>, into out. */
void api_link_url(const char *token, char *out, size_t outlen);

/*
 * Mail the link url (kind "invite" or "reset") to the address to through
 * LOCKSTEP_SMTP_URL (api/mail.c). 0 when the relay took it; -1 when no
 * relay is configured or sending failed (logged).
 */
int api_mail_link(const char *to, const char *kind, const char *url);
/* ---- second factors (issue 9: totp_*.c, session_factor_post.c, qr.c) ---- */

/*
 * After a log-in's password matched for who: when the account has a
 * confirmed second factor, reply with a challenge for the second step
 * (api/session_factor_post.c) and return the reply's http_result;
 * HTTP_OK when the account has none (the caller makes the session).
 */
int api_factor_challenge(struct http_request *r, const struct util_identity *who,
                         const char *acct_key);

#define API_RECOVERY_CODES 10
#define API_RECOVERY_CODE_LEN 20 /* "XXXX-XXXX-XXXX-XXXX" and its NUL */

/* Ten new random recovery codes into codes. Returns 0 or -1. */
int api_recovery_codes_new(char codes[API_RECOVERY_CODES][API_RECOVERY_CODE_LEN]);

/*
 * A QR code of text as an SVG document built from the module matrix only
 * (no text or attribute from the input). malloc'd, the caller frees; NULL
 * on failure (text too long for a QR code).
 */
char *api_qr_svg(const char *text);

/* handlers (one per file) */
int api_session_post(struct http_request *r);
int api_session_delete(struct http_request *r);
int api_me_get(struct http_request *r);
int api_tokens_post(struct http_request *r);
int api_tokens_get(struct http_request *r);
int api_token_delete(struct http_request *r);
int api_orgs_post(struct http_request *r);
int api_orgs_get(struct http_request *r);
int api_org_users_post(struct http_request *r);
int api_org_users_get(struct http_request *r);
int api_user_sessions_delete(struct http_request *r);
int api_invitations_post(struct http_request *r);
int api_invitations_get(struct http_request *r);
int api_invitation_delete(struct http_request *r);
int api_account_accept_post(struct http_request *r);
int api_user_reset_post(struct http_request *r);
int api_me_password_put(struct http_request *r);
int api_user_disable_post(struct http_request *r);
int api_user_enable_post(struct http_request *r);
int api_org_disable_post(struct http_request *r);
int api_org_enable_post(struct http_request *r);
int api_campaigns_post(struct http_request *r);
int api_campaigns_get(struct http_request *r);
int api_campaign_get(struct http_request *r);
int api_campaign_patch(struct http_request *r);
int api_engagements_post(struct http_request *r);
int api_engagements_get(struct http_request *r);
int api_engagement_get(struct http_request *r);
int api_engagement_stage_post(struct http_request *r);
int api_review_get(struct http_request *r);
int api_review_page_get(struct http_request *r);
int api_review_signoff_post(struct http_request *r);
int api_review_response_post(struct http_request *r);
int api_review_addendum_put(struct http_request *r);
int api_campaign_dashboard_get(struct http_request *r);
int api_hold_get(struct http_request *r);
int api_hold_decision_post(struct http_request *r);
int api_findings_post(struct http_request *r);
int api_findings_get(struct http_request *r);
int api_findings_import(struct http_request *r);
int api_findings_csv_get(struct http_request *r);
int api_engagement_oscal_get(struct http_request *r);
int api_engagement_report_get(struct http_request *r);
int api_publication_oscal_get(struct http_request *r);
int api_finding_get(struct http_request *r);
int api_finding_patch(struct http_request *r);
int api_finding_history_get(struct http_request *r);
int api_claim_put(struct http_request *r);
int api_claims_get(struct http_request *r);
int api_statement_put(struct http_request *r);
int api_statement_get(struct http_request *r);
int api_name_check_post(struct http_request *r);
int api_threat_models_get(struct http_request *r);
int api_vocabulary_get(struct http_request *r);
int api_healthz_get(struct http_request *r);
int api_readyz_get(struct http_request *r);
int api_metrics_get(struct http_request *r);
int api_static_get(struct http_request *r);
int api_index_get(struct http_request *r);
int api_signing_key_get(struct http_request *r);
int api_signing_keys_get(struct http_request *r);
int api_evidence_post(struct http_request *r); /* ROUTE_STREAM */
int api_evidence_list_get(struct http_request *r);
int api_evidence_get(struct http_request *r);
int api_evidence_receipt_get(struct http_request *r);
int api_evidence_delete(struct http_request *r);
int api_uploads_post(struct http_request *r);
int api_uploads_options(struct http_request *r);
int api_upload_head(struct http_request *r);
int api_upload_patch(struct http_request *r); /* ROUTE_STREAM */
int api_upload_delete(struct http_request *r);
int api_publications_get(struct http_request *r);
int api_publication_get(struct http_request *r);
int api_publication_signature_get(struct http_request *r);
int api_publication_page_get(struct http_request *r);
int api_feed_get(struct http_request *r);
int api_totp_get(struct http_request *r);
int api_totp_post(struct http_request *r);
int api_totp_confirm_post(struct http_request *r);
int api_totp_disable_post(struct http_request *r);
int api_session_factor_post(struct http_request *r);
int api_user_tokens_get(struct http_request *r);
int api_user_token_delete(struct http_request *r);
int api_campaign_second_factor_put(struct http_request *r);
int api_totp_recovery_post(struct http_request *r);
int api_org_second_factors_get(struct http_request *r);

/* Row -> JSON builders for the answers (built after commit). New references or NULL. */
json_t *api_org_json(const struct store_org *o);
json_t *api_user_json(const struct store_user *u);
json_t *api_me_json(const struct store_me *m);      /* {user, org} */
json_t *api_me_user_json(const struct store_me *m); /* the user with its org inside */
json_t *api_token_json(const struct store_token *t);
json_t *api_link_json(const struct store_link *l); /* never the token */
json_t *api_claim_json(const struct store_claim *k);
json_t *api_statement_json(const struct store_statement *s);

/* Shared row -> JSON builders (common.c) for the store's row structs. New references or NULL. */
json_t *api_campaign_json(const struct store_campaign *k);
json_t *api_engagement_json(const struct store_engagement *e);
json_t *api_finding_json(const struct store_finding *f);
/*
 * The name pre-check of text against names (store_name_check_names):
 * {"hold": bool, "spans": [{start, end, text}]} (hold.c). New reference,
 * or NULL when ICU or memory fails.
 */
json_t *api_name_check_json(const json_t *names, const char *text);
/* An engagement's review state for the coordinator (campaign_dashboard_get.c). New reference. */
json_t *api_review_state_json(const struct store_review_state *rows, int n, const char *engagement);
/* An engagement's stages [{from, stage, at, by}] (engagement_stage_post.c). New reference. */
json_t *api_stages_json(const struct store_stage *rows, int n);
/*
 * Warnings about a campaign whose firm–company pairings identify companies
 * although disclosure hides names (pseudonymous, aggregate): a firm that
 * assesses exactly one of the campaign's companies ("assessor-identifies-
 * company": the published list of assessors tells whoever knows the
 * pairing that the company takes part) and a campaign of one company
 * ("single-company"). eng: the campaign's n engagements
 * (store_engagement_list_by_campaign). Returns a new array, empty under
 * named disclosure, or NULL on allocation failure.
 */
/* 1 when text names a company (name or alias) the caller can see; -1 on failure
 * (the release's name check, for texts a handler publishes itself). */
int api_names_company(struct db_conn *c, const char *text);
json_t *api_pairing_warnings(const struct store_engagement *eng, int n, const char *disclosure,
                             const char *slug);

/* ---- a finding's conversation and notifications (conversation.c, issue 11) ---- */
/* A finding loaded for one of its participants, with its engagement. */
struct api_finding {
	struct store_finding row;
	struct api_engagement e;
	struct store_finding_ref ref; /* borrows row and e */
};
/*
 * Load finding id for the caller, who must take part in its engagement as
 * `as` (API_AS_*). Returns DB_OK (free f with api_finding_clear), API_FAIL
 * with a 404 in res (unknown, foreign, or a role that may not), or a
 * db_status.
 */
int api_finding_load(struct db_conn *c, const struct http_request *r, const char *id, int as,
                     struct api_finding *f, struct api_res *res);
void api_finding_clear(struct api_finding *f);
json_t *api_comment_json(const struct store_comment *k);
json_t *api_risk_json(const struct store_risk *k);
json_t *api_retest_json(const struct store_retest *k);
json_t *api_notification_json(const struct store_notification *n);
json_t *api_webhook_json(const struct store_webhook *w); /* never the secret */
/* {severity: days} of a campaign's remediation defaults. New reference or NULL. */
json_t *api_remediation_days_json(const struct store_remediation_days *rows, int n);
int api_finding_comments_post(struct http_request *r);
int api_finding_comments_get(struct http_request *r);
int api_finding_risks_post(struct http_request *r);
int api_finding_risks_get(struct http_request *r);
int api_risk_decision_post(struct http_request *r);
int api_finding_retests_post(struct http_request *r);
int api_finding_retests_get(struct http_request *r);
int api_campaign_remediation_get(struct http_request *r);
int api_campaign_remediation_put(struct http_request *r);
int api_inbox_get(struct http_request *r);
int api_inbox_unread_get(struct http_request *r);
int api_me_notifications_get(struct http_request *r);
int api_me_notifications_put(struct http_request *r);
int api_inbox_read_post(struct http_request *r);
int api_inbox_read_all_post(struct http_request *r);
int api_org_webhooks_post(struct http_request *r);
int api_org_webhooks_get(struct http_request *r);
int api_webhook_delete(struct http_request *r);
int api_webhook_deliveries_get(struct http_request *r);
#endif

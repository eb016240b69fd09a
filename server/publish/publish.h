/*
 * publish: building, canonicalising and signing publications.
 */
#ifndef LOCKSTEP_PUBLISH_H
#define LOCKSTEP_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "tlog/tlog.h"

/*
 * Canonical JSON of v: object keys sorted (byte order of their UTF-8),
 * no insignificant white space, strings as UTF-8 with only the escapes
 * JSON requires ('"', '\\' and control characters), integers only (a real
 * number anywhere makes the document refused, since float formatting is
 * not canonical). Returns a malloc'd NUL-terminated string (caller frees)
 * and its length in *len, or NULL.
 */
char *publish_canonical(const json_t *v, size_t *len);

/* ---- names (names.c) ---- */

/*
 * The name check on Unicode text (names.c has the steps): default
 * ignorables removed, ICU word boundaries, NFKC case folding, UTS #39
 * confusable skeletons, non-spacing marks ignored; a name matches where
 * its words follow one another in the text, whatever separates them
 * ("Beta Labs" matches "BETA-labs" and "Betalabs", "Acme" does not match
 * "Acmeology"). A name without any word never matches.
 */

/* Where a name was found: bytes [start, end) of the UTF-8 text, and the
 * same span in UTF-16 code units [ustart, uend) (JavaScript indices). */
struct publish_span {
	size_t start, end;
	size_t ustart, uend;
};

/* A text prepared for name searches (its tokens and their keys). */
struct publish_text;

/*
 * Index text (NUL-terminated UTF-8; invalid bytes count as U+FFFD).
 * Returns a new index (free with publish_text_free), or NULL when ICU or
 * memory fails: callers treat that as a hit (hold).
 */
struct publish_text *publish_text_new(const char *text);
void publish_text_free(struct publish_text *t); /* accepts NULL */

/*
 * Every occurrence of name in t. When spans is not NULL each is appended
 * to *spans (realloc'd; caller frees) and *nspans grows. Returns how many
 * were found, or -1 on failure (ICU, memory; *spans stays valid).
 */
int publish_text_find(const struct publish_text *t, const char *name, struct publish_span **spans,
                      size_t *nspans);

/* Sort spans and merge overlapping ones in place; returns the new count. */
size_t publish_spans_merge(struct publish_span *spans, size_t n);

/* 1 if name occurs in text, 0 if not, -1 on failure (treat as 1). */
int publish_name_in(const char *text, const char *name);

/*
 * Pseudonymous label number i (0-based): "Company A" ... "Company Z",
 * "Company AA", ... into out (outlen bytes).
 */
void publish_label(size_t i, char *out, size_t outlen);

/*
 * A uniformly random permutation of 0..n-1 into perm (Fisher-Yates with
 * rejection sampling over crypto_random). Returns 0, or -1 when the
 * CSPRNG fails.
 */
int publish_shuffle(size_t *perm, size_t n);

/* ---- the document (snapshot.c) ---- */

#define PUBLISH_FORMAT "lockstep-publication-v1"
#define PUBLISH_SUPPRESSED "suppressed"

/* A due campaign as release_claim() returns it (strings borrowed). */
struct publish_campaign {
	const char *id;
	const char *title;
	const char *slug;
	const json_t *threat_models; /* array of codes, catalogue order */
	const char *release_at;
	const char *planned_release_at;
	const char *disclosure; /* named | pseudonymous | aggregate */
	long long min_cohort;
	int embargo_break;
	const json_t *withhold; /* the coordinator's withhold decision {reason, ...} or NULL */
};

/* What a withheld text is replaced by in the document (see publish_build). */
#define PUBLISH_WITHHELD "[withheld by the coordinator]"

/*
 * Build the publication document of c from inputs (the object
 * release_inputs() returns: companies with names and aliases, engagements
 * with assessor firm, lead assessors, claims, statement and finding
 * counts). The document has "sequence" 0 and "prev_hash" empty: the
 * caller sets both once it holds the chain (publish_chain). Pseudonymous
 * labels come from publish_shuffle. Aggregate cells describing fewer than
 * min_cohort companies (when min_cohort > 1) are "suppressed".
 *
 * *leaks receives a new array (never NULL on success) of the published
 * texts that name a participating company (name or alias, see
 * publish_name_in), each {"field", "engagement" (or null), "name"}; it is
 * only filled under pseudonymous and aggregate disclosure, where any
 * entry means the release must be held.
 *
 * With c->withhold (the coordinator decided to withhold), a participant's
 * text that names a company (claim summary, statement, review response
 * or addendum) is not a leak: it is replaced by PUBLISH_WITHHELD, its row
 * lists it in "withheld" ([field]), and the document says so in
 * "withheld": {reason, decided_at, texts: n}. Texts outside the rows
 * (campaign title, assessor names) still hold.
 *
 * Returns a new document (caller decrefs) or NULL on failure (bad inputs,
 * CSPRNG failure, out of memory); *leaks is then NULL.
 */
json_t *publish_build(const struct publish_campaign *c, const json_t *inputs, json_t **leaks);

/*
 * The part of an engagement's row that commit-then-reveal commits to:
 * {"claims", "findings", "statement"} exactly as publish_build writes them
 * into the row (which adds "company", "assessor" and "commitment"), from
 * one engagement e of release_inputs() or commit_inputs() and the
 * campaign's threat models. Returns a new object, or NULL.
 */
json_t *publish_row_core(const json_t *threat_models, const json_t *e);

/*
 * The review (0008): each engagement row of the publication carries
 * "review": {state, draft_hash, response, addendum}; the document carries
 * "reviews": {state: number of engagements}. States: */
#define PUBLISH_REVIEW_SIGNED "signed-off"            /* the company agreed to this row */
#define PUBLISH_REVIEW_RESPONDED "responded"          /* the company answered it publicly */
#define PUBLISH_REVIEW_SILENT "no-answer"             /* a draft was shown, nobody answered */
#define PUBLISH_REVIEW_CHANGED "changed-after-review" /* the row differs from its draft */
#define PUBLISH_REVIEW_NONE "not-reviewed"            /* no draft was ever frozen */

/*
 * The hash that binds a review to a row: SHA-256 (hex into hex) of the
 * canonical JSON of row without "company" (a pseudonymous label is drawn
 * only at the release) and "review". The draft of an engagement and its
 * published row hash the same when nothing changed. *canon (if not NULL)
 * receives the canonical text (caller frees). 0 or -1.
 */
int publish_row_hash(const json_t *row, char hex[65], char **canon);

/*
 * The draft rows of a campaign under review, from review_inputs() (the
 * shape of release_inputs()): {engagement id: row without "company"},
 * built by the same row builder as the publication. New reference or NULL.
 */
json_t *publish_draft_rows(const struct publish_campaign *c, const json_t *inputs);

/*
 * What differs between two draft rows: an array of part names
 * ("claims.<TM>", "findings.<TM>", "statement", "assessor"), never text.
 * New reference.
 */
json_t *publish_row_changes(const json_t *old, const json_t *now);

/* Set the chain fields of doc: "sequence" seq, "prev_hash" hex (64 chars). 0 or -1. */
int publish_chain(json_t *doc, long long seq, const char *prev_hash_hex);

/* ---- rendering (render.c) ---- */

/* What the page shows beside the document (strings borrowed). */
struct publish_meta {
	const char *slug;
	const char *hash_hex;
	const char *signature_b64;
	const char *key_b64url;
	const char *published_at;
	const char *key_id; /* RFC 7638 thumbprint of the signing key, or NULL */
};

/*
 * The HTML page of a publication: no script, per-threat-model tables,
 * inline SVG charts (presentation attributes only), the assessors, the
 * statements, the signature and how to verify it with openssl. Every text
 * from doc or m is escaped. Returns a malloc'd NUL-terminated page (caller
 * frees) and its length in *len, or NULL on allocation failure.
 */
char *publish_page_html(const json_t *doc, const struct publish_meta *m, size_t *len);

/* How publish_page_html opens its main element (the review draft's banner follows it). */
#define PUBLISH_MAIN_OPEN "<main id=\"main\">\n"

struct publish_feed_item {
	const char *slug, *title, *disclosure, *release_at, *published_at, *hash_hex;
	long long seq;
};

/*
 * An Atom feed of items (newest first) with feed id feed_id. Escaped.
 * Returns a malloc'd document (caller frees) and *len, or NULL.
 */
char *publish_feed_atom(const struct publish_feed_item *items, size_t n, const char *feed_id,
                        size_t *len);

/*
 * The public index of publications (/p/): items newest first, each linked
 * with its release instant (<time datetime>) and disclosure mode; next > 0
 * adds a link to the older page (?after=next). No script. Returns a
 * malloc'd page (caller frees) and *len, or NULL.
 */
char *publish_index_html(const struct publish_feed_item *items, size_t n, long long next,
                         size_t *len);

/*
 * The HTML "not found" page of /p/… for browsers: one constant page, the
 * same for a slug that never existed and one not yet released. malloc'd
 * (caller frees), or NULL.
 */
char *publish_not_found_html(size_t *len);

/* ---- the release scheduler (schedule.c) ---- */

struct crypto_signer;

/*
 * Start the scheduler thread: every interval_ms it publishes every due
 * campaign it can claim, one transaction each (see schedule.c). signer
 * must outlive schedule_stop. The sealed claims and statements are opened
 * by the store (store_release_inputs) with the master key given to
 * store_init. pause_ms > 0 (tests only) sleeps that long inside each
 * publishing transaction after the publication row is written and before
 * commit. prepare_ms > 0 builds each release that long before its instant
 * (kept in this replica's memory, unsigned; used at the instant only when
 * nothing it was built from changed meanwhile). Returns 0, or -1 if the
 * thread cannot start.
 */
int schedule_start(const struct crypto_signer *signer, unsigned interval_ms, unsigned pause_ms,
                   unsigned prepare_ms);

/* The scheduler's counters for /metrics; malloc'd text or NULL. */
char *schedule_metrics_render(void);
/*
 * The visibility epoch: 0 while this replica does not LISTEN on
 * lockstep_release (no scheduler, or its connection is lost); otherwise a
 * number that changes with every notification (every change of a
 * campaign's instant or state, a release included, on any replica),
 * every reconnection and every release of this replica. A slug the
 * database said was missing, asked under epoch e, can only have appeared
 * once the epoch is no longer e (api/pubcache.c).
 */
unsigned long schedule_visibility_epoch(void);
struct util_identity;
/*
 * One round of the review scheduler (review.c): freeze or refresh the
 * drafts of up to max campaigns whose review window is open, one
 * transaction each, under the scheduler identity.
 */
void review_round(const struct util_identity *scheduler, int max);

/* Ask the thread to stop and wait for it (a running release finishes). */
void schedule_stop(void);

/* ---- commit-then-reveal (commit.c) ---- */

struct db_conn;

/*
 * Commit every campaign whose commit instant has passed (one transaction
 * each, scheduler identity). Returns how many, or -1 (logged).
 */
int commit_round(void);

/*
 * At the release, inside its transaction: check each engagement of inputs
 * (release_inputs(), opened) against its latest commitment; set
 * e["commitment"] = {salt, log_index, recommitted_at} (a changed or late
 * row is committed again now: recommitted_at is set) and *summary (new
 * reference) = {campaign_log_index, committed, recommitted, engagements}.
 * DB_OK or a db_status.
 */
int commit_reveal(struct db_conn *c, const char *campaign, const json_t *threat_models,
                  json_t *inputs, json_t **summary);

/*
 * The same for a release prepared ahead_ms (0..60000) before its instant
 * (publish/schedule.c), writing nothing: DB_OK with the reveals set as
 * commit_reveal would set them, STORE_NONE when a row would have to be
 * committed again at the release (then the release is not prepared), or
 * a db_status.
 */
int commit_reveal_dry(struct db_conn *c, const char *campaign, const json_t *threat_models,
                      json_t *inputs, json_t **summary, int ahead_ms);

/* ---- the transparency log (tlogd.c) ---- */

/*
 * The log key derived from the master key (HMAC-SHA-256 under a fixed
 * label, used as an Ed25519 seed). Returns a signer the caller frees, or
 * NULL.
 */
struct crypto_signer *tlogd_derive_key(const unsigned char master[CRYPTO_KEY_LEN]);

/*
 * Keep log_key (owned from now on; freed by tlogd_free), the publication
 * signer (borrowed, announced in the log) and the origin (the checkpoint's
 * first line and the key name). Returns 0, or -1.
 */
int tlogd_init(struct crypto_signer *log_key, const struct crypto_signer *pub_signer,
               const char *origin);
const struct crypto_signer *tlogd_signer(void); /* NULL before tlogd_init */
const char *tlogd_origin(void);
/* The log's verifier key (C2SP vkey) into out. 0 or -1. */
int tlogd_vkey(char *out, size_t outlen);

/*
 * Read the leaf hashes appended since the last call into memory (one
 * transaction per 10000). Returns the number of leaves held, or -1.
 */
long long tlogd_sync(void);
/* From the leaves held (after tlogd_sync); each 0, or -1 beyond them. */
int tlogd_root(uint64_t size, tlog_hash out);
int tlogd_leaf(uint64_t index, tlog_hash out);
int tlogd_inclusion(uint64_t index, uint64_t size, tlog_hash proof[TLOG_MAX_PROOF], size_t *len);
int tlogd_consistency(uint64_t m, uint64_t n, tlog_hash proof[TLOG_MAX_PROOF], size_t *len);
/* The width hashes of tile (level, index) into out (width * 32 bytes). 0, or -1. */
int tlogd_tile(int level, uint64_t index, unsigned width, unsigned char *out);
/* The signed note of the checkpoint (size, root) into out. Its length, or -1. */
int tlogd_sign_checkpoint(uint64_t size, const tlog_hash root, char *out, size_t outlen);
/* Sign and store a checkpoint for the log's size if it grew: 1, 0 (nothing new), -1. */
int tlogd_checkpoint_now(void);
/* Append an audit checkpoint if due (force: whatever its age). 0 or -1. */
int tlogd_audit_checkpoint(int force);

/*
 * Start the log's thread (announces the keys, then every interval_ms:
 * audit checkpoint when audit_interval_s passed, checkpoint when the log
 * grew). Returns 0, or -1.
 */
int tlogd_start(unsigned interval_ms, unsigned audit_interval_s);
void tlogd_stop(void);
void tlogd_free(void);

/* ---- witnesses (witness.c) ---- */

/*
 * The witnesses of LOCKSTEP_WITNESSES: "<URL> <cosignature vkey>" items
 * separated by commas or new lines (at most 16). Returns 0, or -1 on a
 * malformed item (none is kept then).
 */
int witness_configure(const char *spec);
size_t witness_count(void);
/*
 * Send checkpoint size (stored) to every witness that has not cosigned it
 * and is not backing off; store the cosignatures that verify.
 */
void witness_round(long long size);

#endif

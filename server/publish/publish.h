/*
 * publish: building, canonicalising and signing publications.
 */
#ifndef LOCKSTEP_PUBLISH_H
#define LOCKSTEP_PUBLISH_H

#include <stddef.h>

#include <jansson.h>

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
};

/*
 * The HTML page of a publication: no script, per-threat-model tables,
 * inline SVG charts (presentation attributes only), the assessors, the
 * statements, the signature and how to verify it with openssl. Every text
 * from doc or m is escaped. Returns a malloc'd NUL-terminated page (caller
 * frees) and its length in *len, or NULL on allocation failure.
 */
char *publish_page_html(const json_t *doc, const struct publish_meta *m, size_t *len);

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

/* ---- the release scheduler (schedule.c) ---- */

struct crypto_signer;

/*
 * Start the scheduler thread: every interval_ms it publishes every due
 * campaign it can claim, one transaction each (see schedule.c). signer
 * must outlive schedule_stop. The sealed claims and statements are opened
 * by the store (store_release_inputs) with the master key given to
 * store_init. pause_ms > 0 (tests only) sleeps that long inside each
 * publishing transaction after the publication row is written and before
 * commit. Returns 0, or -1 if the thread cannot start.
 */
int schedule_start(const struct crypto_signer *signer, unsigned interval_ms, unsigned pause_ms);

/* The scheduler's counters for /metrics; malloc'd text or NULL. */
char *schedule_metrics_render(void);
struct util_identity;
/*
 * One round of the review scheduler (review.c): freeze or refresh the
 * drafts of up to max campaigns whose review window is open, one
 * transaction each, under the scheduler identity.
 */
void review_round(const struct util_identity *scheduler, int max);

/* Ask the thread to stop and wait for it (a running release finishes). */
void schedule_stop(void);

#endif

/*
 * api/export.h: what the engagement exports (CSV, OSCAL, the printable
 * report) read, loaded in one transaction for the engagement's company or
 * assessor, and the OSCAL 1.1 assessment-results builder.
 */
#ifndef LOCKSTEP_API_EXPORT_H
#define LOCKSTEP_API_EXPORT_H

#include "api/api.h"

#define API_EXPORT_MAX_FINDINGS 20000

struct api_export {
	struct store_engagement e;
	struct store_finding *rows; /* oldest first */
	int n;
	struct store_claim *claims;
	int nclaims;
	json_t *commitments; /* store_commitment_list (issue 14) */
	json_t *emulation;   /* store_emulation_get without rules, or NULL */
	json_t *not_met;     /* store_not_met */
};

/*
 * Inside a transaction: load engagement id with its findings (up to
 * API_EXPORT_MAX_FINDINGS) and claims for r's caller, who must be the
 * engagement's company or assessor (else API_FAIL with a 404 in res), and
 * audit the read as "finding.export" with {"format": format}. Clears x
 * first (the callback may run twice). DB_OK or a db_status / API_FAIL.
 */
int api_export_load(struct db_conn *c, const struct http_request *r, const char *id,
                    const char *format, struct api_export *x, struct api_res *res) DB_MUST_CHECK;
void api_export_clear(struct api_export *x);

/*
 * The engagement as an OSCAL 1.1.2 assessment-results document: the
 * engagement is the result, each finding an observation and a risk, each
 * claim a finding against its threat model. now: RFC 3339. A new
 * reference, or NULL when out of memory.
 */
json_t *api_oscal_engagement(const struct api_export *x, const char *now);

/*
 * A released publication (its signed document doc, slug, published_at
 * RFC 3339 and the document's SHA-256 hex) as an OSCAL 1.1.2
 * assessment-results document: one result per published engagement row
 * (one for the campaign under aggregate disclosure), claims as findings,
 * finding counts as observations; nothing the publication does not hold.
 * A new reference, or NULL.
 */
json_t *api_oscal_publication(const json_t *doc, const char *slug, const char *published_at,
                              const char *hash);

/* The current time as RFC 3339 UTC ("2026-01-02T03:04:05Z") into out (21+ bytes). */
void api_now_rfc3339(char *out, size_t outlen);

#endif
